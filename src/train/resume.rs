//! Where a run starts: from scratch, or after the epoch of a checkpoint.
//!
//! A checkpoint holds everything the epoch loop carries from one epoch to the next: the
//! parameters, Adam's moments and step count, the positions of the dropout and shuffle streams
//! (ChaCha8 word positions) and the epoch counter. The shuffle of epoch `e` is
//! `order = 0..n; order.shuffle(&mut shuffle_rng)` drawn from the stream where epoch `e − 1` left
//! it, and the dropout masks are drawn in step order, so restoring those two positions and the
//! state above makes the resumed epochs bit for bit those of the run that never stopped.
//!
//! [`TrainState::resume`] refuses a checkpoint that does not belong to the run its arguments
//! describe ([`mismatch`] says why, as a [`Mismatch`] the caller can word in its own terms):
//! another architecture, other feature or label names, other data (standardisation or
//! class weights that differ in any bit), another seed, validation fraction or shuffle setting.
//! The learning rate and the batch size may change on resume ([`changed_settings`] lists what
//! did); the result is then no longer that of an uninterrupted run.

use std::path::Path;

use super::{Prepared, TrainConfig};
use crate::activation::Activation;
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::error::{Error, Result};
use crate::model::{Architecture, LayerSpec, Sequential};
use crate::optim::{Adam, Ema};
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
    /// The weights' moving average after `epoch` epochs (`--ema`), if kept.
    pub ema: Option<Ema<f32>>,
}

impl TrainState {
    /// A fresh run: `model` as initialised, zero Adam moments, `t = 0`, and the dropout and
    /// shuffle streams of `config.seed` at their start.
    pub fn fresh(model: Sequential<f32>, config: &TrainConfig) -> Self {
        let adam = Adam::new(config.adam, &model);
        let ema = config.ema.map(|momentum| Ema::new(momentum, &model));
        TrainState {
            ema,
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
    /// [`Error::Checkpoint`] naming the first [`Mismatch`] (architecture, feature or label
    /// names, data, seed, validation fraction, shuffle), or an unreadable RNG position or epoch
    /// 0 in its metadata; [`Error::Config`] (`epochs`) when the checkpoint is past
    /// `config.epochs`.
    pub fn resume(
        checkpoint: Checkpoint,
        path: &Path,
        config: &TrainConfig,
        architecture: &Architecture,
        data: &Prepared,
    ) -> Result<Self> {
        let meta = &checkpoint.meta;
        let bad = |message: String| Error::Checkpoint {
            path: path.to_path_buf(),
            message,
        };
        if let Some(mismatch) = mismatch(meta, config, architecture, data) {
            return Err(bad(format!("cannot resume: {mismatch}")));
        }
        if meta.epoch == 0 {
            return Err(bad("records epoch 0; checkpoints start at epoch 1".into()));
        }
        if meta.epoch > config.epochs {
            return Err(Error::Config {
                name: "epochs",
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
            ema: checkpoint.ema,
            model: checkpoint.model,
            adam,
            epoch,
            dropout_rng,
            shuffle_rng,
        })
    }
}

/// A setting a resumed run may change, with its value in the checkpoint and now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// Adam's learning rate.
    LearningRate {
        /// In the checkpoint.
        from: f64,
        /// In this run.
        to: f64,
    },
    /// Rows per batch.
    BatchSize {
        /// In the checkpoint.
        from: usize,
        /// In this run.
        to: usize,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::LearningRate { from, to } => write!(f, "learning rate: {from} → {to}"),
            Change::BatchSize { from, to } => write!(f, "batch size: {from} → {to}"),
        }
    }
}

/// The settings a resumed run changes; empty when the resumed epochs will be bit for bit those
/// of an uninterrupted run.
pub fn changed_settings(meta: &CheckpointMeta, config: &TrainConfig) -> Vec<Change> {
    let mut changed = Vec::new();
    if meta.adam.learning_rate.to_bits() != config.adam.learning_rate.to_bits() {
        changed.push(Change::LearningRate {
            from: meta.adam.learning_rate,
            to: config.adam.learning_rate,
        });
    }
    if meta.batch_size != config.batch_size {
        changed.push(Change::BatchSize {
            from: meta.batch_size,
            to: config.batch_size,
        });
    }
    changed
}

/// The `hidden` sizes and `dropout` rates that [`Architecture::mlp`] builds `architecture`
/// from (a rate of 0 for no dropout), or `None` when it is not such a network (other
/// activations, or a checkpoint written by hand).
pub fn mlp_settings(architecture: &Architecture) -> Option<(Vec<usize>, Vec<f64>)> {
    let (mut hidden, mut dropout) = (Vec::new(), Vec::new());
    let last = architecture.layers.len().checked_sub(1)?;
    for (i, spec) in architecture.layers.iter().enumerate() {
        match *spec {
            LayerSpec::Dense {
                units,
                activation: Activation::Relu,
            } if i != last => {
                hidden.push(units);
                dropout.push(0.0);
            }
            LayerSpec::Dropout { rate } => *dropout.last_mut()? = rate,
            LayerSpec::Dense {
                units: 1,
                activation: Activation::Identity,
            } if i == last => {}
            LayerSpec::Dense { .. } => return None,
        }
    }
    Some((hidden, dropout))
}

/// Why a checkpoint does not belong to the run it is asked to resume: the first setting that
/// differs, with its value in the checkpoint and in this run.
#[derive(Clone, Debug, PartialEq)]
pub enum Mismatch {
    /// Other feature names (or order).
    FeatureNames {
        /// In the checkpoint.
        checkpoint: Vec<String>,
        /// In this run's data, read from `data_source`.
        run: Vec<String>,
        /// This run's data file.
        data_source: String,
    },
    /// Another label column.
    LabelName {
        /// In the checkpoint.
        checkpoint: String,
        /// In this run.
        run: String,
    },
    /// Another architecture.
    Architecture {
        /// In the checkpoint.
        checkpoint: Architecture,
        /// In this run.
        run: Architecture,
    },
    /// Another validation fraction.
    ValFraction {
        /// In the checkpoint.
        checkpoint: f64,
        /// In this run.
        run: f64,
    },
    /// Other rows: the standardisation or the class weights differ in some bit.
    Data {
        /// The checkpoint's data file.
        checkpoint: String,
        /// This run's data file.
        run: String,
    },
    /// Another seed.
    Seed {
        /// In the checkpoint.
        checkpoint: u64,
        /// In this run.
        run: u64,
    },
    /// Shuffling on in one, off in the other.
    Shuffle {
        /// In the checkpoint.
        checkpoint: bool,
    },
    /// Another test fraction.
    TestFraction {
        /// In the checkpoint.
        checkpoint: f64,
        /// In this run.
        run: f64,
    },
    /// Another momentum of the weights' moving average, or one kept and the other not.
    Ema {
        /// In the checkpoint (`None`: no average).
        checkpoint: Option<f64>,
        /// In this run.
        run: Option<f64>,
    },
}

/// `momentum 0.99` or `no average`.
fn ema_words(momentum: Option<f64>) -> String {
    momentum.map_or_else(
        || "no weight average".into(),
        |m| format!("a weight average of momentum {m}"),
    )
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::FeatureNames {
                checkpoint,
                run,
                data_source,
            } => write!(
                f,
                "it was trained on the features {checkpoint:?}, but {data_source} has {run:?}"
            ),
            Mismatch::LabelName { checkpoint, run } => write!(
                f,
                "it was trained with the label column {checkpoint:?}, but this run uses {run:?}"
            ),
            Mismatch::Architecture { checkpoint, run } => write!(
                f,
                "it holds a model of {checkpoint:?}, but this run asks for {run:?}"
            ),
            Mismatch::ValFraction { checkpoint, run } => write!(
                f,
                "it was trained with validation fraction {checkpoint}, this run asks for {run}"
            ),
            Mismatch::Data { checkpoint, run } => write!(
                f,
                "it was trained on other data ({checkpoint}): the standardisation mean/std or \
                 class weights of {run} differ from those it recorded"
            ),
            Mismatch::Seed { checkpoint, run } => write!(
                f,
                "it was trained with seed {checkpoint}, this run asks for seed {run}"
            ),
            Mismatch::Shuffle { checkpoint: true } => {
                write!(
                    f,
                    "it was trained with shuffling, this run does not shuffle"
                )
            }
            Mismatch::Shuffle { checkpoint: false } => {
                write!(f, "it was trained without shuffling, this run shuffles")
            }
            Mismatch::TestFraction { checkpoint, run } => write!(
                f,
                "it was trained with test fraction {checkpoint}, this run asks for {run}"
            ),
            Mismatch::Ema { checkpoint, run } => write!(
                f,
                "it was trained with {}, this run asks for {}",
                ema_words(*checkpoint),
                ema_words(*run)
            ),
        }
    }
}

/// The first way in which the checkpoint described by `meta` does not belong to the run that
/// `config`, `architecture` and `data` describe, or `None` when it does.
pub fn mismatch(
    meta: &CheckpointMeta,
    config: &TrainConfig,
    architecture: &Architecture,
    data: &Prepared,
) -> Option<Mismatch> {
    if meta.feature_names != data.feature_names {
        return Some(Mismatch::FeatureNames {
            checkpoint: meta.feature_names.clone(),
            run: data.feature_names.clone(),
            data_source: config.data_source.clone(),
        });
    }
    if meta.label_name != data.label_name {
        return Some(Mismatch::LabelName {
            checkpoint: meta.label_name.clone(),
            run: data.label_name.clone(),
        });
    }
    if meta.architecture != *architecture {
        return Some(Mismatch::Architecture {
            checkpoint: meta.architecture.clone(),
            run: architecture.clone(),
        });
    }
    if meta.test_fraction.to_bits() != config.test_fraction.to_bits() {
        return Some(Mismatch::TestFraction {
            checkpoint: meta.test_fraction,
            run: config.test_fraction,
        });
    }
    if meta.val_fraction.to_bits() != config.val_fraction.to_bits() {
        return Some(Mismatch::ValFraction {
            checkpoint: meta.val_fraction,
            run: config.val_fraction,
        });
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    if bits(&meta.mean) != bits(&data.standardizer.mean.to_vec())
        || bits(&meta.std) != bits(&data.standardizer.std.to_vec())
        || meta.class_weight.map(f64::to_bits) != data.class_weight.map(f64::to_bits)
    {
        return Some(Mismatch::Data {
            checkpoint: meta.data_source.clone(),
            run: config.data_source.clone(),
        });
    }
    if meta.seed != config.seed {
        return Some(Mismatch::Seed {
            checkpoint: meta.seed,
            run: config.seed,
        });
    }
    if meta.shuffle != config.shuffle {
        return Some(Mismatch::Shuffle {
            checkpoint: meta.shuffle,
        });
    }
    if meta.ema_momentum.map(f64::to_bits) != config.ema.map(f64::to_bits) {
        return Some(Mismatch::Ema {
            checkpoint: meta.ema_momentum,
            run: config.ema,
        });
    }
    None
}
