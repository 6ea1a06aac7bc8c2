//! The epoch loop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::seq::SliceRandom;

use super::best::{self, KeepBest};
use super::guard::{self, At};
use super::{
    Batch, MetricsLog, Prepared, StepWorkspace, TrainState, conclusion, epoch_line,
    evaluate_ranked, train_step,
};
use crate::checkpoint::{self, CheckpointMeta};
use crate::error::{Error, Result};
use crate::metrics::{Confusion, EpochMetrics};
use crate::model::Sequential;
use crate::optim::AdamConfig;

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
    /// The test fraction held out after the validation rows (`--test-fraction`; 0: none),
    /// recorded in checkpoints so `evaluate --split test` finds the rows.
    pub test_fraction: f64,
    /// Keep a moving average of the weights with this momentum (`--ema`, Keras's
    /// `use_ema=True, ema_momentum=…`; none by default), validate it instead of the raw
    /// weights, and save it in every checkpoint ([`crate::optim::Ema`]).
    pub ema: Option<f64>,
    /// The data file's name as given (recorded in checkpoints).
    pub data_source: String,
    /// Also keep the best epoch by this validation metric as `fraud_model_best.safetensors`
    /// (`--keep-best`; none by default).
    pub keep_best: Option<KeepBest>,
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
    model: Sequential<f32>,
    metrics_log: Option<&mut MetricsLog>,
    out: &mut dyn Write,
) -> Result<FitOutcome> {
    let state = TrainState::fresh(model, config);
    fit_from(
        config,
        data,
        state,
        metrics_log,
        out,
        &mut checkpoint::write_atomically,
    )
}

/// [`fit`] from `state`: a fresh run ([`TrainState::fresh`]) or one resumed from a checkpoint
/// ([`TrainState::resume`]), training epochs `state.epoch + 1 ..= config.epochs`.
/// `write_checkpoint(path, bytes)` stores each epoch's checkpoint; pass
/// [`checkpoint::write_atomically`] (tests pass one that fails, to see a failed write
/// handled). Each epoch's metrics-log row is written before its checkpoint, so the log of an
/// interrupted run holds a row for every checkpoint (and at most one row more).
///
/// # Errors
/// As [`fit`]; [`Error::Config`] (`epochs`) when `state.epoch` is past `config.epochs`;
/// whatever `write_checkpoint` returns, with earlier checkpoints left as they were.
pub fn fit_from(
    config: &TrainConfig,
    data: &Prepared,
    state: TrainState,
    mut metrics_log: Option<&mut MetricsLog>,
    out: &mut dyn Write,
    write_checkpoint: &mut dyn FnMut(&Path, &[u8]) -> Result<()>,
) -> Result<FitOutcome> {
    if config.batch_size == 0 {
        return Err(Error::Config {
            name: "batch size",
            message: "must be at least 1".into(),
        });
    }
    if config.epochs == 0 {
        return Err(Error::Config {
            name: "epochs",
            message: "must be at least 1".into(),
        });
    }
    if state.epoch > config.epochs {
        return Err(Error::Config {
            name: "epochs",
            message: format!(
                "{} is fewer than the {} epochs already trained",
                config.epochs, state.epoch
            ),
        });
    }
    checkpoint::check_writable_dir(&config.checkpoint_dir)?;
    let stdout_err = |e| Error::io("<stdout>", "cannot write the training log", e);
    let TrainState {
        mut model,
        mut adam,
        epoch: done,
        mut dropout_rng,
        mut shuffle_rng,
        mut ema,
    } = state;
    let start = At {
        epoch: done + 1,
        step: 0,
    };
    guard::check_start(start, &model, &adam)?;
    guard::check_inputs(
        start,
        data.train_x.view(),
        data.val_x.view(),
        &data.feature_names,
    )?;
    let [w0, w1] = config_weights(data.class_weight);
    let n = data.train_x.nrows();
    let steps = n.div_ceil(config.batch_size);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut workspace = StepWorkspace::default();
    let mut history = Vec::new();
    let mut last_checkpoint = None;
    let mut best_value = config
        .keep_best
        .and_then(|metric| best::best_so_far(&config.checkpoint_dir, metric, done, config.seed));
    for epoch in done + 1..=config.epochs {
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
            let batch = Batch {
                features: data.train_x.view(),
                labels: data.train_y.view(),
                rows,
                class_weight: [w0, w1],
            };
            let result = train_step(
                &mut model,
                &mut adam,
                &mut workspace,
                batch,
                &mut dropout_rng,
            )?;
            guard::check_step(
                At {
                    epoch,
                    step: step + 1,
                },
                &result,
                &model,
                &adam,
                &data.feature_names,
            )?;
            loss_sum += result.loss as f64 * rows.len() as f64;
            train.add_logits(result.logits, result.targets);
            // After every optimizer step, as Keras's `apply` does; `t` is 1 after the first.
            if let Some(ema) = ema.as_mut() {
                ema.update(&model, adam.t == 1);
            }
            bar.inc(1);
        }
        // Validation judges the weights the run will be used with: the average when kept.
        let validated = ema.as_ref().map_or(&model, |e| &e.average);
        let ranked = evaluate_ranked(validated, data.val_x.view(), data.val_y.view())?;
        let (val_loss, val) = (ranked.loss, ranked.confusion);
        guard::check_validation(
            At { epoch, step: steps },
            val_loss,
            data.val_x.view(),
            &data.feature_names,
            config.adam.learning_rate,
        )?;
        let metrics = EpochMetrics {
            loss: loss_sum / n.max(1) as f64,
            train,
            val_loss,
            val,
            val_auc_pr: ranked.auc_pr,
            val_auc_roc: ranked.auc_roc,
        };
        let seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let mut line = epoch_line(steps, seconds, &metrics);
        if ema.is_some() {
            line += " - val_weights: ema";
        }
        writeln!(out, "{line}").map_err(stdout_err)?;
        out.flush().map_err(stdout_err)?;
        let meta = CheckpointMeta {
            format: checkpoint::FORMAT.into(),
            format_version: checkpoint::FORMAT_VERSION,
            epoch,
            epochs: config.epochs,
            seed: config.seed,
            architecture: model.architecture().clone(),
            adam: config.adam,
            batch_size: config.batch_size,
            val_fraction: config.val_fraction,
            test_fraction: config.test_fraction,
            ema_momentum: ema.as_ref().map(|e| e.momentum),
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
        // The log row first: an interrupted run's log then has a row for every checkpoint.
        if let Some(log) = metrics_log.as_deref_mut() {
            log.append(epoch, steps, seconds, &metrics)?;
        }
        let path = config.checkpoint_dir.join(checkpoint::file_name(epoch));
        let bytes = checkpoint::to_bytes(&model, &adam, ema.as_ref(), &meta)?;
        write_checkpoint(&path, &bytes)?;
        if let Some(metric) = config.keep_best {
            let best_path = config.checkpoint_dir.join(checkpoint::BEST_FILE_NAME);
            let line = best::keep_if_better(
                metric,
                &metrics,
                &mut best_value,
                epoch,
                &config.checkpoint_dir,
                || write_checkpoint(&best_path, &bytes),
            )?;
            writeln!(out, "{line}").map_err(stdout_err)?;
        }
        last_checkpoint = Some(path);
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
