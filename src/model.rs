//! A Sequential model: a stack of Dense(+ReLU) and Dropout layers ending in one logit.

use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, ArrayViewMutD, NdFloat};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layers::{Dense, Dropout, Mode, Relu};
use crate::rng::Rng;

/// One layer of an [`Architecture`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerSpec {
    /// A Dense layer with `units` outputs, followed by ReLU when `relu` is set
    /// (Keras's `Dense(units, activation="relu")`).
    Dense {
        /// Output units, `d_out`.
        units: usize,
        /// Whether ReLU follows.
        relu: bool,
    },
    /// Inverted dropout of `rate`.
    Dropout {
        /// Fraction of units dropped in training, in `[0, 1)`.
        rate: f64,
    },
}

/// The shape of a model: input features and the list of layers. The last layer is a
/// `Dense { units: 1, relu: false }` whose output is the logit; the sigmoid is applied by the
/// loss in training and by [`crate::layers::Sigmoid`] for probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Input features, `d_in` of the first layer.
    pub inputs: usize,
    /// The layers in order.
    pub layers: Vec<LayerSpec>,
}

impl Architecture {
    /// The Keras example's model: 30 → Dense 256 ReLU → Dense 256 ReLU → Dropout 0.3 →
    /// Dense 256 ReLU → Dropout 0.3 → Dense 1 (sigmoid in the loss). 139,777 parameters.
    pub fn reference() -> Self {
        Self::mlp(30, &[256, 256, 256], &[0.0, 0.3, 0.3]).expect("the reference is valid")
    }

    /// A multilayer perceptron: one `Dense(h) + ReLU` per entry of `hidden`, each followed by
    /// `Dropout(dropout[i])` when that rate is above 0, then `Dense(1)` for the logit.
    ///
    /// # Errors
    /// [`Error::Config`] when `inputs` or a hidden size is 0, `hidden` and `dropout` differ in
    /// length, or a rate is outside `[0, 1)`.
    pub fn mlp(inputs: usize, hidden: &[usize], dropout: &[f64]) -> Result<Self> {
        if inputs == 0 {
            return Err(Error::Config {
                name: "inputs",
                message: "the model needs at least one input feature".into(),
            });
        }
        if hidden.len() != dropout.len() {
            return Err(Error::Config {
                name: "--dropout",
                message: format!(
                    "--hidden lists {} layers but --dropout lists {} rates; give one rate per hidden layer (0 for none)",
                    hidden.len(),
                    dropout.len()
                ),
            });
        }
        let mut layers = Vec::new();
        for (&units, &rate) in hidden.iter().zip(dropout) {
            if units == 0 {
                return Err(Error::Config {
                    name: "--hidden",
                    message: "a hidden layer needs at least 1 unit".into(),
                });
            }
            if !(0.0..1.0).contains(&rate) {
                return Err(Error::Config {
                    name: "--dropout",
                    message: format!("rate {rate} is outside [0, 1)"),
                });
            }
            layers.push(LayerSpec::Dense { units, relu: true });
            if rate > 0.0 {
                layers.push(LayerSpec::Dropout { rate });
            }
        }
        layers.push(LayerSpec::Dense {
            units: 1,
            relu: false,
        });
        Ok(Architecture { inputs, layers })
    }
}

/// A layer of a [`Sequential`] model with its Keras-style name.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer<F> {
    /// `dense`, `dense_1`, …: a Dense layer, with ReLU after it when `relu` is set.
    Dense {
        /// Keras-style name, e.g. `dense_2`.
        name: String,
        /// The parameters.
        dense: Dense<F>,
        /// Whether ReLU follows.
        relu: bool,
    },
    /// `dropout`, `dropout_1`, …: inverted dropout.
    Dropout {
        /// Keras-style name, e.g. `dropout_1`.
        name: String,
        /// The rate.
        dropout: Dropout,
    },
}

/// Where a training forward pass gets its dropout masks.
pub enum Masks<'a, F> {
    /// Draw fresh masks from this stream (training).
    Draw(&'a mut Rng),
    /// Use these, one per Dropout layer in order (gradient checks and tests).
    Given(&'a [Array2<F>]),
}

/// What a forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct ForwardPass<F> {
    /// `outputs[l]`: layer `l`'s output, after its ReLU if it has one, `[batch, units]`.
    /// The last is the logits, `[batch, 1]`.
    pub outputs: Vec<Array2<F>>,
    /// The dropout mask of each Dropout layer (`None` for other layers and in `Mode::Eval`).
    pub masks: Vec<Option<Array2<F>>>,
}

impl<F: NdFloat> ForwardPass<F> {
    /// The logits, `[batch]`.
    pub fn logits(&self) -> ndarray::ArrayView1<'_, F> {
        self.outputs.last().expect("a model has layers").column(0)
    }
}

/// The gradient of the loss with respect to every parameter, in [`Sequential::param_names`]
/// order, each shaped like its parameter.
pub type Gradients<F> = Vec<ArrayD<F>>;

/// A stack of layers applied in order, like `keras.Sequential`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential<F> {
    /// The shape this model was built from.
    pub architecture: Architecture,
    /// The layers, named as Keras names them.
    pub layers: Vec<Layer<F>>,
}

impl<F: NdFloat> Sequential<F> {
    /// Builds the model, drawing every kernel Glorot-uniform from `rng` in layer order; biases
    /// start at zero.
    pub fn new(architecture: &Architecture, rng: &mut Rng) -> Self {
        let (mut n_dense, mut n_dropout) = (0, 0);
        let mut d_in = architecture.inputs;
        let mut layers = Vec::new();
        for spec in &architecture.layers {
            match *spec {
                LayerSpec::Dense { units, relu } => {
                    layers.push(Layer::Dense {
                        name: keras_name("dense", &mut n_dense),
                        dense: Dense::glorot_uniform(d_in, units, rng),
                        relu,
                    });
                    d_in = units;
                }
                LayerSpec::Dropout { rate } => layers.push(Layer::Dropout {
                    name: keras_name("dropout", &mut n_dropout),
                    dropout: Dropout::new(rate),
                }),
            }
        }
        Sequential {
            architecture: architecture.clone(),
            layers,
        }
    }

    /// Parameter names in a fixed order: `dense/kernel`, `dense/bias`, `dense_1/kernel`, …
    pub fn param_names(&self) -> Vec<String> {
        self.dense_layers()
            .flat_map(|(name, _)| [format!("{name}/kernel"), format!("{name}/bias")])
            .collect()
    }

    /// Parameter shapes in [`Sequential::param_names`] order.
    pub fn param_shapes(&self) -> Vec<Vec<usize>> {
        self.params().iter().map(|p| p.shape().to_vec()).collect()
    }

    /// Views of every parameter in [`Sequential::param_names`] order.
    pub fn params(&self) -> Vec<ArrayViewD<'_, F>> {
        self.dense_layers()
            .flat_map(|(_, d)| [d.kernel.view().into_dyn(), d.bias.view().into_dyn()])
            .collect()
    }

    /// Mutable views of every parameter in [`Sequential::param_names`] order.
    pub fn params_mut(&mut self) -> Vec<ArrayViewMutD<'_, F>> {
        self.layers
            .iter_mut()
            .filter_map(|l| match l {
                Layer::Dense { dense, .. } => Some(dense),
                Layer::Dropout { .. } => None,
            })
            .flat_map(|d| [d.kernel.view_mut().into_dyn(), d.bias.view_mut().into_dyn()])
            .collect()
    }

    /// Total number of parameters (139,777 for the reference model).
    pub fn param_count(&self) -> usize {
        self.params().iter().map(|p| p.len()).sum()
    }

    fn dense_layers(&self) -> impl Iterator<Item = (&str, &Dense<F>)> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Dense { name, dense, .. } => Some((name.as_str(), dense)),
            Layer::Dropout { .. } => None,
        })
    }

    /// Forward pass in `Mode::Eval` (dropout is the identity), returning only the logits.
    ///
    /// # Shapes
    /// `x: [batch, inputs]` → logits `[batch]`.
    pub fn predict_logits(&self, x: ArrayView2<F>) -> ndarray::Array1<F> {
        self.forward(x, Mode::Eval, None).logits().to_owned()
    }

    /// Forward pass, keeping every layer's output for [`Sequential::backward`].
    ///
    /// In `Mode::Train` each Dropout layer multiplies by a mask taken from `masks`; in
    /// `Mode::Eval` dropout is the identity and `masks` is ignored.
    ///
    /// # Shapes
    /// `x: [batch, inputs]`; the last output is the logits, `[batch, 1]`.
    ///
    /// # Panics
    /// If `x` does not have `inputs` columns, or `mode` is `Train` and `masks` is `None` or
    /// holds masks of the wrong number or shape.
    pub fn forward(
        &self,
        x: ArrayView2<F>,
        mode: Mode,
        mut masks: Option<Masks<F>>,
    ) -> ForwardPass<F> {
        assert_eq!(
            x.ncols(),
            self.architecture.inputs,
            "Sequential::forward: x is {:?}",
            x.dim()
        );
        let mut outputs: Vec<Array2<F>> = Vec::with_capacity(self.layers.len());
        let mut mask_out = Vec::with_capacity(self.layers.len());
        let mut n_given = 0;
        for layer in &self.layers {
            let input = outputs.last().map_or(x, |o| o.view());
            let (y, mask) = match layer {
                Layer::Dense { dense, relu, .. } => {
                    let z = dense.forward(input);
                    (if *relu { Relu::forward(z.view()) } else { z }, None)
                }
                Layer::Dropout { dropout, .. } => match mode {
                    Mode::Eval => (input.to_owned(), None),
                    Mode::Train => {
                        let mask = match masks.as_mut().expect("Mode::Train needs dropout masks") {
                            Masks::Draw(rng) => dropout.mask(input.dim(), rng),
                            Masks::Given(given) => {
                                n_given += 1;
                                given[n_given - 1].clone()
                            }
                        };
                        (Dropout::forward(input, mask.view()), Some(mask))
                    }
                },
            };
            outputs.push(y);
            mask_out.push(mask);
        }
        ForwardPass {
            outputs,
            masks: mask_out,
        }
    }

    /// Backward pass: from `dlogits = ∂L/∂logits` back through every layer, returning the
    /// gradient of every parameter and `∂L/∂x`.
    ///
    /// # Shapes
    /// `x: [batch, inputs]` (the forward pass's input), `dlogits: [batch]` →
    /// (gradients in [`Sequential::param_names`] order, `dx: [batch, inputs]`).
    pub fn backward(
        &self,
        x: ArrayView2<F>,
        pass: &ForwardPass<F>,
        dlogits: ndarray::ArrayView1<F>,
    ) -> (Gradients<F>, Array2<F>) {
        let mut dy = dlogits.insert_axis(ndarray::Axis(1)).to_owned();
        let mut grads_rev = Vec::new();
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let input = if l == 0 {
                x
            } else {
                pass.outputs[l - 1].view()
            };
            dy = match layer {
                Layer::Dense { dense, relu, .. } => {
                    if *relu {
                        dy = Relu::backward(pass.outputs[l].view(), dy.view());
                    }
                    let (dx, g) = dense.backward(input, dy.view());
                    grads_rev.push(g.bias.into_dyn());
                    grads_rev.push(g.kernel.into_dyn());
                    dx
                }
                Layer::Dropout { .. } => match &pass.masks[l] {
                    Some(mask) => Dropout::backward(mask.view(), dy.view()),
                    None => dy,
                },
            };
        }
        grads_rev.reverse();
        (grads_rev, dy)
    }

    /// The Keras-style summary table (`model.summary()`): each layer's name and type, output
    /// shape and parameter count, then the totals in parameters and in bytes as f32
    /// (139,777 parameters, 546.00 KB for the reference model).
    pub fn summary(&self) -> String {
        let mut rows = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Dense { name, dense, .. } => rows.push((
                    format!("{name} (Dense)"),
                    format!("(None, {})", dense.d_out()),
                    dense.kernel.len() + dense.bias.len(),
                )),
                Layer::Dropout { name, .. } => {
                    let width = rows.last().map_or(
                        self.architecture.inputs.to_string(),
                        |r: &(String, String, usize)| r.1.clone(),
                    );
                    rows.push((format!("{name} (Dropout)"), width, 0));
                }
            }
        }
        let total = self.param_count();
        let bar = |l: &str, m: &str, r: &str, fill: &str| {
            format!(
                "{l}{}{m}{}{m}{}{r}\n",
                fill.repeat(33),
                fill.repeat(24),
                fill.repeat(15)
            )
        };
        let mut s = String::from("Model: \"sequential\"\n");
        s += &bar("┏", "┳", "┓", "━");
        s += &format!(
            "┃ {:<31} ┃ {:<22} ┃ {:>13} ┃\n",
            "Layer (type)", "Output Shape", "Param #"
        );
        s += &bar("┡", "╇", "┩", "━");
        for (name, shape, params) in &rows {
            s += &format!(
                "│ {name:<31} │ {shape:<22} │ {:>13} │\n",
                thousands(*params)
            );
        }
        s += &bar("└", "┴", "┘", "─");
        let size = human_bytes(total * 4);
        s += &format!(" Total params: {} ({size})\n", thousands(total));
        s += &format!(" Trainable params: {} ({size})\n", thousands(total));
        s += " Non-trainable params: 0 (0.00 B)\n";
        s
    }
}

/// Keras's naming: the first layer of a kind is `dense`, the next `dense_1`, `dense_2`, …
fn keras_name(base: &str, count: &mut usize) -> String {
    let name = if *count == 0 {
        base.to_string()
    } else {
        format!("{base}_{count}")
    };
    *count += 1;
    name
}

/// `139777` → `"139,777"`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Bytes in Keras's summary style: `559108` → `"546.00 KB"` (units of 1024).
fn human_bytes(bytes: usize) -> String {
    let units = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", units[unit])
}
