//! Matrix products: `C ← A·B` over `ndarray` views of any strides, parallel with rayon and
//! bitwise deterministic for any thread count.
//!
//! The backward pass needs `Aᵀ·B` (`dW = xᵀ·dy`) and `A·Bᵀ` (`dx = dy·Wᵀ`): pass `a.t()` or
//! `b.t()`, which are free views. No operand is ever transposed into a new array: packing
//! reads it through its strides straight into the kernel's panel buffers, which are kept per
//! thread and reused from call to call.
//!
//! # How it works (the structure of BLIS / `matrixmultiply`, written small)
//!
//! 1. `B` is packed once into column panels of [`NR`] columns: for each panel, `k` rows of
//!    `NR` contiguous values (zero-padded past `n`), in parallel over panels.
//! 2. `C` is cut into tiles of whole micro-kernel blocks (at most [`MC`] rows; as many columns
//!    as keep every thread busy, see `tile_shape`); rayon runs the tiles in parallel. Tiles are
//!    disjoint, so no two threads ever write the same element.
//! 3. Within a tile, `k` is walked in blocks of [`KC`]; each block of `A` is packed into row
//!    panels of [`MR`] rows, and the micro-kernel computes an `MR × NR` block of `C` in
//!    registers (12 AVX accumulators), loading its running sum from `C` and storing it back
//!    after the block. After the last block the epilogue (bias, ReLU, or the backward gate of
//!    a Dropout mask and a ReLU) is applied in registers, so `C` is written once.
//! 4. Skinny products take shorter roads: a single column (`N = 1`, the output layer) runs as a
//!    matrix-vector loop without packing; other products narrower than one kernel block run
//!    as `Cᵀ = Bᵀ·Aᵀ`, so the long side fills the kernel's columns.
//!
//! # Determinism
//!
//! Every element `C[i,j]` is computed by exactly one thread as the sequential sum
//! `((C₀ + a₀b₀) + a₁b₁) + …` over `k = 0, 1, …` — the order is fixed by the index, never by
//! the tile a thread happens to run or by which road the product takes. The result is
//! therefore bitwise identical for 1, 2 or 64 threads. Without FMA the sum is the naive triple
//! loop's, bit for bit; where the CPU has AVX2 + FMA (detected at run time) each step
//! `s + a·b` is one fused multiply-add, rounded once.
//!
//! # Why our own micro-kernel rather than `matrixmultiply`
//!
//! `matrixmultiply` (what `ndarray`'s `dot` calls) has fast AVX2 kernels too, but it packs and
//! multiplies a whole product on one thread (its own threading would nest a second pool inside
//! rayon), and it has no epilogue, so bias, ReLU and the backward masks would each cost another
//! pass over `C`. `benches/gemm.rs` measures both on the model's shapes; `docs/performance.md`
//! has the figures.

use std::cell::RefCell;

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, NdFloat};
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
    /// `C = (A·B) ⊙ mask ⊙ 1[relu_output > 0]`, each factor optional: the backward pass through
    /// a Dropout (its `mask`) and a ReLU (its output `y`, `dx = dy ⊙ 1[y > 0]`), fused into the
    /// product that computes `dy`. Both views are `[m, n]`. Equal bit for bit to applying
    /// `Dropout::backward` and then `Relu::backward` to the plain product.
    Gate {
        /// The ReLU's output `y`; elements where `y ≤ 0` become 0.
        relu_output: Option<ArrayView2<'a, F>>,
        /// The dropout mask (0 or `1/(1 − rate)`) the product is multiplied by.
        mask: Option<ArrayView2<'a, F>>,
    },
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
/// If the shapes do not agree, a bias is not `[n]`, or a gate view is not `[m, n]`.
pub fn matmul_into<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView2<F>,
    c: ArrayViewMut2<F>,
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
    let post = match epilogue {
        Epilogue::None => Post::default(),
        Epilogue::Bias(bias) | Epilogue::BiasRelu(bias) => {
            assert_eq!(
                bias.len(),
                n,
                "matmul: bias has {} values for {n} columns",
                bias.len()
            );
            Post {
                col_bias: Some(bias),
                relu: matches!(epilogue, Epilogue::BiasRelu(_)),
                ..Post::default()
            }
        }
        Epilogue::Gate { relu_output, mask } => {
            for v in relu_output.iter().chain(mask.iter()) {
                assert_eq!(
                    v.dim(),
                    (m, n),
                    "matmul: gate is {:?}, expected {:?}",
                    v.dim(),
                    (m, n)
                );
            }
            Post {
                relu_output,
                mask,
                ..Post::default()
            }
        }
    };
    if m == 0 || n == 0 {
        return;
    }
    if n == 1 {
        return gemv(a, b.column(0), c, post);
    }
    // A product with fewer columns than one micro-kernel is wide
    // would waste most of each kernel call; computing Cᵀ = Bᵀ·Aᵀ instead puts the long side
    // along the kernel's columns. Each element is still the same sequential sum over k, so the
    // result is the same bit for bit.
    if n < NR && m > n {
        let post = Post {
            row_bias: post.col_bias,
            col_bias: None,
            relu: post.relu,
            relu_output: post.relu_output.map(|v| v.reversed_axes()),
            mask: post.mask.map(|v| v.reversed_axes()),
        };
        return product(
            b.reversed_axes(),
            a.reversed_axes(),
            c.reversed_axes(),
            post,
        );
    }
    product(a, b, c, post)
}

/// Rows of `C` per parallel task of [`gemv`].
const GEMV_ROWS: usize = 256;
/// Rows of `C` one inner loop of [`gemv`] accumulates at once (independent FMA chains).
const GEMV_LANES: usize = 8;

/// `C[:, 0] = post(A·b)` for a single column `b` (the output layer, `N = 1`), without packing:
/// each row's sum runs over `k` in order, one multiply-add at a time (fused where the CPU has
/// FMA), exactly as the micro-kernel sums it, so the result equals the tiled path bit for bit.
/// Parallel over fixed blocks of rows.
fn gemv<F: NdFloat>(a: ArrayView2<F>, b: ArrayView1<F>, c: ArrayViewMut2<F>, post: Post<F>) {
    let (m, k) = a.dim();
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
                    let mut v = sum;
                    if let Some(bias) = post.col_bias {
                        v += bias[0];
                    }
                    if let Some(bias) = post.row_bias {
                        v += bias[i];
                    }
                    if post.relu && v <= F::zero() {
                        v = F::zero();
                    }
                    if let Some(mask) = &post.mask {
                        v *= mask[[i, 0]];
                    }
                    if let Some(y) = &post.relu_output
                        && y[[i, 0]] <= F::zero()
                    {
                        v = F::zero();
                    }
                    // SAFETY: row i < m of the single column; each row belongs to one task.
                    unsafe { *c_ptr.get().wrapping_offset(i as isize * c_stride) = v };
                }
            }
        });
    let _ = k;
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

/// The epilogue in the form the tiles apply it: a bias along columns (or, for a transposed
/// product, along rows), ReLU, and the backward gate.
#[derive(Clone, Copy)]
struct Post<'a, F> {
    col_bias: Option<&'a [F]>,
    row_bias: Option<&'a [F]>,
    relu: bool,
    relu_output: Option<ArrayView2<'a, F>>,
    mask: Option<ArrayView2<'a, F>>,
}

impl<F> Default for Post<'_, F> {
    fn default() -> Self {
        Post {
            col_bias: None,
            row_bias: None,
            relu: false,
            relu_output: None,
            mask: None,
        }
    }
}

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
fn product<'a, F: NdFloat>(
    a: ArrayView2<'a, F>,
    b: ArrayView2<F>,
    mut c: ArrayViewMut2<F>,
    post: Post<'a, F>,
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
                post,
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
///
/// Packing costs a copy but pays for itself: a panel is `KC·NR` contiguous values that stay in
/// the L1 cache, where reading `B` in place walks rows 1 KB apart (for a 256-wide layer), which
/// fall into four of the L1 cache's 64 sets and evict each other. Measured with
/// `benches/gemm.rs`, reading both operands in place ran the 1024³ probe at 112 GFLOP/s and
/// packing them at 141.
fn pack_b<F: NdFloat>(b: ArrayView2<F>, buf: &mut Vec<f64>) {
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
fn copy_short<F: Copy>(dst: &mut [F], src: &[F]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// A raw pointer that may cross threads; the tiles it is used for are disjoint.
#[derive(Clone, Copy)]
struct SendPtr<F>(*mut F);
// SAFETY: only used to write disjoint tiles of one array from rayon tasks.
unsafe impl<F> Send for SendPtr<F> {}
unsafe impl<F> Sync for SendPtr<F> {}

impl<F> SendPtr<F> {
    /// The pointer (a method, so closures capture the `Send` wrapper, not the raw field).
    fn get(self) -> *mut F {
        self.0
    }
}

/// One rectangle of `C` and everything needed to compute it.
struct Tile<'a, 'b, F> {
    a: ArrayView2<'a, F>,
    packed_b: &'b [F],
    n_panels: usize,
    c: SendPtr<F>,
    c_strides: (isize, isize),
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    post: Post<'a, F>,
}

impl<F: NdFloat> Tile<'_, '_, F> {
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
        let (rs, cs) = (self.a.strides()[0], self.a.strides()[1]);
        let base = self.a.as_ptr();
        let at = |i: usize, p: usize| base.wrapping_offset(i as isize * rs + p as isize * cs);
        for (ip, panel) in packed
            .chunks_exact_mut(kc * MR)
            .take(self.rows.len().div_ceil(MR))
            .enumerate()
        {
            let i0 = self.rows.start + ip * MR;
            let ni = MR.min(self.rows.end - i0);
            if ni < MR {
                panel.fill(F::zero());
            }
            if cs == 1 {
                // Rows of A are contiguous (A = x or dy): read each row once, scatter it into
                // the panel with stride MR.
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
                if last {
                    self.apply_epilogue(&mut acc, i0, ni, j0, nj);
                }
                // SAFETY: as above.
                unsafe { self.store(&acc, i0, ni, j0, nj) };
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

    unsafe fn store(&self, acc: &[[F; NR]; MR], i0: usize, ni: usize, j0: usize, nj: usize) {
        for (i, row) in acc.iter().enumerate().take(ni) {
            if self.c_strides.1 == 1 {
                // SAFETY: guaranteed by the caller; the row's nj values are contiguous.
                copy_short(
                    unsafe { std::slice::from_raw_parts_mut(self.c_elem(i0 + i, j0), nj) },
                    &row[..nj],
                );
            } else {
                for (j, v) in row.iter().enumerate().take(nj) {
                    // SAFETY: guaranteed by the caller.
                    unsafe { *self.c_elem(i0 + i, j0 + j) = *v };
                }
            }
        }
    }

    fn c_elem(&self, i: usize, j: usize) -> *mut F {
        let offset = i as isize * self.c_strides.0 + j as isize * self.c_strides.1;
        self.c.0.wrapping_offset(offset)
    }

    /// Applies the epilogue to an `MR × NR` block whose top-left element is `C[i0, j0]`.
    #[inline(always)]
    fn apply_epilogue(&self, acc: &mut [[F; NR]; MR], i0: usize, ni: usize, j0: usize, nj: usize) {
        let p = &self.post;
        if let Some(bias) = p.col_bias {
            for row in acc.iter_mut() {
                for (v, &b) in row.iter_mut().zip(&bias[j0..j0 + nj]) {
                    *v += b;
                }
            }
        }
        if let Some(bias) = p.row_bias {
            for (row, &b) in acc.iter_mut().zip(&bias[i0..i0 + ni]) {
                for v in row.iter_mut() {
                    *v += b;
                }
            }
        }
        if p.relu {
            for v in acc.iter_mut().flatten() {
                // ReLU: max(z, 0), with 0 (never −0 or NaN-propagating max) for z ≤ 0.
                *v = if *v > F::zero() { *v } else { F::zero() };
            }
        }
        if p.mask.is_some() || p.relu_output.is_some() {
            for (i, row) in acc.iter_mut().enumerate().take(ni) {
                let r = i0 + i;
                let row = &mut row[..nj];
                if let Some(mask) = &p.mask {
                    match contiguous_row(mask, r, j0, nj) {
                        Some(m) => row.iter_mut().zip(m).for_each(|(v, &m)| *v *= m),
                        // SAFETY: (r, j0 + j) lies in C, and the gate views are C's shape.
                        None => row
                            .iter_mut()
                            .enumerate()
                            .for_each(|(j, v)| *v *= unsafe { *mask.uget((r, j0 + j)) }),
                    }
                }
                if let Some(y) = &p.relu_output {
                    let gate = |v: &mut F, y: F| *v = if y > F::zero() { *v } else { F::zero() };
                    match contiguous_row(y, r, j0, nj) {
                        Some(ys) => row.iter_mut().zip(ys).for_each(|(v, &y)| gate(v, y)),
                        // SAFETY: as above.
                        None => row
                            .iter_mut()
                            .enumerate()
                            .for_each(|(j, v)| gate(v, unsafe { *y.uget((r, j0 + j)) })),
                    }
                }
            }
        }
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

/// Where the micro-kernel reads an operand panel: element `(i, p)` of an `A` panel at
/// `ptr + i·row + p·step`; row `p` of a `B` panel (`NR` contiguous values) at `ptr + p·step`.
/// Packed panels have `row = 1, step = MR` (A) and `step = NR` (B).
#[derive(Clone, Copy)]
struct Operand<F> {
    ptr: *const F,
    row: isize,
    step: isize,
}

/// `acc[i][j] += Σₚ A[i, p] · B[p, j]` over one panel of each, summed in order `p = 0, 1, …`.
///
/// Written as plain loops over fixed-size arrays so the compiler keeps `acc` in registers and
/// vectorises over `j`; with `FMA` each step is one fused multiply-add.
///
/// # Safety
/// Both operands must address `kc` steps of readable values.
#[inline(always)]
unsafe fn micro_kernel<F: NdFloat, const FMA: bool>(
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
