//! `synthetic_table`: the real file's schema, size and class balance, deterministic per seed,
//! with per-class statistics near the real ones.

use std::sync::OnceLock;

use fraudnet::data::{SYNTHETIC_POSITIVES, SYNTHETIC_ROWS, Table, read_table, synthetic_table};

const SEED: u64 = 42;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| synthetic_table(SEED))
}

/// Per-class `(n, mean, population std)` of column `j`, in f64.
fn class_stats(table: &Table, j: usize, class: f32) -> (f64, f64, f64) {
    let values: Vec<f64> = table
        .features
        .column(j)
        .iter()
        .zip(&table.labels)
        .filter(|&(_, &y)| y == class)
        .map(|(&v, _)| f64::from(v))
        .collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (n, mean, var.sqrt())
}

#[test]
fn schema_and_size() {
    let table = table();
    assert_eq!(SYNTHETIC_ROWS, 284_807);
    assert_eq!(SYNTHETIC_POSITIVES, 492);
    assert_eq!(table.features.shape(), [SYNTHETIC_ROWS, 30]);
    assert_eq!(table.labels.len(), SYNTHETIC_ROWS);
    assert_eq!(table.source.to_str(), Some("<synthetic>"));
    assert_eq!(table.feature_names.len(), 30);
    assert_eq!(
        (&table.feature_names[0][..], &table.feature_names[1][..]),
        ("Time", "V1")
    );
    assert_eq!(table.feature_names[28], "V28");
    assert_eq!(table.feature_names[29], "Amount");
    assert_eq!(table.label_name, "Class");
    assert!(table.features.iter().all(|v| v.is_finite()));
}

#[test]
fn positives_and_labels() {
    let table = table();
    assert_eq!(table.positives(), SYNTHETIC_POSITIVES);
    assert!(table.labels.iter().all(|&y| y == 0.0 || y == 1.0));
    // Spread through time: every quarter of the rows holds some (123 expected in each).
    for quarter in table.labels.exact_chunks(SYNTHETIC_ROWS / 4) {
        let count = quarter.iter().filter(|&&y| y == 1.0).count();
        assert!((60..=190).contains(&count), "{count} frauds in a quarter");
    }
}

#[test]
fn time_is_sorted_whole_seconds_over_two_days() {
    let time = table().features.column(0);
    assert!(time.windows(2).into_iter().all(|w| w[0] <= w[1]));
    assert_eq!((time[0], time[SYNTHETIC_ROWS - 1]), (0.0, 172_792.0));
    assert!(time.iter().all(|t| t.fract() == 0.0));
    // Uniform over the range: the middle row sits near the middle of the two days.
    let middle = time[SYNTHETIC_ROWS / 2];
    assert!((middle - 86_396.0).abs() < 1_000.0, "{middle}");
}

#[test]
fn same_seed_same_table_other_seed_other_table() {
    assert_eq!(&synthetic_table(SEED), table());
    let other = synthetic_table(SEED + 1);
    assert_ne!(other.labels, table().labels);
    assert_ne!(other.features.column(1), table().features.column(1));
}

#[test]
fn class_means_and_stds_near_the_real_ones() {
    // (column, class, mean, std) from synthetic_stats.rs, i.e. from the real file.
    let expected = [
        (1, 0.0, 8.257737255e-3, 1.929810658), // V1, legitimate
        (29, 0.0, 88.29102241, 250.1046522),   // Amount, legitimate
        (1, 1.0, -4.771948438, 6.776789263),   // V1, fraud
        (3, 1.0, -7.033281045, 7.103707026),   // V3, fraud
        (14, 1.0, -6.971722872, 4.274589127),  // V14, fraud
        (17, 1.0, -6.665836404, 6.963530196),  // V17, fraud
        (29, 1.0, 122.2113217, 256.4223028),   // Amount, fraud
    ];
    for (j, class, mean, std) in expected {
        let (n, got_mean, got_std) = class_stats(table(), j, class);
        // Five standard errors of the sample's mean and std.
        let (se_mean, se_std) = (std / n.sqrt(), std_error_of_std(j, mean, std, n));
        assert!(
            (got_mean - mean).abs() < 5.0 * se_mean,
            "column {j} class {class}: mean {got_mean} vs {mean}"
        );
        assert!(
            (got_std - std).abs() < 5.0 * se_std,
            "column {j} class {class}: std {got_std} vs {std}"
        );
    }
}

#[test]
fn every_class_statistic_near_the_real_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/creditcard.csv.gz"
    );
    if !std::path::Path::new(path).exists() {
        assert!(
            std::env::var("FRAUDNET_REQUIRE_DATA").as_deref() != Ok("1"),
            "FRAUDNET_REQUIRE_DATA=1 but {path} is absent: this test would skip"
        );
        eprintln!("skipping: {path} not found");
        return;
    }
    let real = read_table(path.as_ref(), None).unwrap();
    for j in 1..30 {
        for class in [0.0, 1.0] {
            let (n, mean, std) = class_stats(table(), j, class);
            let (_, real_mean, real_std) = class_stats(&real, j, class);
            let (se_mean, se_std) = (
                real_std / n.sqrt(),
                std_error_of_std(j, real_mean, real_std, n),
            );
            assert!(
                (mean - real_mean).abs() < 5.0 * se_mean,
                "column {j} class {class}: mean {mean} vs real {real_mean}"
            );
            assert!(
                (std - real_std).abs() < 5.0 * se_std,
                "column {j} class {class}: std {std} vs real {real_std}"
            );
        }
    }
}

/// The standard error of a sample standard deviation, `std·√((κ − 1)/(4n))` with `κ` the
/// distribution's kurtosis: 3 for the normal features, and for `Amount` (column 29), drawn
/// log-normal with `σ² = ln(1 + std²/mean²)`, `κ = e^(4σ²) + 2e^(3σ²) + 3e^(2σ²) − 3`.
fn std_error_of_std(column: usize, mean: f64, std: f64, n: f64) -> f64 {
    let kurtosis = if column == 29 {
        let s2 = (1.0 + (std / mean).powi(2)).ln();
        (4.0 * s2).exp() + 2.0 * (3.0 * s2).exp() + 3.0 * (2.0 * s2).exp() - 3.0
    } else {
        3.0
    };
    std * ((kurtosis - 1.0) / (4.0 * n)).sqrt()
}

#[test]
fn amounts_are_never_negative() {
    let amounts = table().features.column(29).to_owned();
    assert!(
        amounts.iter().all(|&a| a >= 0.0 && a.is_finite()),
        "a negative or non-finite Amount"
    );
}
