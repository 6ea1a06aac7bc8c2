//! `--test-fraction`: the last ⌊F·N⌋ rows, after the validation rows, are held out of
//! everything a run does (training, validation metrics, `--keep-best`, the weights' average)
//! and scored by `evaluate --split test`.

mod common;

use std::path::{Path, PathBuf};

use common::{ckpt, file_names, fraudnet, small_csv, train_ok, write};
use fraudnet::checkpoint;
use fraudnet::data::{Table, read_table, split_test};
use fraudnet::optim::AdamConfig;
use fraudnet::train::{self, DataSource, KeepBest, RunSettings, TrainConfig};

const ROWS: usize = 1000;

/// A run of 3 epochs with a 10 % test split, the weights' average and `--keep-best`: every
/// consumer of rows that could leak.
fn settings(dir: &Path) -> RunSettings {
    RunSettings {
        config: TrainConfig {
            epochs: 3,
            batch_size: 64,
            adam: AdamConfig::default(),
            seed: 5,
            shuffle: true,
            checkpoint_dir: dir.to_path_buf(),
            val_fraction: 0.2,
            test_fraction: 0.1,
            ema: Some(0.9),
            data_source: String::new(),
            keep_best: Some(KeepBest::ValAucPr),
        },
        hidden: vec![8, 8],
        dropout: vec![0.0, 0.25],
        label: None,
        init_weights: None,
        metrics_log: None,
        resume: None,
        overwrite: false,
        describe_mismatch: |m| m.to_string(),
        describe_change: |c| c.to_string(),
    }
}

/// Trains on `table` into `dir/name`; returns the directory and what the run printed.
fn train_on(dir: &Path, name: &str, table: Table) -> (PathBuf, String) {
    let out_dir = dir.join(name);
    let mut out = Vec::new();
    train::run(
        &settings(&out_dir),
        DataSource::Table {
            table,
            source: "small.csv".into(),
        },
        &mut out,
        &mut std::io::sink(),
        &mut checkpoint::write_atomically,
    )
    .unwrap();
    // Without the seconds an epoch took, which no two runs share, and without the line naming
    // this run's own checkpoint directory.
    let text = String::from_utf8(out)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("Checkpoints: "))
        .map(|l| {
            l.split(" - ")
                .filter(|f| !f.ends_with('s') && !f.ends_with("/step"))
                .collect::<Vec<_>>()
                .join(" - ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    (out_dir, text)
}

/// Every file of a run's checkpoint directory, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    file_names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn corrupting_only_the_test_rows_leaves_training_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "small.csv", small_csv(ROWS, 4, 10));
    let clean = read_table(&csv, None).unwrap();
    let n_test = ROWS / 10;
    let first_test = ROWS - n_test;
    let corrupt = |rows: std::ops::Range<usize>| {
        let mut t = clean.clone();
        for r in rows {
            t.features.row_mut(r).fill(1e6 + r as f32);
        }
        t
    };
    let (a, log_a) = train_on(dir.path(), "clean", clean.clone());
    let (b, log_b) = train_on(dir.path(), "test_corrupted", corrupt(first_test..ROWS));
    assert!(log_a.contains("Number of test samples (held out, never read in training): 100"));
    assert_eq!(log_a, log_b);
    let (fa, fb) = (files(&a), files(&b));
    assert!(
        fa.iter().any(|(n, _)| n == checkpoint::BEST_FILE_NAME),
        "{fa:?}"
    );
    assert_eq!(fa.len(), 4);
    assert!(fa == fb, "a test row reached the run");
    // The control: one corrupted validation row (the last before the test rows) is seen.
    let (c, _) = train_on(
        dir.path(),
        "val_corrupted",
        corrupt(first_test - 1..first_test),
    );
    assert!(files(&c) != fa, "the validation rows should matter");
    // The split is recorded.
    let saved = checkpoint::load(&ckpt(&a, 3)).unwrap();
    assert_eq!(saved.meta.test_fraction, 0.1);
    // And the rows held out are exactly the last ⌊0.1·N⌋, after ⌊0.2·N⌋ validation rows.
    let (train, val, test) = split_test(clean.clone(), 0.2, 0.1).unwrap();
    assert_eq!((train.rows(), val.rows(), test.rows()), (700, 200, 100));
    assert_eq!(test.features, clean.features.slice(ndarray::s![900.., ..]));
}

#[test]
fn evaluate_finds_the_test_split_in_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    let run = dir.path().join("run");
    let flags = ["--epochs", "2", "--hidden", "8", "--test-fraction", "0.1"];
    let out = train_ok(&data, &run, &flags);
    assert!(out.contains("Number of training samples: 1400"), "{out}");
    assert!(out.contains("Number of validation samples: 400"), "{out}");
    let evaluate = |extra: &[&str]| {
        let out = fraudnet()
            .args(["evaluate", "--checkpoint"])
            .arg(ckpt(&run, 2))
            .arg("--data")
            .arg(&data)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = evaluate(&["--split", "test"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("test split of") && out.contains("rows 1801–2000 of 2000"),
        "{out}"
    );
    let (code, out, err) = evaluate(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("validation split of") && out.contains("rows 1401–1800 of 2000"),
        "{out}"
    );
    let (code, out, _) = evaluate(&["--split", "all"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("every row"), "{out}");

    // A checkpoint without a test split: --split test is refused, naming the flag.
    let plain = dir.path().join("plain");
    train_ok(&data, &plain, &["--epochs", "1", "--hidden", "8"]);
    let out = fraudnet()
        .args(["evaluate", "--split", "test", "--checkpoint"])
        .arg(ckpt(&plain, 1))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("invalid setting --split") && err.contains("--test-fraction"),
        "{err}"
    );

    // Resuming with another test fraction is refused; a fraction leaving no training rows too.
    let out = fraudnet()
        .args([
            "train",
            "--epochs",
            "3",
            "--hidden",
            "8",
            "--test-fraction",
            "0.2",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(&run)
        .arg("--resume")
        .arg(ckpt(&run, 2))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--test-fraction 0.1"), "{err}");
    let out = fraudnet()
        .args(["train", "--test-fraction", "0.8", "--data"])
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(dir.path().join("never"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("invalid setting --test-fraction"), "{err}");
}
