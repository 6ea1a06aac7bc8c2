//! The bytes of a checkpoint: the safetensors layout described in the [module](super)
//! documentation, written by [`to_bytes`] and read back, trusting nothing, by [`from_bytes`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::meta::{CheckpointMeta, FORMAT, FORMAT_VERSION};
use super::{Checkpoint, validate};
use crate::error::{Error, Result};
use crate::model::Sequential;
use crate::optim::{Adam, Ema};
use crate::rng::{self, Stream};

fn f32_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|v| v.to_le_bytes()).collect()
}

/// Serialises a checkpoint to bytes: the model's parameters, Adam's state and, when `ema` is
/// given, the averaged weights as `ema/<parameter>` (Keras keeps them as the optimizer's
/// `_model_variables_moving_average`, one per trainable variable).
///
/// # Errors
/// [`Error::Checkpoint`] if `meta.ema_momentum` does not say whether `ema` is given (and with
/// which momentum), or if safetensors refuses the data (it never should).
pub fn to_bytes(
    model: &Sequential<f32>,
    adam: &Adam<f32>,
    ema: Option<&Ema<f32>>,
    meta: &CheckpointMeta,
) -> Result<Vec<u8>> {
    if meta.ema_momentum.map(f64::to_bits) != ema.map(|e| e.momentum.to_bits()) {
        return Err(internal(format!(
            "the metadata's ema_momentum {:?} does not match the average given ({:?})",
            meta.ema_momentum,
            ema.map(|e| e.momentum)
        )));
    }
    let mut owned: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = Vec::new();
    for p in model.parameters() {
        let name = p.name;
        let shape = p.value.shape().to_vec();
        let slot = adam.slot(name).ok_or_else(|| Error::Checkpoint {
            path: "<checkpoint>".into(),
            message: format!("the optimizer has no state for parameter {name}"),
        })?;
        owned.push((
            name.to_string(),
            shape.clone(),
            Dtype::F32,
            f32_bytes(p.value.iter()),
        ));
        owned.push((
            format!("optimizer/m/{name}"),
            shape.clone(),
            Dtype::F32,
            f32_bytes(slot.m.iter()),
        ));
        owned.push((
            format!("optimizer/v/{name}"),
            shape,
            Dtype::F32,
            f32_bytes(slot.v.iter()),
        ));
    }
    if let Some(ema) = ema {
        for p in ema.average.parameters() {
            owned.push((
                format!("{EMA_PREFIX}{}", p.name),
                p.value.shape().to_vec(),
                Dtype::F32,
                f32_bytes(p.value.iter()),
            ));
        }
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

/// The prefix of the averaged weights' tensor names: `ema/dense/kernel`.
pub const EMA_PREFIX: &str = "ema/";

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Checkpoint {
        path: PathBuf::from("<memory>"),
        message: format!("cannot serialise: {e}"),
    }
}

/// Parses and validates a checkpoint held in memory; `path` names it in errors. Nothing is
/// allocated from a size the file claims before the file is known to hold that much: the
/// header length is checked against the file's length, every tensor's extent against the
/// data section, and the architecture's parameter count against the file's length.
///
/// # Errors
/// [`Error::Checkpoint`] if it is not a safetensors file or is truncated, is not a fraudnet
/// checkpoint, has another format version, metadata that does not parse, an architecture that
/// [`crate::model::Architecture::mlp`] cannot build, missing, extra, mis-shaped or mis-typed
/// tensors for its architecture (the averaged weights `ema/<parameter>` are expected exactly
/// when the metadata records an `ema_momentum`), a non-finite parameter, average or moment, or
/// a negative step count.
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
    if !version
        .as_u64()
        .is_some_and(|v| (1..=u64::from(FORMAT_VERSION)).contains(&v))
    {
        return Err(bad(format!(
            "format version {version}, but this fraudnet reads versions 1 to {FORMAT_VERSION}"
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
    if meta
        .architecture
        .parameter_count()
        .is_none_or(|n| n.saturating_mul(12) > bytes.len())
    {
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
    let mut model = Sequential::<f32>::new(&meta.architecture, &mut rng::stream(0, Stream::Init))
        .map_err(|e| bad(format!("cannot build its architecture: {e}")))?;
    let mut adam = Adam::new(meta.adam, &model);
    let mut expected: Vec<String> = vec!["optimizer/iterations".into()];
    for slot in &mut adam.slots {
        let name = slot.name.clone();
        let shape = slot.m.shape().to_vec();
        slot.m = read_f32(&tensors, &format!("optimizer/m/{name}"), &shape, path)?;
        slot.v = read_f32(&tensors, &format!("optimizer/v/{name}"), &shape, path)?;
        expected.extend([
            name.clone(),
            format!("optimizer/m/{name}"),
            format!("optimizer/v/{name}"),
        ]);
    }
    read_parameters(&tensors, &mut model, path)?;
    let ema = match meta.ema_momentum {
        None => None,
        Some(momentum) => {
            let mut ema = Ema::new(momentum, &model);
            for p in ema.average.parameters_mut() {
                let name = format!("{EMA_PREFIX}{}", p.name);
                let mut value = p.value;
                let shape = value.shape().to_vec();
                value.assign(&read_f32(&tensors, &name, &shape, path)?);
                expected.push(name);
            }
            Some(ema)
        }
    };
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
    Ok(Checkpoint {
        meta,
        model,
        adam,
        ema,
    })
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

/// Reads every parameter of `model` from `tensors` by its Keras name.
///
/// # Errors
/// [`Error::Checkpoint`] if a parameter is missing, has the wrong shape or dtype, or is not
/// finite.
pub(super) fn read_parameters(
    tensors: &SafeTensors,
    model: &mut Sequential<f32>,
    path: &Path,
) -> Result<()> {
    for p in model.parameters_mut() {
        let mut value = p.value;
        let shape = value.shape().to_vec();
        value.assign(&read_f32(tensors, p.name, &shape, path)?);
    }
    Ok(())
}
