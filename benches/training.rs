//! A whole training step of the reference model and a validation pass, on the model's real
//! shapes. Throughput is in FLOP (the products' `2·m·k·n`, which dominate), so criterion's
//! "elem/s" reads as FLOP/s and compares with the peak probe of `benches/gemm.rs`.
//!
//! Run: `cargo bench --bench training`.
//!
//! Side by side: `FRAUDNET_AB=1 cargo bench --bench training` instead times the step with the
//! matrix-product kernel as it was before issue 10 (`linalg::ab_baseline(true)`) and with the
//! current one, alternating in one process, and prints the medians and their ratio
//! (`FRAUDNET_AB_ROUNDS` rounds, 15 by default).

use criterion::{Criterion, Throughput, criterion_group};
use fraudnet::linalg::ab_baseline;
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use fraudnet::train::{Batch, StepWorkspace, evaluate, train_step};
use ndarray::{Array1, Array2};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;

/// FLOP of one training step at batch `n`: forward `2·n·Σ d_in·d_out`, backward twice that
/// (weight and input gradients) less the first layer's input gradient, which is skipped.
fn step_flop(n: usize) -> u64 {
    let layers = [(30, 256), (256, 256), (256, 256), (256, 1)];
    let forward: usize = layers.iter().map(|(i, o)| 2 * n * i * o).sum();
    (3 * forward - 2 * n * 30 * 256) as u64
}

/// 8,192 synthetic training rows of 30 features (every 500th a fraud), and a batch order.
fn training_rows() -> (Array2<f32>, Array1<f32>, Vec<usize>) {
    let n_train = 8192;
    let x = Array2::random_using(
        (n_train, 30),
        Uniform::new(-2.0f32, 2.0).unwrap(),
        &mut rng::stream(1, Stream::Data),
    );
    let y = Array1::from_shape_fn(n_train, |i| f32::from(i % 500 == 0));
    (x, y, (0..n_train).rev().collect())
}

/// The Keras example's model, seeded, with a fresh Adam.
fn fresh_model() -> (Sequential<f32>, Adam<f32>) {
    let model = Sequential::<f32>::new(
        &Architecture::reference(),
        &mut rng::stream(1, Stream::Init),
    )
    .expect("the reference architecture is valid");
    let adam = Adam::new(AdamConfig::default(), &model);
    (model, adam)
}

fn bench(c: &mut Criterion) {
    let (x, y, order) = training_rows();
    let (mut model, mut adam) = fresh_model();
    let mut workspace = StepWorkspace::default();
    let mut dropout = rng::stream(1, Stream::Dropout);
    let mut g = c.benchmark_group("training");
    g.throughput(Throughput::Elements(step_flop(2048)));
    g.bench_function("step_2048", |b| {
        b.iter(|| {
            let batch = Batch {
                features: x.view(),
                labels: y.view(),
                rows: &order[..2048],
                class_weight: [1.0 / 8000.0, 1.0 / 16.0],
            };
            train_step(&mut model, &mut adam, &mut workspace, batch, &mut dropout)
                .expect("one logit")
                .loss
        })
    });
    let val_x = Array2::random_using(
        (56_961, 30),
        Uniform::new(-2.0f32, 2.0).unwrap(),
        &mut rng::stream(2, Stream::Data),
    );
    let val_y = Array1::from_shape_fn(56_961, |i| f32::from(i % 760 == 0));
    g.throughput(Throughput::Elements(
        2 * 56_961 * (30 * 256 + 2 * 256 * 256 + 256) as u64,
    ));
    g.bench_function("validation_56961", |b| {
        b.iter(|| {
            evaluate(&model, val_x.view(), val_y.view())
                .expect("one logit")
                .0
        })
    });
    g.finish();
}

/// The side-by-side run: training steps at batch 2048 on the old and the new kernel,
/// alternating round by round.
fn ab() {
    let rounds: usize = std::env::var("FRAUDNET_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let (x, y, order) = training_rows();
    let (mut model, mut adam) = fresh_model();
    let mut workspace = StepWorkspace::default();
    let mut dropout = rng::stream(1, Stream::Dropout);
    let steps = 8;
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..=rounds {
        for pass in 0..2 {
            let old = (round + pass) % 2 == 0;
            ab_baseline(old);
            let start = std::time::Instant::now();
            for s in 0..steps {
                let batch = Batch {
                    features: x.view(),
                    labels: y.view(),
                    rows: &order[(s % 4) * 2048..(s % 4 + 1) * 2048],
                    class_weight: [1.0 / 8000.0, 1.0 / 16.0],
                };
                train_step(&mut model, &mut adam, &mut workspace, batch, &mut dropout)
                    .expect("one logit");
            }
            // Round 0 warms the buffers up and is not counted.
            if round > 0 {
                times[usize::from(!old)].push(start.elapsed().as_secs_f64() / steps as f64);
            }
        }
    }
    ab_baseline(false);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (old, new) = (median(&mut times[0]), median(&mut times[1]));
    println!(
        "A/B step_2048, {} threads, {rounds} rounds of {steps} steps: old {:.2} ms, new {:.2} ms, old/new {:.3}, new {:.1} GFLOP/s",
        rayon::current_num_threads(),
        old * 1e3,
        new * 1e3,
        old / new,
        step_flop(2048) as f64 / new / 1e9
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}

fn main() {
    if std::env::var_os("FRAUDNET_AB").is_some() {
        ab();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
