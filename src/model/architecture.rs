//! The shape of a model: its input width and its layers, as stored in a checkpoint's metadata.

use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::{Error, Result};

/// One layer of an [`Architecture`].
///
/// Serialised as `{"type": "dense", "units": 256, "activation": "relu"}` or
/// `{"type": "dropout", "rate": 0.3}`. Checkpoints written before activations were named store
/// a Dense layer as `{"type": "dense", "units": 256, "relu": true}`; that form still reads
/// (`relu: false` is the linear activation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "StoredLayerSpec")]
pub enum LayerSpec {
    /// `Dense(units, activation)`, as Keras's `Dense(units, activation="relu")`.
    Dense {
        /// Output units, `d_out`.
        units: usize,
        /// The activation applied to its output.
        activation: Activation,
    },
    /// Inverted dropout of `rate`, after a Dense layer.
    Dropout {
        /// Fraction of units dropped in training, in `[0, 1)`.
        rate: f64,
    },
}

/// What a checkpoint may hold for a layer: today's form or the earlier `relu: bool`.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StoredLayerSpec {
    Dense {
        units: usize,
        #[serde(default)]
        activation: Option<Activation>,
        #[serde(default)]
        relu: Option<bool>,
    },
    Dropout {
        rate: f64,
    },
}

impl TryFrom<StoredLayerSpec> for LayerSpec {
    type Error = String;

    fn try_from(stored: StoredLayerSpec) -> Result<Self, String> {
        Ok(match stored {
            StoredLayerSpec::Dense {
                units,
                activation,
                relu,
            } => {
                let activation = match (activation, relu) {
                    (Some(a), None) => a,
                    (None, Some(true)) => Activation::Relu,
                    (None, Some(false)) => Activation::Identity,
                    (None, None) => return Err("a dense layer needs an activation".into()),
                    (Some(_), Some(_)) => {
                        return Err("a dense layer gives both activation and relu".into());
                    }
                };
                LayerSpec::Dense { units, activation }
            }
            StoredLayerSpec::Dropout { rate } => LayerSpec::Dropout { rate },
        })
    }
}

/// The shape of a model: input features and the list of layers, as Keras lists them.
///
/// A valid architecture ([`Architecture::validate`]) starts with a Dense layer, ends with a
/// Dense layer (whose outputs are the model's outputs: logits when its activation is linear),
/// and puts at most one Dropout directly after any Dense layer but the last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Input features, `d_in` of the first layer.
    pub inputs: usize,
    /// The layers in order.
    pub layers: Vec<LayerSpec>,
}

impl Architecture {
    /// The Keras example's model: 30 → Dense 256 ReLU → Dense 256 ReLU → Dropout 0.3 →
    /// Dense 256 ReLU → Dropout 0.3 → Dense 1 (the logit; the sigmoid is in the loss).
    /// 139,777 parameters.
    pub fn reference() -> Self {
        let dense = |units, activation| LayerSpec::Dense { units, activation };
        Architecture {
            inputs: 30,
            layers: vec![
                dense(256, Activation::Relu),
                dense(256, Activation::Relu),
                LayerSpec::Dropout { rate: 0.3 },
                dense(256, Activation::Relu),
                LayerSpec::Dropout { rate: 0.3 },
                dense(1, Activation::Identity),
            ],
        }
    }

    /// A multilayer perceptron for binary classification: one `Dense(h)` + ReLU per entry of
    /// `hidden`, each followed by `Dropout(dropout[i])` when that rate is above 0, then
    /// `Dense(1)` with a linear activation for the logit.
    ///
    /// # Errors
    /// [`Error::Config`] named `hidden` when `hidden` and `dropout` differ in length, and as
    /// [`Architecture::validate`] otherwise.
    pub fn mlp(inputs: usize, hidden: &[usize], dropout: &[f64]) -> Result<Self> {
        if hidden.len() != dropout.len() {
            return Err(Error::Config {
                name: "dropout rate",
                message: format!(
                    "{} hidden layers but {} dropout rates; give one rate per hidden layer (0 for none)",
                    hidden.len(),
                    dropout.len()
                ),
            });
        }
        let mut layers = Vec::new();
        for (&units, &rate) in hidden.iter().zip(dropout) {
            layers.push(LayerSpec::Dense {
                units,
                activation: Activation::Relu,
            });
            if rate != 0.0 {
                layers.push(LayerSpec::Dropout { rate });
            }
        }
        layers.push(LayerSpec::Dense {
            units: 1,
            activation: Activation::Identity,
        });
        let architecture = Architecture { inputs, layers };
        architecture.validate()?;
        Ok(architecture)
    }

    /// Checks that a model can be built from this architecture.
    ///
    /// # Errors
    /// [`Error::Config`] naming the parameter at fault: `inputs` when it is 0; `hidden` for a
    /// Dense layer of 0 units; `dropout rate` for a rate outside `[0, 1)`; `layers` when the
    /// list is empty, does not start and end with a Dense layer, puts a Dropout anywhere but
    /// directly after a Dense layer. The size is not checked here (a summary can describe a
    /// model too large to build); [`crate::model::Sequential::new`] refuses one whose
    /// parameters cannot be counted.
    pub fn validate(&self) -> Result<()> {
        let config = |name, message: String| Err(Error::Config { name, message });
        if self.inputs == 0 {
            return config(
                "inputs",
                "the model needs at least one input feature".into(),
            );
        }
        if !matches!(self.layers.first(), Some(LayerSpec::Dense { .. })) {
            return config("layers", "the first layer must be a Dense layer".into());
        }
        if !matches!(self.layers.last(), Some(LayerSpec::Dense { .. })) {
            return config(
                "layers",
                "the last layer must be a Dense layer (its outputs are the model's)".into(),
            );
        }
        let mut after_dense = false;
        for spec in &self.layers {
            match *spec {
                LayerSpec::Dense { units: 0, .. } => {
                    return config("hidden", "a Dense layer needs at least 1 unit".into());
                }
                LayerSpec::Dense { .. } => after_dense = true,
                LayerSpec::Dropout { rate } => {
                    if !(0.0..1.0).contains(&rate) {
                        return config("dropout rate", format!("rate {rate} is outside [0, 1)"));
                    }
                    if !after_dense {
                        return config(
                            "layers",
                            "a Dropout layer must directly follow a Dense layer".into(),
                        );
                    }
                    after_dense = false;
                }
            }
        }
        Ok(())
    }

    /// The number of trainable parameters (kernels and biases), or `None` when the count
    /// overflows `usize`: 139,777 for [`Architecture::reference`].
    pub fn parameter_count(&self) -> Option<usize> {
        let mut d_in = self.inputs;
        let mut total = 0usize;
        for spec in &self.layers {
            if let LayerSpec::Dense { units, .. } = *spec {
                let layer = d_in.checked_mul(units)?.checked_add(units)?;
                total = total.checked_add(layer)?;
                d_in = units;
            }
        }
        Some(total)
    }

    /// The model's output width: the units of its last Dense layer (0 when it has none).
    pub fn outputs(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|spec| match *spec {
                LayerSpec::Dense { units, .. } => Some(units),
                LayerSpec::Dropout { .. } => None,
            })
            .unwrap_or(0)
    }
}
