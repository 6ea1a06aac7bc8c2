//! [`synthetic_table`]: a seeded look-alike of the real credit-card file, for machines without it.

use std::path::PathBuf;

use ndarray::{Array1, Array2};
use ndarray_rand::rand_distr::{Distribution, StandardNormal};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Table;
use super::synthetic_stats::{CLASS_MEAN, CLASS_STD, TIME_MAX};

/// Index of `Amount` among the per-class statistics (after `V1` … `V28`).
const AMOUNT: usize = 28;

/// Rows of the real file, and so of [`synthetic_table`].
pub const SYNTHETIC_ROWS: usize = 284_807;
/// Frauds (label 1) in the real file, and so in [`synthetic_table`].
pub const SYNTHETIC_POSITIVES: usize = 492;

/// Share of the frauds that are subtle: barely off the legitimate rows (severity in
/// [`SUBTLE_SEVERITY`]), as the frauds a model misses in the real data are.
pub const SUBTLE_SHARE: f64 = 0.45;
/// The range of a subtle fraud's severity, drawn uniformly.
pub const SUBTLE_SEVERITY: (f64, f64) = (0.10, 0.25);
/// The severity of every other fraud, chosen so that the mean severity is 1 and so the fraud
/// class's mean is the real one: `(1 − share·mean(subtle)) / (1 − share)` ≈ 1.675.
pub const PLAIN_SEVERITY: f64 =
    (1.0 - SUBTLE_SHARE * (SUBTLE_SEVERITY.0 + SUBTLE_SEVERITY.1) / 2.0) / (1.0 - SUBTLE_SHARE);

/// A synthetic stand-in for `creditcard.csv`, the same for the same `seed`.
///
/// Same schema as the real file: 30 features `Time, V1, …, V28, Amount` and the label `Class`;
/// [`SYNTHETIC_ROWS`] rows of which [`SYNTHETIC_POSITIVES`] are frauds, at uniformly random
/// positions (so spread through time). `Time` is sorted uniform whole seconds running from 0 to
/// 172,792, as in the real file. `Amount`, never negative and heavily skewed in the real file,
/// is drawn log-normal with its class's real mean `m` and standard deviation `s`
/// (`σ² = ln(1 + s²/m²)`, `μ = ln m − σ²/2`).
///
/// `V1 … V28` of a legitimate row are drawn from `N(mean⁰ⱼ, std⁰ⱼ²)`, independently, with the
/// real file's legitimate means and population standard deviations (`synthetic_stats.rs`). A
/// fraud is a legitimate row moved towards the frauds by its own severity `r`:
/// `xⱼ = mean⁰ⱼ + r·(mean¹ⱼ − mean⁰ⱼ) + std⁰ⱼ·zⱼ`, `z ~ N(0, 1)`. [`SUBTLE_SHARE`] of the frauds
/// have `r` uniform in [`SUBTLE_SEVERITY`] and overlap the legitimate rows; the others have
/// [`PLAIN_SEVERITY`]. The mean severity is 1, so each class's mean is the real one; the
/// frauds' standard deviations are not (they come from the spread of `r`).
///
/// Why: with every feature drawn independently from its class's own normal distribution, the
/// classes lie about 18 standard deviations apart and any model separates them (validation
/// ROC AUC 0.9997 after one epoch), which hides the difficulty the example exists to show.
/// With subtle frauds the best possible classifier (the likelihood ratio, computed by a
/// simulation along the direction that separates the classes) reaches about ROC AUC 0.99,
/// average precision 0.81 and recall 0.94 at `p > 0.5` on the validation rows; the Keras model,
/// which also overfits the training frauds, lands lower, near what it reaches on the real data
/// (ROC AUC 0.98, AP 0.6–0.8, recall 0.8–0.9).
///
/// Random numbers: one `ChaCha8Rng::seed_from_u64(seed)` stream, used in this order: fraud
/// positions (`rand::seq::index::sample`), times, then row by row the severity (frauds only:
/// one uniform draw for the kind, one for a subtle fraud's severity) and the features.
///
/// # Shapes
///
/// `features: [284807, 30]`, `labels: [284807]`.
pub fn synthetic_table(seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let mut labels = Array1::<f32>::zeros(SYNTHETIC_ROWS);
    for row in rand::seq::index::sample(&mut rng, SYNTHETIC_ROWS, SYNTHETIC_POSITIVES) {
        labels[row] = 1.0;
    }

    let mut times: Vec<u32> = (0..SYNTHETIC_ROWS)
        .map(|_| rng.random_range(0..=TIME_MAX))
        .collect();
    times.sort_unstable();
    // Pin the ends so that the range is exactly the real file's.
    times[0] = 0;
    times[SYNTHETIC_ROWS - 1] = TIME_MAX;

    let mut features = Array2::<f32>::zeros((SYNTHETIC_ROWS, 1 + CLASS_MEAN[0].len()));
    for ((mut row, &label), &time) in features.rows_mut().into_iter().zip(&labels).zip(&times) {
        let class = usize::from(label == 1.0);
        let severity = if class == 1 { severity(&mut rng) } else { 0.0 };
        row[0] = time as f32;
        for j in 0..CLASS_MEAN[0].len() {
            let z: f64 = StandardNormal.sample(&mut rng);
            row[1 + j] = if j == AMOUNT {
                let (mean, std) = (CLASS_MEAN[class][j], CLASS_STD[class][j]);
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                ((mean.ln() - sigma2 / 2.0) + sigma2.sqrt() * z).exp() as f32
            } else {
                let (legit, fraud) = (CLASS_MEAN[0][j], CLASS_MEAN[1][j]);
                (legit + severity * (fraud - legit) + CLASS_STD[0][j] * z) as f32
            };
        }
    }

    let feature_names = std::iter::once("Time".to_owned())
        .chain((1..=28).map(|k| format!("V{k}")))
        .chain(std::iter::once("Amount".to_owned()))
        .collect();
    Table {
        source: PathBuf::from("<synthetic>"),
        feature_names,
        label_name: "Class".to_owned(),
        features,
        labels,
    }
}

/// A fraud's severity: uniform in [`SUBTLE_SEVERITY`] for [`SUBTLE_SHARE`] of the frauds, else
/// [`PLAIN_SEVERITY`].
fn severity(rng: &mut ChaCha8Rng) -> f64 {
    if rng.random::<f64>() < SUBTLE_SHARE {
        rng.random_range(SUBTLE_SEVERITY.0..SUBTLE_SEVERITY.1)
    } else {
        PLAIN_SEVERITY
    }
}
