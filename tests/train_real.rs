//! Two epochs of the default job on the real data set, checked against the reference numbers,
//! and the last checkpoint reloaded to reproduce the printed validation metrics exactly.
//! Skipped, with the reason printed, where `../shared/data/creditcard.csv.gz` is absent.

mod common;

use fraudnet::checkpoint;
use fraudnet::data::{Standardizer, read_table, split_validation};
use fraudnet::train::{evaluate, keras_number};
use ndarray::Array1;

/// The value after `key: ` in a Keras-style epoch line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let start = line
        .find(&format!(" - {key}: "))
        .unwrap_or_else(|| panic!("{key} not in {line}"))
        + key.len()
        + 5;
    line[start..].split(" - ").next().unwrap()
}

fn count(line: &str, key: &str) -> u64 {
    field(line, key).parse::<f64>().unwrap() as u64
}

#[test]
fn two_epochs_on_the_real_data() {
    let Some(data) = common::real_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    let stdout = common::train_ok(&data, &ckpt, &["--epochs", "2"]);
    for expected in [
        "features.shape: (284807, 30)",
        "Number of training samples: 227846",
        "Number of validation samples: 56961",
        "Number of positive samples in training data: 417 (0.18% of total)",
        // 1/227429 and 1/417
        "Class weights: 0 → 4.396976638863118e-6, 1 → 2.398081534772182e-3",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing:\n{stdout}");
    }
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("112/112 - "))
        .collect();
    assert_eq!(lines.len(), 2, "one line of 112 steps per epoch:\n{stdout}");
    for line in &lines {
        let train = ["tp", "fp", "tn", "fn"].map(|k| count(line, k));
        assert_eq!(train.iter().sum::<u64>(), 227_846, "{line}");
        assert_eq!(
            train[0] + train[3],
            417,
            "tp + fn = training positives: {line}"
        );
        let val = ["val_tp", "val_fp", "val_tn", "val_fn"].map(|k| count(line, k));
        assert_eq!(val.iter().sum::<u64>(), 56_961, "{line}");
        assert_eq!(val[0] + val[3], 75, "{line}");
    }
    let names = common::file_names(&ckpt);
    assert_eq!(
        names,
        [
            "fraud_model_at_epoch_1.safetensors",
            "fraud_model_at_epoch_2.safetensors"
        ]
    );

    // Reload epoch 2 and evaluate the validation split with the checkpoint's own statistics.
    let saved = checkpoint::load(&ckpt.join("fraud_model_at_epoch_2.safetensors")).unwrap();
    assert_eq!(saved.adam.t, 224, "112 steps per epoch");
    assert_eq!(saved.meta.class_weight, [1.0 / 227_429.0, 1.0 / 417.0]);
    let (train, val) =
        split_validation(read_table(&data, None).unwrap(), saved.meta.val_fraction).unwrap();
    let fitted = Standardizer::fit(&train.features);
    assert_eq!(
        fitted.mean.to_vec(),
        saved.meta.mean,
        "checkpoint holds the training mean"
    );
    let standardizer = Standardizer {
        mean: Array1::from(saved.meta.mean.clone()),
        std: Array1::from(saved.meta.std.clone()),
    };
    let mut val_x = val.features;
    standardizer.apply(&mut val_x);
    let (val_loss, confusion) = evaluate(&saved.model, val_x.view(), val.labels.view()).unwrap();
    assert_eq!(confusion, saved.meta.metrics.val, "checkpoint metadata");
    let line = lines[1];
    assert_eq!(
        [confusion.tp, confusion.fp, confusion.tn, confusion.fn_],
        ["val_tp", "val_fp", "val_tn", "val_fn"].map(|k| count(line, k))
    );
    assert_eq!(keras_number(val_loss), field(line, "val_loss"));
    assert_eq!(
        keras_number(confusion.precision()),
        field(line, "val_precision")
    );
    assert_eq!(keras_number(confusion.recall()), field(line, "val_recall"));
}
