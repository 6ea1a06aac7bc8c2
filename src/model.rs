//! A Sequential model: a stack of Dense(+ReLU) and Dropout layers ending in one logit.

use ndarray::{
    Array1, Array2, ArrayD, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Axis,
    Ix1, Ix2, NdFloat, Zip,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layers::{Dense, Dropout, Mode};
use crate::linalg::{self, Epilogue};
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

/// Buffers a backward pass reuses from one step to the next.
#[derive(Clone, Debug)]
pub struct BackwardScratch<F> {
    /// Per layer (Dense layers only; others stay empty): the gradient at its pre-activation,
    /// `[batch, units]`.
    pub dz: Vec<Array2<F>>,
    /// `∂L/∂x`, `[batch, inputs]`, when asked for.
    pub dx: Array2<F>,
    /// `[batch]` ones, for the bias gradient `db = dzᵀ·1`.
    pub ones: Array1<F>,
}

impl<F> Default for BackwardScratch<F> {
    fn default() -> Self {
        BackwardScratch {
            dz: Vec::new(),
            dx: Array2::from_shape_vec((0, 0), Vec::new()).expect("empty"),
            ones: Array1::from_vec(Vec::new()),
        }
    }
}

/// `out = (dz·Wᵀ) ⊙ masks ⊙ 1[relu_output > 0]`: the gradient handed to the previous layer,
/// with one Dropout mask and the ReLU fused into the product; further masks (two Dropout
/// layers in a row) are applied after it.
fn backward_product<'m, F: NdFloat>(
    dz: ArrayView2<F>,
    kernel_t: ArrayView2<F>,
    mut out: ArrayViewMut2<F>,
    relu_output: Option<ArrayView2<F>>,
    masks: impl Iterator<Item = ArrayView2<'m, F>>,
) {
    let mut masks = masks.peekable();
    let first = masks.next();
    if masks.peek().is_none() {
        let gate = Epilogue::Gate {
            relu_output,
            mask: first,
        };
        return linalg::matmul_into(dz, kernel_t, out, gate);
    }
    let gate = Epilogue::Gate {
        relu_output: None,
        mask: first,
    };
    linalg::matmul_into(dz, kernel_t, out.view_mut(), gate);
    for mask in masks {
        out.zip_mut_with(&mask, |v, &m| *v *= m);
    }
    if let Some(y) = relu_output {
        out.zip_mut_with(&y, |v, &y| {
            if y <= F::zero() {
                *v = F::zero()
            }
        });
    }
}

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
        self.params_mut_iter().collect()
    }

    /// [`Sequential::params_mut`] as an iterator, for a training step that allocates nothing.
    pub fn params_mut_iter(&mut self) -> impl Iterator<Item = ArrayViewMutD<'_, F>> {
        self.layers
            .iter_mut()
            .filter_map(|l| match l {
                Layer::Dense { dense, .. } => Some(dense),
                Layer::Dropout { .. } => None,
            })
            .flat_map(|d| [d.kernel.view_mut().into_dyn(), d.bias.view_mut().into_dyn()])
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
    pub fn forward(&self, x: ArrayView2<F>, mode: Mode, masks: Option<Masks<F>>) -> ForwardPass<F> {
        let mut pass = ForwardPass {
            outputs: Vec::new(),
            masks: Vec::new(),
        };
        self.forward_into(x, mode, masks, &mut pass);
        pass
    }

    /// [`Sequential::forward`] into the buffers of `pass`, which are (re)allocated only when
    /// the batch size or the model changes: a training loop that keeps one `ForwardPass` per
    /// batch size allocates nothing after its first step.
    ///
    /// Dense and ReLU run as one fused product (`Epilogue::BiasRelu`): equal bit for bit to
    /// `Relu::forward(&Dense::forward(x))`, with one pass over the output instead of two.
    ///
    /// # Panics
    /// As [`Sequential::forward`].
    pub fn forward_into(
        &self,
        x: ArrayView2<F>,
        mode: Mode,
        mut masks: Option<Masks<F>>,
        pass: &mut ForwardPass<F>,
    ) {
        assert_eq!(
            x.ncols(),
            self.architecture.inputs,
            "Sequential::forward: x is {:?}",
            x.dim()
        );
        let n = x.nrows();
        self.size_pass(pass, n, mode);
        let mut n_given = 0;
        for (l, layer) in self.layers.iter().enumerate() {
            let (done, rest) = pass.outputs.split_at_mut(l);
            let input = done.last().map_or(x, |o| o.view());
            let y = &mut rest[0];
            match layer {
                Layer::Dense { dense, relu, .. } => {
                    let bias = dense.bias.as_slice().expect("bias is contiguous");
                    let epilogue = if *relu {
                        Epilogue::BiasRelu(bias)
                    } else {
                        Epilogue::Bias(bias)
                    };
                    linalg::matmul_into(input, dense.kernel.view(), y.view_mut(), epilogue);
                }
                Layer::Dropout { dropout, .. } => match mode {
                    Mode::Eval => y.assign(&input),
                    Mode::Train => {
                        let mask = pass.masks[l].as_mut().expect("sized for Train");
                        match masks.as_mut().expect("Mode::Train needs dropout masks") {
                            Masks::Draw(rng) => dropout.fill_mask(mask.view_mut(), rng),
                            Masks::Given(given) => {
                                mask.assign(&given[n_given]);
                                n_given += 1;
                            }
                        }
                        Zip::from(y)
                            .and(input)
                            .and(&*mask)
                            .par_for_each(|y, &x, &m| *y = x * m);
                    }
                },
            }
        }
    }

    /// Gives `pass` one output array per layer, `[n, width]`, and a mask per Dropout layer in
    /// `Mode::Train`, reusing what is already the right shape.
    fn size_pass(&self, pass: &mut ForwardPass<F>, n: usize, mode: Mode) {
        pass.outputs
            .resize_with(self.layers.len(), || Array2::zeros((0, 0)));
        pass.masks.resize_with(self.layers.len(), || None);
        for (l, w) in self.output_widths().enumerate() {
            if pass.outputs[l].dim() != (n, w) {
                pass.outputs[l] = Array2::zeros((n, w));
            }
            let wants_mask = mode == Mode::Train && matches!(self.layers[l], Layer::Dropout { .. });
            match (&pass.masks[l], wants_mask) {
                (Some(m), true) if m.dim() == (n, w) => {}
                (_, true) => pass.masks[l] = Some(Array2::zeros((n, w))),
                (_, false) => pass.masks[l] = None,
            }
        }
    }

    /// Each layer's output width, in layer order.
    fn output_widths(&self) -> impl Iterator<Item = usize> + '_ {
        self.layers
            .iter()
            .scan(self.architecture.inputs, |width, l| {
                if let Layer::Dense { dense, .. } = l {
                    *width = dense.d_out();
                }
                Some(*width)
            })
    }

    /// The index of the last Dense layer before layer `l`, if any.
    fn dense_before(&self, l: usize) -> Option<usize> {
        (0..l)
            .rev()
            .find(|&i| matches!(self.layers[i], Layer::Dense { .. }))
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
        dlogits: ArrayView1<F>,
    ) -> (Gradients<F>, Array2<F>) {
        let mut grads = self
            .params()
            .iter()
            .map(|p| ArrayD::zeros(p.raw_dim()))
            .collect();
        let mut scratch = BackwardScratch::default();
        self.backward_into(x, pass, dlogits, &mut grads, &mut scratch, true);
        (grads, scratch.dx)
    }

    /// [`Sequential::backward`] into `grads` (shaped like the parameters) and the buffers of
    /// `scratch`, allocating nothing once they have the batch's shapes. `∂L/∂x` is computed
    /// into `scratch.dx` only when `input_grad` is set: training does not need it, and skipping
    /// it saves the first layer's `dx = dz·Wᵀ`.
    ///
    /// Per Dense layer, with `dz` the gradient at its pre-activation (`dz = dy ⊙ 1[y > 0]`
    /// after a ReLU): `dW = xᵀ·dz`, `db = Σₙ dz`, and the gradient flowing to the previous
    /// Dense layer is `(dz·Wᵀ) ⊙ mask ⊙ 1[y_prev > 0]`, the Dropout mask and the previous ReLU
    /// fused into the product's epilogue (`Epilogue::Gate`) — equal bit for bit to
    /// `Relu::backward(Dropout::backward(Dense::backward(…)))` layer by layer.
    ///
    /// # Panics
    /// If the shapes do not match the forward pass, or the model does not end in a Dense
    /// layer.
    pub fn backward_into(
        &self,
        x: ArrayView2<F>,
        pass: &ForwardPass<F>,
        dlogits: ArrayView1<F>,
        grads: &mut Gradients<F>,
        scratch: &mut BackwardScratch<F>,
        input_grad: bool,
    ) {
        let n = x.nrows();
        let last = self.layers.len() - 1;
        assert!(
            matches!(self.layers[last], Layer::Dense { .. }),
            "Sequential::backward: the model must end in a Dense layer"
        );
        assert_eq!(
            dlogits.len(),
            n,
            "Sequential::backward: {} dlogits for {n} rows",
            dlogits.len()
        );
        if scratch.ones.len() != n {
            scratch.ones = Array1::ones(n);
        }
        scratch
            .dz
            .resize_with(self.layers.len(), || Array2::zeros((0, 0)));
        // Each Dense layer's dz has its output's shape; reallocated only when that changes.
        for (l, layer) in self.layers.iter().enumerate() {
            let shape = pass.outputs[l].dim();
            if matches!(layer, Layer::Dense { .. }) && scratch.dz[l].dim() != shape {
                scratch.dz[l] = Array2::zeros(shape);
            }
        }
        // The last layer's pre-activation gradient: dlogits, through its ReLU if it has one.
        let Layer::Dense {
            relu: last_relu, ..
        } = &self.layers[last]
        else {
            unreachable!()
        };
        let y_last = pass.outputs[last].column(0);
        Zip::from(scratch.dz[last].column_mut(0))
            .and(dlogits)
            .and(y_last)
            .for_each(|dz, &g, &y| {
                *dz = if *last_relu && y <= F::zero() {
                    F::zero()
                } else {
                    g
                }
            });
        // Walk the Dense layers from the last down; `q` counts them, naming their gradients.
        let mut q = self
            .layers
            .iter()
            .filter(|l| matches!(l, Layer::Dense { .. }))
            .count();
        let mut next = Some(last);
        while let Some(l) = next {
            q -= 1;
            let prev = self.dense_before(l);
            next = prev;
            let Layer::Dense { dense: layer, .. } = &self.layers[l] else {
                unreachable!()
            };
            let input = if l == 0 {
                x
            } else {
                pass.outputs[l - 1].view()
            };
            let (before, from_l) = scratch.dz.split_at_mut(l);
            let dz = from_l[0].view();
            // dW = xᵀ·dz
            let mut dw = grads[2 * q]
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("a kernel is 2-D");
            linalg::matmul_into(input.t(), dz, dw.view_mut(), Epilogue::None);
            // db = Σₙ dz = dzᵀ·1, summed row by row in order (x·1 = x exactly, so this is the
            // plain sequential sum, computed in parallel over columns).
            let db = grads[2 * q + 1]
                .view_mut()
                .into_dimensionality::<Ix1>()
                .expect("a bias is 1-D");
            linalg::matmul_into(
                dz.t(),
                scratch.ones.view().insert_axis(Axis(1)),
                db.insert_axis(Axis(1)),
                Epilogue::None,
            );
            // The Dropout masks between the previous Dense layer (or the input) and this one.
            let masks = (prev.map_or(0, |p| p + 1)..l)
                .filter_map(|i| pass.masks[i].as_ref().map(|m| m.view()));
            if let Some(p) = prev {
                let Layer::Dense {
                    relu: prev_relu, ..
                } = &self.layers[p]
                else {
                    unreachable!()
                };
                let relu_output = prev_relu.then(|| pass.outputs[p].view());
                let dz_prev = before[p].view_mut();
                backward_product(dz, layer.kernel.t(), dz_prev, relu_output, masks);
            } else if input_grad {
                if scratch.dx.dim() != (n, self.architecture.inputs) {
                    scratch.dx = Array2::zeros((n, self.architecture.inputs));
                }
                backward_product(dz, layer.kernel.t(), scratch.dx.view_mut(), None, masks);
            }
        }
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
