//! The tiled, parallel product: `C` cut into disjoint tiles run by rayon, each walking `k` in
//! blocks of [`KC`], packing a block of `A` and running the micro-kernel over it.

use ndarray::{ArrayView2, ArrayViewMut2, NdFloat};
use rayon::prelude::*;

use super::epilogue::EpilogueOps;
#[cfg(target_arch = "x86_64")]
use super::kernel::micro_kernel_f32_fma;
use super::kernel::{Operand, micro_kernel};
use super::pack::{PACKED_A, PACKED_B, cast_slice, copy_short, pack_a, pack_b, scratch};
use super::{KC, MC, MR, NC, NR, SendPtr, baseline_kernel, fma_available};

/// Rows and columns of `C` per parallel tile for an `m × n` product: whole rows of `C` when
/// they are few enough to keep each tile's packed `A` in cache and there are enough row tiles
/// to share among the threads; the tile sizes never change the result, only the speed.
fn tile_shape(m: usize, n: usize) -> (usize, usize) {
    let threads = rayon::current_num_threads().max(1);
    let panels = m.div_ceil(MR);
    // Aim for at least four tiles per thread so a slow tile does not leave a core idle.
    let row_panels = panels.div_ceil(4 * threads).clamp(1, MC / MR);
    let mc = row_panels * MR;
    let row_tiles = m.div_ceil(mc);
    let col_tiles_wanted = (4 * threads).div_ceil(row_tiles).max(1);
    let nc = n.div_ceil(col_tiles_wanted).div_ceil(NR).max(1) * NR;
    (mc, nc.min(NC.max(n.div_ceil(NR) * NR)))
}

/// The tiled, parallel product with its epilogue.
pub(super) fn product<'a, 'e, F: NdFloat>(
    a: ArrayView2<'a, F>,
    b: ArrayView2<F>,
    mut c: ArrayViewMut2<F>,
    ops: EpilogueOps<'e, F>,
) {
    let (m, n) = c.dim();
    let use_fma = fma_available();
    let n_panels = n.div_ceil(NR);
    let (mc, nc) = tile_shape(m, n);
    PACKED_B.with_borrow_mut(|packed_b| {
        pack_b(b, packed_b);
        let packed_b: &[F] = cast_slice(packed_b);
        let c_ptr = SendPtr(c.as_mut_ptr());
        let c_strides = (c.strides()[0], c.strides()[1]);
        let row_tiles = m.div_ceil(mc);
        let col_tiles = n.div_ceil(nc);
        (0..row_tiles * col_tiles).into_par_iter().for_each(|tile| {
            let (rt, ct) = (tile / col_tiles, tile % col_tiles);
            let tile = Tile {
                a,
                packed_b,
                n_panels,
                c: c_ptr,
                c_strides,
                rows: rt * mc..((rt + 1) * mc).min(m),
                cols: ct * nc..((ct + 1) * nc).min(n),
                ops,
            };
            // SAFETY: tiles are disjoint rectangles of `c`, which outlives this call, so each
            // element is written by exactly one task.
            unsafe { tile.compute(use_fma) }
        });
    });
}

/// One rectangle of `C` and everything needed to compute it.
struct Tile<'a, 'b, 'e, F> {
    a: ArrayView2<'a, F>,
    packed_b: &'b [F],
    n_panels: usize,
    c: SendPtr<F>,
    c_strides: (isize, isize),
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    ops: EpilogueOps<'e, F>,
}

impl<F: NdFloat> Tile<'_, '_, '_, F> {
    /// # Safety
    /// `self.c` must point at an array of the product's shape with `c_strides`, and no other
    /// thread may touch this tile's elements meanwhile.
    unsafe fn compute(&self, use_fma: bool) {
        PACKED_A.with_borrow_mut(|buf| {
            let k = self.a.ncols();
            let mc = self.rows.len();
            let packed_a: &mut [F] = scratch(buf, mc.div_ceil(MR) * MR * KC.min(k.max(1)));
            let mut p0 = 0;
            loop {
                let kc = KC.min(k - p0);
                let last = p0 + kc == k;
                pack_a(self.a, self.rows.clone(), p0, kc, packed_a);
                #[cfg(target_arch = "x86_64")]
                if use_fma {
                    // SAFETY: the CPU has AVX2 and FMA (checked by the caller).
                    unsafe { self.block_fma(p0, kc, last, packed_a) };
                } else {
                    unsafe { self.block::<false>(p0, kc, last, packed_a) };
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    let _ = use_fma;
                    unsafe { self.block::<false>(p0, kc, last, packed_a) };
                }
                p0 += kc;
                if last {
                    break;
                }
            }
        });
    }

    /// Packs `A[rows, p0..p0+kc]` as panels of `MR` rows:
    /// `packed[(ip·kc + p)·MR + i] = A[rows.start + ip·MR + i, p0 + p]`, zero past the tile.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block_fma(&self, p0: usize, kc: usize, last: bool, packed_a: &[F]) {
        if std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>() && !baseline_kernel() {
            // SAFETY: forwarded from `compute`; F is f32.
            unsafe { self.block_f32_fma(p0, kc, last, packed_a) }
        } else {
            // SAFETY: forwarded from `compute`.
            unsafe { self.block::<true>(p0, kc, last, packed_a) }
        }
    }

    /// [`Self::block`] for `f32` on the intrinsics kernel ([`micro_kernel_f32_fma`]): a whole
    /// `MR × NR` block of a row-contiguous `C` with nothing to apply is read and written in
    /// place by the kernel; edge blocks and blocks with an epilogue go through a scratch
    /// block as before.
    ///
    /// # Safety
    /// As [`Self::block`]; `F` must be `f32` and the CPU must have AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block_f32_fma(&self, p0: usize, kc: usize, last: bool, packed_a: &[F]) {
        let k = self.a.ncols();
        let plain = !last || self.ops.is_none();
        let first_panel = self.cols.start / NR;
        let last_panel = self.cols.end.div_ceil(NR).min(self.n_panels);
        for jp in first_panel..last_panel {
            let j0 = jp * NR;
            let nj = NR.min(self.cols.end - j0);
            let b_panel = self.packed_b[(jp * k + p0) * NR..].as_ptr().cast::<f32>();
            for ip in 0..self.rows.len().div_ceil(MR) {
                let i0 = self.rows.start + ip * MR;
                let ni = MR.min(self.rows.end - i0);
                let a_panel = packed_a[ip * kc * MR..].as_ptr().cast::<f32>();
                if plain && ni == MR && nj == NR && self.c_strides.1 == 1 {
                    // SAFETY: the block's MR rows of NR contiguous values lie inside this
                    // tile; both panels hold kc steps.
                    unsafe {
                        micro_kernel_f32_fma(
                            kc,
                            a_panel,
                            b_panel,
                            self.c_elem(i0, j0).cast::<f32>(),
                            self.c_strides.0,
                            p0 > 0,
                        )
                    };
                    continue;
                }
                let mut acc = [[F::zero(); NR]; MR];
                if p0 > 0 {
                    // SAFETY: (i0+i, j0+j) lies inside this tile.
                    unsafe { self.load(&mut acc, i0, ni, j0, nj) };
                }
                // SAFETY: `acc` is MR rows of NR contiguous f32; both panels hold kc steps.
                unsafe {
                    micro_kernel_f32_fma(
                        kc,
                        a_panel,
                        b_panel,
                        acc.as_mut_ptr().cast::<f32>(),
                        NR as isize,
                        p0 > 0,
                    )
                };
                // SAFETY: as above.
                unsafe { self.store(&acc, i0, ni, j0, nj, last) };
            }
        }
    }

    /// Runs the micro-kernel over every `MR × NR` block of the tile for `k` in `p0..p0+kc`.
    #[inline(always)]
    unsafe fn block<const FMA: bool>(&self, p0: usize, kc: usize, last: bool, packed_a: &[F]) {
        let k = self.a.ncols();
        let first_panel = self.cols.start / NR;
        let last_panel = self.cols.end.div_ceil(NR).min(self.n_panels);
        for jp in first_panel..last_panel {
            let j0 = jp * NR;
            let nj = NR.min(self.cols.end - j0);
            let b_panel = Operand {
                ptr: self.packed_b[(jp * k + p0) * NR..].as_ptr(),
                row: 0,
                step: NR as isize,
            };
            for ip in 0..self.rows.len().div_ceil(MR) {
                let i0 = self.rows.start + ip * MR;
                let ni = MR.min(self.rows.end - i0);
                let a_panel = Operand {
                    ptr: packed_a[ip * kc * MR..].as_ptr(),
                    row: 1,
                    step: MR as isize,
                };
                let mut acc = [[F::zero(); NR]; MR];
                if p0 > 0 {
                    // SAFETY: (i0+i, j0+j) lies inside this tile.
                    unsafe { self.load(&mut acc, i0, ni, j0, nj) };
                }
                // SAFETY: both panels hold kc steps of MR (A) and NR (B) readable values.
                unsafe { micro_kernel::<F, FMA>(kc, a_panel, b_panel, &mut acc) };
                // SAFETY: as above.
                unsafe { self.store(&acc, i0, ni, j0, nj, last) };
            }
        }
    }

    unsafe fn load(&self, acc: &mut [[F; NR]; MR], i0: usize, ni: usize, j0: usize, nj: usize) {
        for (i, row) in acc.iter_mut().enumerate().take(ni) {
            if self.c_strides.1 == 1 {
                // SAFETY: guaranteed by the caller; the row's nj values are contiguous.
                let src = unsafe { std::slice::from_raw_parts(self.c_elem(i0 + i, j0), nj) };
                copy_short(&mut row[..nj], src);
            } else {
                for (j, v) in row.iter_mut().enumerate().take(nj) {
                    // SAFETY: guaranteed by the caller.
                    *v = unsafe { *self.c_elem(i0 + i, j0 + j) };
                }
            }
        }
    }

    /// Stores the first `ni` rows and `nj` columns of the block into `C[i0.., j0..]`, with the
    /// epilogue applied on the way after the last block of `k` (`apply`): a row at a time for a
    /// full-width block ([`EpilogueOps::apply_row`]), else element by element. Reading `acc`
    /// and writing `C` (two different places) lets the compiler use plain vector stores.
    ///
    /// Inlined so that, called from [`Self::block_f32_fma`], it is compiled for AVX2 as that
    /// function is (out of line it ran as SSE code: 10 % of `predict`'s time).
    ///
    /// # Safety
    /// The block's rows and columns must lie inside this tile.
    #[inline(always)]
    unsafe fn store(
        &self,
        acc: &[[F; NR]; MR],
        i0: usize,
        ni: usize,
        j0: usize,
        nj: usize,
        apply: bool,
    ) {
        if apply && !self.ops.by_rows(nj) {
            for (i, row) in acc.iter().enumerate().take(ni) {
                for (j, &v) in row.iter().enumerate().take(nj) {
                    // SAFETY: guaranteed by the caller.
                    unsafe { *self.c_elem(i0 + i, j0 + j) = self.ops.apply_one(v, i0 + i, j0 + j) };
                }
            }
            return;
        }
        for (i, &row) in acc.iter().enumerate().take(ni) {
            let row = if apply {
                self.ops.apply_row(row, i0 + i, j0)
            } else {
                row
            };
            // SAFETY: guaranteed by the caller.
            unsafe { self.store_row(i0 + i, j0, &row[..nj]) };
        }
    }

    /// `C[i, j0 .. j0 + values.len()] = values`.
    ///
    /// # Safety
    /// Those elements must lie inside this tile.
    #[inline(always)]
    unsafe fn store_row(&self, i: usize, j0: usize, values: &[F]) {
        if self.c_strides.1 == 1 {
            // SAFETY: guaranteed by the caller; the row's values are contiguous.
            copy_short(
                unsafe { std::slice::from_raw_parts_mut(self.c_elem(i, j0), values.len()) },
                values,
            );
        } else {
            for (j, &v) in values.iter().enumerate() {
                // SAFETY: guaranteed by the caller.
                unsafe { *self.c_elem(i, j0 + j) = v };
            }
        }
    }

    fn c_elem(&self, i: usize, j: usize) -> *mut F {
        let offset = i as isize * self.c_strides.0 + j as isize * self.c_strides.1;
        self.c.0.wrapping_offset(offset)
    }
}
