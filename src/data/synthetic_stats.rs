//! Per-class statistics of the real `creditcard.csv`, from which [`super::synthetic_table`] draws.
//!
//! Columns `V1, …, V28, Amount` (index 0 here is the file's column `V1`; `Time` is generated
//! separately). Row 0 is class 0 (284,315 legitimate rows), row 1 class 1 (492 frauds).
//! `CLASS_MEAN[c][j] = Σ x / n` and `CLASS_STD[c][j] = sqrt(Σ (x − mean)² / n)` (population, ddof 0)
//! over the rows of class `c`, summed in `f64` over the `f32` values [`super::read_table`] returns,
//! printed with 10 significant digits.
//!
//! Produced once from `../shared/data/creditcard.csv.gz` (SHA-256 of the CSV `76274b69…a89`) by a
//! throwaway program doing exactly the sums above; the unit test
//! `synthetic_stats_match_the_real_file` below recomputes them the same way and checks every
//! constant to 1e-9 relative (`cargo test --lib synthetic_stats`).

/// The last `Time` value of the real file, in seconds (the first is 0).
pub(super) const TIME_MAX: u32 = 172_792;

/// Per-class means of `V1, …, V28, Amount`: `[class][column]`.
pub(super) const CLASS_MEAN: [[f64; 29]; 2] = [
    // class 0
    [
        8.257737255e-3,  // V1
        -6.270857369e-3, // V2
        1.217091708e-2,  // V3
        -7.859867875e-3, // V4
        5.453115905e-3,  // V5
        2.418748246e-3,  // V6
        9.636549833e-3,  // V7
        -9.874710859e-4, // V8
        4.466568717e-3,  // V9
        9.823703916e-3,  // V10
        -6.576104294e-3, // V11
        1.083172325e-2,  // V12
        1.891994576e-4,  // V13
        1.206439206e-2,  // V14
        1.608108248e-4,  // V15
        7.164072480e-3,  // V16
        1.153506330e-2,  // V17
        3.887180085e-3,  // V18
        -1.177863879e-3, // V19
        -6.442893664e-4, // V20
        -1.234846819e-3, // V21
        -2.431119908e-5, // V22
        6.975191811e-5,  // V23
        1.819254132e-4,  // V24
        -7.172627103e-5, // V25
        -8.937583565e-5, // V26
        -2.951753948e-4, // V27
        -1.309403640e-4, // V28
        8.829102241e1,   // Amount
    ],
    // class 1
    [
        -4.771948438e0,  // V1
        3.623778107e0,   // V2
        -7.033281045e0,  // V3
        4.542029104e0,   // V4
        -3.151224880e0,  // V5
        -1.397736715e0,  // V6
        -5.568731092e0,  // V7
        5.706358882e-1,  // V8
        -2.581122922e0,  // V9
        -5.676882853e0,  // V10
        3.800172914e0,   // V11
        -6.259393054e0,  // V12
        -1.093338164e-1, // V13
        -6.971722872e0,  // V14
        -9.292874563e-2, // V15
        -4.139945699e0,  // V16
        -6.665836404e0,  // V17
        -2.246308133e0,  // V18
        6.806593035e-1,  // V19
        3.723193940e-1,  // V20
        7.135883541e-1,  // V21
        1.404888218e-2,  // V22
        -4.030796615e-2, // V23
        -1.051303055e-1, // V24
        4.144888758e-2,  // V25
        5.164812607e-2,  // V26
        1.705747947e-1,  // V27
        7.566729012e-2,  // V28
        1.222113217e2,   // Amount
    ],
];

/// Per-class population standard deviations of `V1, …, V28, Amount`: `[class][column]`.
pub(super) const CLASS_STD: [[f64; 29]; 2] = [
    // class 0
    [
        1.929810658e0,  // V1
        1.636143175e0,  // V2
        1.459426461e0,  // V3
        1.399330774e0,  // V4
        1.356949306e0,  // V5
        1.329910657e0,  // V6
        1.178810116e0,  // V7
        1.161281309e0,  // V8
        1.089369983e0,  // V9
        1.044201845e0,  // V10
        1.003110143e0,  // V11
        9.459373619e-1, // V12
        9.950647842e-1, // V13
        8.970049467e-1, // V14
        9.150582596e-1, // V15
        8.447702482e-1, // V16
        7.494553301e-1, // V17
        8.249171687e-1, // V18
        8.117316932e-1, // V19
        7.694022105e-1, // V20
        7.167422071e-1, // V21
        7.236671649e-1, // V22
        6.215400605e-1, // V23
        6.057752190e-1, // V24
        5.206722325e-1, // V25
        4.822402353e-1, // V26
        3.998458300e-1, // V27
        3.295693022e-1, // V28
        2.501046522e2,  // Amount
    ],
    // class 1
    [
        6.776789263e0,  // V1
        4.286852433e0,  // V2
        7.103707026e0,  // V3
        2.870396169e0,  // V4
        5.367005390e0,  // V5
        1.856234282e0,  // V6
        7.199445167e0,  // V7
        6.790918790e0,  // V8
        2.498352729e0,  // V9
        4.892361497e0,  // V10
        2.675880979e0,  // V11
        4.649725973e0,  // V12
        1.103395243e0,  // V13
        4.274589127e0,  // V14
        1.048847773e0,  // V15
        3.861104780e0,  // V16
        6.963530196e0,  // V17
        2.896417887e0,  // V18
        1.538287617e0,  // V19
        1.345265931e0,  // V20
        3.865370138e0,  // V21
        1.493081955e0,  // V22
        1.578036183e0,  // V23
        5.150523140e-1, // V24
        7.963941135e-1, // V25
        4.711993528e-1, // V26
        1.375365904e0,  // V27
        5.467349468e-1, // V28
        2.564223028e2,  // Amount
    ],
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Recomputes every constant from the real file, as the module documentation describes
    /// (`cargo test --lib synthetic_stats`); passes with a printed reason when the file is absent.
    #[test]
    fn synthetic_stats_match_the_real_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/creditcard.csv.gz"
        );
        if !std::path::Path::new(path).exists() {
            eprintln!("skipping: {path} not found");
            return;
        }
        let table = super::super::read_table(path.as_ref(), None).unwrap();
        let time = table.features.column(0);
        assert_eq!((time[0], time[table.rows() - 1]), (0.0, TIME_MAX as f32));
        for class in 0..2 {
            let rows: Vec<_> = table
                .features
                .rows()
                .into_iter()
                .zip(&table.labels)
                .filter(|&(_, &y)| y == class as f32)
                .map(|(row, _)| row)
                .collect();
            let n = rows.len() as f64;
            for j in 0..29 {
                let column = || rows.iter().map(|row| f64::from(row[j + 1]));
                let mean = column().sum::<f64>() / n;
                let std = (column().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
                // The constants carry 10 significant digits.
                for (name, constant, computed) in [
                    ("mean", CLASS_MEAN[class][j], mean),
                    ("std", CLASS_STD[class][j], std),
                ] {
                    assert!(
                        (constant - computed).abs() <= 1e-9 * computed.abs(),
                        "class {class} column {}: {name} {constant} vs {computed}",
                        j + 1
                    );
                }
            }
        }
    }
}
