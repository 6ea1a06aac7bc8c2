//! The epilogue as the product applies it: to a row of an `MR × NR` block of accumulators as it
//! is stored ([`EpilogueOps::apply_row`]), or to one element (edge blocks and the single-column
//! loop, [`EpilogueOps::apply_one`]). Both run the same scalar operations in the same order — bias,
//! activation, mask, activation gradient — so every road through the product gives the same
//! bits.

use ndarray::{ArrayView2, NdFloat};

use super::{Epilogue, NR};
use crate::activation::Activation;

/// An [`Epilogue`] in the form the tiles apply it: a bias along columns (or, for a product
/// computed transposed, along rows), an activation, and the backward pass through a dropout
/// mask and an activation.
#[derive(Clone, Copy)]
pub(super) struct EpilogueOps<'a, F> {
    /// `C[i, j] += bias[j]`.
    col_bias: Option<&'a [F]>,
    /// `C[i, j] += bias[i]` (the same bias, when the product runs as `Cᵀ = Bᵀ·Aᵀ`).
    row_bias: Option<&'a [F]>,
    /// `C = f(C)` after the bias (`Identity`: nothing).
    activation: Activation,
    /// `C = C ⊙ mask`.
    mask: Option<ArrayView2<'a, F>>,
    /// `C = activation.gradient(C, output)`.
    gradient_of: Option<(Activation, ArrayView2<'a, F>)>,
}

impl<'a, F: NdFloat> EpilogueOps<'a, F> {
    /// The operations of `epilogue` for an `m × n` product.
    ///
    /// # Panics
    /// If a bias is not `[n]`, or a mask or output view is not `[m, n]`.
    pub(super) fn new(epilogue: Epilogue<'a, F>, m: usize, n: usize) -> Self {
        let mut ops = EpilogueOps {
            col_bias: None,
            row_bias: None,
            activation: Activation::Identity,
            mask: None,
            gradient_of: None,
        };
        match epilogue {
            Epilogue::None => {}
            Epilogue::Bias(bias) | Epilogue::BiasActivation(bias, _) => {
                assert_eq!(
                    bias.len(),
                    n,
                    "matmul: bias has {} values for {n} columns",
                    bias.len()
                );
                ops.col_bias = Some(bias);
                if let Epilogue::BiasActivation(_, activation) = epilogue {
                    ops.activation = activation;
                }
            }
            Epilogue::ActivationGrad {
                mask,
                activation,
                output,
            } => {
                for v in mask.iter().chain([&output]) {
                    assert_eq!(
                        v.dim(),
                        (m, n),
                        "matmul: epilogue view is {:?}, expected {:?}",
                        v.dim(),
                        (m, n)
                    );
                }
                ops.mask = mask;
                ops.gradient_of = Some((activation, output));
            }
        }
        ops
    }

    /// The same operations for the transposed product `Cᵀ = Bᵀ·Aᵀ`.
    pub(super) fn transposed(self) -> Self {
        EpilogueOps {
            col_bias: self.row_bias,
            row_bias: self.col_bias,
            activation: self.activation,
            mask: self.mask.map(|v| v.reversed_axes()),
            gradient_of: self.gradient_of.map(|(a, v)| (a, v.reversed_axes())),
        }
    }

    /// Whether there is nothing to apply (`Epilogue::None`).
    pub(super) fn is_none(&self) -> bool {
        self.col_bias.is_none()
            && self.row_bias.is_none()
            && self.activation == Activation::Identity
            && self.mask.is_none()
            && self.gradient_of.is_none()
    }

    /// Applies the operations to one element, `C[i, j] = v`.
    #[inline(always)]
    pub(super) fn apply_one(&self, mut v: F, i: usize, j: usize) -> F {
        if let Some(bias) = self.col_bias {
            v += bias[j];
        }
        if let Some(bias) = self.row_bias {
            v += bias[i];
        }
        v = self.activation.value(v);
        if let Some(mask) = &self.mask {
            v *= mask[[i, j]];
        }
        if let Some((activation, output)) = &self.gradient_of {
            v = activation.gradient(v, output[[i, j]]);
        }
        v
    }

    /// Whether [`Self::apply_row`] serves a block `nj` columns wide: a full-width block of a
    /// product not computed transposed (no `row_bias`). Other blocks go element by element
    /// through [`Self::apply_one`].
    #[inline(always)]
    pub(super) fn by_rows(&self, nj: usize) -> bool {
        nj == NR && self.row_bias.is_none()
    }

    /// The operations applied to `C[r, j0 .. j0 + NR]`, whose accumulated sums are `acc`:
    /// the same scalar operations in the same order as [`Self::apply_one`], on a whole row at
    /// a time. The result is a new array that the caller stores into `C`:
    /// [`Activation::values_of`] says why nothing is written back in place.
    #[inline(always)]
    pub(super) fn apply_row(&self, acc: [F; NR], r: usize, j0: usize) -> [F; NR] {
        let mut v = acc;
        if let Some(bias) = self.col_bias {
            for (v, &b) in v.iter_mut().zip(&bias[j0..j0 + NR]) {
                *v += b;
            }
        }
        v = self.activation.values_of(&v);
        if let Some(mask) = &self.mask {
            for (v, m) in v.iter_mut().zip(row_of(mask, r, j0)) {
                *v *= m;
            }
        }
        if let Some((activation, output)) = &self.gradient_of {
            v = activation.gradients_of(&v, &row_of(output, r, j0));
        }
        v
    }
}

/// `view[r, j0 .. j0 + NR]` as an array: one load of a contiguous row, else element by element.
#[inline(always)]
fn row_of<F: NdFloat>(view: &ArrayView2<F>, r: usize, j0: usize) -> [F; NR] {
    match contiguous_row(view, r, j0, NR) {
        Some(row) => row.try_into().expect("NR values"),
        // SAFETY: the caller passes a row and NR columns inside the view (C's shape).
        None => std::array::from_fn(|j| unsafe { *view.uget((r, j0 + j)) }),
    }
}

/// `view[r, j0 .. j0 + nj]` as a slice when the view's rows are contiguous.
#[inline(always)]
fn contiguous_row<'v, F>(
    view: &'v ArrayView2<F>,
    r: usize,
    j0: usize,
    nj: usize,
) -> Option<&'v [F]> {
    // SAFETY: the caller passes a row and columns inside the view.
    (view.strides()[1] == 1).then(|| unsafe {
        std::slice::from_raw_parts(
            view.as_ptr()
                .wrapping_offset(r as isize * view.strides()[0] + j0 as isize),
            nj,
        )
    })
}
