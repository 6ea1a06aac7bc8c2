//! The micro-kernel: one `MR × NR` block of `C` accumulated in registers over one packed panel
//! of `A` and one of `B`.

use ndarray::NdFloat;

use super::{MR, NR};

/// Where the micro-kernel reads an operand panel: element `(i, p)` of an `A` panel at
/// `ptr + i·row + p·step`; row `p` of a `B` panel (`NR` contiguous values) at `ptr + p·step`.
/// Packed panels have `row = 1, step = MR` (A) and `step = NR` (B).
#[derive(Clone, Copy)]
pub(super) struct Operand<F> {
    pub ptr: *const F,
    pub row: isize,
    pub step: isize,
}

/// `acc[i][j] += Σₚ A[i, p] · B[p, j]` over one panel of each, summed in order `p = 0, 1, …`.
///
/// Written as plain loops over fixed-size arrays so the compiler keeps `acc` in registers and
/// vectorises over `j`; with `FMA` each step is one fused multiply-add.
///
/// # Safety
/// Both operands must address `kc` steps of readable values.
#[inline(always)]
pub(super) unsafe fn micro_kernel<F: NdFloat, const FMA: bool>(
    kc: usize,
    a: Operand<F>,
    b: Operand<F>,
    acc: &mut [[F; NR]; MR],
) {
    let mut a_rows: [*const F; MR] =
        std::array::from_fn(|i| a.ptr.wrapping_offset(i as isize * a.row));
    let mut b_row = b.ptr;
    for _ in 0..kc {
        // SAFETY: guaranteed by the caller; F's alignment is all [F; NR] needs.
        let bp: [F; NR] = unsafe { *b_row.cast::<[F; NR]>() };
        for i in 0..MR {
            // SAFETY: guaranteed by the caller.
            let ai = unsafe { *a_rows[i] };
            for j in 0..NR {
                acc[i][j] = if FMA {
                    ai.mul_add(bp[j], acc[i][j])
                } else {
                    acc[i][j] + ai * bp[j]
                };
            }
        }
        for r in &mut a_rows {
            *r = r.wrapping_offset(a.step);
        }
        b_row = b_row.wrapping_offset(b.step);
    }
}

/// The `MR × NR` micro-kernel for `f32` written with AVX2 + FMA intrinsics: the 12
/// accumulators stay in `ymm` registers, each step of `k` is one broadcast of `A` per row and
/// two 8-lane loads of `B` (the register layout of BLIS's `bli_sgemm_haswell_asm_6x16`), and
/// `k` is unrolled by 4. Each accumulator still takes its steps in order `p = 0, 1, …`, one
/// `vfmadd231ps` per step, so every element is the same sequence of fused multiply-adds as
/// [`micro_kernel`] with `FMA`, bit for bit.
///
/// The running sums start at zero (`load == false`) or are read from `c` (`load == true`),
/// and are written back to `c`; row `i` of the block lies at `c + i·rs` (16 contiguous
/// values): either `C` itself or an `[[f32; NR]; MR]` scratch block (`rs = NR`).
///
/// # Safety
/// The CPU must have AVX2 and FMA; `a` must address `kc·MR` and `b` `kc·NR` readable values;
/// `c + i·rs .. + NR` must be readable (when `load`) and writable for `i < MR`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn micro_kernel_f32_fma(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    rs: isize,
    load: bool,
) {
    use std::arch::x86_64::*;
    // SAFETY: all pointer arithmetic and accesses stay within the ranges the caller vouches
    // for.
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        if load {
            for (i, row) in acc.iter_mut().enumerate() {
                let ci = c.offset(i as isize * rs);
                row[0] = _mm256_loadu_ps(ci);
                row[1] = _mm256_loadu_ps(ci.add(8));
            }
        }
        let (mut a, mut b) = (a, b);
        macro_rules! step {
            ($u:expr) => {{
                let b0 = _mm256_loadu_ps(b.add($u * NR));
                let b1 = _mm256_loadu_ps(b.add($u * NR + 8));
                for (i, row) in acc.iter_mut().enumerate() {
                    let ai = _mm256_broadcast_ss(&*a.add($u * MR + i));
                    row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
                    row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
                }
            }};
        }
        for _ in 0..kc / 4 {
            step!(0);
            step!(1);
            step!(2);
            step!(3);
            a = a.add(4 * MR);
            b = b.add(4 * NR);
        }
        for _ in 0..kc % 4 {
            step!(0);
            a = a.add(MR);
            b = b.add(NR);
        }
        for (i, row) in acc.iter().enumerate() {
            let ci = c.offset(i as isize * rs);
            _mm256_storeu_ps(ci, row[0]);
            _mm256_storeu_ps(ci.add(8), row[1]);
        }
    }
}
