//! Checks on what a checkpoint's metadata claims, before anything is built from it.

use crate::activation::Activation;
use crate::model::{Architecture, LayerSpec};

/// Checks that `architecture` is a fraud model fraudnet can build: a valid architecture
/// ([`Architecture::validate`]) whose last layer is `Dense(1)` with a linear activation, the
/// one logit that sigmoid binary cross-entropy scores.
///
/// # Errors
/// What is wrong, as a sentence fragment.
pub(super) fn architecture(architecture: &Architecture) -> Result<(), String> {
    architecture.validate().map_err(|e| e.to_string())?;
    match architecture.layers.last() {
        Some(LayerSpec::Dense {
            units: 1,
            activation: Activation::Identity,
        }) => Ok(()),
        _ => Err(format!(
            "expected Dense layers, each optionally followed by a Dropout, then one Dense(1) \
             with a linear activation for the logit; found {:?}",
            architecture.layers
        )),
    }
}

/// A ChaCha word position as the metadata stores it: a decimal string.
///
/// # Errors
/// What is wrong, naming the metadata `field`.
pub(super) fn rng_position(value: &str, field: &str) -> Result<u128, String> {
    value.parse::<u128>().map_err(|_| {
        format!("metadata {field} is {value:?}, expected a decimal ChaCha word position")
    })
}

/// Checks the metadata's numbers that scoring and training use directly: the standardisation,
/// the class weights, the validation fraction and Adam's settings. Each message names the
/// metadata field (and index), never a command-line flag: the checkpoint, not the command, is
/// at fault.
///
/// - `mean[j]`: finite;
/// - `std[j]`: finite and either exactly 0 (the column was constant in training and is mapped
///   to 0, as `train` writes it) or a normal positive number; not all 0 (every row would then
///   get one identical score). A negative or subnormal std, or one that is NaN or ±inf, turns
///   every row's value in that column into the same or a non-finite number;
/// - `class_weight[c]`: finite and positive (train writes `1/count`);
/// - `val_fraction`: in (0, 1); `test_fraction` in [0, 1 − val_fraction);
/// - `ema_momentum`, when present: in [0, 1);
/// - `adam`: a finite positive learning rate and epsilon, betas in [0, 1).
///
/// # Errors
/// What is wrong, as a sentence fragment naming the field.
pub(super) fn numbers(meta: &super::CheckpointMeta) -> Result<(), String> {
    if let Some((j, m)) = meta.mean.iter().enumerate().find(|(_, m)| !m.is_finite()) {
        return Err(format!(
            "metadata field mean[{j}] (feature {:?}) is {m}, expected a finite number",
            feature(meta, j)
        ));
    }
    for (j, &s) in meta.std.iter().enumerate() {
        if !(s == 0.0 || (s.is_finite() && s.is_normal() && s > 0.0)) {
            let kind = if !s.is_finite() {
                "not finite"
            } else if s < 0.0 {
                "negative"
            } else {
                "subnormal, so dividing by it overflows"
            };
            return Err(format!(
                "metadata field std[{j}] (feature {:?}) is {s:e}, {kind}; expected a positive \
                 normal number (or 0 for a column that was constant in training)",
                feature(meta, j)
            ));
        }
    }
    if !meta.std.is_empty() && meta.std.iter().all(|&s| s == 0.0) {
        return Err(format!(
            "metadata field std is 0 for all {} features: every row would get the same score",
            meta.std.len()
        ));
    }
    for (c, &w) in meta.class_weight.iter().enumerate() {
        if !(w.is_finite() && w > 0.0) {
            return Err(format!(
                "metadata field class_weight[{c}] is {w:e}, expected a finite positive number"
            ));
        }
    }
    if !(meta.val_fraction > 0.0 && meta.val_fraction < 1.0) {
        return Err(format!(
            "metadata field val_fraction is {}, outside (0, 1)",
            meta.val_fraction
        ));
    }
    if !(meta.test_fraction >= 0.0 && meta.test_fraction < 1.0)
        || meta.val_fraction + meta.test_fraction >= 1.0
    {
        return Err(format!(
            "metadata field test_fraction is {}, outside [0, 1 − val_fraction)",
            meta.test_fraction
        ));
    }
    if let Some(m) = meta.ema_momentum
        && !(0.0..1.0).contains(&m)
    {
        return Err(format!(
            "metadata field ema_momentum is {m}, outside [0, 1)"
        ));
    }
    let adam = &meta.adam;
    for (name, value) in [
        ("adam.learning_rate", adam.learning_rate),
        ("adam.epsilon", adam.epsilon),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(format!(
                "metadata field {name} is {value:e}, expected a finite positive number"
            ));
        }
    }
    for (name, value) in [("adam.beta_1", adam.beta_1), ("adam.beta_2", adam.beta_2)] {
        if !(0.0..1.0).contains(&value) {
            return Err(format!("metadata field {name} is {value}, outside [0, 1)"));
        }
    }
    Ok(())
}

/// The name of feature `j`, or `?` when the names are missing (checked later).
fn feature(meta: &super::CheckpointMeta, j: usize) -> &str {
    meta.feature_names.get(j).map_or("?", String::as_str)
}
