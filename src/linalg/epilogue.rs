//! The epilogue as the product applies it: to an `MR × NR` block of accumulators before it is
//! stored ([`EpilogueOps::apply_block`]), or to one element of the single-column loop
//! ([`EpilogueOps::apply_one`]). Both run the same scalar operations in the same order — bias,
//! activation, mask, activation gradient — so every road through the product gives the same
//! bits.

use ndarray::{ArrayView2, NdFloat};

use super::{Epilogue, MR, NR};
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

    /// The operations applied to an `MR × NR` block whose top-left element is `C[i0, j0]`, of
    /// which the first `ni` rows and `nj` columns lie inside `C`; returned as a new block (the
    /// values outside those rows and columns are copied unchanged and never stored).
    ///
    /// A full-width block (`nj = NR`) is computed a row at a time with whole-row operations,
    /// writing each row's result as a new array ([`Activation::values_of`] says why not in
    /// place); an edge block, or a product computed transposed (`row_bias`), element by element
    /// through [`Self::apply_one`]. Both apply the same operations in the same order.
    #[inline(always)]
    pub(super) fn apply_block(
        &self,
        acc: &[[F; NR]; MR],
        i0: usize,
        ni: usize,
        j0: usize,
        nj: usize,
    ) -> [[F; NR]; MR] {
        let mut out = *acc;
        if nj < NR || self.row_bias.is_some() {
            for (i, row) in out.iter_mut().enumerate().take(ni) {
                for (j, v) in row.iter_mut().enumerate().take(nj) {
                    *v = self.apply_one(acc[i][j], i0 + i, j0 + j);
                }
            }
            return out;
        }
        for (i, out_row) in out.iter_mut().enumerate().take(ni) {
            let r = i0 + i;
            let mut v = acc[i];
            if let Some(bias) = self.col_bias {
                for (v, &b) in v.iter_mut().zip(&bias[j0..j0 + NR]) {
                    *v += b;
                }
            }
            v = self.activation.values_of(&v);
            if let Some(mask) = &self.mask {
                let m = row_of(mask, r, j0);
                for (v, m) in v.iter_mut().zip(m) {
                    *v *= m;
                }
            }
            if let Some((activation, output)) = &self.gradient_of {
                v = activation.gradients_of(&v, &row_of(output, r, j0));
            }
            *out_row = v;
        }
        out
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
