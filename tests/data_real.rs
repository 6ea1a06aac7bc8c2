//! The real `creditcard.csv.gz` (../shared/data): shapes, values, the split and its class weights.
//! Every test prints a reason and passes when the file is absent, unless `FRAUDNET_REQUIRE_DATA=1`
//! (set by `.ci/run` where the file exists), which makes it fail. The file is read once per run
//! and the time it took printed: `cargo test --release --test data_real -- --nocapture`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use fraudnet::data::{Standardizer, Table, class_weights, read_table, split_validation};

const REAL_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/creditcard.csv.gz"
);

/// The real file, read once per test binary; `None` (with the reason printed) when absent.
fn real_table() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let path = PathBuf::from(REAL_FILE);
        if !path.exists() {
            return None;
        }
        let start = Instant::now();
        let table = read_table(&path, None).expect("the real file reads");
        eprintln!(
            "read_table({}): {:.3} s",
            path.display(),
            start.elapsed().as_secs_f64()
        );
        Some(table)
    });
    if table.is_none() {
        assert!(
            std::env::var("FRAUDNET_REQUIRE_DATA").as_deref() != Ok("1"),
            "FRAUDNET_REQUIRE_DATA=1 but {REAL_FILE} is absent: this test would skip"
        );
        eprintln!("skipping: {REAL_FILE} not found");
    }
    table.as_ref()
}

fn feature_names() -> Vec<String> {
    std::iter::once("Time".to_owned())
        .chain((1..=28).map(|k| format!("V{k}")))
        .chain(std::iter::once("Amount".to_owned()))
        .collect()
}

#[test]
fn shape_and_names() {
    let Some(table) = real_table() else { return };
    assert_eq!(table.features.shape(), [284_807, 30]);
    assert_eq!(table.labels.len(), 284_807);
    assert_eq!(table.feature_names, feature_names());
    assert_eq!(table.label_name, "Class");
    assert_eq!(table.source, PathBuf::from(REAL_FILE));
    assert_eq!(table.positives(), 492);
    assert!(table.labels.iter().all(|&y| y == 0.0 || y == 1.0));
}

#[test]
fn first_and_last_rows() {
    let Some(table) = real_table() else { return };
    // `0,-1.3598071336738,-0.0727811733098497,...,149.62,"0"`: f64 first, then f32, as NumPy.
    let first = table.features.row(0);
    assert_eq!(first[0], 0.0);
    assert_eq!(first[1], -1.3598071336738_f64 as f32);
    assert_eq!(first[2], -0.0727811733098497_f64 as f32);
    assert_eq!(first[29], 149.62_f64 as f32);
    assert_eq!(table.labels[0], 0.0);
    // `172792,-0.53341252200504,...,0.0136489143320671,217,"0"`.
    let last = table.features.row(284_806);
    assert_eq!(last[0], 172_792.0);
    assert_eq!(last[1], -0.53341252200504_f64 as f32);
    assert_eq!(last[28], 0.0136489143320671_f64 as f32);
    assert_eq!(last[29], 217.0);
    assert_eq!(table.labels[284_806], 0.0);
}

#[test]
fn time_never_decreases() {
    let Some(table) = real_table() else { return };
    let time = table.features.column(0);
    assert!(time.windows(2).into_iter().all(|w| w[0] <= w[1]));
    assert_eq!((time[0], time[284_806]), (0.0, 172_792.0));
}

#[test]
fn split_and_class_weights() {
    let Some(table) = real_table() else { return };
    let (train, val) = split_validation(table.clone(), 0.2).unwrap();
    assert_eq!((train.rows(), val.rows()), (227_846, 56_961));
    assert_eq!((train.positives(), val.positives()), (417, 75));
    assert_eq!(train.features.row(0), table.features.row(0));
    assert_eq!(val.features.row(56_960), table.features.row(284_806));
    assert_eq!(
        class_weights(&train).unwrap(),
        [1.0 / 227_429.0, 1.0 / 417.0]
    );
}

#[test]
fn standardised_training_columns() {
    let Some(table) = real_table() else { return };
    let (mut train, _) = split_validation(table.clone(), 0.2).unwrap();
    let fitted = Standardizer::fit(&train.features);
    assert!(fitted.zero_variance_columns().is_empty());
    fitted.apply(&mut train.features);
    let n = train.rows() as f64;
    for (j, column) in train.features.columns().into_iter().enumerate() {
        let mean = column.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = column
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 1e-5, "column {j}: mean {mean}");
        assert!(
            (var.sqrt() - 1.0).abs() < 1e-5,
            "column {j}: std {}",
            var.sqrt()
        );
    }
}
