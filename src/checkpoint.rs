//! Checkpoints: the model's parameters, Adam's state and the run's metadata in one
//! `.safetensors` file, written atomically.
//!
//! # Format (version 1)
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
//!
//! The header's `__metadata__` holds one key, `fraudnet`, whose value is the JSON of
//! [`CheckpointMeta`]: `format` (`fraudnet-checkpoint`), `format_version`, epoch, seed,
//! architecture, standardisation mean and std, class weights, feature names, that epoch's
//! metrics and RNG positions. (One key, because safetensors writes its metadata map in hash
//! order: with several keys, two saves of the same state would differ in their bytes.)
//!
//! # Atomicity
//!
//! [`save`] writes to a hidden temporary file in the target directory (`.fraud_model_…tmp…`,
//! which never matches `fraud_model_at_epoch_*`), flushes it to disk, renames it over the
//! target and flushes the directory: a crash leaves either the old file or the new one, never
//! a torn one. [`latest`] finds the newest checkpoint of a directory (temporary files never
//! count) and [`remove_stale_temporaries`] clears what a killed write left behind;
//! [`write_atomically_with`] lets tests make the write fail part-way.
//!
//! # Loading
//!
//! [`load`] and [`from_bytes`] trust nothing: the safetensors header's length and every
//! tensor's extent are checked against the file, the metadata's format, version and fields,
//! the architecture (one `--hidden`/`--dropout` can build, no larger than the file can hold,
//! before anything is allocated for it), the names, shapes and dtypes of all tensors, and the
//! finiteness of every value. Each fault is an [`Error::Checkpoint`] naming the file and what
//! is wrong; `tests/bad_inputs/` holds a file for each, and `fuzz/` fuzzes the loader.

mod scan;
mod validate;

pub use scan::{epoch_of, is_temporary, latest, remove_stale_temporaries, run_files};

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::EpochMetrics;
use crate::model::{Architecture, Sequential};
use crate::optim::{Adam, AdamConfig};
use crate::rng::{self, Stream};

/// The value of the `format` metadata key.
pub const FORMAT: &str = "fraudnet-checkpoint";
/// The checkpoint format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest checkpoint file accepted, in bytes (the reference model's is about 1.7 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The metadata stored with every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always [`FORMAT`]: tells a fraudnet checkpoint from other safetensors files.
    pub format: String,
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// The epoch just completed, 1-based.
    pub epoch: usize,
    /// Epochs the run was asked for.
    pub epochs: usize,
    /// The run's seed.
    pub seed: u64,
    /// The model's shape.
    pub architecture: Architecture,
    /// Adam's hyper-parameters.
    pub adam: AdamConfig,
    /// Rows per batch.
    pub batch_size: usize,
    /// Fraction of rows held out for validation.
    pub val_fraction: f64,
    /// Whether the training rows were shuffled each epoch.
    pub shuffle: bool,
    /// Feature names, in input order.
    pub feature_names: Vec<String>,
    /// The label column's name.
    pub label_name: String,
    /// Standardisation mean per feature (subtracted first).
    pub mean: Vec<f32>,
    /// Standardisation standard deviation per feature (divided by second; 0 means the column
    /// was constant and is mapped to 0).
    pub std: Vec<f32>,
    /// Class weights `[w₀, w₁] = [1/count₀, 1/count₁]` of the training split.
    pub class_weight: [f64; 2],
    /// The data file trained on, as given.
    pub data_source: String,
    /// That epoch's metrics.
    pub metrics: EpochMetrics,
    /// Position (ChaCha word position, as a decimal string) of the dropout stream after this
    /// epoch, so a resumed run draws the same masks.
    pub dropout_rng_position: String,
    /// Position of the shuffle stream after this epoch.
    pub shuffle_rng_position: String,
}

/// A loaded checkpoint.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The metadata.
    pub meta: CheckpointMeta,
    /// The model with the saved parameters.
    pub model: Sequential<f32>,
    /// Adam with the saved moments and step count.
    pub adam: Adam<f32>,
}

/// `fraud_model_at_epoch_{epoch}.safetensors`, the name the Keras example's
/// `ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")` would give (1-based).
pub fn file_name(epoch: usize) -> String {
    format!("fraud_model_at_epoch_{epoch}.safetensors")
}

fn f32_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|v| v.to_le_bytes()).collect()
}

/// Serialises a checkpoint to bytes.
///
/// # Errors
/// [`Error::Checkpoint`] if safetensors refuses the data (it never should).
pub fn to_bytes(
    model: &Sequential<f32>,
    adam: &Adam<f32>,
    meta: &CheckpointMeta,
) -> Result<Vec<u8>> {
    let names = model.param_names();
    let mut owned: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = Vec::new();
    for (k, (name, p)) in names.iter().zip(model.params()).enumerate() {
        let shape = p.shape().to_vec();
        owned.push((name.clone(), shape.clone(), Dtype::F32, f32_bytes(p.iter())));
        owned.push((
            format!("optimizer/m/{name}"),
            shape.clone(),
            Dtype::F32,
            f32_bytes(adam.m[k].iter()),
        ));
        owned.push((
            format!("optimizer/v/{name}"),
            shape,
            Dtype::F32,
            f32_bytes(adam.v[k].iter()),
        ));
    }
    owned.push((
        "optimizer/iterations".into(),
        vec![],
        Dtype::I64,
        (adam.t as i64).to_le_bytes().to_vec(),
    ));
    let views = owned
        .iter()
        .map(|(name, shape, dtype, bytes)| {
            Ok((
                name.as_str(),
                TensorView::new(*dtype, shape.clone(), bytes).map_err(internal)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let json = serde_json::to_string(meta).map_err(|e| internal(e.to_string()))?;
    let metadata = HashMap::from([("fraudnet".to_string(), json)]);
    safetensors::serialize(views, Some(metadata)).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Checkpoint {
        path: PathBuf::from("<memory>"),
        message: format!("cannot serialise: {e}"),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over `path`, then the directory flushed. A failure at any point leaves
/// any previous file at `path` untouched and removes the temporary file.
///
/// # Errors
/// [`Error::Io`] naming the directory or file that could not be written.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write_atomically`] with the writing of the temporary file's contents done by
/// `write(file, bytes)`; the flush to disk and the rename follow only if it succeeds. Tests
/// pass a `write` that fails part-way, which the operating system cannot be made to do on
/// demand, to check that a failed write leaves the previous file intact and no temporary file.
///
/// # Errors
/// [`Error::Io`] naming the directory or file that could not be written.
pub fn write_atomically_with(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut std::fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{stem}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A temporary file is private (0600) by default; the file it becomes is an ordinary
    // output, readable as any other file the user creates (0644 less the umask).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "cannot create a temporary file in this directory", e))?;
    // Errors name the target: the temporary file is removed when `tmp` is dropped.
    write(tmp.as_file_mut(), bytes).map_err(|e| {
        Error::io(
            path,
            "cannot write (the previous file, if any, is left as it was)",
            e,
        )
    })?;
    tmp.as_file().sync_all().map_err(|e| {
        Error::io(
            path,
            "cannot flush to disk (the previous file, if any, is left as it was)",
            e,
        )
    })?;
    tmp.persist(path)
        .map_err(|e| Error::io(path, "cannot move the new file into place", e.error))?;
    // Make the rename itself durable; not every filesystem supports syncing a directory.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Saves a checkpoint atomically (see [`write_atomically`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be written; the previous file, if any, is left intact.
pub fn save(
    path: &Path,
    model: &Sequential<f32>,
    adam: &Adam<f32>,
    meta: &CheckpointMeta,
) -> Result<()> {
    write_atomically(path, &to_bytes(model, adam, meta)?)
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

/// Parses and validates a checkpoint held in memory; `path` names it in errors. Nothing is
/// allocated from a size the file claims before the file is known to hold that much: the
/// header length is checked against the file's length, every tensor's extent against the
/// data section, and the architecture's parameter count against the file's length.
///
/// # Errors
/// [`Error::Checkpoint`] if it is not a safetensors file or is truncated, is not a fraudnet
/// checkpoint, has another format version, metadata that does not parse, an architecture that
/// `--hidden`/`--dropout` cannot describe, missing, extra, mis-shaped or mis-typed tensors for
/// its architecture, a non-finite parameter or moment, or a negative step count.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let bad = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let json = metadata.get("fraudnet").ok_or_else(|| {
        bad("not a fraudnet checkpoint: its metadata has no \"fraudnet\" entry".into())
    })?;
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| bad(format!("metadata \"fraudnet\" is not valid JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(format!(
            "not a fraudnet checkpoint: metadata format is {}, expected {FORMAT:?}",
            value.get("format").unwrap_or(&serde_json::Value::Null)
        )));
    }
    let version = value
        .get("format_version")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    if version.as_u64() != Some(FORMAT_VERSION as u64) {
        return Err(bad(format!(
            "format version {version}, but this fraudnet reads version {FORMAT_VERSION}"
        )));
    }
    let meta: CheckpointMeta = serde_json::from_value(value)
        .map_err(|e| bad(format!("metadata \"fraudnet\" is not valid: {e}")))?;
    validate::architecture(&meta.architecture).map_err(|e| {
        bad(format!(
            "metadata describes an architecture fraudnet cannot build: {e}"
        ))
    })?;
    // Refuse an architecture larger than the file could hold before allocating it: every
    // parameter is stored three times (value, m, v) in at least 4 bytes.
    if param_count(&meta.architecture).is_none_or(|n| n.saturating_mul(12) > bytes.len()) {
        return Err(bad(format!(
            "metadata describes an architecture larger than the file could hold ({} inputs, \
             layers {:?})",
            meta.architecture.inputs, meta.architecture.layers
        )));
    }
    if meta.mean.len() != meta.architecture.inputs || meta.std.len() != meta.architecture.inputs {
        return Err(bad(format!(
            "standardisation mean ({}) and std ({}) do not have one value per input ({})",
            meta.mean.len(),
            meta.std.len(),
            meta.architecture.inputs
        )));
    }
    validate::numbers(&meta).map_err(&bad)?;
    for (value, field) in [
        (&meta.dropout_rng_position, "dropout_rng_position"),
        (&meta.shuffle_rng_position, "shuffle_rng_position"),
    ] {
        validate::rng_position(value, field).map_err(&bad)?;
    }
    if meta.epoch == 0 {
        return Err(bad(
            "metadata records epoch 0; checkpoints start at epoch 1".into(),
        ));
    }
    if meta.feature_names.len() != meta.architecture.inputs {
        return Err(bad(format!(
            "metadata lists {} feature names for {} inputs",
            meta.feature_names.len(),
            meta.architecture.inputs
        )));
    }
    let mut model = Sequential::<f32>::new(&meta.architecture, &mut rng::stream(0, Stream::Init));
    let names = model.param_names();
    let mut adam = Adam::new(meta.adam, &model.param_shapes());
    let shapes = model.param_shapes();
    let mut expected: Vec<String> = vec!["optimizer/iterations".into()];
    for (k, name) in names.iter().enumerate() {
        let values = read_f32(&tensors, name, &shapes[k], path)?;
        model.params_mut()[k].assign(&values);
        adam.m[k] = read_f32(&tensors, &format!("optimizer/m/{name}"), &shapes[k], path)?;
        adam.v[k] = read_f32(&tensors, &format!("optimizer/v/{name}"), &shapes[k], path)?;
        expected.extend([
            name.clone(),
            format!("optimizer/m/{name}"),
            format!("optimizer/v/{name}"),
        ]);
    }
    let t = tensors
        .tensor("optimizer/iterations")
        .map_err(|_| bad("tensor \"optimizer/iterations\" is missing".into()))?;
    let t_bytes: [u8; 8] = match (t.dtype(), t.shape(), t.data().try_into()) {
        (Dtype::I64, [], Ok(b)) => b,
        _ => {
            return Err(bad(format!(
                "tensor \"optimizer/iterations\" is {:?} {:?}, expected I64 []",
                t.dtype(),
                t.shape()
            )));
        }
    };
    adam.t = u64::try_from(i64::from_le_bytes(t_bytes)).map_err(|_| {
        bad(format!(
            "tensor \"optimizer/iterations\" is {}, expected a step count of 0 or more",
            i64::from_le_bytes(t_bytes)
        ))
    })?;
    let mut extra: Vec<&str> = tensors
        .names()
        .into_iter()
        .filter(|n| !expected.iter().any(|e| e == n))
        .collect();
    extra.sort();
    if !extra.is_empty() {
        let shown: Vec<String> = extra.iter().take(8).map(|n| format!("{n:?}")).collect();
        let more = match extra.len() {
            n if n > 8 => format!(" and {} more", n - 8),
            _ => String::new(),
        };
        return Err(bad(format!(
            "unexpected tensors for this architecture: {}{more}",
            shown.join(", ")
        )));
    }
    Ok(Checkpoint { meta, model, adam })
}

/// Parameters of an architecture, or `None` if the count overflows.
fn param_count(arch: &Architecture) -> Option<usize> {
    let mut d_in = arch.inputs;
    let mut total = 0usize;
    for spec in &arch.layers {
        if let crate::model::LayerSpec::Dense { units, .. } = *spec {
            total = total.checked_add(d_in.checked_mul(units)?.checked_add(units)?)?;
            d_in = units;
        }
    }
    Some(total)
}

/// Reads tensor `name` as f32 with the expected `shape` (F64 tensors are rounded to f32, so
/// weights exported from a framework in double precision load too).
///
/// # Errors
/// [`Error::Checkpoint`] if it is missing, has another shape or dtype, or holds a value that
/// is not a finite f32 (NaN, ±inf, or an F64 beyond the f32 range).
pub fn read_f32(
    tensors: &SafeTensors,
    name: &str,
    shape: &[usize],
    path: &Path,
) -> Result<ArrayD<f32>> {
    let bad = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let t = tensors
        .tensor(name)
        .map_err(|_| bad(format!("tensor {name:?} is missing")))?;
    if t.shape() != shape {
        return Err(bad(format!(
            "tensor {name:?} has shape {:?}, expected {shape:?}",
            t.shape()
        )));
    }
    let values: Vec<f32> = match t.dtype() {
        Dtype::F32 => t
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F64 => t
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
            .collect(),
        other => {
            return Err(bad(format!(
                "tensor {name:?} has dtype {other:?}, expected F32 or F64"
            )));
        }
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "tensor {name:?} holds a non-finite value ({}) at flat index {i}",
            values[i]
        )));
    }
    ArrayD::from_shape_vec(IxDyn(shape), values).map_err(|_| {
        bad(format!(
            "tensor {name:?} holds the wrong number of bytes for shape {shape:?}"
        ))
    })
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
    let shapes = model.param_shapes();
    for (k, name) in model.param_names().iter().enumerate() {
        let values = read_f32(&tensors, name, &shapes[k], path)?;
        model.params_mut()[k].assign(&values);
    }
    Ok(())
}
