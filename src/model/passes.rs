//! What a model's passes keep and produce: the training/evaluation mode, the forward pass's
//! activations, and the backward pass's gradients and buffers.

use ndarray::{Array2, ArrayView2, ArrayViewD, NdFloat};

use super::Sequential;
use crate::layers::dropout::DropoutMasks;
use crate::layers::{BlockActivations, DenseGrads};
use crate::rng::Rng;

/// Whether a forward pass trains (dropout drops units, with masks from the source held here)
/// or evaluates (dropout is the identity), as Keras's `training=True/False` and PyTorch's
/// `model.train()/model.eval()`. The mask source lives inside `Train`, so a training pass
/// without one cannot be written.
pub enum Mode<'a, F> {
    /// Training: each dropout multiplies by a mask from this source.
    Train(DropoutMasks<'a, F>),
    /// Evaluation and prediction: dropout is the identity.
    Eval,
}

impl<'a, F: NdFloat> Mode<'a, F> {
    /// Training with fresh masks drawn from `rng`.
    pub fn train(rng: &'a mut Rng) -> Self {
        Mode::Train(DropoutMasks::draw(rng))
    }

    /// Training with the given masks, one per dropout layer in order, each
    /// `[batch, units of the Dense layer before it]` (gradient checks and tests).
    pub fn train_with_masks(masks: &'a [Array2<F>]) -> Self {
        Mode::Train(DropoutMasks::given(masks))
    }
}

/// What a forward pass keeps for the backward pass: each Dense block's activations.
#[derive(Clone, Debug)]
pub struct ForwardPass<F> {
    /// One entry per Dense block of the model, in order.
    pub blocks: Vec<BlockActivations<F>>,
}

impl<F> Default for ForwardPass<F> {
    fn default() -> Self {
        ForwardPass { blocks: Vec::new() }
    }
}

impl<F: NdFloat> ForwardPass<F> {
    /// The model's outputs, `[batch, outputs]`: the logits when the last Dense layer is linear.
    ///
    /// # Panics
    /// If the pass is empty (no forward pass has filled it).
    pub fn outputs(&self) -> ArrayView2<'_, F> {
        match self.blocks.last() {
            Some(block) => block.output(),
            None => panic!("ForwardPass::outputs: the pass has not been run"),
        }
    }
}

/// The gradient of the loss with respect to every parameter: one [`DenseGrads`] per Dense
/// block, named as the parameters are (`kernel`, `bias`).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients<F> {
    /// One per Dense block, in the model's order.
    pub blocks: Vec<DenseGrads<F>>,
}

impl<F: NdFloat> Gradients<F> {
    /// Zero gradients shaped like `model`'s parameters.
    pub fn zeros_like(model: &Sequential<F>) -> Self {
        Gradients {
            blocks: model
                .blocks()
                .iter()
                .map(|b| DenseGrads::zeros_like(&b.dense))
                .collect(),
        }
    }

    /// Every gradient in [`Sequential::parameters`] order (`kernel`, `bias` per block).
    pub fn views(&self) -> impl Iterator<Item = ArrayViewD<'_, F>> {
        self.blocks
            .iter()
            .flat_map(|g| [g.kernel.view().into_dyn(), g.bias.view().into_dyn()])
    }

    /// Whether every gradient is finite.
    pub fn all_finite(&self) -> bool {
        self.views().all(|g| g.iter().all(|v| v.is_finite()))
    }
}

/// A backward pass's results and buffers, reused from one step to the next: after the first
/// step of a batch size a backward pass allocates nothing.
#[derive(Clone, Debug)]
pub struct Backward<F> {
    /// The parameter gradients.
    pub gradients: Gradients<F>,
    /// The gradient at the last block's pre-activation, `[batch, outputs]`.
    pub(super) output_dz: Array2<F>,
    /// Per block, the gradient it hands down, `[batch, d_in]`: for block `i > 0` the gradient at
    /// block `i − 1`'s pre-activation; for block 0, `∂L/∂x` (empty unless asked for).
    pub(super) input_dz: Vec<Array2<F>>,
    /// Whether block 0 computes `∂L/∂x`.
    pub(super) input_gradient: bool,
}

impl<F: NdFloat> Backward<F> {
    /// Buffers for `model` that also compute `∂L/∂x` (gradient checks, the worked example).
    pub fn new(model: &Sequential<F>) -> Self {
        Backward {
            gradients: Gradients::zeros_like(model),
            output_dz: Array2::zeros((0, 0)),
            input_dz: Vec::new(),
            input_gradient: true,
        }
    }

    /// Buffers for `model` that skip `∂L/∂x`: training does not need it, and skipping it saves
    /// the first layer's product `dx = dz·Wᵀ`.
    pub fn without_input_gradient(model: &Sequential<F>) -> Self {
        Backward {
            input_gradient: false,
            ..Backward::new(model)
        }
    }

    /// `∂L/∂x`, `[batch, inputs]`, when these buffers compute it and a backward pass has run.
    pub fn input_gradient(&self) -> Option<ArrayView2<'_, F>> {
        self.input_dz
            .first()
            .filter(|_| self.input_gradient)
            .map(|dx| dx.view())
    }

    /// Gives every buffer the shape a backward pass over `batch` rows of `model` needs,
    /// reallocating only what changed.
    pub(super) fn size_for(&mut self, model: &Sequential<F>, batch: usize) {
        let resize = |a: &mut Array2<F>, shape: (usize, usize)| {
            if a.dim() != shape {
                *a = Array2::zeros(shape);
            }
        };
        resize(&mut self.output_dz, (batch, model.outputs()));
        self.input_dz
            .resize_with(model.blocks().len(), || Array2::zeros((0, 0)));
        for (i, (dz, block)) in self.input_dz.iter_mut().zip(model.blocks()).enumerate() {
            let rows = if i == 0 && !self.input_gradient {
                0
            } else {
                batch
            };
            resize(dz, (rows, block.dense.d_in()));
        }
    }
}
