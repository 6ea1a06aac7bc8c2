//! Where a run starts: from scratch, or after the epoch of a checkpoint.
//!
//! A checkpoint holds everything the epoch loop carries from one epoch to the next: the
//! parameters, Adam's moments and step count, the positions of the dropout and shuffle streams
//! (ChaCha8 word positions) and the epoch counter. The shuffle of epoch `e` is
//! `order = 0..n; order.shuffle(&mut shuffle_rng)` drawn from the stream where epoch `e − 1` left
//! it, and the dropout masks are drawn in step order, so restoring those two positions and the
//! state above makes the resumed epochs bit for bit those of the run that never stopped.
//!
//! [`TrainState::resume`] refuses a checkpoint that does not belong to the run described by the
//! flags: another architecture, other feature or label names, other data (standardisation or
//! class weights that differ in any bit), another seed, validation fraction or shuffle setting.
//! The learning rate and the batch size may change on resume ([`changed_settings`] lists what
//! did); the result is then no longer that of an uninterrupted run.

use std::path::Path;

use super::{Prepared, TrainConfig};
use crate::activation::Activation;
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::error::{Error, Result};
use crate::model::{Architecture, LayerSpec, Sequential};
use crate::optim::Adam;
use crate::rng::{self, Rng, Stream};

/// Everything the epoch loop carries from one epoch to the next.
#[derive(Clone, Debug)]
pub struct TrainState {
    /// The model after `epoch` epochs.
    pub model: Sequential<f32>,
    /// Adam's moments and step count after `epoch` epochs.
    pub adam: Adam<f32>,
    /// Epochs completed: 0 for a fresh run; training goes on with epoch `epoch + 1`.
    pub epoch: usize,
    /// The dropout stream, positioned after the last mask drawn.
    pub dropout_rng: Rng,
    /// The shuffle stream, positioned after the last epoch's shuffle.
    pub shuffle_rng: Rng,
}

impl TrainState {
    /// A fresh run: `model` as initialised, zero Adam moments, `t = 0`, and the dropout and
    /// shuffle streams of `config.seed` at their start.
    pub fn fresh(model: Sequential<f32>, config: &TrainConfig) -> Self {
        let adam = Adam::new(config.adam, &model);
        TrainState {
            model,
            adam,
            epoch: 0,
            dropout_rng: rng::stream(config.seed, Stream::Dropout),
            shuffle_rng: rng::stream(config.seed, Stream::Shuffle),
        }
    }

    /// The state saved in `checkpoint` (loaded from `path`), after checking that it belongs to
    /// the run that `config`, `architecture` (from the flags) and `data` describe. Adam takes
    /// `config.adam`, so a changed learning rate applies from the next step.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the first mismatch (architecture, feature or label names,
    /// data, seed, validation fraction, shuffle) and the flag to change, or an unreadable RNG
    /// position or epoch 0 in its metadata; [`Error::Config`] (`--epochs`) when the checkpoint
    /// is past `config.epochs`.
    pub fn resume(
        checkpoint: Checkpoint,
        path: &Path,
        config: &TrainConfig,
        architecture: &Architecture,
        data: &Prepared,
    ) -> Result<Self> {
        let meta = &checkpoint.meta;
        check_compatible(meta, path, config, architecture, data)?;
        let bad = |message: String| Error::Checkpoint {
            path: path.to_path_buf(),
            message,
        };
        if meta.epoch == 0 {
            return Err(bad("records epoch 0; checkpoints start at epoch 1".into()));
        }
        if meta.epoch > config.epochs {
            return Err(Error::Config {
                name: "--epochs",
                message: format!(
                    "{} is fewer than the {} epochs {} has already trained; ask for more",
                    config.epochs,
                    meta.epoch,
                    path.display()
                ),
            });
        }
        let position = |value: &str, what: &str| {
            value.parse::<u128>().map_err(|_| {
                bad(format!(
                    "metadata {what} is {value:?}, expected a decimal ChaCha word position"
                ))
            })
        };
        let mut dropout_rng = rng::stream(config.seed, Stream::Dropout);
        dropout_rng.set_word_pos(position(
            &meta.dropout_rng_position,
            "dropout_rng_position",
        )?);
        let mut shuffle_rng = rng::stream(config.seed, Stream::Shuffle);
        shuffle_rng.set_word_pos(position(
            &meta.shuffle_rng_position,
            "shuffle_rng_position",
        )?);
        let epoch = meta.epoch;
        let mut adam = checkpoint.adam;
        adam.config = config.adam;
        Ok(TrainState {
            model: checkpoint.model,
            adam,
            epoch,
            dropout_rng,
            shuffle_rng,
        })
    }
}

/// The settings a resumed run may change, each as `"--flag: checkpoint → now"`; empty when
/// the resumed epochs will be bit for bit those of an uninterrupted run.
pub fn changed_settings(meta: &CheckpointMeta, config: &TrainConfig) -> Vec<String> {
    let mut changed = Vec::new();
    if meta.adam.learning_rate.to_bits() != config.adam.learning_rate.to_bits() {
        changed.push(format!(
            "--learning-rate: {} → {}",
            meta.adam.learning_rate, config.adam.learning_rate
        ));
    }
    if meta.batch_size != config.batch_size {
        changed.push(format!(
            "--batch-size: {} → {}",
            meta.batch_size, config.batch_size
        ));
    }
    changed
}

/// `--hidden 16,16 --dropout 0,0.3`: the flags that build `architecture`, or its layers when
/// no flags can (a checkpoint written by hand).
pub fn architecture_flags(architecture: &Architecture) -> String {
    let (mut hidden, mut dropout) = (Vec::new(), Vec::<String>::new());
    let last = architecture.layers.len().saturating_sub(1);
    for (i, spec) in architecture.layers.iter().enumerate() {
        match *spec {
            LayerSpec::Dense {
                units,
                activation: Activation::Relu,
            } if i != last => {
                hidden.push(units.to_string());
                dropout.push("0".into());
            }
            LayerSpec::Dropout { rate } => match dropout.last_mut() {
                Some(last) => *last = rate.to_string(),
                None => return format!("{architecture:?}"),
            },
            LayerSpec::Dense {
                units: 1,
                activation: Activation::Identity,
            } if i == last => {}
            LayerSpec::Dense { .. } => return format!("{architecture:?}"),
        }
    }
    format!(
        "{} inputs, --hidden {} --dropout {}",
        architecture.inputs,
        hidden.join(","),
        dropout.join(",")
    )
}

fn check_compatible(
    meta: &CheckpointMeta,
    path: &Path,
    config: &TrainConfig,
    architecture: &Architecture,
    data: &Prepared,
) -> Result<()> {
    let refuse = |message: String| {
        Err(Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!("cannot resume: {message}"),
        })
    };
    if meta.feature_names != data.feature_names {
        return refuse(format!(
            "it was trained on the features {:?}, but {} has {:?}",
            meta.feature_names, config.data_source, data.feature_names
        ));
    }
    if meta.label_name != data.label_name {
        return refuse(format!(
            "it was trained with the label column {:?}, but this run uses {:?} (--label)",
            meta.label_name, data.label_name
        ));
    }
    if meta.architecture != *architecture {
        return refuse(format!(
            "it holds a model of {}, but the flags ask for {}; pass the checkpoint's --hidden \
             and --dropout",
            architecture_flags(&meta.architecture),
            architecture_flags(architecture)
        ));
    }
    if meta.val_fraction.to_bits() != config.val_fraction.to_bits() {
        return refuse(format!(
            "it was trained with --val-fraction {}, this run asks for {}",
            meta.val_fraction, config.val_fraction
        ));
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    if bits(&meta.mean) != bits(&data.standardizer.mean.to_vec())
        || bits(&meta.std) != bits(&data.standardizer.std.to_vec())
        || meta.class_weight.map(f64::to_bits) != data.class_weight.map(f64::to_bits)
    {
        return refuse(format!(
            "it was trained on other data ({}): the standardisation mean/std or class weights \
             of {} differ from those it recorded",
            meta.data_source, config.data_source
        ));
    }
    if meta.seed != config.seed {
        return refuse(format!(
            "it was trained with --seed {}, this run asks for --seed {}; pass --seed {}",
            meta.seed, config.seed, meta.seed
        ));
    }
    if meta.shuffle != config.shuffle {
        return refuse(if meta.shuffle {
            "it was trained with shuffling, this run passes --no-shuffle; remove it".into()
        } else {
            "it was trained with --no-shuffle; pass --no-shuffle".into()
        });
    }
    Ok(())
}
