//! The reference product: the naive triple loop the fast kernel is tested against, and the
//! product the model's reference path ([`crate::model::reference`]) and the plain layers
//! ([`crate::layers::Dense`]) use.

use ndarray::{Array2, ArrayView2, NdFloat};

use super::fma_available;

/// The naive triple loop `C[i,j] = Σₖ A[i,k]·B[k,j]`, summed in order `k = 0, 1, …`: the slow,
/// obviously correct reference the fast kernel is tested against.
///
/// Each step `s ← s + A[i,k]·B[k,j]` is one fused multiply-add, rounded once, exactly where
/// the fast kernel fuses it (AVX2 + FMA detected at run time, see [`fma_available`]), and a
/// multiply then an add otherwise. The fast kernel sums every element in the same order, so
/// the two agree bit for bit; only the speed differs.
///
/// # Shapes
/// `a: [m, k]`, `b: [k, n]` → `[m, n]`.
///
/// # Panics
/// If the inner dimensions differ.
pub fn matmul_naive<F: NdFloat>(a: ArrayView2<F>, b: ArrayView2<F>) -> Array2<F> {
    assert_eq!(
        a.ncols(),
        b.nrows(),
        "matmul_naive: A is {:?} but B is {:?}",
        a.dim(),
        b.dim()
    );
    let fused = fma_available();
    Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
        (0..a.ncols()).fold(F::zero(), |s, p| {
            if fused {
                a[[i, p]].mul_add(b[[p, j]], s)
            } else {
                s + a[[i, p]] * b[[p, j]]
            }
        })
    })
}
