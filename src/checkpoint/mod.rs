//! Checkpoints: the model's parameters, Adam's state and the run's metadata in one
//! `.safetensors` file, written atomically.
//!
//! # Format (version 3)
//!
//! A standard safetensors file (<https://huggingface.co/docs/safetensors>), loadable by
//! Python's `safetensors` package:
//!
//! | tensor | dtype | shape |
//! | --- | --- | --- |
//! | `dense/kernel`, `dense/bias`, `dense_1/kernel`, … | F32 | as the parameter (Keras layout) |
//! | `optimizer/m/<parameter>` | F32 | Adam's first moment, as the parameter |
//! | `optimizer/v/<parameter>` | F32 | Adam's second moment, as the parameter |
//! | `optimizer/iterations` | I64 | `[]`: Adam's step count `t` |
//! | `ema/dense/kernel`, `ema/dense/bias`, … | F32 | the weights' moving average (`--ema`; version 3, only when `ema_momentum` is set) |
//!
//! The header's `__metadata__` holds one key, `fraudnet`, whose value is the JSON of
//! [`CheckpointMeta`]: `format` (`fraudnet-checkpoint`), `format_version`, epoch, seed,
//! architecture, standardisation mean and std, class weights, feature names, that epoch's
//! metrics and RNG positions. (One key, because safetensors writes its metadata map in hash
//! order: with several keys, two saves of the same state would differ in their bytes.)
//!
//! # Atomicity
//!
//! [`save`] writes through [`crate::atomic_file`]: a hidden temporary file in the target
//! directory (`.fraud_model_…tmp…`, which never matches `fraud_model_at_epoch_*`), flushed to
//! disk, renamed over the target, then the directory flushed: a crash leaves either the old
//! file or the new one, never a torn one. [`latest`] finds the newest checkpoint of a directory (temporary files never
//! count) and [`remove_stale_temporaries`] clears what a killed write left behind;
//! [`write_atomically_with`] lets tests make the write fail part-way.
//!
//! # Loading
//!
//! [`load`] and [`from_bytes`] trust nothing: the safetensors header's length and every
//! tensor's extent are checked against the file, the metadata's format, version and fields,
//! the architecture (one [`crate::model::Architecture::mlp`] can build, no larger than the
//! file can hold, before anything is allocated for it), the names, shapes and dtypes of all tensors, and the
//! finiteness of every value. Each fault is an [`Error::Checkpoint`] naming the file and what
//! is wrong; `tests/bad_inputs/` holds a file for each, and `fuzz/` fuzzes the loader.
//!
//! # Files
//!
//! | file | what it holds |
//! | --- | --- |
//! | `mod.rs` | [`save`], [`load`], [`load_weights`] and the checkpoint directory's probe |
//! | `meta.rs` | [`CheckpointMeta`], the metadata, and the format's name and version |
//! | `format.rs` | the bytes: [`to_bytes`] and the validating [`from_bytes`] |
//! | `validate.rs` | checks on what the metadata claims |
//! | `names.rs` | the file names a run writes: [`file_name`], [`epoch_of`], [`BEST_FILE_NAME`] |
//! | `scan.rs` | finding checkpoints and stale temporary files in a directory |

mod format;
mod meta;
mod names;
mod scan;
mod validate;

/// Checkpoints are written by the crate's one atomic writer; these are its names here.
pub use crate::atomic_file::{write as write_atomically, write_with as write_atomically_with};
pub use format::{EMA_PREFIX, from_bytes, read_f32, to_bytes};
pub use meta::{CheckpointMeta, FORMAT, FORMAT_VERSION};
pub use names::{BEST_FILE_NAME, epoch_of, file_name, is_temporary};
pub use scan::{latest, remove_stale_temporaries, run_files};

use std::path::Path;

use safetensors::tensor::SafeTensors;

use crate::error::{Error, Result};
use crate::model::Sequential;
use crate::optim::{Adam, Ema};

/// Largest checkpoint file accepted, in bytes (the reference model's is about 1.7 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A loaded checkpoint.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The metadata.
    pub meta: CheckpointMeta,
    /// The model with the saved parameters.
    pub model: Sequential<f32>,
    /// Adam with the saved moments and step count.
    pub adam: Adam<f32>,
    /// The weights' moving average, when the run kept one (`--ema`).
    pub ema: Option<Ema<f32>>,
}

/// Which of a checkpoint's weights to score with (`--weights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Weights {
    /// The weights training ended the epoch with.
    Raw,
    /// Their moving average (`--ema`), as Keras's `fit` leaves the model with `use_ema=True`.
    Ema,
}

impl Weights {
    /// How the weights are named in reports: `raw` or `EMA`.
    pub fn label(self) -> &'static str {
        match self {
            Weights::Raw => "raw",
            Weights::Ema => "EMA",
        }
    }
}

impl Checkpoint {
    /// The weights scored by default: the moving average when the checkpoint has one (it is
    /// what the run validated), the raw weights otherwise.
    pub fn default_weights(&self) -> Weights {
        if self.ema.is_some() {
            Weights::Ema
        } else {
            Weights::Raw
        }
    }

    /// The checkpoint with `model` set to the chosen weights (`None`: [`Self::default_weights`]),
    /// and which they are.
    ///
    /// # Errors
    /// [`Error::Config`] (`weights`) when the EMA weights are asked of a checkpoint without them.
    pub fn with_weights(
        mut self,
        weights: Option<Weights>,
        path: &Path,
    ) -> Result<(Self, Weights)> {
        let weights = weights.unwrap_or_else(|| self.default_weights());
        if weights == Weights::Ema {
            match &self.ema {
                Some(ema) => self.model = ema.average.clone(),
                None => {
                    return Err(Error::Config {
                        name: "weights",
                        message: format!(
                            "{} holds no moving average of the weights (it was trained without \
                             --ema); use the raw weights",
                            path.display()
                        ),
                    });
                }
            }
        }
        Ok((self, weights))
    }
}

/// Saves a checkpoint atomically (see [`write_atomically`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be written; the previous file, if any, is left intact.
pub fn save(
    path: &Path,
    model: &Sequential<f32>,
    adam: &Adam<f32>,
    ema: Option<&Ema<f32>>,
    meta: &CheckpointMeta,
) -> Result<()> {
    write_atomically(path, &to_bytes(model, adam, ema, meta)?)
}

/// Checks that `dir` exists (creating it if needed) and that a file can be created in it, so a
/// run fails before training rather than after the first epoch.
///
/// # Errors
/// [`Error::Io`] naming the directory.
pub fn check_writable_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create checkpoint directory", e))?;
    tempfile::Builder::new()
        .prefix(".fraudnet-write-test.")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "checkpoint directory is not writable", e))?;
    Ok(())
}

/// Loads a checkpoint, validating everything before trusting it (see [`from_bytes`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Checkpoint`] if it is larger than
/// [`MAX_FILE_BYTES`] or [`from_bytes`] refuses it.
pub fn load(path: &Path) -> Result<Checkpoint> {
    from_bytes(&read_capped(path)?, path)
}

/// The bytes of a safetensors file no larger than [`MAX_FILE_BYTES`].
fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, "cannot open", e))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(Error::Checkpoint {
            path: path.to_path_buf(),
            message: format!(
                "is {size} bytes, larger than any fraudnet checkpoint ({MAX_FILE_BYTES} at most)"
            ),
        });
    }
    std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))
}

/// Loads initial weights from any safetensors file holding the model's parameters under their
/// Keras-style names (`dense/kernel` `[d_in, d_out]`, `dense/bias`, …), e.g. exported from
/// Keras or PyTorch (transpose `nn.Linear.weight`). Other tensors in the file are ignored.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Checkpoint`] if it is larger than
/// [`MAX_FILE_BYTES`] or a parameter is missing, has the wrong shape or dtype, or is not finite.
pub fn load_weights(path: &Path, model: &mut Sequential<f32>) -> Result<()> {
    let bytes = read_capped(path)?;
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| Error::Checkpoint {
        path: path.to_path_buf(),
        message: format!("not a valid safetensors file ({e})"),
    })?;
    format::read_parameters(&tensors, model, path)
}
