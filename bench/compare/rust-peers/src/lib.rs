//! What `burn_ref` and `candle_ref` share: the command line, the data (read and prepared by
//! fraudnet's own code), the shuffle, the per-epoch metrics and the `RESULT {json}` line — all
//! the same as `bench/compare/torch_ref.py` and `common.py`, so the two binaries differ only in
//! the training engine.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr_free::uniform;
use serde_json::{Value, json};

/// The job's settings: the same flags, defaults and meaning as `torch_ref.py`'s.
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// creditcard.csv or .csv.gz.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Threads for the framework's CPU work [default: the framework's own default].
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, default_value_t = 2048)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-2)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    #[arg(long, default_value_t = 0.2)]
    pub val_fraction: f64,
    /// Train on the rows in file order every epoch.
    #[arg(long)]
    pub no_shuffle: bool,
    /// Write a checkpoint in the framework's native format here after every epoch.
    #[arg(long)]
    pub checkpoint_dir: Option<PathBuf>,
}

/// The layer sizes and dropout rates of the Keras example's model: 30-256-256-256-1, Dropout
/// 0.3 after the second and third hidden layers.
pub const HIDDEN: [usize; 3] = [256, 256, 256];
pub const DROPOUT: [f64; 3] = [0.0, 0.3, 0.3];
/// Adam's constants, Keras's defaults.
pub const BETA_1: f64 = 0.9;
pub const BETA_2: f64 = 0.999;
pub const EPSILON: f64 = 1e-7;

/// The ε that makes an Adam which adds ε to the bias-corrected `√v̂` (PyTorch's form, and burn's
/// and candle's) take Keras's step `θ ← θ − α·m/(√v + ε)` at step `t` (1-based):
/// `ε′ₜ = ε/√(1−β2ᵗ)` (docs/benchmarks.md, "Adam: Keras's form and PyTorch's";
/// `torch_ref.py`'s `KerasFormAdam`).
pub fn keras_form_epsilon(t: u64) -> f64 {
    EPSILON / (1.0 - BETA_2.powi(t as i32)).sqrt()
}

/// Sets the thread count before the framework starts any thread: rayon's global pool, and the
/// variables the frameworks read — `RAYON_NUM_THREADS` (candle sizes its matmul's rayon
/// parallelism from it) and `MATMUL_NUM_THREADS` (the `matrixmultiply` crate that burn-ndarray's
/// matmul calls runs its own thread pool of that size).
pub fn set_threads(threads: Option<usize>) -> Result<usize> {
    if let Some(t) = threads {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe {
            std::env::set_var("RAYON_NUM_THREADS", t.to_string());
            std::env::set_var("MATMUL_NUM_THREADS", t.to_string());
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .context("cannot start rayon's thread pool")?;
    }
    Ok(rayon::current_num_threads())
}

/// The prepared data in plain row-major vectors, ready for any framework's tensors.
pub struct Data {
    pub features: usize,
    pub n_train: usize,
    pub n_val: usize,
    pub train_x: Vec<f32>,
    pub train_y: Vec<f32>,
    pub val_x: Vec<f32>,
    pub val_y: Vec<f32>,
    /// `[1/count₀, 1/count₁]` of the training rows.
    pub class_weight: [f64; 2],
    pub load_seconds: f64,
}

/// Reads and prepares the file with fraudnet's own code (`read_table`, `prepare`): the last
/// ⌊0.2·N⌋ rows for validation, class weights 1/count, the training mean and population std.
pub fn load(args: &Args, name: &str) -> Result<Data> {
    let started = Instant::now();
    let table = fraudnet::data::read_table(&args.data, None)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let p = fraudnet::train::prepare(table, args.val_fraction)?;
    let features = p.train_x.ncols();
    let data = Data {
        features,
        n_train: p.train_x.nrows(),
        n_val: p.val_x.nrows(),
        train_x: p.train_x.as_standard_layout().iter().copied().collect(),
        train_y: p.train_y.to_vec(),
        val_x: p.val_x.as_standard_layout().iter().copied().collect(),
        val_y: p.val_y.to_vec(),
        class_weight: p.class_weight,
        load_seconds: started.elapsed().as_secs_f64(),
    };
    eprintln!(
        "{name}: loaded {} training and {} validation rows in {:.2}s",
        data.n_train, data.n_val, data.load_seconds
    );
    Ok(data)
}

impl Data {
    /// The rows `rows` of the training features, row-major `[rows.len(), features]`.
    pub fn gather_x(&self, rows: &[usize]) -> Vec<f32> {
        let f = self.features;
        let mut out = Vec::with_capacity(rows.len() * f);
        for &r in rows {
            out.extend_from_slice(&self.train_x[r * f..(r + 1) * f]);
        }
        out
    }

    pub fn gather_y(&self, rows: &[usize]) -> Vec<f32> {
        rows.iter().map(|&r| self.train_y[r]).collect()
    }

    /// Per-row class weights (Keras's `class_weight` as sample weights).
    pub fn gather_w(&self, rows: &[usize]) -> Vec<f32> {
        rows.iter()
            .map(|&r| self.class_weight[usize::from(self.train_y[r] > 0.5)] as f32)
            .collect()
    }
}

/// The epoch's row order: a fresh permutation every epoch (the shuffle of `torch.randperm`,
/// from a ChaCha8 stream seeded with `--seed`), or file order with `--no-shuffle`.
pub struct Shuffler {
    rng: ChaCha8Rng,
    order: Vec<usize>,
    shuffle: bool,
}

impl Shuffler {
    pub fn new(n: usize, seed: u64, shuffle: bool) -> Self {
        Shuffler {
            rng: ChaCha8Rng::seed_from_u64(seed),
            order: (0..n).collect(),
            shuffle,
        }
    }

    pub fn epoch(&mut self) -> &[usize] {
        if self.shuffle {
            self.order.sort_unstable();
            self.order.shuffle(&mut self.rng);
        }
        &self.order
    }
}

/// Glorot-uniform `U(±√(6/(fan_in+fan_out)))`, row-major `[rows, cols]`, from a seeded stream.
pub fn glorot_uniform(
    rng: &mut ChaCha8Rng,
    fan_in: usize,
    fan_out: usize,
    rows: usize,
    cols: usize,
) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..rows * cols)
        .map(|_| uniform(rng, -limit, limit))
        .collect()
}

/// tp, fp, tn, fn at Keras's threshold: flagged when p > 0.5.
#[derive(Default, Clone, Copy, Debug)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub fn_: u64,
}

impl Counts {
    pub fn add(&mut self, probs: &[f32], targets: &[f32]) {
        for (&p, &y) in probs.iter().zip(targets) {
            match (p > 0.5, y > 0.5) {
                (true, true) => self.tp += 1,
                (true, false) => self.fp += 1,
                (false, false) => self.tn += 1,
                (false, true) => self.fn_ += 1,
            }
        }
    }

    pub fn of(probs: &[f32], targets: &[f32]) -> Self {
        let mut c = Counts::default();
        c.add(probs, targets);
        c
    }
}

/// Unweighted mean cross-entropy of probabilities clipped to `[1e-7, 1 − 1e-7]`: `torch_ref.py`'s
/// validation loss (`F.binary_cross_entropy(p.clamp(1e-7, 1 - 1e-7), y)`).
pub fn validation_loss(probs: &[f32], targets: &[f32]) -> f64 {
    let sum: f64 = probs
        .iter()
        .zip(targets)
        .map(|(&p, &y)| {
            let p = (p as f64).clamp(1e-7, 1.0 - 1e-7);
            -(y as f64 * p.ln() + (1.0 - y as f64) * (1.0 - p).ln())
        })
        .sum();
    sum / probs.len() as f64
}

/// Ends an epoch begun at `started`: the validation loss and counts of `val_probs`, the epoch's
/// seconds (measured here, before the log line and the caller's checkpoint), and the log line on
/// stderr in `torch_ref.py`'s format. `train_loss` is the mean training loss. Returns the seconds.
#[allow(clippy::too_many_arguments)]
pub fn end_epoch(
    epoch: usize,
    epochs: usize,
    steps: usize,
    started: std::time::Instant,
    train_loss: f64,
    train: Counts,
    val_probs: &[f32],
    data: &Data,
) -> f64 {
    let val_loss = validation_loss(val_probs, &data.val_y);
    let val = Counts::of(val_probs, &data.val_y);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "Epoch {epoch}/{epochs} {steps}/{steps} - {seconds:.2}s - loss: {train_loss:.4e} - fn: {} - fp: {} - tn: {} - tp: {} - \
         val_loss: {val_loss:.4e} - val_fn: {} - val_fp: {} - val_tn: {} - val_tp: {}",
        train.fn_, train.fp, train.tn, train.tp, val.fn_, val.fp, val.tn, val.tp
    );
    seconds
}

/// What the whole run measured, for the `RESULT {json}` line.
pub struct Outcome<'a> {
    pub framework: &'a str,
    pub version: &'a str,
    pub threads: usize,
    pub epochs: usize,
    pub steps: usize,
    pub setup_seconds: f64,
    pub data: &'a Data,
    pub epoch_seconds: Vec<f64>,
    pub epoch_includes: &'a str,
    /// The last validation pass's probabilities.
    pub val_probs: Vec<f32>,
    pub extra: Value,
}

/// Prints `RESULT {json}` on stdout with the keys of `common.py`'s result (average precision
/// by fraudnet's `ranking::Curve`, which computes scikit-learn's `average_precision_score`).
pub fn emit(o: Outcome) {
    let c = Counts::of(&o.val_probs, &o.data.val_y);
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let ap = fraudnet::ranking::Curve::new(&o.val_probs, &o.data.val_y).average_precision();
    let mut result = json!({
        "framework": o.framework,
        "version": o.version,
        "threads": o.threads,
        "adam": "keras",
        "epochs": o.epochs,
        "steps": o.steps,
        "n_train": o.data.n_train,
        "n_val": o.data.n_val,
        "setup_seconds": o.setup_seconds,
        "load_seconds": o.data.load_seconds,
        "epoch_seconds": o.epoch_seconds,
        "epoch_includes": o.epoch_includes,
        "val_tp": c.tp,
        "val_fp": c.fp,
        "val_tn": c.tn,
        "val_fn": c.fn_,
        "val_precision": ratio(c.tp, c.tp + c.fp),
        "val_recall": ratio(c.tp, c.tp + c.fn_),
        "val_ap": ap,
    });
    if let (Value::Object(r), Value::Object(extra)) = (&mut result, o.extra) {
        r.extend(extra);
    }
    println!("RESULT {result}");
}

/// A uniform f32 in `[lo, hi)` from 24 random bits, without pulling in `rand_distr`.
mod rand_distr_free {
    use rand::RngCore;

    pub fn uniform(rng: &mut impl RngCore, lo: f32, hi: f32) -> f32 {
        let unit = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
        lo + (hi - lo) * unit
    }
}
