//! The matrix-product kernel on the shapes the reference model runs, and a peak probe.
//!
//! Throughput is `Elements(2·m·k·n)`, so criterion's "elem/s" reads as FLOP/s. The peak probe
//! (a 1024³ product through the same kernel) gives the machine's attainable rate, against
//! which the model's shapes are judged.
//!
//! Run: `cargo bench --bench gemm` (add `-- --quick` for a short run).
//!
//! Side by side: `FRAUDNET_AB=1 cargo bench --bench gemm` instead times the kernel as it was
//! before issue 10 (`linalg::ab_baseline(true)`) and the current one, alternating in one
//! process on the same operands, and prints each one's median per product and their ratio
//! (`FRAUDNET_AB_ROUNDS` rounds, 21 by default). It also checks the two give the same bits.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use fraudnet::activation::Activation;
use fraudnet::linalg::{Epilogue, ab_baseline, matmul_into};
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
/// The median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The side-by-side run: old and new kernel alternating round by round on each shape.
fn ab() {
    let rounds: usize = std::env::var("FRAUDNET_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    println!(
        "A/B, {} threads, {rounds} rounds, median time per product",
        rayon::current_num_threads()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>9}",
        "shape", "old", "new", "old/new", "new GF/s"
    );
    let all: Vec<_> = SHAPES.iter().copied().chain([SQUARE]).collect();
    for (name, m, k, n, ta, tb) in all {
        let a = if ta { random(k, m, 1) } else { random(m, k, 1) };
        let b = if tb { random(n, k, 2) } else { random(k, n, 2) };
        let av: ArrayView2<f32> = if ta { a.t() } else { a.view() };
        let bv: ArrayView2<f32> = if tb { b.t() } else { b.view() };
        ab_one(name, av, bv, rounds, Epilogue::None);
        if name == "fwd_hidden_2048x256x256" {
            // The forward pass as the model runs it: bias and ReLU fused into the store.
            let bias = random(1, n, 3).into_shape_with_order(n).unwrap();
            let epilogue = Epilogue::BiasActivation(bias.as_slice().unwrap(), Activation::Relu);
            ab_one("  + bias, relu (fused)", av, bv, rounds, epilogue);
        }
    }
    // The size `fraudnet peak` probes by default.
    let (a, b) = (random(2048, 2048, 1), random(2048, 2048, 2));
    ab_one(
        "square_2048 (peak)",
        a.view(),
        b.view(),
        rounds,
        Epilogue::None,
    );
}

/// One line of [`ab`]: `C = epilogue(A·B)` on the old and the new kernel, alternating.
fn ab_one(
    name: &str,
    av: ArrayView2<f32>,
    bv: ArrayView2<f32>,
    rounds: usize,
    epilogue: Epilogue<f32>,
) {
    let (m, k, n) = (av.nrows(), av.ncols(), bv.ncols());
    let mut out = Array2::<f32>::zeros((m, n));
    let flop = (2 * m * k * n) as f64;
    // Enough repetitions for about 20 ms per timing at ~100 GFLOP/s.
    let reps = ((2e9 / flop) as usize).clamp(1, 2000);
    let mut results = [Array2::<f32>::zeros((m, n)), Array2::<f32>::zeros((m, n))];
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for pass in 0..2 {
            // Alternate which goes first, so neither always runs on a warmer machine.
            let old = (round + pass) % 2 == 0;
            ab_baseline(old);
            matmul_into(av, bv, out.view_mut(), epilogue);
            let start = std::time::Instant::now();
            for _ in 0..reps {
                matmul_into(av, bv, out.view_mut(), epilogue);
            }
            times[usize::from(!old)].push(start.elapsed().as_secs_f64() / reps as f64);
            results[usize::from(!old)].assign(&out);
        }
    }
    ab_baseline(false);
    let same = results[0]
        .iter()
        .zip(&results[1])
        .all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(same, "{name}: old and new kernels differ");
    let (old, new) = (median(&mut times[0]), median(&mut times[1]));
    println!(
        "{name:<28} {:>8.1}µs {:>8.1}µs {:>8.3} {:>9.1}",
        old * 1e6,
        new * 1e6,
        old / new,
        flop / new / 1e9
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = peak, shapes, matrixmultiply
}

fn main() {
    if std::env::var_os("FRAUDNET_AB").is_some() {
        ab();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
