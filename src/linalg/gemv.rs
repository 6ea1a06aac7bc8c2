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
    let f32_rows = std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>()
        && a.strides()[1] == 1
        && lanes == GEMV_LANES;
    if f32_rows {
        // SAFETY: F is f32 (checked), so `a`, `b` and `acc` hold f32; rows i0 .. i0 + 8 lie
        // in `a` (the caller), whose rows are contiguous; `b` has k values.
        unsafe {
            gemv_rows_f32_fma(
                a.as_ptr()
                    .cast::<f32>()
                    .wrapping_offset(i0 as isize * a.strides()[0]),
                a.strides()[0],
                a.ncols(),
                b.as_ptr().cast::<f32>(),
                b.strides()[0],
                &mut *(acc as *mut [F; GEMV_LANES]).cast::<[f32; GEMV_LANES]>(),
            )
        };
        return;
    }
    gemv_lanes::<F, true>(a, b, i0, lanes, acc)
}

/// [`gemv_lanes`] for eight contiguous `f32` rows of `A` (the output layer's forward product,
/// `A` = the last hidden activations): eight values of each row are loaded as one vector, the
/// 8 × 8 block is transposed in registers (the standard `unpack`/`shuffle`/`permute2f128`
/// sequence), and each of its columns is added to the eight rows' sums with one vector FMA. Lane
/// `r` of the sums still takes the steps `p = 0, 1, …` of row `r` in order, one fused
/// multiply-add each, so the result is [`gemv_lanes`]'s bit for bit; the steps past the last
/// multiple of 8 run as there.
///
/// # Safety
/// The CPU must have AVX2 and FMA; `a` must point at 8 rows of `k` contiguous values, `rs`
/// values apart, and `b` at `k` values, `b_stride` apart.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_rows_f32_fma(
    a: *const f32,
    rs: isize,
    k: usize,
    b: *const f32,
    b_stride: isize,
    acc: &mut [f32; GEMV_LANES],
) {
    use std::arch::x86_64::*;
    let row = |r: usize| a.wrapping_offset(r as isize * rs);
    // SAFETY: p < k (the caller).
    let b_at = |p: usize| unsafe { *b.wrapping_offset(p as isize * b_stride) };
    // SAFETY: `acc` holds 8 f32.
    let mut sums = unsafe { _mm256_loadu_ps(acc.as_ptr()) };
    let full = k / 8 * 8;
    for p in (0..full).step_by(8) {
        // SAFETY: columns p .. p + 8 ≤ k of the 8 rows lie in `a` (the caller).
        let [r0, r1, r2, r3, r4, r5, r6, r7] =
            std::array::from_fn(|r| unsafe { _mm256_loadu_ps(row(r).add(p)) });
        let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
        let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
        let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
        let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        // Column j of the block: A[i0 + r, p + j] in lane r.
        let columns = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (j, column) in columns.into_iter().enumerate() {
            sums = _mm256_fmadd_ps(column, _mm256_set1_ps(b_at(p + j)), sums);
        }
    }
    // SAFETY: `acc` holds 8 f32.
    unsafe { _mm256_storeu_ps(acc.as_mut_ptr(), sums) };
    for p in full..k {
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: column p < k of row r lies in `a`.
            *acc = unsafe { *row(r).add(p) }.mul_add(b_at(p), *acc);
        }
    }
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
