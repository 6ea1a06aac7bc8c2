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
