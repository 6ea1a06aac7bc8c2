//! Packing: copying an operand block into the contiguous panel layout the micro-kernel reads,
//! into per-thread buffers reused from call to call.

use std::cell::RefCell;
use std::ops::Range;

use ndarray::{ArrayView2, NdFloat};
use rayon::prelude::*;

use super::{MR, NR, SendPtr};

thread_local! {
    /// Packed `B` of the product in flight on this thread, reused across calls so a training
    /// step allocates nothing once the buffers have grown to the model's sizes. Stored as
    /// `f64` words so one buffer serves both float types.
    pub(super) static PACKED_B: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// Packed block of `A` for the tile in flight on this thread.
    pub(super) static PACKED_A: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Bytes the packed panels are aligned to: one cache line, so a 16-value row of a `B` panel
/// (64 bytes) never straddles two lines and the kernel's 8-lane loads never split.
const ALIGN: usize = 64;

/// Words (`f64`) from the start of `buf` to its first `ALIGN`-byte boundary.
fn align_words(buf: &[f64]) -> usize {
    buf.as_ptr().align_offset(ALIGN).min(ALIGN / 8)
}

/// Grows `buf` to hold at least `len` values of `F` from its first 64-byte boundary and
/// returns them as `&mut [F]`.
pub(super) fn scratch<F: NdFloat>(buf: &mut Vec<f64>, len: usize) -> &mut [F] {
    let words = (len * std::mem::size_of::<F>()).div_ceil(8) + ALIGN / 8;
    if buf.len() < words {
        buf.resize(words, 0.0);
    }
    let offset = align_words(buf);
    // SAFETY: F is f32 or f64 (NdFloat), both plain old data with alignment ≤ 8; the buffer
    // holds at least `len` of them past `offset`.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().add(offset).cast::<F>(), len) }
}

/// The values of `F` in `buf` from the boundary [`scratch`] aligned them to.
pub(super) fn cast_slice<F: NdFloat>(buf: &[f64]) -> &[F] {
    let offset = align_words(buf);
    let len = (buf.len() - offset) * 8 / std::mem::size_of::<F>();
    // SAFETY: as in `scratch`.
    unsafe { std::slice::from_raw_parts(buf.as_ptr().add(offset).cast::<F>(), len) }
}

/// Packs `b: [k, n]` as panels of `NR` columns: `packed[(jp·k + p)·NR + j] = B[p, jp·NR + j]`,
/// zero past column `n`. Parallel over panels (a pure copy, so order does not matter).
///
/// Packing costs a copy but pays for itself: a panel is `KC·NR` contiguous values that stay in
/// the L1 cache, where reading `B` in place walks rows 1 KB apart (for a 256-wide layer), which
/// fall into four of the L1 cache's 64 sets and evict each other. Measured with
/// `benches/gemm.rs`, reading both operands in place ran the 1024³ probe at 112 GFLOP/s and
/// packing them at 141.
pub(super) fn pack_b<F: NdFloat>(b: ArrayView2<F>, buf: &mut Vec<f64>) {
    let (k, n) = b.dim();
    let packed: &mut [F] = scratch(buf, n.div_ceil(NR) * k * NR);
    if k == 0 {
        return;
    }
    let (rs, cs) = (b.strides()[0], b.strides()[1]);
    let base = SendPtr(b.as_ptr() as *mut F);
    packed
        .par_chunks_mut(k * NR)
        .enumerate()
        .for_each(|(jp, panel)| {
            let (j0, nj) = (jp * NR, NR.min(n - jp * NR));
            let at = |p: usize, j: usize| {
                base.get()
                    .wrapping_offset(p as isize * rs + (j0 + j) as isize * cs)
            };
            if rs == 1 && cs != 1 {
                // Columns of B are contiguous (B = Wᵀ in dx = dz·Wᵀ, or Aᵀ in a transposed
                // product): read each column once and scatter it into the panel with stride NR.
                panel.fill(F::zero());
                for j in 0..nj {
                    // SAFETY: column j0 + j < n, rows 0 .. k lie inside `b`.
                    let col = unsafe { std::slice::from_raw_parts(at(0, j), k) };
                    for (dst, &v) in panel[j..].iter_mut().step_by(NR).zip(col) {
                        *dst = v;
                    }
                }
                return;
            }
            for (p, row) in panel.chunks_exact_mut(NR).enumerate() {
                if cs == 1 {
                    // Rows of B are contiguous (B = W in the forward pass, dy in dW = xᵀ·dy).
                    // SAFETY: p < k and j0 + nj ≤ n, so the nj values lie inside `b`.
                    copy_short(&mut row[..nj], unsafe {
                        std::slice::from_raw_parts(at(p, 0), nj)
                    });
                } else {
                    for (j, dst) in row[..nj].iter_mut().enumerate() {
                        // SAFETY: p < k and j0 + j < n.
                        *dst = unsafe { *at(p, j) };
                    }
                }
                row[nj..].fill(F::zero());
            }
        });
}

/// `dst.copy_from_slice(src)` for the few values of one kernel row, as an inline loop: the
/// library `memcpy` that `copy_from_slice` calls costs more than the copy at this size.
#[inline(always)]
pub(super) fn copy_short<F: Copy>(dst: &mut [F], src: &[F]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Packs `A[rows, p0..p0+kc]` as panels of `MR` rows:
/// `packed[(ip·kc + p)·MR + i] = A[rows.start + ip·MR + i, p0 + p]`, zero past the tile.
pub(super) fn pack_a<F: NdFloat>(
    a: ArrayView2<F>,
    rows: Range<usize>,
    p0: usize,
    kc: usize,
    packed: &mut [F],
) {
    if kc == 0 {
        return;
    }
    let (rs, cs) = (a.strides()[0], a.strides()[1]);
    let base = a.as_ptr();
    let at = |i: usize, p: usize| base.wrapping_offset(i as isize * rs + p as isize * cs);
    for (ip, panel) in packed
        .chunks_exact_mut(kc * MR)
        .take(rows.len().div_ceil(MR))
        .enumerate()
    {
        let i0 = rows.start + ip * MR;
        let ni = MR.min(rows.end - i0);
        if ni < MR {
            panel.fill(F::zero());
        }
        if cs == 1 && ni == MR {
            // Rows of A are contiguous (A = x or dz) and the panel is full: write the panel in
            // order, MR values per step of k, one from each of the MR rows (six sequential
            // read streams; the order `matrixmultiply`'s packing uses).
            // SAFETY: rows i0 .. i0 + MR ≤ m and columns p0 .. p0 + kc ≤ k lie inside `a`.
            let rows: [&[F]; MR] =
                std::array::from_fn(|i| unsafe { std::slice::from_raw_parts(at(i0 + i, p0), kc) });
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                for (dst, row) in col.iter_mut().zip(&rows) {
                    // SAFETY: p < kc, the length of every row slice.
                    *dst = unsafe { *row.get_unchecked(p) };
                }
            }
        } else if cs == 1 {
            // Rows of A are contiguous, the panel is the tile's last and short: read each row
            // once, scatter it into the panel with stride MR.
            for i in 0..ni {
                // SAFETY: row i0 + i < m and columns p0 .. p0 + kc ≤ k lie inside `a`.
                let row = unsafe { std::slice::from_raw_parts(at(i0 + i, p0), kc) };
                for (dst, &v) in panel[i..].iter_mut().step_by(MR).zip(row) {
                    *dst = v;
                }
            }
        } else if rs == 1 {
            // Columns of A are contiguous (A = xᵀ in dW = xᵀ·dy): MR values per step of k.
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                // SAFETY: rows i0 .. i0 + ni ≤ m and column p0 + p < k lie inside `a`.
                copy_short(&mut col[..ni], unsafe {
                    std::slice::from_raw_parts(at(i0, p0 + p), ni)
                });
            }
        } else {
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                for (i, dst) in col[..ni].iter_mut().enumerate() {
                    // SAFETY: as above.
                    *dst = unsafe { *at(i0 + i, p0 + p) };
                }
            }
        }
    }
}
