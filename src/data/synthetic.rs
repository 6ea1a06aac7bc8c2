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

/// A synthetic stand-in for `creditcard.csv`, the same for the same `seed`.
///
/// Same schema as the real file: 30 features `Time, V1, …, V28, Amount` and the label `Class`;
/// [`SYNTHETIC_ROWS`] rows of which [`SYNTHETIC_POSITIVES`] are frauds, at uniformly random
/// positions (so spread through time). `Time` is sorted uniform whole seconds running from 0 to
/// 172,792, as in the real file. Every other feature of a row of class `c` is drawn from
/// `N(meanᶜⱼ, stdᶜⱼ²)`, independently, with the per-class means and population standard
/// deviations of the real file (`synthetic_stats.rs`), except `Amount`, which is never negative
/// and heavily skewed in the real file: it is drawn log-normal with that mean and standard
/// deviation (`σ² = ln(1 + s²/m²)`, `μ = ln m − σ²/2`). The Keras model can learn it, but no
/// claim is made that its scores match those on the real data (real features are not normal
/// and are correlated within a class).
///
/// Random numbers: one `ChaCha8Rng::seed_from_u64(seed)` stream, used in this order: fraud
/// positions (`rand::seq::index::sample`), times, then the features row by row.
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
        row[0] = time as f32;
        for (j, (&mean, &std)) in CLASS_MEAN[class].iter().zip(&CLASS_STD[class]).enumerate() {
            let z: f64 = StandardNormal.sample(&mut rng);
            row[1 + j] = if j == AMOUNT {
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                ((mean.ln() - sigma2 / 2.0) + sigma2.sqrt() * z).exp() as f32
            } else {
                (mean + std * z) as f32
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
