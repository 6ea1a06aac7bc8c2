//! Filesystem faults: a checkpoint directory that becomes unwritable, or a write that fails
//! part-way, gives a clear error and leaves the previous checkpoint intact and no temporary
//! file behind.

mod common;

use std::io::Write;
use std::path::Path;

use common::{architecture, ckpt, config, file_names, fraudnet, model, prepared, small_csv, write};
use fraudnet::{Error, checkpoint, train};

/// A write that puts half the bytes in the file, then fails as a full disk would.
fn half_then_enospc(file: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(&bytes[..bytes.len() / 2])?;
    Err(std::io::Error::other("No space left on device (simulated)"))
}

#[test]
fn a_write_failing_part_way_leaves_the_previous_file_and_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("fraud_model_at_epoch_1.safetensors");
    std::fs::write(&target, b"the previous checkpoint").unwrap();
    let err =
        checkpoint::write_atomically_with(&target, &[7u8; 10_000], half_then_enospc).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Io { .. }), "{message}");
    for part in [
        "fraud_model_at_epoch_1.safetensors",
        "cannot write",
        "left as it was",
        "No space left on device (simulated)",
    ] {
        assert!(message.contains(part), "expected {part:?} in {message}");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous checkpoint");
    assert_eq!(
        file_names(dir.path()),
        ["fraud_model_at_epoch_1.safetensors"]
    );
    // And the same call with a working writer does replace it.
    checkpoint::write_atomically_with(&target, b"new", |f, b| f.write_all(b)).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(
        file_names(dir.path()),
        ["fraud_model_at_epoch_1.safetensors"]
    );
}

#[test]
fn a_checkpoint_write_failing_mid_run_stops_training_and_keeps_the_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let ckpt_dir = dir.path().join("ckpt");
    let cfg = config(&ckpt_dir, 4);
    let log_path = dir.path().join("log.csv");
    let mut log = train::MetricsLog::create(&log_path).unwrap();
    let mut epoch1 = Vec::new();
    // Epochs 1 and 2 are written; the write of epoch 3 fails half-way.
    let mut write = |path: &Path, bytes: &[u8]| {
        if path.ends_with(checkpoint::file_name(3)) {
            checkpoint::write_atomically_with(path, bytes, half_then_enospc)
        } else {
            if path.ends_with(checkpoint::file_name(1)) {
                epoch1 = bytes.to_vec();
            }
            checkpoint::write_atomically(path, bytes)
        }
    };
    let state = train::TrainState::fresh(model(&architecture(4)), &cfg);
    let err = train::fit_from(
        &cfg,
        &data,
        state,
        Some(&mut log),
        &mut std::io::sink(),
        &mut write,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("fraud_model_at_epoch_3.safetensors")
            && message.contains("No space left on device (simulated)"),
        "{message}"
    );
    assert_eq!(
        file_names(&ckpt_dir),
        [checkpoint::file_name(1), checkpoint::file_name(2)]
    );
    assert!(std::fs::read(ckpt(&ckpt_dir, 1)).unwrap() == epoch1);
    assert_eq!(checkpoint::load(&ckpt(&ckpt_dir, 2)).unwrap().meta.epoch, 2);
    // The log has a row for each checkpoint and the failed epoch's; a resume drops the latter.
    let rows = std::fs::read_to_string(&log_path).unwrap().lines().count();
    assert_eq!(rows, 1 + 3);
    drop(train::MetricsLog::resume(&log_path, 2).unwrap());
    let rows = std::fs::read_to_string(&log_path).unwrap().lines().count();
    assert_eq!(rows, 1 + 2);
}

/// Whether `dir` refuses new files (it does not for root, whom permission bits do not stop).
fn refuses_writes(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let refused = std::fs::write(&probe, b"x").is_err();
    let _ = std::fs::remove_file(&probe);
    refused
}

#[cfg(unix)]
#[test]
fn a_checkpoint_directory_made_read_only_fails_clearly_and_keeps_its_checkpoint() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(1000, 4, 20));
    let ckpt_dir = dir.path().join("ckpt");
    let run = |epochs: &str, extra: &[&str]| {
        fraudnet()
            .args(["train", "--epochs", epochs, "--batch-size", "128"])
            .args(["--hidden", "8", "--dropout", "0"])
            .arg("--data")
            .arg(&data)
            .arg("--checkpoint-dir")
            .arg(&ckpt_dir)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run("1", &[]).status.success());
    let good = std::fs::read(ckpt(&ckpt_dir, 1)).unwrap();
    std::fs::set_permissions(&ckpt_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    if !refuses_writes(&ckpt_dir) {
        std::fs::set_permissions(&ckpt_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!(
            "skipping the read-only directory part: this process (root?) can write to a \
             directory with mode 0555; the failing write is tested through \
             checkpoint::write_atomically_with and fit_from instead"
        );
        return;
    }
    let resume = ckpt(&ckpt_dir, 1);
    let out = run("2", &["--resume", resume.to_str().unwrap()]);
    std::fs::set_permissions(&ckpt_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("checkpoint directory is not writable") && stderr.contains("ckpt"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(ckpt(&ckpt_dir, 1)).unwrap(), good);
    assert_eq!(file_names(&ckpt_dir), [checkpoint::file_name(1)]);
}

#[cfg(unix)]
#[test]
fn a_checkpoint_directory_becoming_read_only_during_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let ckpt_dir = dir.path().join("ckpt");
    let cfg = config(&ckpt_dir, 3);
    let mode = |m| std::fs::set_permissions(&ckpt_dir, std::fs::Permissions::from_mode(m));
    let mut skipped = false;
    // The real writer; just before epoch 2's write the directory loses its write permission.
    let mut write = |path: &Path, bytes: &[u8]| {
        if path.ends_with(checkpoint::file_name(2)) {
            mode(0o555).unwrap();
            skipped = !refuses_writes(&ckpt_dir);
        }
        checkpoint::write_atomically(path, bytes)
    };
    let state = train::TrainState::fresh(model(&architecture(4)), &cfg);
    let result = train::fit_from(&cfg, &data, state, None, &mut std::io::sink(), &mut write);
    mode(0o755).unwrap();
    if skipped {
        eprintln!(
            "skipping: this process (root?) can write to a directory with mode 0555; the \
             failing write is tested through checkpoint::write_atomically_with instead"
        );
        return;
    }
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("ckpt") && message.contains("cannot create a temporary file"),
        "{message}"
    );
    assert_eq!(file_names(&ckpt_dir), [checkpoint::file_name(1)]);
    assert_eq!(checkpoint::load(&ckpt(&ckpt_dir, 1)).unwrap().meta.epoch, 1);
}
