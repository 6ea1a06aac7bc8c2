//! Matrix products: `C ← A·B` over `ndarray` views of any strides, parallel with rayon and
//! bitwise deterministic for any thread count.
//!
//! The backward pass needs `Aᵀ·B` (`dW = xᵀ·dy`) and `A·Bᵀ` (`dx = dy·Wᵀ`): pass `a.t()` or
//! `b.t()`, which are free views. No transposed operand is ever copied; the kernel reads
//! through the views' strides while packing.
//!
//! # How it works (the structure of BLIS / `matrixmultiply`, written small)
//!
//! 1. `B` is packed once into column panels of [`NR`] columns: for each panel, `k` rows of
//!    `NR` contiguous values (zero-padded past `n`).
//! 2. `C` is cut into tiles of [`MC`] rows × [`NC`] columns; rayon runs the tiles in parallel.
//!    Tiles are disjoint, so no two threads ever write the same element.
//! 3. Within a tile, `k` is walked in blocks of [`KC`]; each block of `A` is packed into row
//!    panels of [`MR`] rows, and the micro-kernel computes an `MR × NR` block of `C` in
//!    registers, loading its running sum from `C` and storing it back after the block.
//!
//! # Determinism
//!
//! Every element `C[i,j]` is computed by exactly one thread as the sequential sum
//! `((C₀ + a₀b₀) + a₁b₁) + …` over `k = 0, 1, …` — the order is fixed by the index, never by
//! the tile a thread happens to run. The result is therefore bitwise identical for 1, 2 or 64
//! threads. Without FMA the sum is the naive triple loop's, bit for bit; where the CPU has
//! AVX2 + FMA (chosen at run time) each step `s + a·b` is one fused multiply-add, rounded once.

use std::cell::RefCell;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat};
use rayon::prelude::*;

/// Rows of `C` computed by one micro-kernel call.
pub const MR: usize = 6;
/// Columns of `C` computed by one micro-kernel call (two AVX registers of f32).
pub const NR: usize = 16;
/// Depth of one packed block of `A` (keeps an `MR × KC` panel of `A` and a `KC × NR` panel of
/// `B` in the L1 cache).
pub const KC: usize = 256;
/// Rows of `C` in one parallel tile (a multiple of [`MR`]).
pub const MC: usize = 48;
/// Columns of `C` in one parallel tile (a multiple of [`NR`]).
pub const NC: usize = 128;

/// What to do to each element of `C = A·B` as it is stored, fused into the product so the
/// result is written once.
#[derive(Clone, Copy)]
pub enum Epilogue<'a, F> {
    /// `C = A·B`.
    None,
    /// `C = A·B + bias` with `bias: [n]` broadcast over rows (a Dense forward pass).
    Bias(&'a [F]),
    /// `C = max(A·B + bias, 0)` (a Dense forward pass followed by ReLU).
    BiasRelu(&'a [F]),
}

/// `C = A·B` into a new array.
///
/// # Shapes
/// `a: [m, k]`, `b: [k, n]` → `[m, n]`.
///
/// # Panics
/// If the inner dimensions differ.
pub fn matmul<F: NdFloat>(a: ArrayView2<F>, b: ArrayView2<F>) -> Array2<F> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(a, b, c.view_mut(), Epilogue::None);
    c
}

/// `C ← epilogue(A·B)`, overwriting `c`.
///
/// # Shapes
/// `a: [m, k]`, `b: [k, n]`, `c: [m, n]`; any strides (transposed and sliced views included).
///
/// # Panics
/// If the shapes do not agree, or a bias is not `[n]`.
pub fn matmul_into<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView2<F>,
    mut c: ArrayViewMut2<F>,
    epilogue: Epilogue<F>,
) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(k, k2, "matmul: A is {:?} but B is {:?}", a.dim(), b.dim());
    assert_eq!(
        c.dim(),
        (m, n),
        "matmul: C is {:?}, expected {:?}",
        c.dim(),
        (m, n)
    );
    if let Epilogue::Bias(bias) | Epilogue::BiasRelu(bias) = epilogue {
        assert_eq!(
            bias.len(),
            n,
            "matmul: bias has {} values for {n} columns",
            bias.len()
        );
    }
    if m == 0 || n == 0 {
        return;
    }
    let use_fma = fma_available();
    let n_panels = n.div_ceil(NR);
    PACKED_B.with_borrow_mut(|packed_b| {
        pack_b(b, packed_b);
        let packed_b: &[F] = cast_slice(packed_b);
        let c_ptr = SendPtr(c.as_mut_ptr());
        let c_strides = (c.strides()[0], c.strides()[1]);
        let row_tiles = m.div_ceil(MC);
        let col_tiles = n.div_ceil(NC);
        (0..row_tiles * col_tiles).into_par_iter().for_each(|tile| {
            let rows = (tile / col_tiles) * MC..((tile / col_tiles + 1) * MC).min(m);
            let cols = (tile % col_tiles) * NC..((tile % col_tiles + 1) * NC).min(n);
            let tile = Tile {
                a,
                packed_b,
                n_panels,
                c: c_ptr,
                c_strides,
                rows,
                cols,
                epilogue,
            };
            // SAFETY: tiles are disjoint rectangles of `c`, which outlives this call, so each
            // element is written by exactly one task.
            unsafe { tile.compute(use_fma) }
        });
    });
}

/// Whether the AVX2 + FMA micro-kernel runs on this CPU (checked once, cached by std).
pub fn fma_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The naive triple loop `C[i,j] = Σₖ A[i,k]·B[k,j]`, summed in order `k = 0, 1, …`: the slow,
/// obviously correct reference the fast kernel is tested against.
///
/// # Shapes
/// `a: [m, k]`, `b: [k, n]` → `[m, n]`.
pub fn matmul_naive<F: NdFloat>(a: ArrayView2<F>, b: ArrayView2<F>) -> Array2<F> {
    assert_eq!(
        a.ncols(),
        b.nrows(),
        "matmul_naive: inner dimensions differ"
    );
    Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
        (0..a.ncols()).fold(F::zero(), |s, p| s + a[[i, p]] * b[[p, j]])
    })
}

thread_local! {
    /// Packed `B` of the product in flight on this thread, reused across calls so a training
    /// step allocates nothing once the buffers have grown to the model's sizes. Stored as
    /// `f64` words so one buffer serves both float types.
    static PACKED_B: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// Packed block of `A` for the tile in flight on this thread.
    static PACKED_A: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Grows `buf` to hold at least `len` values of `F` and returns them as `&mut [F]`.
fn scratch<F: NdFloat>(buf: &mut Vec<f64>, len: usize) -> &mut [F] {
    let words = (len * std::mem::size_of::<F>()).div_ceil(8);
    if buf.len() < words {
        buf.resize(words, 0.0);
    }
    // SAFETY: F is f32 or f64 (NdFloat), both plain old data with alignment ≤ 8; the buffer
    // holds at least `len` of them.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<F>(), len) }
}

fn cast_slice<F: NdFloat>(buf: &[f64]) -> &[F] {
    let len = buf.len() * 8 / std::mem::size_of::<F>();
    // SAFETY: as in `scratch`.
    unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<F>(), len) }
}

/// Packs `b: [k, n]` as panels of `NR` columns: `packed[(jp·k + p)·NR + j] = B[p, jp·NR + j]`,
/// zero past column `n`. Parallel over panels (a pure copy, so order does not matter).
fn pack_b<F: NdFloat>(b: ArrayView2<F>, buf: &mut Vec<f64>) {
    let (k, n) = b.dim();
    let packed: &mut [F] = scratch(buf, n.div_ceil(NR) * k * NR);
    if k == 0 {
        return;
    }
    packed
        .par_chunks_mut(k * NR)
        .enumerate()
        .for_each(|(jp, panel)| {
            for (p, row) in panel.chunks_exact_mut(NR).enumerate() {
                for (j, dst) in row.iter_mut().enumerate() {
                    let col = jp * NR + j;
                    *dst = if col < n { b[[p, col]] } else { F::zero() };
                }
            }
        });
}

/// A raw pointer that may cross threads; the tiles it is used for are disjoint.
#[derive(Clone, Copy)]
struct SendPtr<F>(*mut F);
// SAFETY: only used to write disjoint tiles of one array from rayon tasks.
unsafe impl<F> Send for SendPtr<F> {}
unsafe impl<F> Sync for SendPtr<F> {}

/// One rectangle of `C` and everything needed to compute it.
struct Tile<'a, F> {
    a: ArrayView2<'a, F>,
    packed_b: &'a [F],
    n_panels: usize,
    c: SendPtr<F>,
    c_strides: (isize, isize),
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    epilogue: Epilogue<'a, F>,
}

impl<F: NdFloat> Tile<'_, F> {
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
                self.pack_a(p0, kc, packed_a);
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
    fn pack_a(&self, p0: usize, kc: usize, packed: &mut [F]) {
        if kc == 0 {
            return;
        }
        for (ip, panel) in packed
            .chunks_exact_mut(kc * MR)
            .take(self.rows.len().div_ceil(MR))
            .enumerate()
        {
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                for (i, dst) in col.iter_mut().enumerate() {
                    let row = self.rows.start + ip * MR + i;
                    *dst = if row < self.rows.end {
                        self.a[[row, p0 + p]]
                    } else {
                        F::zero()
                    };
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block_fma(&self, p0: usize, kc: usize, last: bool, packed_a: &[F]) {
        // SAFETY: forwarded from `compute`.
        unsafe { self.block::<true>(p0, kc, last, packed_a) }
    }

    /// Runs the micro-kernel over every `MR × NR` block of the tile for `k` in `p0..p0+kc`.
    #[inline(always)]
    unsafe fn block<const FMA: bool>(&self, p0: usize, kc: usize, last: bool, packed_a: &[F]) {
        let k = self.a.ncols();
        let first_panel = self.cols.start / NR;
        let last_panel = self.cols.end.div_ceil(NR).min(self.n_panels);
        for jp in first_panel..last_panel {
            let b_panel = &self.packed_b[(jp * k + p0) * NR..][..kc * NR];
            let j0 = jp * NR;
            let nj = NR.min(self.cols.end - j0);
            for ip in 0..self.rows.len().div_ceil(MR) {
                let a_panel = &packed_a[ip * kc * MR..][..kc * MR];
                let i0 = self.rows.start + ip * MR;
                let ni = MR.min(self.rows.end - i0);
                let mut acc = [[F::zero(); NR]; MR];
                if p0 > 0 {
                    // SAFETY: (i0+i, j0+j) lies inside this tile.
                    unsafe { self.load(&mut acc, i0, ni, j0, nj) };
                }
                micro_kernel::<F, FMA>(a_panel, b_panel, &mut acc);
                if last {
                    self.apply_epilogue(&mut acc, j0, nj);
                }
                // SAFETY: as above.
                unsafe { self.store(&acc, i0, ni, j0, nj) };
            }
        }
    }

    unsafe fn load(&self, acc: &mut [[F; NR]; MR], i0: usize, ni: usize, j0: usize, nj: usize) {
        for (i, row) in acc.iter_mut().enumerate().take(ni) {
            for (j, v) in row.iter_mut().enumerate().take(nj) {
                // SAFETY: guaranteed by the caller.
                *v = unsafe { *self.c_elem(i0 + i, j0 + j) };
            }
        }
    }

    unsafe fn store(&self, acc: &[[F; NR]; MR], i0: usize, ni: usize, j0: usize, nj: usize) {
        for (i, row) in acc.iter().enumerate().take(ni) {
            for (j, v) in row.iter().enumerate().take(nj) {
                // SAFETY: guaranteed by the caller.
                unsafe { *self.c_elem(i0 + i, j0 + j) = *v };
            }
        }
    }

    fn c_elem(&self, i: usize, j: usize) -> *mut F {
        let offset = i as isize * self.c_strides.0 + j as isize * self.c_strides.1;
        self.c.0.wrapping_offset(offset)
    }

    #[inline(always)]
    fn apply_epilogue(&self, acc: &mut [[F; NR]; MR], j0: usize, nj: usize) {
        match self.epilogue {
            Epilogue::None => {}
            Epilogue::Bias(bias) => {
                for row in acc.iter_mut() {
                    for (v, &b) in row.iter_mut().zip(&bias[j0..j0 + nj]) {
                        *v += b;
                    }
                }
            }
            Epilogue::BiasRelu(bias) => {
                for row in acc.iter_mut() {
                    for (v, &b) in row.iter_mut().zip(&bias[j0..j0 + nj]) {
                        let z = *v + b;
                        // ReLU with derivative 0 at 0: max(z, 0), and 0 (not −0) for z ≤ 0.
                        *v = if z > F::zero() { z } else { F::zero() };
                    }
                }
            }
        }
    }
}

/// `acc[i][j] += Σₚ a[p·MR + i] · b[p·NR + j]`, summed in order `p = 0, 1, …`.
///
/// Written as plain loops over fixed-size arrays so the compiler keeps `acc` in registers and
/// vectorises over `j`; with `FMA` each step is one fused multiply-add.
#[inline(always)]
fn micro_kernel<F: NdFloat, const FMA: bool>(a: &[F], b: &[F], acc: &mut [[F; NR]; MR]) {
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let ap: &[F; MR] = ap.try_into().expect("MR values");
        let bp: &[F; NR] = bp.try_into().expect("NR values");
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] = if FMA {
                    ap[i].mul_add(bp[j], acc[i][j])
                } else {
                    acc[i][j] + ap[i] * bp[j]
                };
            }
        }
    }
}
