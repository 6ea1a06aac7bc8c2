//! The epoch loop.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::{Array1, Axis};
use rand::seq::SliceRandom;

use super::{MetricsLog, Prepared, conclusion, epoch_line, evaluate, train_step};
use crate::checkpoint::{self, CheckpointMeta};
use crate::error::{Error, Result};
use crate::layers::Sigmoid;
use crate::metrics::{Confusion, EpochMetrics};
use crate::model::Sequential;
use crate::optim::{Adam, AdamConfig};
use crate::rng::{self, Stream};

/// Settings of a training run; defaults are the Keras example's.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Passes over the training rows (example: 30).
    pub epochs: usize,
    /// Rows per batch (example: 2048); the last, partial batch is used too.
    pub batch_size: usize,
    /// Adam's settings (example: `Adam(1e-2)`, Keras defaults otherwise).
    pub adam: AdamConfig,
    /// Seed of the initialisation, dropout and shuffle streams.
    pub seed: u64,
    /// Whether to shuffle the training rows afresh each epoch (Keras's `fit` default: yes).
    pub shuffle: bool,
    /// Where `fraud_model_at_epoch_{epoch}.safetensors` files go.
    pub checkpoint_dir: PathBuf,
    /// The validation fraction the data was split with (recorded in checkpoints).
    pub val_fraction: f64,
    /// The data file's name as given (recorded in checkpoints).
    pub data_source: String,
}

/// What a finished run returns.
#[derive(Clone, Debug)]
pub struct FitOutcome {
    /// Each epoch's metrics, in order.
    pub history: Vec<EpochMetrics>,
    /// The trained model.
    pub model: Sequential<f32>,
    /// The last checkpoint written.
    pub last_checkpoint: Option<PathBuf>,
}

/// Trains `model` on `data` for `config.epochs` epochs, printing `Epoch e/E` and Keras's
/// `verbose=2` line for each epoch to `out`, a progress bar to stderr (only when stderr is a
/// terminal), writing a checkpoint after every epoch and a row to `metrics_log` if given, and
/// the conclusion at the end.
///
/// # Errors
/// [`Error::Config`] for a batch size or epoch count of 0; [`Error::NonFinite`] when the loss,
/// a gradient or a parameter stops being finite (the last checkpoint is left as it was);
/// [`Error::Io`] when a checkpoint, the log or `out` cannot be written.
pub fn fit(
    config: &TrainConfig,
    data: &Prepared,
    mut model: Sequential<f32>,
    mut metrics_log: Option<&mut MetricsLog>,
    out: &mut dyn Write,
) -> Result<FitOutcome> {
    if config.batch_size == 0 {
        return Err(Error::Config {
            name: "--batch-size",
            message: "must be at least 1".into(),
        });
    }
    if config.epochs == 0 {
        return Err(Error::Config {
            name: "--epochs",
            message: "must be at least 1".into(),
        });
    }
    checkpoint::check_writable_dir(&config.checkpoint_dir)?;
    let stdout_err = |e| Error::io("<stdout>", "cannot write the training log", e);
    let mut adam = Adam::new(config.adam, &model.param_shapes());
    let mut dropout_rng = rng::stream(config.seed, Stream::Dropout);
    let mut shuffle_rng = rng::stream(config.seed, Stream::Shuffle);
    let [w0, w1] = config_weights(data.class_weight);
    let n = data.train_x.nrows();
    let steps = n.div_ceil(config.batch_size);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut history = Vec::new();
    let mut last_checkpoint = None;
    for epoch in 1..=config.epochs {
        writeln!(out, "Epoch {epoch}/{}", config.epochs).map_err(stdout_err)?;
        out.flush().map_err(stdout_err)?;
        let started = Instant::now();
        let bar = progress_bar(steps);
        order.clear();
        order.extend(0..n);
        if config.shuffle {
            order.shuffle(&mut shuffle_rng);
        }
        let (mut loss_sum, mut train) = (0.0f64, Confusion::default());
        for (step, rows) in order.chunks(config.batch_size).enumerate() {
            let x = data.train_x.select(Axis(0), rows);
            let y = data.train_y.select(Axis(0), rows);
            let w: Array1<f32> = y.mapv(|t| if t > 0.5 { w1 } else { w0 });
            let result = train_step(
                &mut model,
                &mut adam,
                x.view(),
                y.view(),
                w.view(),
                &mut dropout_rng,
            );
            let non_finite = |what: &str| Error::NonFinite {
                epoch,
                step: step + 1,
                what: what.into(),
            };
            if !result.loss.is_finite() {
                return Err(non_finite("the loss"));
            }
            if !result.gradients_finite {
                return Err(non_finite("a gradient"));
            }
            loss_sum += result.loss as f64 * rows.len() as f64;
            train.add(result.logits.mapv(Sigmoid::value).view(), y.view(), 0.5);
            bar.inc(1);
        }
        if let Some(name) = model
            .param_names()
            .into_iter()
            .zip(model.params())
            .find(|(_, p)| p.iter().any(|v| !v.is_finite()))
            .map(|(n, _)| n)
        {
            return Err(Error::NonFinite {
                epoch,
                step: steps,
                what: format!("parameter {name}"),
            });
        }
        let (val_loss, val) = evaluate(&model, data.val_x.view(), data.val_y.view());
        let metrics = EpochMetrics {
            loss: loss_sum / n.max(1) as f64,
            train,
            val_loss,
            val,
        };
        let seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        writeln!(out, "{}", epoch_line(steps, seconds, &metrics)).map_err(stdout_err)?;
        out.flush().map_err(stdout_err)?;
        let meta = CheckpointMeta {
            format: checkpoint::FORMAT.into(),
            format_version: checkpoint::FORMAT_VERSION,
            epoch,
            epochs: config.epochs,
            seed: config.seed,
            architecture: model.architecture.clone(),
            adam: config.adam,
            batch_size: config.batch_size,
            val_fraction: config.val_fraction,
            shuffle: config.shuffle,
            feature_names: data.feature_names.clone(),
            label_name: data.label_name.clone(),
            mean: data.standardizer.mean.to_vec(),
            std: data.standardizer.std.to_vec(),
            class_weight: data.class_weight,
            data_source: config.data_source.clone(),
            metrics,
            dropout_rng_position: dropout_rng.get_word_pos().to_string(),
            shuffle_rng_position: shuffle_rng.get_word_pos().to_string(),
        };
        let path = config.checkpoint_dir.join(checkpoint::file_name(epoch));
        checkpoint::save(&path, &model, &adam, &meta)?;
        last_checkpoint = Some(path);
        if let Some(log) = metrics_log.as_deref_mut() {
            log.append(epoch, steps, seconds, &metrics)?;
        }
        history.push(metrics);
    }
    if let Some(last) = history.last() {
        writeln!(out, "{}", conclusion(last)).map_err(stdout_err)?;
    }
    Ok(FitOutcome {
        history,
        model,
        last_checkpoint,
    })
}

/// The class weights as the f32 sample weights Keras's `class_weight` produces.
fn config_weights(class_weight: [f64; 2]) -> [f32; 2] {
    class_weight.map(|w| w as f32)
}

/// A progress bar on stderr; indicatif draws nothing when stderr is not a terminal, so a
/// redirected log holds no `\r` or escape byte.
fn progress_bar(steps: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{pos:>4}/{len} [{bar:40}] {elapsed} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
