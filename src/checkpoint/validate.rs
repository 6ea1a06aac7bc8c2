//! Checks on what a checkpoint's metadata claims, before anything is built from it.

use crate::model::{Architecture, LayerSpec};

/// Checks that `architecture` is one that hidden sizes and dropout rates build
/// ([`Architecture::mlp`]): at least one input, Dense+ReLU layers of at least one unit, each
/// optionally followed by one Dropout of a rate in (0, 1), then Dense(1) without ReLU.
///
/// # Errors
/// What is wrong, as a sentence fragment.
pub(super) fn architecture(architecture: &Architecture) -> Result<(), String> {
    let (mut hidden, mut dropout) = (Vec::new(), Vec::new());
    for spec in &architecture.layers {
        match *spec {
            LayerSpec::Dense { units, relu: true } => {
                hidden.push(units);
                dropout.push(0.0);
            }
            LayerSpec::Dropout { rate } => match dropout.last_mut() {
                Some(last) if *last == 0.0 => *last = rate,
                _ => return Err("a Dropout layer that does not follow a Dense+ReLU layer".into()),
            },
            LayerSpec::Dense { relu: false, .. } => {}
        }
    }
    let rebuilt =
        Architecture::mlp(architecture.inputs, &hidden, &dropout).map_err(|e| e.to_string())?;
    if rebuilt != *architecture {
        return Err(format!(
            "expected Dense+ReLU layers, each optionally followed by a Dropout of rate in (0, 1), \
             then one Dense(1) without ReLU; found {:?}",
            architecture.layers
        ));
    }
    Ok(())
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
