//! Issue 12, kind 2: `--overwrite` never loses the earlier run before the new one has proved
//! it can start. Every input is validated before the checkpoint directory is touched; the
//! earlier files are moved aside and deleted only once the new run's first checkpoint is
//! written, and restored when it fails before that; a failed run leaves no empty directory.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{file_names, fraudnet, small_csv, write};
use fraudnet::optim::AdamConfig;
use fraudnet::train::{self, DataSource, RunSettings, TrainConfig};
use fraudnet::{Error, Result};

/// Every file under `dir` (hidden ones included) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    ckpt: PathBuf,
    log: PathBuf,
}

/// Two epochs of a small run into `ckpt`, with a metrics log beside it.
fn earlier_run() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let data = write(&root, "ok.csv", small_csv(200, 3, 5));
    let ckpt = root.join("ckpt");
    let log = root.join("log.csv");
    let out = small_train("2", &data, &ckpt, &log).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Setup {
        _dir: dir,
        root,
        data,
        ckpt,
        log,
    }
}

/// `fraudnet train` of a small model (`--hidden 8 --batch-size 64`) for `epochs` epochs on
/// `data` into `ckpt`, logging to `log`; the caller adds its flags and runs it.
fn small_train(epochs: &str, data: &Path, ckpt: &Path, log: &Path) -> std::process::Command {
    let mut command = fraudnet();
    command
        .args([
            "train",
            "--epochs",
            epochs,
            "--hidden",
            "8",
            "--batch-size",
            "64",
        ])
        .arg("--data")
        .arg(data)
        .arg("--checkpoint-dir")
        .arg(ckpt)
        .arg("--metrics-log")
        .arg(log);
    command
}

/// `train --overwrite` again in the same directory with `data` and `extra`; expects failure
/// (exit 1) and returns stderr.
fn overwrite_fails(s: &Setup, data: &Path, extra: &[&str]) -> String {
    let out = small_train("1", data, &s.ckpt, &s.log)
        .arg("--overwrite")
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_failed_overwrite_leaves_the_earlier_run_as_it_was() {
    let s = earlier_run();
    let before = snapshot(&s.ckpt);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        [
            "fraud_model_at_epoch_1.safetensors",
            "fraud_model_at_epoch_2.safetensors"
        ]
    );
    let log_before = std::fs::read(&s.log).unwrap();
    // A mistyped --init-weights.
    let e = overwrite_fails(&s, &s.data, &["--init-weights", "missing.safetensors"]);
    assert!(e.contains("missing.safetensors: cannot open"), "{e}");
    // Data with a bad row.
    let bad = write(
        &s.root,
        "bad.csv",
        small_csv(200, 3, 5).replacen("\"0\"\n", "\"0\"\n1,x,2,\"0\"\n", 1),
    );
    let e = overwrite_fails(&s, &bad, &[]);
    assert!(
        e.contains("bad.csv:3: column \"f1\": expected a finite number, found \"x\""),
        "{e}"
    );
    // Data whose training split has no fraud (frauds only in the last 20 % of the rows).
    let mut text = String::from("\"f0\",\"Class\"\n");
    for r in 0..100 {
        text += &format!("{},{}\n", r, u8::from(r >= 90));
    }
    let no_fraud = write(&s.root, "no_train_fraud.csv", text);
    let e = overwrite_fails(&s, &no_fraud, &[]);
    assert!(e.contains("no_train_fraud.csv"), "{e}");
    // After each: the same files, byte for byte, and nothing else (no hidden directory).
    assert_eq!(snapshot(&s.ckpt), before);
    assert_eq!(std::fs::read(&s.log).unwrap(), log_before);
    assert_eq!(
        file_names(&s.root),
        ["bad.csv", "ckpt", "log.csv", "no_train_fraud.csv", "ok.csv"]
    );
}

#[test]
fn a_successful_overwrite_replaces_the_earlier_run() {
    let s = earlier_run();
    let out = small_train("1", &s.data, &s.ckpt, &s.log)
        .args(["--seed", "9", "--overwrite"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Deleted 3 file(s) of an earlier run in {} once this run's first checkpoint was \
             written (--overwrite)",
            s.ckpt.display()
        )),
        "{stdout}"
    );
    assert_eq!(file_names(&s.ckpt), ["fraud_model_at_epoch_1.safetensors"]);
    assert_eq!(
        checkpoint_seed(&s.ckpt.join("fraud_model_at_epoch_1.safetensors")),
        9
    );
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert_eq!(
        log.lines().count(),
        2,
        "the new run's header and epoch 1:\n{log}"
    );
    assert_eq!(file_names(&s.root), ["ckpt", "log.csv", "ok.csv"]);
}

fn checkpoint_seed(path: &Path) -> u64 {
    fraudnet::checkpoint::load(path).unwrap().meta.seed
}

#[test]
fn a_failed_new_run_leaves_no_empty_checkpoint_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("new/ckpt");
    let out = fraudnet()
        .args([
            "train",
            "--epochs",
            "1",
            "--init-weights",
            "missing.safetensors",
        ])
        .arg("--data")
        .arg(write(dir.path(), "ok.csv", small_csv(200, 3, 5)))
        .arg("--checkpoint-dir")
        .arg(&ckpt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("new").exists());
}

/// The library's settings for a small run into `ckpt`.
fn settings(ckpt: &Path, log: &Path, seed: u64, epochs: usize) -> RunSettings {
    RunSettings {
        config: TrainConfig {
            epochs,
            batch_size: 64,
            adam: AdamConfig::default(),
            seed,
            shuffle: true,
            checkpoint_dir: ckpt.to_path_buf(),
            val_fraction: 0.2,
            test_fraction: 0.0,
            ema: None,
            data_source: String::new(),
            keep_best: None,
        },
        hidden: vec![8],
        dropout: vec![0.0],
        label: None,
        init_weights: None,
        metrics_log: Some(log.to_path_buf()),
        resume: None,
        overwrite: true,
        describe_mismatch: |m| m.to_string(),
        describe_change: |c| c.to_string(),
    }
}

#[test]
fn through_the_library_the_earlier_files_go_only_with_the_first_checkpoint() {
    let s = earlier_run();
    let before = snapshot(&s.ckpt);
    let log_before = std::fs::read(&s.log).unwrap();
    let run = |epochs: usize, fail_at: usize| -> Result<()> {
        let mut writes = 0;
        let mut writer = |path: &Path, bytes: &[u8]| -> Result<()> {
            writes += 1;
            if writes == fail_at {
                return Err(Error::io(
                    path,
                    "cannot write",
                    std::io::Error::other("disk full"),
                ));
            }
            fraudnet::checkpoint::write_atomically(path, bytes)
        };
        train::run(
            &settings(&s.ckpt, &s.log, 9, epochs),
            DataSource::File(s.data.clone()),
            &mut std::io::sink(),
            &mut std::io::sink(),
            &mut writer,
        )
        .map(|_| ())
    };
    // The first checkpoint write fails: the earlier run is back, byte for byte.
    let e = run(2, 1).unwrap_err().to_string();
    assert!(e.contains("disk full"), "{e}");
    assert_eq!(snapshot(&s.ckpt), before);
    assert_eq!(std::fs::read(&s.log).unwrap(), log_before);
    // The second fails: the first was written, so the earlier run is gone and the new
    // epoch 1 stays (a resume goes on from it).
    let e = run(2, 2).unwrap_err().to_string();
    assert!(e.contains("disk full"), "{e}");
    assert_eq!(file_names(&s.ckpt), ["fraud_model_at_epoch_1.safetensors"]);
    assert_eq!(
        checkpoint_seed(&s.ckpt.join("fraud_model_at_epoch_1.safetensors")),
        9
    );
    assert!(file_names(&s.root).iter().all(|n| !n.starts_with('.')));
}
