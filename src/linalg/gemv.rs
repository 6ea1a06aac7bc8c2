//! The single-column product (`N = 1`, the output layer): a matrix-vector loop without packing.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, NdFloat};
use rayon::prelude::*;

use super::epilogue::EpilogueOps;
use super::{SendPtr, fma_available};

/// Rows of `C` per parallel task of [`gemv`].
const GEMV_ROWS: usize = 256;
/// Rows of `C` one inner loop of [`gemv`] accumulates at once (independent FMA chains).
const GEMV_LANES: usize = 8;

/// `C[:, 0] = epilogue(A·b)` for a single column `b` (the output layer, `N = 1`), without packing:
/// each row's sum runs over `k` in order, one multiply-add at a time (fused where the CPU has
/// FMA), exactly as the micro-kernel sums it, so the result equals the tiled path bit for bit.
/// Parallel over fixed blocks of rows.
pub(super) fn gemv<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView1<F>,
    c: ArrayViewMut2<F>,
    ops: EpilogueOps<F>,
) {
    let m = a.nrows();
    let use_fma = fma_available();
    let c_ptr = SendPtr(c.as_ptr() as *mut F);
    let c_stride = c.strides()[0];
    (0..m.div_ceil(GEMV_ROWS))
        .into_par_iter()
        .for_each(|block| {
            let rows = block * GEMV_ROWS..((block + 1) * GEMV_ROWS).min(m);
            for i0 in rows.step_by(GEMV_LANES) {
                let lanes = GEMV_LANES.min(m - i0);
                let mut acc = [F::zero(); GEMV_LANES];
                #[cfg(target_arch = "x86_64")]
                if use_fma {
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    unsafe { gemv_lanes_fma(a, b, i0, lanes, &mut acc) };
                } else {
                    gemv_lanes::<F, false>(a, b, i0, lanes, &mut acc);
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    let _ = use_fma;
                    gemv_lanes::<F, false>(a, b, i0, lanes, &mut acc);
                }
                for (r, &sum) in acc.iter().enumerate().take(lanes) {
                    let i = i0 + r;
                    let v = ops.apply_one(sum, i, 0);
                    // SAFETY: row i < m of the single column; each row belongs to one task.
                    unsafe { *c_ptr.get().wrapping_offset(i as isize * c_stride) = v };
                }
            }
        });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gemv_lanes_fma<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView1<F>,
    i0: usize,
    lanes: usize,
    acc: &mut [F; GEMV_LANES],
) {
    gemv_lanes::<F, true>(a, b, i0, lanes, acc)
}

/// `acc[r] = Σₚ A[i0 + r, p]·b[p]` for `r < lanes`, summed in order `p = 0, 1, …`.
#[inline(always)]
fn gemv_lanes<F: NdFloat, const FMA: bool>(
    a: ArrayView2<F>,
    b: ArrayView1<F>,
    i0: usize,
    lanes: usize,
    acc: &mut [F; GEMV_LANES],
) {
    let (rs, cs) = (a.strides()[0], a.strides()[1]);
    let base = a.as_ptr();
    let step = |acc: &mut F, x: F, y: F| {
        *acc = if FMA {
            x.mul_add(y, *acc)
        } else {
            *acc + x * y
        }
    };
    for (p, &bp) in b.iter().enumerate() {
        // SAFETY: rows i0 .. i0 + lanes ≤ m and column p < k lie inside `a`.
        let column = base.wrapping_offset(i0 as isize * rs + p as isize * cs);
        if rs == 1 && lanes == GEMV_LANES {
            // A's columns are contiguous (A = hᵀ in dW = hᵀ·dz): one vector of 8 rows.
            let values: &[F; GEMV_LANES] = unsafe { &*column.cast::<[F; GEMV_LANES]>() };
            for r in 0..GEMV_LANES {
                step(&mut acc[r], values[r], bp);
            }
        } else {
            for (r, acc) in acc.iter_mut().enumerate().take(lanes) {
                step(acc, unsafe { *column.wrapping_offset(r as isize * rs) }, bp);
            }
        }
    }
}
