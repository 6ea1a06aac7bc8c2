//! Every bad input to `fraudnet train` gets a clear message naming the file, line and column
//! where there is one, a non-zero exit, and leaves no checkpoint behind.

mod common;

use std::path::Path;

use common::{fraudnet, small_csv, write};

/// Runs `train` on `data` (plus `extra` flags) in `dir`, expects failure, and returns stderr.
fn fails(dir: &Path, data: Option<&Path>, extra: &[&str]) -> String {
    let ckpt = dir.join("ckpt");
    let mut cmd = fraudnet();
    cmd.current_dir(dir)
        .args(["train", "--epochs", "1"])
        .arg("--checkpoint-dir")
        .arg(&ckpt);
    if let Some(data) = data {
        cmd.arg("--data").arg(data);
    }
    let out = cmd.args(extra).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success(),
        "expected failure for {extra:?}, got success:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let written = std::fs::read_dir(&ckpt).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "a failed run must write no checkpoint");
    stderr
}

fn assert_has(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "expected {part:?} in:\n{stderr}");
    }
}

#[test]
fn missing_file_names_it_and_says_how_to_fetch_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let e = fails(dir.path(), Some(&dir.path().join("nope.csv")), &[]);
    assert_has(
        &e,
        &["nope.csv", "not found", "scripts/fetch-creditcard.sh"],
    );
}

#[test]
fn a_file_that_is_neither_csv_nor_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(
        dir.path(),
        "model.bin",
        [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0],
    );
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &["model.bin", "not a CSV or gzip"],
    );
}

#[test]
fn empty_file_and_header_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "empty.csv", "");
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &["empty.csv", "empty"],
    );
    let data = write(dir.path(), "header.csv", "\"a\",\"b\",\"Class\"\n");
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &["header.csv", "no data rows"],
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = small_csv(50, 3, 5);
    csv += "1.0,2.0,\"0\"\n"; // line 52: 3 fields instead of 4
    let data = write(dir.path(), "short.csv", csv);
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &["short.csv:52", "expected 4 fields, found 3"],
    );
}

#[test]
fn non_numeric_and_non_finite_features_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, name) in [
        ("abc", "text"),
        ("NaN", "nan"),
        ("inf", "inf"),
        ("1e400", "huge"),
    ] {
        let csv = format!("\"Time\",\"V1\",\"Class\"\n0,1.5,\"0\"\n1,{bad},\"1\"\n");
        let data = write(dir.path(), &format!("{name}.csv"), csv);
        assert_has(
            &fails(dir.path(), Some(&data), &[]),
            &[
                &format!("{name}.csv:3"),
                "\"V1\"",
                "expected a finite number",
                bad,
            ],
        );
    }
}

#[test]
fn a_label_other_than_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(
        dir.path(),
        "label.csv",
        "\"Time\",\"V1\",\"Class\"\n0,1.5,\"0\"\n1,2.5,\"2\"\n",
    );
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &[
            "label.csv:3",
            "\"Class\"",
            "expected a class label 0 or 1",
            "2",
        ],
    );
}

#[test]
fn a_training_split_without_positives() {
    let dir = tempfile::tempdir().unwrap();
    // The only positive is in the last row, which the split puts in validation.
    let mut csv = String::from("\"Time\",\"V1\",\"Class\"\n");
    for i in 0..99 {
        csv += &format!("{i},0.5,\"0\"\n");
    }
    csv += "99,3.0,\"1\"\n";
    let data = write(dir.path(), "nopos.csv", csv);
    assert_has(
        &fails(dir.path(), Some(&data), &[]),
        &["nopos.csv", "infinite"],
    );
}

#[test]
fn settings_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "ok.csv", small_csv(100, 3, 5));
    let d = Some(data.as_path());
    assert_has(
        &fails(dir.path(), d, &["--val-fraction", "0"]),
        &["--val-fraction", "(0, 1)"],
    );
    assert_has(
        &fails(dir.path(), d, &["--val-fraction", "1.5"]),
        &["--val-fraction"],
    );
    assert_has(
        &fails(dir.path(), d, &["--batch-size", "0"]),
        &["--batch-size", "at least 1"],
    );
    assert_has(
        &fails(dir.path(), d, &["--label", "Fraud"]),
        &["--label", "Fraud", "Class"],
    );
    assert_has(
        &fails(dir.path(), d, &["--hidden", "8,8", "--dropout", "0"]),
        &["--hidden lists 2 layers but --dropout lists 1"],
    );
    assert_has(
        &fails(dir.path(), d, &["--dropout", "0,1.0,0"]),
        &["--dropout", "outside [0, 1)"],
    );
}

#[test]
fn an_unwritable_checkpoint_directory_fails_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "ok.csv", small_csv(100, 3, 5));
    // A regular file where a directory must go: no directory can be created below it, even
    // for root (who ignores permission bits).
    let blocker = write(dir.path(), "blocker", "not a directory");
    let out = fraudnet()
        .args(["train", "--epochs", "1"])
        .arg("--data")
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(blocker.join("ckpt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!out.status.success());
    assert_has(&stderr, &["blocker/ckpt", "checkpoint directory"]);
    assert!(
        !stdout.contains("Epoch 1/"),
        "must fail before training:\n{stdout}"
    );
}

#[test]
fn a_new_run_does_not_mix_with_an_earlier_runs_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "ok.csv", small_csv(200, 3, 5));
    let ckpt = dir.path().join("ckpt");
    let log = dir.path().join("log.csv");
    let run = |extra: &[&str]| {
        fraudnet()
            .args(["train", "--hidden", "8", "--batch-size", "64"])
            .arg("--data")
            .arg(&data)
            .arg("--checkpoint-dir")
            .arg(&ckpt)
            .arg("--metrics-log")
            .arg(&log)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&["--epochs", "2"]).status.success());
    let before = std::fs::read(ckpt.join("fraud_model_at_epoch_2.safetensors")).unwrap();
    // Again without --resume or --overwrite: refused before training, nothing touched.
    let again = run(&["--epochs", "2", "--seed", "7"]);
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert!(!again.status.success());
    assert_has(
        &stderr,
        &["holds the metrics of an earlier run", "--overwrite"],
    );
    std::fs::remove_file(&log).unwrap();
    let again = run(&["--epochs", "2", "--seed", "7"]);
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert_has(
        &stderr,
        &[
            "ckpt",
            "2 checkpoint file(s) of an earlier run",
            "--resume",
            "--overwrite",
        ],
    );
    assert_eq!(
        std::fs::read(ckpt.join("fraud_model_at_epoch_2.safetensors")).unwrap(),
        before
    );
    // With --overwrite the earlier files go and the new run's replace them.
    let replaced = run(&["--epochs", "1", "--seed", "7", "--overwrite"]);
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );
    assert!(ckpt.join("fraud_model_at_epoch_1.safetensors").exists());
    assert!(
        !ckpt.join("fraud_model_at_epoch_2.safetensors").exists(),
        "the earlier run's epoch 2 must be gone"
    );
}
