//! A Sequential model: a stack of Dense blocks (Dense → activation → optional Dropout), run
//! forward and backward as one loop of block calls.

use ndarray::{Array2, ArrayView2, ArrayViewD, ArrayViewMutD, NdFloat};

use super::architecture::{Architecture, LayerSpec};
use super::passes::{Backward, ForwardPass, Gradients, Mode};
use super::summary::{keras_name, summary};
use crate::error::Result;
use crate::layers::{Dense, DenseBlock, Dropout, InputGradient};
use crate::rng::Rng;

/// A parameter and its Keras name (`dense_1/kernel`).
pub struct Parameter<'a, F> {
    /// The Keras name, `layer/kernel` or `layer/bias`.
    pub name: &'a str,
    /// Its values: a kernel `[d_in, d_out]` or a bias `[d_out]`.
    pub value: ArrayViewD<'a, F>,
}

/// A parameter to update in place, with its Keras name.
pub struct ParameterMut<'a, F> {
    /// The Keras name, `layer/kernel` or `layer/bias`.
    pub name: &'a str,
    /// Its values: a kernel `[d_in, d_out]` or a bias `[d_out]`.
    pub value: ArrayViewMutD<'a, F>,
}

/// A stack of layers applied in order, like `keras.Sequential`: each Dense layer with its
/// activation and the Dropout after it run as one [`DenseBlock`].
///
/// # Shapes
/// Input `x: [batch, inputs]`, outputs `[batch, outputs]` (the logits for the fraud model,
/// `outputs = 1`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential<F> {
    architecture: Architecture,
    blocks: Vec<DenseBlock<F>>,
}

impl<F: NdFloat> Sequential<F> {
    /// Builds the model, drawing every kernel Glorot-uniform from `rng` in layer order; biases
    /// start at zero. Layers are named as Keras names them (`dense`, `dense_1`, …, `dropout`,
    /// `dropout_1`, …).
    ///
    /// # Errors
    /// As [`Architecture::validate`], and [`crate::Error::Config`] named `hidden` when the
    /// parameters cannot be counted in a `usize`. Memory is not checked: see
    /// [`crate::sizes`] for the bytes a model needs.
    pub fn new(architecture: &Architecture, rng: &mut Rng) -> Result<Self> {
        architecture.validate()?;
        if architecture.parameter_count().is_none() {
            return Err(crate::Error::Config {
                name: "hidden",
                message: "the layers hold more parameters than a 64-bit count can hold".into(),
            });
        }
        let (mut n_dense, mut n_dropout) = (0, 0);
        let mut d_in = architecture.inputs;
        let mut blocks: Vec<DenseBlock<F>> = Vec::new();
        for spec in &architecture.layers {
            match *spec {
                LayerSpec::Dense { units, activation } => {
                    let dense = Dense::glorot_uniform(d_in, units, rng);
                    let name = keras_name("dense", &mut n_dense);
                    blocks.push(DenseBlock::new(dense, activation, None, name));
                    d_in = units;
                }
                LayerSpec::Dropout { rate } => {
                    // `validate` put every Dropout directly after a Dense layer.
                    if let Some(block) = blocks.last_mut() {
                        let name = keras_name("dropout", &mut n_dropout);
                        block.set_dropout(Dropout::new(rate), name);
                    }
                }
            }
        }
        Ok(Sequential {
            architecture: architecture.clone(),
            blocks,
        })
    }

    /// The architecture this model was built from.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The Dense blocks, in order.
    pub fn blocks(&self) -> &[DenseBlock<F>] {
        &self.blocks
    }

    /// Input features, `inputs`.
    pub fn inputs(&self) -> usize {
        self.architecture.inputs
    }

    /// Output width: the units of the last Dense layer.
    pub fn outputs(&self) -> usize {
        self.architecture.outputs()
    }

    /// Every parameter with its Keras name, in a fixed order: `dense/kernel`, `dense/bias`,
    /// `dense_1/kernel`, … — the order of [`Gradients::views`].
    pub fn parameters(&self) -> impl Iterator<Item = Parameter<'_, F>> {
        self.blocks.iter().flat_map(|b| {
            let [kernel, bias] = b.parameter_names();
            [
                Parameter {
                    name: kernel,
                    value: b.dense.kernel.view().into_dyn(),
                },
                Parameter {
                    name: bias,
                    value: b.dense.bias.view().into_dyn(),
                },
            ]
        })
    }

    /// [`Sequential::parameters`], to update in place.
    pub fn parameters_mut(&mut self) -> impl Iterator<Item = ParameterMut<'_, F>> {
        self.blocks.iter_mut().flat_map(|b| {
            let dense = &mut b.dense;
            [
                ParameterMut {
                    name: b.names.kernel.as_str(),
                    value: dense.kernel.view_mut().into_dyn(),
                },
                ParameterMut {
                    name: b.names.bias.as_str(),
                    value: dense.bias.view_mut().into_dyn(),
                },
            ]
        })
    }

    /// The parameter called `name` (`dense_1/kernel`), if there is one.
    pub fn parameter(&self, name: &str) -> Option<ArrayViewD<'_, F>> {
        self.parameters().find(|p| p.name == name).map(|p| p.value)
    }

    /// Total number of parameters (139,777 for the reference model).
    pub fn parameter_count(&self) -> usize {
        self.parameters().map(|p| p.value.len()).sum()
    }

    /// The Keras-style summary table ([`super::summary`]).
    pub fn summary(&self) -> String {
        summary(&self.architecture)
    }

    /// The outputs in evaluation mode (dropout is the identity): the logits of the fraud model.
    ///
    /// # Shapes
    /// `x: [batch, inputs]` → `[batch, outputs]`.
    ///
    /// # Panics
    /// If `x` does not have `inputs` columns.
    pub fn predict(&self, x: ArrayView2<F>) -> Array2<F> {
        self.forward(x, Mode::Eval).outputs().to_owned()
    }

    /// Forward pass, keeping every block's activations for [`Sequential::backward`].
    ///
    /// # Shapes
    /// `x: [batch, inputs]`; [`ForwardPass::outputs`] is `[batch, outputs]`.
    ///
    /// # Panics
    /// If `x` does not have `inputs` columns, or `mode` gives masks of the wrong number or shape.
    pub fn forward(&self, x: ArrayView2<F>, mode: Mode<F>) -> ForwardPass<F> {
        let mut pass = ForwardPass::default();
        self.forward_into(x, mode, &mut pass);
        pass
    }

    /// [`Sequential::forward`] into the buffers of `pass`, which are reallocated only when the
    /// batch size changes: a loop that keeps one `ForwardPass` per batch size allocates nothing
    /// after its first step.
    ///
    /// Each block runs Dense and its activation as one fused product, then its dropout
    /// ([`DenseBlock::forward_into`]); the plain composition of the layers is
    /// [`super::reference::forward`], equal to this bit for bit.
    ///
    /// # Panics
    /// As [`Sequential::forward`].
    pub fn forward_into(&self, x: ArrayView2<F>, mode: Mode<F>, pass: &mut ForwardPass<F>) {
        let mut masks = match mode {
            Mode::Train(masks) => Some(masks),
            Mode::Eval => None,
        };
        pass.blocks.resize_with(self.blocks.len(), Default::default);
        let mut input = x;
        for (block, activations) in self.blocks.iter().zip(&mut pass.blocks) {
            block.forward_into(input, masks.as_mut(), activations);
            input = activations.output();
        }
    }

    /// Backward pass from `dy = ∂L/∂outputs` back through every block: the gradient of every
    /// parameter and `∂L/∂x`.
    ///
    /// # Shapes
    /// `x: [batch, inputs]` (the forward pass's input), `dy: [batch, outputs]` →
    /// (gradients shaped like the parameters, `dx: [batch, inputs]`).
    ///
    /// # Panics
    /// If the shapes do not match the forward pass.
    pub fn backward(
        &self,
        x: ArrayView2<F>,
        pass: &ForwardPass<F>,
        dy: ArrayView2<F>,
    ) -> (Gradients<F>, Array2<F>) {
        let mut backward = Backward::new(self);
        self.backward_into(x, pass, dy, &mut backward);
        let dx = backward.input_dz.swap_remove(0);
        (backward.gradients, dx)
    }

    /// [`Sequential::backward`] into the buffers of `backward`, allocating nothing once they
    /// have the batch's shapes.
    ///
    /// From the last block to the first, each block takes the gradient at its pre-activation
    /// `dz`, computes `dW = xᵀ·dz` and `db = Σₙ dz`, and hands down the gradient at the
    /// pre-activation of the block below, through that block's dropout and activation
    /// ([`DenseBlock::backward_into`]). The plain composition of the layers' backward passes is
    /// [`super::reference::backward`], equal to this bit for bit.
    ///
    /// # Panics
    /// If the shapes do not match the forward pass.
    pub fn backward_into(
        &self,
        x: ArrayView2<F>,
        pass: &ForwardPass<F>,
        dy: ArrayView2<F>,
        backward: &mut Backward<F>,
    ) {
        backward.size_for(self, x.nrows());
        let (Some(last), Some(last_pass)) = (self.blocks.last(), pass.blocks.last()) else {
            return;
        };
        last.output_gradient_into(last_pass, dy, backward.output_dz.view_mut());
        let skip_input = !backward.input_gradient;
        let mut dz = backward.output_dz.view();
        let steps = self
            .blocks
            .iter()
            .zip(backward.gradients.blocks.iter_mut())
            .zip(backward.input_dz.iter_mut())
            .enumerate()
            .rev();
        for (i, ((block, grads), input_dz)) in steps {
            let (input, to_input) = match i.checked_sub(1) {
                Some(below) => (
                    pass.blocks[below].output(),
                    InputGradient::Through {
                        dz: input_dz.view_mut(),
                        activation: self.blocks[below].activation,
                        activations: &pass.blocks[below],
                    },
                ),
                None if skip_input => (x, InputGradient::Skip),
                None => (x, InputGradient::Into(input_dz.view_mut())),
            };
            block.backward_into(input, dz, grads, to_input);
            dz = input_dz.view();
        }
    }
}
