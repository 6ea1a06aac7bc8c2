//! Per-feature standardisation fitted on the training rows, as in the Keras example.

use ndarray::{Array1, Array2};

/// Per-feature mean and standard deviation of the training rows.
///
/// Keras example (NumPy, float32 arrays):
///
/// ```text
/// mean = np.mean(train_features, axis=0); train_features -= mean; val_features -= mean
/// std = np.std(train_features, axis=0);   train_features /= std;  val_features /= std
/// ```
///
/// `std` is the population standard deviation (ddof 0) of the **centred** rows, as `np.std` of
/// the array after `-= mean` computes it. Sums run in `f64` and the results are stored as `f32`;
/// NumPy sums float32 columns in float32, so `mean` and `std` can differ from its values in the
/// last bits. A zero-variance (constant) column is mapped to exactly `0.0` by [`Self::apply`],
/// where NumPy would give NaN or ±inf.
///
/// # Shapes
///
/// `mean: [features]`, `std: [features]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Per-feature mean of the training rows, `[features]`.
    pub mean: Array1<f32>,
    /// Per-feature population standard deviation of the centred training rows, `[features]`.
    pub std: Array1<f32>,
}

impl Standardizer {
    /// Fits the mean and standard deviation of each column of `train`.
    ///
    /// `meanⱼ = Σᵢ xᵢⱼ / n`; `cᵢⱼ = xᵢⱼ − meanⱼ` (in `f32`, as NumPy's `-=` on float32);
    /// `stdⱼ = sqrt(Σᵢ (cᵢⱼ − c̄ⱼ)² / n)` with `c̄ⱼ = Σᵢ cᵢⱼ / n` (`np.std` with ddof 0).
    ///
    /// # Shapes
    ///
    /// `train: [n, features]` → `mean, std: [features]`.
    ///
    /// # Panics
    ///
    /// If `train` has no rows (the split never produces an empty training set).
    pub fn fit(train: &Array2<f32>) -> Self {
        let (n, features) = train.dim();
        assert!(
            n > 0,
            "Standardizer::fit: the training matrix [{n}, {features}] has no rows"
        );
        let mean: Array1<f32> = column_means(train, |_, x| f64::from(x))
            .into_iter()
            .map(|m| m as f32)
            .collect();
        let centred = |j: usize, x: f32| f64::from(x - mean[j]);
        let centred_mean = column_means(train, centred);
        let variance = column_means(train, |j, x| (centred(j, x) - centred_mean[j]).powi(2));
        let std = variance.iter().map(|v| v.sqrt() as f32).collect();
        Self { mean, std }
    }

    /// The columns whose standard deviation is zero (constant in the training rows).
    pub fn zero_variance_columns(&self) -> Vec<usize> {
        (0..self.std.len())
            .filter(|&j| self.std[j] == 0.0)
            .collect()
    }

    /// Standardises `x` in place: `xᵢⱼ ← (xᵢⱼ − meanⱼ) / stdⱼ`, subtracting then dividing in `f32`
    /// as the example does; a zero-variance column becomes exactly `0.0` (never NaN or ±inf).
    ///
    /// # Shapes
    ///
    /// `x: [n, features]`.
    ///
    /// # Panics
    ///
    /// If `x` has a different number of columns from the fitted `mean`.
    pub fn apply(&self, x: &mut Array2<f32>) {
        assert_eq!(
            x.ncols(),
            self.mean.len(),
            "Standardizer::apply: x has shape {:?} but the standardizer was fitted on {} features",
            x.shape(),
            self.mean.len()
        );
        for mut row in x.rows_mut() {
            for ((value, &mean), &std) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *value = if std == 0.0 {
                    0.0
                } else {
                    (*value - mean) / std
                };
            }
        }
    }
}

/// `Σᵢ value(j, xᵢⱼ) / n` for each column `j` of `x: [n, features]`, summed in `f64` in row order.
fn column_means(x: &Array2<f32>, value: impl Fn(usize, f32) -> f64) -> Vec<f64> {
    let mut sums = vec![0.0_f64; x.ncols()];
    for row in x.rows() {
        for (j, (sum, &v)) in sums.iter_mut().zip(row).enumerate() {
            *sum += value(j, v);
        }
    }
    sums.iter().map(|sum| sum / x.nrows() as f64).collect()
}
