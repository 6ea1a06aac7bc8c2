//! `fraudnet_gemm --threads T SHAPE...`: the rate of fraudnet's matrix-product kernel
//! (`fraudnet::linalg::matmul_into`, no epilogue) on each shape, timed as
//! `bench/compare/sgemm_probe.py` times NumPy and PyTorch.
//!
//! A SHAPE is `name:m:k:n:ta:tb` (`ta`/`tb` 1 when that operand is used transposed: A stored
//! `[k, m]`, B stored `[n, k]`, as in the backward pass). Per shape: one warm-up product, the
//! repeat count calibrated so one sample lasts at least `--sample-ms`, `--samples` samples, the
//! median reported. Prints `GEMM name gflops` lines and one `RESULT {json}` line.

use std::time::Instant;

use fraudnet::linalg::{Epilogue, matmul_into};
use ndarray::{Array2, ArrayView2};

fn filled(rows: usize, cols: usize, seed: u32) -> Array2<f32> {
    // Values in [-1, 1) from a cheap integer hash: the rate does not depend on them.
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        let h = (i as u32).wrapping_mul(2_654_435_761)
            ^ (j as u32).wrapping_mul(40_503)
            ^ seed.wrapping_mul(97);
        (h % 2000) as f32 / 1000.0 - 1.0
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let mut threads = None;
    let mut samples = 7usize;
    let mut sample_ms = 30.0f64;
    let mut shapes = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().and_then(|s| s.parse().ok()),
            "--samples" => {
                samples = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--samples N")
            }
            "--sample-ms" => {
                sample_ms = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--sample-ms MS")
            }
            shape => shapes.push(shape.to_string()),
        }
    }
    if let Some(t) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .expect("rayon pool");
    }
    let mut results = serde_json::Map::new();
    for spec in &shapes {
        let f: Vec<&str> = spec.split(':').collect();
        assert_eq!(f.len(), 6, "SHAPE is name:m:k:n:ta:tb, got {spec}");
        let name = f[0];
        let [m, k, n]: [usize; 3] = [f[1], f[2], f[3]].map(|s| s.parse().expect("m, k, n"));
        let (ta, tb) = (f[4] == "1", f[5] == "1");
        let a = if ta { filled(k, m, 1) } else { filled(m, k, 1) };
        let b = if tb { filled(n, k, 2) } else { filled(k, n, 2) };
        let av: ArrayView2<f32> = if ta { a.t() } else { a.view() };
        let bv: ArrayView2<f32> = if tb { b.t() } else { b.view() };
        let mut c = Array2::<f32>::zeros((m, n));
        let mut product = || matmul_into(av, bv, c.view_mut(), Epilogue::None);
        // Warm-up, then the repeat count doubled until one sample lasts at least sample_ms.
        product();
        let mut reps = 1usize;
        loop {
            let started = Instant::now();
            for _ in 0..reps {
                product();
            }
            if started.elapsed().as_secs_f64() >= sample_ms / 1e3 {
                break;
            }
            reps *= 2;
        }
        let flop = 2.0 * (m * k * n) as f64 * reps as f64;
        let rates: Vec<f64> = (0..samples)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..reps {
                    product();
                }
                flop / started.elapsed().as_secs_f64() / 1e9
            })
            .collect();
        let rate = median(rates);
        println!(
            "GEMM {name} {rate:.1} GFLOP/s ({m}x{k}x{n}, A{}·B{}, {reps} products per sample)",
            if ta { "ᵀ" } else { "" },
            if tb { "ᵀ" } else { "" }
        );
        results.insert(name.to_string(), serde_json::json!(rate));
    }
    let result = serde_json::json!({
        "lib": "fraudnet",
        "threads": rayon::current_num_threads(),
        "kernel": format!("fraudnet::linalg::matmul_into, AVX2+FMA kernel: {}", fraudnet::linalg::fma_available()),
        "gflops": results,
    });
    println!("RESULT {result}");
}
