//! `split_validation` and `class_weights` on small hand-made tables.

use std::path::PathBuf;

use fraudnet::Error;
use fraudnet::data::{Table, class_weights, split_validation};
use ndarray::{Array1, Array2};

/// `rows` rows with features `[i, 10·i]` and the given labels.
fn table(labels: &[f32]) -> Table {
    let rows = labels.len();
    Table {
        source: PathBuf::from("t.csv"),
        feature_names: vec!["a".into(), "b".into()],
        label_name: "y".into(),
        features: Array2::from_shape_fn((rows, 2), |(i, j)| (i * 10usize.pow(j as u32)) as f32),
        labels: Array1::from(labels.to_vec()),
    }
}

fn config_error(result: fraudnet::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Config { name, message }) => {
            assert_eq!(name, "validation fraction");
            message
        }
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

fn dataset_error(result: fraudnet::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Dataset { path, message }) => {
            assert_eq!(path, PathBuf::from("t.csv"));
            message
        }
        other => panic!("expected Error::Dataset, got {other:?}"),
    }
}

#[test]
fn validation_is_the_last_rows_in_file_order() {
    let labels = [0., 1., 0., 0., 1., 0., 0., 0., 1., 0.];
    let (train, val) = split_validation(table(&labels), 0.2).unwrap();
    assert_eq!((train.rows(), val.rows()), (8, 2));
    assert_eq!(
        train.features.column(0).to_vec(),
        [0., 1., 2., 3., 4., 5., 6., 7.]
    );
    assert_eq!(val.features.column(0).to_vec(), [8., 9.]);
    assert_eq!(val.features.column(1).to_vec(), [80., 90.]);
    assert_eq!(train.labels.as_slice().unwrap(), &labels[..8]);
    assert_eq!(val.labels.as_slice().unwrap(), &labels[8..]);
    for part in [&train, &val] {
        assert_eq!(part.feature_names, ["a", "b"]);
        assert_eq!(part.label_name, "y");
        assert_eq!(part.source, PathBuf::from("t.csv"));
    }
}

#[test]
fn validation_size_is_rounded_down_like_python_int() {
    // int(7 * 0.5) = 3; int(284807 * 0.2) = 56961 (the real file).
    let (train, val) = split_validation(table(&[0.0; 7]), 0.5).unwrap();
    assert_eq!((train.rows(), val.rows()), (4, 3));
    let (train, val) = split_validation(table(&vec![0.0; 284_807]), 0.2).unwrap();
    assert_eq!((train.rows(), val.rows()), (227_846, 56_961));
}

#[test]
fn fraction_outside_0_to_1() {
    for fraction in [0.0, 1.0, -0.2, 1.5, f64::NAN, f64::INFINITY] {
        let message = config_error(split_validation(table(&[0.0; 10]), fraction));
        assert!(
            message.starts_with("must be strictly between 0 and 1"),
            "{fraction}: {message}"
        );
    }
}

#[test]
fn split_leaving_no_validation_rows() {
    // int(3 * 0.2) = 0.
    let message = dataset_error(split_validation(table(&[0.0; 3]), 0.2));
    assert!(
        message.contains("leaves 3 training and 0 validation rows"),
        "{message}"
    );
}

#[test]
fn split_of_an_empty_table() {
    let message = dataset_error(split_validation(table(&[]), 0.2));
    assert!(
        message.contains("leaves 0 training and 0 validation rows"),
        "{message}"
    );
}

#[test]
fn class_weights_are_inverse_counts() {
    let weights = class_weights(&table(&[0., 1., 0., 0., 1., 0., 0.])).unwrap();
    assert_eq!(weights, [1.0 / 5.0, 1.0 / 2.0]);
}

#[test]
fn class_weights_without_positives() {
    let message = dataset_error(class_weights(&table(&[0.0; 4])));
    assert!(
        message.contains("4 rows of class 0 and 0 of class 1"),
        "{message}"
    );
    assert!(message.contains("infinite"), "{message}");
}

#[test]
fn class_weights_without_negatives() {
    let message = dataset_error(class_weights(&table(&[1.0; 3])));
    assert!(
        message.contains("0 rows of class 0 and 3 of class 1"),
        "{message}"
    );
}

#[test]
fn no_positives_left_in_training_after_the_split() {
    // The only fraud is in the last 20 %: training has none.
    let (train, val) = split_validation(table(&[0., 0., 0., 0., 1.]), 0.2).unwrap();
    assert_eq!((train.positives(), val.positives()), (0, 1));
    let message = dataset_error(class_weights(&train));
    assert!(
        message.contains("4 rows of class 0 and 0 of class 1"),
        "{message}"
    );
}
