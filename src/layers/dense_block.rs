//! The Dense block the model runs: `Dense → activation → optional Dropout`, the same math as
//! the three plain layers ([`Dense`], [`Activation`], [`Dropout`]) composed, but fused into the
//! fast matrix product so that each array is written once:
//!
//! - forward: `a = f(x·W + b)` in one product, the bias and `f` applied in its epilogue
//!   ([`Epilogue::BiasActivation`]); then `y = a ⊙ mask` in training;
//! - backward: `dW = xᵀ·dz`, `db = Σₙ dz`, and the gradient handed down,
//!   `dz_below = (dz·Wᵀ) ⊙ mask_below ⊙ f′_below(z_below)` (`f′` computed from the block
//!   below's activation output), with the block below's dropout mask and
//!   activation gradient applied in the product's epilogue ([`Epilogue::ActivationGrad`]).
//!
//! Each fused step is the plain layer's step in the same order on the same scalars, so the
//! result equals the reference path ([`crate::model::reference`]) bit for bit; `tests/fused.rs`
//! checks it. `docs/backprop.md`, section "The fused Dense block", walks through it.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat, Zip};

use super::dropout::DropoutMasks;
use super::{Dense, DenseGrads, Dropout};
use crate::activation::Activation;
use crate::linalg::{Epilogue, matmul_into};

/// `Dense → activation → optional Dropout`, with the Keras names of its layers and parameters.
///
/// # Shapes
/// Input `x: [batch, d_in]`; output `[batch, d_out]`; parameters as [`Dense`].
#[derive(Clone, Debug, PartialEq)]
pub struct DenseBlock<F> {
    /// The Dense layer's parameters.
    pub dense: Dense<F>,
    /// The activation after it (`Identity` for logits).
    pub activation: Activation,
    /// The dropout after the activation, if any.
    pub dropout: Option<Dropout>,
    /// Keras names: the Dense layer (`dense_1`), its parameters (`dense_1/kernel`,
    /// `dense_1/bias`) and the Dropout layer (`dropout`), kept so that a training step never
    /// formats a name.
    pub(crate) names: BlockNames,
}

/// The Keras names of a block's layers and parameters.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BlockNames {
    pub dense: String,
    pub kernel: String,
    pub bias: String,
    pub dropout: Option<String>,
}

impl<F> DenseBlock<F> {
    /// A block from its parts, named `dense_name` (its parameters `dense_name/kernel` and
    /// `dense_name/bias`) and, with a dropout, `dropout_name`.
    pub fn new(
        dense: Dense<F>,
        activation: Activation,
        dropout: Option<(Dropout, String)>,
        dense_name: String,
    ) -> Self {
        let (dropout, dropout_name) = match dropout {
            Some((d, name)) => (Some(d), Some(name)),
            None => (None, None),
        };
        DenseBlock {
            dense,
            activation,
            dropout,
            names: BlockNames {
                kernel: format!("{dense_name}/kernel"),
                bias: format!("{dense_name}/bias"),
                dense: dense_name,
                dropout: dropout_name,
            },
        }
    }

    /// Puts `dropout`, named `name`, after the activation.
    pub(crate) fn set_dropout(&mut self, dropout: Dropout, name: String) {
        self.dropout = Some(dropout);
        self.names.dropout = Some(name);
    }

    /// The Dense layer's Keras name (`dense`, `dense_1`, …).
    pub fn name(&self) -> &str {
        &self.names.dense
    }

    /// The Dropout layer's Keras name, when the block has one.
    pub fn dropout_name(&self) -> Option<&str> {
        self.names.dropout.as_deref()
    }

    /// The parameter names, `[kernel, bias]` (`dense_1/kernel`, `dense_1/bias`).
    pub fn parameter_names(&self) -> [&str; 2] {
        [&self.names.kernel, &self.names.bias]
    }
}

/// What a block's forward pass keeps for its backward pass.
#[derive(Clone, Debug)]
pub struct BlockActivations<F> {
    /// `a = f(x·W + b)`: the activation's output, `[batch, d_out]`.
    pub activation: Array2<F>,
    /// In training with dropout: the mask and `y = a ⊙ mask`.
    pub dropout: Option<DropoutActivations<F>>,
}

/// A block's dropout in a training forward pass.
#[derive(Clone, Debug)]
pub struct DropoutActivations<F> {
    /// `mask ∈ {0, 1/(1 − rate)}`, `[batch, d_out]`.
    pub mask: Array2<F>,
    /// `y = a ⊙ mask`, `[batch, d_out]`.
    pub output: Array2<F>,
}

impl<F: NdFloat> Default for BlockActivations<F> {
    fn default() -> Self {
        BlockActivations {
            activation: Array2::zeros((0, 0)),
            dropout: None,
        }
    }
}

impl<F: NdFloat> BlockActivations<F> {
    /// The block's output `y`: after the dropout in training, else the activation.
    pub fn output(&self) -> ArrayView2<'_, F> {
        match &self.dropout {
            Some(d) => d.output.view(),
            None => self.activation.view(),
        }
    }

    /// The dropout mask of a training pass, if the block has a dropout.
    pub fn mask(&self) -> Option<ArrayView2<'_, F>> {
        self.dropout.as_ref().map(|d| d.mask.view())
    }
}

/// Where a block's backward pass sends the gradient with respect to its input.
pub enum InputGradient<'a, F> {
    /// Nowhere: the first block in training needs no `∂L/∂x`, which saves a product.
    Skip,
    /// `∂L/∂x = dz·Wᵀ`, `[batch, d_in]`.
    Into(ArrayViewMut2<'a, F>),
    /// The gradient at the pre-activation of the block below, whose output is this block's
    /// input: `activation.gradient(mask ⊙ (dz·Wᵀ), a_below)`, `[batch, d_in]`.
    Through {
        /// Where it is written.
        dz: ArrayViewMut2<'a, F>,
        /// The activation of the block below.
        activation: Activation,
        /// The forward pass of the block below.
        activations: &'a BlockActivations<F>,
    },
}

/// Resizes `a` to `shape` unless it already has it (so steps of one batch size reuse it).
fn ensure_shape<F: NdFloat>(a: &mut Array2<F>, shape: (usize, usize)) {
    if a.dim() != shape {
        *a = Array2::zeros(shape);
    }
}

impl<F: NdFloat> DenseBlock<F> {
    /// Forward pass into `out`: `a = f(x·W + b)` fused into one product, then, when `masks` is
    /// given (training) and the block has a dropout, `y = a ⊙ mask` with the next mask from
    /// `masks`. Without `masks` (evaluation) dropout is the identity. `out`'s buffers are
    /// reallocated only when the batch size changes.
    ///
    /// # Shapes
    /// `x: [batch, d_in]` → `out.output(): [batch, d_out]`.
    ///
    /// # Panics
    /// If `x` does not have `d_in` columns, or `masks` holds given masks of the wrong number
    /// or shape.
    pub fn forward_into(
        &self,
        x: ArrayView2<F>,
        masks: Option<&mut DropoutMasks<F>>,
        out: &mut BlockActivations<F>,
    ) {
        assert_eq!(
            x.ncols(),
            self.dense.d_in(),
            "{}: x is {:?} but the kernel is {:?}",
            self.names.dense,
            x.dim(),
            self.dense.kernel.dim()
        );
        let shape = (x.nrows(), self.dense.d_out());
        ensure_shape(&mut out.activation, shape);
        let bias = self.dense.bias.as_standard_layout();
        let bias = bias.as_slice().unwrap_or_default();
        let epilogue = Epilogue::BiasActivation(bias, self.activation);
        matmul_into(
            x,
            self.dense.kernel.view(),
            out.activation.view_mut(),
            epilogue,
        );
        match (self.dropout, masks) {
            (Some(dropout), Some(masks)) => {
                let d = out.dropout.get_or_insert_with(|| DropoutActivations {
                    mask: Array2::zeros(shape),
                    output: Array2::zeros(shape),
                });
                ensure_shape(&mut d.mask, shape);
                ensure_shape(&mut d.output, shape);
                masks.fill(&dropout, d.mask.view_mut());
                Zip::from(&mut d.output)
                    .and(&out.activation)
                    .and(&d.mask)
                    .par_for_each(|y, &a, &m| *y = a * m);
            }
            _ => out.dropout = None,
        }
    }

    /// The gradient at this block's pre-activation from the gradient at its output `dy`:
    /// `dz = f′(mask ⊙ dy)` — the seed of the backward pass at the last block.
    ///
    /// # Shapes
    /// `dy`, `dz: [batch, d_out]`.
    ///
    /// # Panics
    /// If the shapes differ from the forward pass's.
    pub fn output_gradient_into(
        &self,
        activations: &BlockActivations<F>,
        dy: ArrayView2<F>,
        mut dz: ArrayViewMut2<F>,
    ) {
        let a = &activations.activation;
        match activations.mask() {
            Some(mask) => Zip::from(&mut dz)
                .and(&dy)
                .and(&mask)
                .and(a)
                .for_each(|dz, &g, &m, &y| *dz = self.activation.gradient(g * m, y)),
            None => Zip::from(&mut dz)
                .and(&dy)
                .and(a)
                .for_each(|dz, &g, &y| *dz = self.activation.gradient(g, y)),
        }
    }

    /// Backward pass from `dz`, the gradient at this block's pre-activation: `dW = xᵀ·dz` and
    /// `db = Σₙ dz` into `grads`, and the gradient with respect to the input as `input` asks
    /// (see [`InputGradient`]).
    ///
    /// # Shapes
    /// `x: [batch, d_in]` (the forward pass's input), `dz: [batch, d_out]`.
    ///
    /// # Panics
    /// If the shapes do not match the block.
    pub fn backward_into(
        &self,
        x: ArrayView2<F>,
        dz: ArrayView2<F>,
        grads: &mut DenseGrads<F>,
        input: InputGradient<F>,
    ) {
        // dW = xᵀ·dz
        matmul_into(x.t(), dz, grads.kernel.view_mut(), Epilogue::None);
        // db = Σₙ dz
        Dense::bias_gradient_into(dz, grads.bias.view_mut());
        // dx = dz·Wᵀ, through the block below's dropout and activation when there is one.
        let w_t = self.dense.kernel.t();
        match input {
            InputGradient::Skip => {}
            InputGradient::Into(dx) => matmul_into(dz, w_t, dx, Epilogue::None),
            InputGradient::Through {
                dz: dz_below,
                activation,
                activations,
            } => {
                let epilogue = Epilogue::ActivationGrad {
                    mask: activations.mask(),
                    activation,
                    output: activations.activation.view(),
                };
                matmul_into(dz, w_t, dz_below, epilogue)
            }
        }
    }
}
