//! The matrix-product kernel on the shapes the reference model runs, and a peak probe.
//!
//! Throughput is `Elements(2·m·k·n)`, so criterion's "elem/s" reads as FLOP/s. The peak probe
//! (a 1024³ product through the same kernel) gives the machine's attainable rate, against
//! which the model's shapes are judged.
//!
//! Run: `cargo bench --bench gemm` (add `-- --quick` for a short run).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fraudnet::linalg::{Epilogue, matmul_into};
use fraudnet::rng::{self, Stream};
use ndarray::{Array2, ArrayView2};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    Array2::random_using(
        (rows, cols),
        Uniform::new(-1.0f32, 1.0).unwrap(),
        &mut rng::stream(seed, Stream::Data),
    )
}

/// (name, m, k, n, A transposed, B transposed): the products of one training step at batch 2048.
const SHAPES: [(&str, usize, usize, usize, bool, bool); 8] = [
    ("fwd_in_2048x30x256", 2048, 30, 256, false, false),
    ("fwd_hidden_2048x256x256", 2048, 256, 256, false, false),
    ("fwd_out_2048x256x1", 2048, 256, 1, false, false),
    ("dW_hidden_256x2048x256_At", 256, 2048, 256, true, false),
    ("dW_in_30x2048x256_At", 30, 2048, 256, true, false),
    ("dW_out_256x2048x1_At", 256, 2048, 1, true, false),
    ("dx_hidden_2048x256x256_Bt", 2048, 256, 256, false, true),
    ("dx_out_2048x1x256_Bt", 2048, 1, 256, false, true),
];

/// A product `out = A·B` as one of the benchmarked implementations computes it.
type Product = fn(ArrayView2<f32>, ArrayView2<f32>, &mut Array2<f32>);

/// fraudnet's kernel.
fn ours(a: ArrayView2<f32>, b: ArrayView2<f32>, out: &mut Array2<f32>) {
    matmul_into(a, b, out.view_mut(), Epilogue::None)
}

/// `matrixmultiply` through ndarray's `general_mat_mul`: single-threaded, the alternative to
/// our own micro-kernel; compare with `RAYON_NUM_THREADS=1 cargo bench --bench gemm`.
fn theirs(a: ArrayView2<f32>, b: ArrayView2<f32>, out: &mut Array2<f32>) {
    ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, out)
}

fn bench_shape(
    c: &mut Criterion,
    group: &str,
    shapes: &[(&str, usize, usize, usize, bool, bool)],
    product: Product,
) {
    let mut g = c.benchmark_group(group);
    for &(name, m, k, n, ta, tb) in shapes {
        let a = if ta { random(k, m, 1) } else { random(m, k, 1) };
        let b = if tb { random(n, k, 2) } else { random(k, n, 2) };
        let av: ArrayView2<f32> = if ta { a.t() } else { a.view() };
        let bv: ArrayView2<f32> = if tb { b.t() } else { b.view() };
        let mut out = Array2::<f32>::zeros((m, n));
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        g.bench_function(BenchmarkId::from_parameter(name), |bench| {
            bench.iter(|| product(av, bv, &mut out))
        });
    }
    g.finish();
}

/// The square probe's shape.
const SQUARE: (&str, usize, usize, usize, bool, bool) =
    ("square_1024", 1024, 1024, 1024, false, false);

fn shapes(c: &mut Criterion) {
    bench_shape(c, "gemm", &SHAPES, ours);
}

fn matrixmultiply(c: &mut Criterion) {
    let all: Vec<_> = SHAPES.iter().copied().chain([SQUARE]).collect();
    bench_shape(c, "matrixmultiply", &all, theirs);
}

fn peak(c: &mut Criterion) {
    bench_shape(c, "peak", &[SQUARE], ours);
}
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = peak, shapes, matrixmultiply
}
criterion_main!(benches);
