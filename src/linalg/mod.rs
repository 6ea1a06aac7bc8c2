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
//!    after the block (for `f32` on AVX2 + FMA an intrinsics kernel, `k` unrolled by 4, that
//!    reads and writes a whole block of `C` in place). After the last block the epilogue
//!    (bias and activation, or the gradient a Dropout mask and a ReLU) is applied in
//!    registers, so `C` is written once.
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
//!
//! # Files
//!
//! | file | what it holds |
//! | --- | --- |
//! | `mod.rs` | the API: [`matmul`], [`matmul_into`], [`Epilogue`], the block sizes |
//! | `reference.rs` | [`matmul_naive`], the slow, obviously correct triple loop |
//! | `epilogue.rs` | the epilogue as the tiles and the single-column loop apply it |
//! | `gemv.rs` | the single-column product (`N = 1`) |
//! | `pack.rs` | packing `A` and `B` into panels, the per-thread buffers |
//! | `tile.rs` | the parallel tiles and the walk over `k` |
//! | `kernel.rs` | the `MR × NR` micro-kernel |

mod epilogue;
mod gemv;
mod kernel;
mod pack;
mod reference;
mod tile;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat};

use crate::activation::Activation;
use epilogue::EpilogueOps;
pub use reference::matmul_naive;

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
    /// `C = f(A·B + bias)`: a Dense forward pass followed by its activation `f`
    /// ([`Activation::value`]).
    BiasActivation(&'a [F], Activation),
    /// `C[i,j] = f′ applied to (A·B)[i,j]·mask[i,j]`, i.e.
    /// `activation.gradient((A·B)[i,j] · mask[i,j], output[i,j])`: the backward pass through a
    /// Dropout (its `mask`, when there is one) and then an activation (given its forward
    /// `output`), fused into the product that computes the gradient at their output. Both views
    /// are `[m, n]`. Equal bit for bit to `Dropout::backward` followed by
    /// `layers::activation::backward` on the plain product.
    ActivationGrad {
        /// The dropout mask (0 or `1/(1 − rate)`) the product is first multiplied by.
        mask: Option<ArrayView2<'a, F>>,
        /// The activation the gradient then passes back through.
        activation: Activation,
        /// That activation's forward output `y`.
        output: ArrayView2<'a, F>,
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
/// If the shapes do not agree, a bias is not `[n]`, or a mask or output view of `Epilogue::ActivationGrad` is not `[m, n]`.
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
    let ops = EpilogueOps::new(epilogue, m, n);
    if m == 0 || n == 0 {
        return;
    }
    if n == 1 {
        return gemv::gemv(a, b.column(0), c, ops);
    }
    // A product with fewer columns than one micro-kernel is wide would waste most of each
    // kernel call; computing Cᵀ = Bᵀ·Aᵀ instead puts the long side along the kernel's columns.
    // Each element is still the same sequential sum over k, so the result is the same bit for
    // bit.
    if n < NR && m > n {
        return tile::product(
            b.reversed_axes(),
            a.reversed_axes(),
            c.reversed_axes(),
            ops.transposed(),
        );
    }
    tile::product(a, b, c, ops)
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

/// Set while [`ab_baseline`] asks for the kernel as it was before issue 10.
static BASELINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For side-by-side benchmarks only (`benches/gemm.rs`, `benches/training.rs`): `true` runs
/// every following product on the kernel as it was before issue 10's changes, `false` (the
/// default) on the current one. Both give the same bits; only the speed differs.
#[doc(hidden)]
pub fn ab_baseline(on: bool) {
    BASELINE.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn baseline_kernel() -> bool {
    BASELINE.load(std::sync::atomic::Ordering::Relaxed)
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
