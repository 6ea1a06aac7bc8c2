//! `fraudnet train` end to end on small data: the log, checkpoints, the metrics CSV, and the
//! synthetic default.

mod common;

use common::{fraudnet, small_csv, write};
use fraudnet::checkpoint;

#[test]
fn redirected_log_has_each_epoch_line_once_and_no_control_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(3000, 6, 25));
    let ckpt = dir.path().join("ckpt");
    let log = dir.path().join("metrics.csv");
    // Output goes to pipes, as when redirected to a file: neither stream is a terminal.
    let out = fraudnet()
        .args([
            "train",
            "--epochs",
            "3",
            "--batch-size",
            "256",
            "--hidden",
            "16,16",
            "--dropout",
            "0,0.3",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(&ckpt)
        .arg("--metrics-log")
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains('\r') && !text.contains('\x1b'),
            "control bytes in the log:\n{text:?}"
        );
    }
    // 3000 rows: 600 validation, 2400 training, 10 steps of 256 (the last has 96 rows).
    for epoch in 1..=3 {
        assert_eq!(
            stdout.matches(&format!("Epoch {epoch}/3\n")).count(),
            1,
            "{stdout}"
        );
    }
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("10/10 - "))
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in &lines {
        for key in [
            "s/step",
            " - fn: ",
            " - loss: ",
            " - precision: ",
            " - val_tp: ",
            " - val_loss: ",
        ] {
            assert!(line.contains(key), "{key} missing from {line}");
        }
    }
    assert!(
        stdout.contains("out of 600 validation transactions"),
        "{stdout}"
    );
    // A checkpoint per epoch, 1-based, no temporary files left behind.
    let names = common::file_names(&ckpt);
    assert_eq!(
        names,
        [
            "fraud_model_at_epoch_1.safetensors",
            "fraud_model_at_epoch_2.safetensors",
            "fraud_model_at_epoch_3.safetensors"
        ]
    );
    let last = checkpoint::load(&ckpt.join("fraud_model_at_epoch_3.safetensors")).unwrap();
    assert_eq!(last.meta.epoch, 3);
    assert_eq!(last.adam.t, 30, "10 steps per epoch");
    assert_eq!(last.meta.feature_names.len(), 6);
    // The metrics log: a header and one row per epoch.
    let log = std::fs::read_to_string(&log).unwrap();
    let rows: Vec<&str> = log.lines().collect();
    assert_eq!(rows.len(), 4, "{log}");
    assert!(rows[0].starts_with("epoch,seconds,loss,fn,fp,tn,tp,precision,recall,val_loss"));
    assert!(rows[3].starts_with("3,"));
}

#[test]
fn same_seed_same_checkpoint_bytes_for_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    let run = |threads: &str, sub: &str| {
        let ckpt = dir.path().join(sub);
        let flags = [
            "--epochs",
            "2",
            "--batch-size",
            "128",
            "--hidden",
            "32,32",
            "--dropout",
            "0.2,0.2",
            "--seed",
            "9",
            "--threads",
            threads,
        ];
        common::train_ok(&data, &ckpt, &flags);
        std::fs::read(ckpt.join("fraud_model_at_epoch_2.safetensors")).unwrap()
    };
    assert!(
        run("1", "one") == run("2", "two"),
        "checkpoints differ between 1 and 2 threads"
    );
}

#[test]
fn without_data_it_trains_on_the_announced_synthetic_default() {
    // In an empty directory none of the default data paths exists (`work/../shared` neither).
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = fraudnet()
        .current_dir(&work)
        .args(["train", "--epochs", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("SYNTHETIC DATA"), "{stdout}");
    assert!(stderr.contains("SYNTHETIC"), "{stderr}");
    assert!(stdout.contains("features.shape: (284807, 30)"), "{stdout}");
    assert!(stdout.contains("112/112 - "), "{stdout}");
    assert!(
        work.join("checkpoints/fraud_model_at_epoch_1.safetensors")
            .exists()
    );
}

#[test]
fn summary_and_gradcheck_subcommands() {
    let out = fraudnet().arg("summary").output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        stdout.contains("Total params: 139,777 (546.00 KB)"),
        "{stdout}"
    );
    let out = fraudnet()
        .args([
            "gradcheck",
            "--hidden",
            "32,16",
            "--dropout",
            "0,0.3",
            "--inputs",
            "6",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.matches(" ok").count(),
        7,
        "3 kernels, 3 biases, the input:\n{stdout}"
    );
}
