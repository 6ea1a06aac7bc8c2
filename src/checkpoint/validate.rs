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
