//! `fraudnet train --resume`: a run stopped after epoch 2 and resumed to epoch 4 ends bit for
//! bit as the run that never stopped, and a checkpoint from another run is refused with a
//! message naming the mismatch.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{architecture, ckpt, config, file_names, fraudnet, model, prepared, small_csv, write};
use fraudnet::checkpoint;
use fraudnet::train::{self, TrainState};

/// The flags of every run here: shuffling and dropout on, so both RNG streams matter.
const RUN: [(&str, &str); 4] = [
    ("--batch-size", "128"),
    ("--hidden", "16,8"),
    ("--dropout", "0.2,0.3"),
    ("--seed", "11"),
];

/// `fraudnet train` on `data` for `epochs` epochs into `dir`, with a metrics log beside it,
/// plus `extra` flags.
fn train(data: &Path, dir: &Path, epochs: usize, extra: &[&str]) -> Output {
    train_over(data, dir, epochs, &[], extra)
}

/// [`train`] with some of the [`RUN`] flags given other values.
fn train_over(
    data: &Path,
    dir: &Path,
    epochs: usize,
    over: &[(&str, &str)],
    extra: &[&str],
) -> Output {
    let mut cmd = fraudnet();
    cmd.arg("train");
    for (flag, value) in RUN {
        let value = over.iter().find(|(f, _)| *f == flag).map_or(value, |o| o.1);
        cmd.args([flag, value]);
    }
    cmd.args(["--epochs", &epochs.to_string()])
        .arg("--data")
        .arg(data)
        .arg("--checkpoint-dir")
        .arg(dir)
        .arg("--metrics-log")
        .arg(dir.with_extension("csv"))
        .args(extra)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn refused(out: Output, parts: &[&str]) {
    let stderr = String::from_utf8(out.stderr).unwrap();
    // 1 for errors of the run, 2 for clap's usage errors; never a panic's 101.
    assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "expected {part:?} in:\n{stderr}");
    }
}

/// The metrics log without its `seconds` column, which no two runs share.
fn log_without_seconds(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields.remove(1);
            fields.join(",")
        })
        .collect()
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    (dir, data)
}

#[test]
fn four_epochs_straight_equal_two_then_resume_to_four_byte_for_byte() {
    let (dir, data) = setup();
    let straight = dir.path().join("straight");
    let stopped = dir.path().join("stopped");
    ok(train(&data, &straight, 4, &[]));
    ok(train(&data, &stopped, 2, &[]));
    assert_eq!(
        file_names(&stopped),
        [checkpoint::file_name(1), checkpoint::file_name(2)]
    );
    let stdout = ok(train(
        &data,
        &stopped,
        4,
        &["--resume", ckpt(&stopped, 2).to_str().unwrap()],
    ));
    assert!(
        stdout.contains("after epoch 2 of 4") && !stdout.contains("Epoch 2/4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Epoch 3/4") && stdout.contains("Epoch 4/4"),
        "{stdout}"
    );
    for epoch in 3..=4 {
        assert!(
            std::fs::read(ckpt(&straight, epoch)).unwrap()
                == std::fs::read(ckpt(&stopped, epoch)).unwrap(),
            "checkpoint of epoch {epoch} differs between the straight and the resumed run"
        );
    }
    // Epochs 1–2 differ only in the epochs asked for (2, not 4).
    for epoch in 1..=2 {
        let (a, mut b) = (
            checkpoint::load(&ckpt(&straight, epoch)).unwrap(),
            checkpoint::load(&ckpt(&stopped, epoch)).unwrap(),
        );
        assert_eq!(b.meta.epochs, 2);
        b.meta.epochs = 4;
        assert_eq!((a.meta, a.model, a.adam), (b.meta, b.model, b.adam));
    }
    // The log: kept rows 1–2, appended rows 3–4, as the straight run's.
    let (a, b) = (
        log_without_seconds(&straight.with_extension("csv")),
        log_without_seconds(&stopped.with_extension("csv")),
    );
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn a_dropout_free_model_resumes_exactly_too_and_a_directory_means_its_newest_checkpoint() {
    let (dir, data) = setup();
    let flags = ["--hidden", "16,8", "--dropout", "0,0"];
    let straight = dir.path().join("straight");
    let stopped = dir.path().join("stopped");
    ok(train(&data, &straight, 3, &flags));
    ok(train(&data, &stopped, 1, &flags));
    let resume = [&flags[..], &["--resume", stopped.to_str().unwrap()]].concat();
    let stdout = ok(train(&data, &stopped, 3, &resume));
    assert!(stdout.contains("after epoch 1 of 3"), "{stdout}");
    assert!(
        std::fs::read(ckpt(&straight, 3)).unwrap() == std::fs::read(ckpt(&stopped, 3)).unwrap()
    );
}

#[test]
fn resuming_after_the_interrupted_epoch_drops_its_log_row_and_temporary_file() {
    let (dir, data) = setup();
    let straight = dir.path().join("straight");
    let stopped = dir.path().join("stopped");
    ok(train(&data, &straight, 3, &[]));
    ok(train(&data, &stopped, 3, &[]));
    // As if killed while writing epoch 3: its log row written, its checkpoint not yet in place.
    let tmp = stopped.join(".fraud_model_at_epoch_3.safetensors.AbC123.tmp");
    std::fs::rename(ckpt(&stopped, 3), &tmp).unwrap();
    let log = stopped.with_extension("csv");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text += "4,0.1,0.2"; // and a torn row after it
    std::fs::write(&log, text).unwrap();
    let stdout = ok(train(
        &data,
        &stopped,
        3,
        &["--resume", stopped.to_str().unwrap()],
    ));
    assert!(stdout.contains("after epoch 2 of 3"), "{stdout}");
    assert!(stdout.contains("AbC123.tmp"), "{stdout}");
    assert_eq!(file_names(&stopped).len(), 3, "{:?}", file_names(&stopped));
    assert!(
        std::fs::read(ckpt(&straight, 3)).unwrap() == std::fs::read(ckpt(&stopped, 3)).unwrap()
    );
    assert_eq!(
        log_without_seconds(&straight.with_extension("csv")),
        log_without_seconds(&log)
    );
}

#[test]
fn resuming_a_finished_run_trains_nothing() {
    let (dir, data) = setup();
    let run = dir.path().join("run");
    ok(train(&data, &run, 2, &[]));
    let before = std::fs::read(ckpt(&run, 2)).unwrap();
    let stdout = ok(train(
        &data,
        &run,
        2,
        &["--resume", ckpt(&run, 2).to_str().unwrap()],
    ));
    assert!(stdout.contains("Nothing left to train"), "{stdout}");
    assert!(!stdout.contains("Epoch "), "{stdout}");
    assert_eq!(std::fs::read(ckpt(&run, 2)).unwrap(), before);
    assert_eq!(file_names(&run).len(), 2);
}

#[test]
fn a_checkpoint_of_another_run_is_refused_naming_the_mismatch() {
    let (dir, data) = setup();
    let run = dir.path().join("run");
    ok(train(&data, &run, 2, &[]));
    let from = ckpt(&run, 2);
    let from = from.to_str().unwrap();
    let other = dir.path().join("other");
    let resume = |data: &Path, extra: &[&str]| {
        train(data, &other, 3, &[&["--resume", from][..], extra].concat())
    };
    // Another architecture.
    refused(
        train_over(
            &data,
            &other,
            3,
            &[("--hidden", "16,16")],
            &["--resume", from],
        ),
        &[
            "cannot resume",
            "--hidden 16,8 --dropout 0.2,0.3",
            "--hidden 16,16 --dropout 0.2,0.3",
        ],
    );
    // Other feature names.
    let renamed = std::fs::read_to_string(&data)
        .unwrap()
        .replacen("\"f0\"", "\"Time\"", 1);
    let renamed = write(dir.path(), "renamed.csv", renamed);
    refused(
        resume(&renamed, &[]),
        &["cannot resume", "features", "Time"],
    );
    // Same names, other rows.
    let more = write(dir.path(), "more.csv", small_csv(2100, 5, 20));
    refused(resume(&more, &[]), &["cannot resume", "other data"]);
    // Another seed, validation fraction, shuffle setting.
    refused(
        train_over(&data, &other, 3, &[("--seed", "12")], &["--resume", from]),
        &["--seed 11", "--seed 12"],
    );
    refused(
        resume(&data, &["--val-fraction", "0.25"]),
        &["cannot resume", "--val-fraction 0.2"],
    );
    refused(resume(&data, &["--no-shuffle"]), &["--no-shuffle"]);
    // Fewer epochs than already trained.
    refused(
        train(&data, &other, 1, &["--resume", from]),
        &["--epochs", "1 is fewer than the 2 epochs"],
    );
    // Not together with --init-weights.
    refused(
        resume(&data, &["--init-weights", from]),
        &["--init-weights"],
    );
    // A missing checkpoint, a directory without one, a damaged one.
    refused(
        train(&data, &other, 3, &["--resume", "nope.safetensors"]),
        &["nope.safetensors"],
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(
        train(&data, &other, 3, &["--resume", empty.to_str().unwrap()]),
        &["empty", "holding no fraud_model_at_epoch_"],
    );
    let bytes = std::fs::read(ckpt(&run, 2)).unwrap();
    let torn = write(dir.path(), "torn.safetensors", &bytes[..bytes.len() / 2]);
    refused(
        train(&data, &other, 3, &["--resume", torn.to_str().unwrap()]),
        &["torn.safetensors", "not a valid safetensors file"],
    );
    assert!(
        !other.exists() || file_names(&other).is_empty(),
        "a refused resume writes no checkpoint"
    );
}

#[test]
fn the_learning_rate_may_change_on_resume_and_is_announced() {
    let (dir, data) = setup();
    let run = dir.path().join("run");
    ok(train(&data, &run, 1, &[]));
    let stdout = ok(train(
        &data,
        &run,
        2,
        &[
            "--resume",
            ckpt(&run, 1).to_str().unwrap(),
            "--learning-rate",
            "0.001",
        ],
    ));
    assert!(
        stdout.contains("changed on resume: --learning-rate: 0.01 → 0.001"),
        "{stdout}"
    );
    let last = checkpoint::load(&ckpt(&run, 2)).unwrap();
    assert_eq!(last.meta.adam.learning_rate, 0.001);
}

#[test]
fn library_resume_continues_the_state_exactly() {
    // Through the API: fit 3 epochs; fit 1, load its checkpoint, resume to 3.
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let arch = architecture(4);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let sink = &mut std::io::sink();
    let straight = train::fit(&config(&a, 3), &data, model(&arch), None, sink).unwrap();
    train::fit(&config(&b, 1), &data, model(&arch), None, sink).unwrap();
    let path = ckpt(&b, 1);
    let state = TrainState::resume(
        checkpoint::load(&path).unwrap(),
        &path,
        &config(&b, 3),
        &arch,
        &data,
    )
    .unwrap();
    assert_eq!(state.epoch, 1);
    assert_eq!(state.adam.t, 15, "960 training rows in batches of 64");
    let resumed = train::fit_from(
        &config(&b, 3),
        &data,
        state,
        None,
        sink,
        &mut checkpoint::write_atomically,
    )
    .unwrap();
    assert_eq!(resumed.history.len(), 2);
    assert_eq!(resumed.history[..], straight.history[1..]);
    assert_eq!(resumed.model, straight.model);
    assert!(std::fs::read(ckpt(&a, 3)).unwrap() == std::fs::read(ckpt(&b, 3)).unwrap());
}
