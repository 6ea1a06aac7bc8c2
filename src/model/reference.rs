//! The reference path: a model's forward and backward passes built only from the plain layers
//! ([`Dense`], [`Activation`], [`Dropout`]) on the naive product — the code to read first. Each
//! step names the fused code that computes the same thing fast; `tests/fused.rs` checks that
//! [`Sequential::forward_into`] and [`Sequential::backward_into`] equal these bit for bit.
//!
//! Per Dense block, with `x` its input:
//!
//! ```text
//! forward                       backward (dy: the gradient at the block's output)
//! z = x·W + b      (Dense)      dy_a = dy ⊙ mask              (Dropout)
//! a = f(z)         (Activation) dz   = dy_a ⊙ f′(z), f′ from a (Activation)
//! y = a ⊙ mask     (Dropout)    dW = xᵀ·dz, db = Σₙ dz, dx = dz·Wᵀ   (Dense)
//! ```
//!
//! [`Dense`]: crate::layers::Dense
//! [`Dropout`]: crate::layers::Dropout
//! [`Activation`]: crate::activation::Activation

use ndarray::{Array2, ArrayView2, NdFloat};

use super::{Gradients, Mode, Sequential};
use crate::layers::Dropout;

/// Everything the reference forward pass computes, per Dense block.
#[derive(Clone, Debug)]
pub struct ReferencePass<F> {
    /// `z = x·W + b`, `[batch, d_out]`.
    pub pre_activations: Vec<Array2<F>>,
    /// `a = f(z)`, `[batch, d_out]`.
    pub activations: Vec<Array2<F>>,
    /// The dropout mask in training, `[batch, d_out]`; `None` without dropout or in evaluation.
    pub masks: Vec<Option<Array2<F>>>,
    /// `y = a ⊙ mask` (or `a`), the block's output and the next block's input, `[batch, d_out]`.
    pub outputs: Vec<Array2<F>>,
}

impl<F: NdFloat> ReferencePass<F> {
    /// The model's outputs, `[batch, outputs]`.
    ///
    /// # Panics
    /// If the model had no blocks.
    pub fn model_outputs(&self) -> ArrayView2<'_, F> {
        match self.outputs.last() {
            Some(y) => y.view(),
            None => panic!("ReferencePass::model_outputs: no blocks"),
        }
    }
}

/// The forward pass, layer by layer.
///
/// # Shapes
/// `x: [batch, inputs]` → outputs `[batch, outputs]`.
///
/// # Panics
/// If `x` does not have `inputs` columns, or `mode` gives masks of the wrong number or shape.
pub fn forward<F: NdFloat>(
    model: &Sequential<F>,
    x: ArrayView2<F>,
    mode: Mode<F>,
) -> ReferencePass<F> {
    let mut masks = match mode {
        Mode::Train(masks) => Some(masks),
        Mode::Eval => None,
    };
    let mut pass = ReferencePass {
        pre_activations: Vec::new(),
        activations: Vec::new(),
        masks: Vec::new(),
        outputs: Vec::new(),
    };
    for block in model.blocks() {
        let x = pass.outputs.last().map_or(x, |y| y.view());
        // Fused: `DenseBlock::forward_into`, the bias and `f` in the product's epilogue
        // (`Epilogue::BiasActivation`).
        let z = block.dense.forward(x);
        let a = block.activation.forward(z.view());
        // Fused: the same product, then the same mask from the same source.
        let (mask, y) = match (block.dropout, masks.as_mut()) {
            (Some(dropout), Some(masks)) => {
                let mut mask = Array2::zeros(a.dim());
                masks.fill(&dropout, mask.view_mut());
                let y = Dropout::forward(a.view(), mask.view());
                (Some(mask), y)
            }
            _ => (None, a.clone()),
        };
        pass.pre_activations.push(z);
        pass.activations.push(a);
        pass.masks.push(mask);
        pass.outputs.push(y);
    }
    pass
}

/// The backward pass, layer by layer, from `dy = ∂L/∂outputs`: every parameter's gradient and
/// `∂L/∂x`.
///
/// # Shapes
/// `x: [batch, inputs]`, `dy: [batch, outputs]` → (gradients, `dx: [batch, inputs]`).
///
/// # Panics
/// If the shapes do not match the forward pass.
pub fn backward<F: NdFloat>(
    model: &Sequential<F>,
    x: ArrayView2<F>,
    pass: &ReferencePass<F>,
    dy: ArrayView2<F>,
) -> (Gradients<F>, Array2<F>) {
    let mut grads = Gradients::zeros_like(model);
    let mut dy = dy.to_owned();
    for (i, block) in model.blocks().iter().enumerate().rev() {
        let x = if i == 0 {
            x
        } else {
            pass.outputs[i - 1].view()
        };
        // Fused: in the epilogue of the product that computed `dy` (`Epilogue::ActivationGrad`),
        // or, at the last block, `DenseBlock::output_gradient_into`.
        let dy_a = match &pass.masks[i] {
            Some(mask) => Dropout::backward(mask.view(), dy.view()),
            None => dy,
        };
        let dz = block
            .activation
            .backward(pass.activations[i].view(), dy_a.view());
        // Fused: `DenseBlock::backward_into`, with the next step's dropout and activation
        // gradient in the epilogue of `dx = dz·Wᵀ`.
        let (dx, block_grads) = block.dense.backward(x, dz.view());
        grads.blocks[i] = block_grads;
        dy = dx;
    }
    (grads, dy)
}
