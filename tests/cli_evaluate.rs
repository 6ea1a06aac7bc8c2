//! `fraudnet evaluate`, `train --keep-best`, the new metrics-log columns and `fraudnet plot`,
//! end to end on small data.

mod common;

use std::path::{Path, PathBuf};

use common::{fraudnet, small_csv, write};
use fraudnet::checkpoint;
use fraudnet::evaluation::{Rows, score_labelled};
use fraudnet::ranking::Curve;

/// Trains 3 epochs on a small file into `dir/ckpt` with a metrics log and `--keep-best
/// val_auc_pr`; returns (data, checkpoint dir, metrics log, stdout).
fn train(dir: &Path) -> (PathBuf, PathBuf, PathBuf, String) {
    let data = write(dir, "small.csv", small_csv(3000, 6, 25));
    let ckpt = dir.join("ckpt");
    let log = dir.join("metrics.csv");
    let flags = [
        "--epochs",
        "3",
        "--batch-size",
        "256",
        "--hidden",
        "16,16",
        "--dropout",
        "0,0.3",
        "--learning-rate",
        "0.05",
        "--keep-best",
        "val_auc_pr",
        "--metrics-log",
        log.to_str().unwrap(),
    ];
    let stdout = common::train_ok(&data, &ckpt, &flags);
    (data, ckpt, log, stdout)
}

fn run_ok(args: &[&std::ffi::OsStr]) -> String {
    let out = fraudnet().args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn run_err(args: &[&std::ffi::OsStr]) -> String {
    let out = fraudnet().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

/// The value after `key` in the report, up to the next whitespace.
fn after<'a>(text: &'a str, key: &str) -> &'a str {
    let start = text
        .find(key)
        .unwrap_or_else(|| panic!("{key:?} not in:\n{text}"))
        + key.len();
    text[start..].split_whitespace().next().unwrap()
}

fn assert_image_files(dir: &Path, stem: &str) {
    let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
    assert!(png.len() > 1000, "{stem}.png has {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png is a PNG");
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{stem}.svg");
    assert!(svg.len() > 1000, "{stem}.svg has {} bytes", svg.len());
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn evaluate_reproduces_training_validation_metrics_and_draws_the_curve() {
    let dir = tempfile::tempdir().unwrap();
    let (data, ckpt, log, train_stdout) = train(dir.path());

    // The metrics log gained val_auc_pr and val_auc_roc, equal to the checkpoints' metadata.
    let log = std::fs::read_to_string(&log).unwrap();
    let mut rows = log.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut auc_pr_by_epoch = Vec::new();
    for (epoch, row) in (1..).zip(rows) {
        let cells: Vec<&str> = row.split(',').collect();
        let saved = checkpoint::load(&ckpt.join(checkpoint::file_name(epoch))).unwrap();
        let m = saved.meta.metrics;
        let auc_pr: f64 = cells[col("val_auc_pr")].parse().unwrap();
        let auc_roc: f64 = cells[col("val_auc_roc")].parse().unwrap();
        // Exactly: the log writes the shortest round-tripping decimal, and serde_json (with
        // `float_roundtrip`) reads the checkpoint's back to the same f64.
        assert_eq!(Some(auc_pr), m.val_auc_pr, "epoch {epoch}");
        assert_eq!(Some(auc_roc), m.val_auc_roc, "epoch {epoch}");
        assert!((0.0..=1.0).contains(&auc_pr) && (0.0..=1.0).contains(&auc_roc));
        auc_pr_by_epoch.push(auc_pr);
    }
    assert_eq!(auc_pr_by_epoch.len(), 3);
    // ... and the epoch line shows them.
    assert!(train_stdout.contains(" - val_auc_pr: "), "{train_stdout}");
    assert!(train_stdout.contains(" - val_auc_roc: "), "{train_stdout}");

    // --keep-best: the best file is the epoch with the highest val_auc_pr (the first on a tie).
    let best_epoch = 1
        + (0..3)
            .rev()
            .max_by(|&a, &b| auc_pr_by_epoch[a].total_cmp(&auc_pr_by_epoch[b]))
            .unwrap();
    let best = checkpoint::load(&ckpt.join("fraud_model_best.safetensors")).unwrap();
    assert_eq!(best.meta.epoch, best_epoch, "{auc_pr_by_epoch:?}");
    assert!(
        train_stdout.contains("Epoch 1: val_auc_pr improved from -inf to "),
        "{train_stdout}"
    );

    for epoch in 1..=3 {
        let path = ckpt.join(checkpoint::file_name(epoch));
        let saved = checkpoint::load(&path).unwrap();
        let m = saved.meta.metrics;
        // The library: same rows, same probabilities, same AP bit for bit.
        let scored = score_labelled(saved, &data, false).unwrap();
        assert_eq!(
            scored.rows,
            Rows::Validation {
                first: 2401,
                of: 3000
            }
        );
        let curve = Curve::new(&scored.probs, &scored.labels);
        assert_eq!(curve.average_precision(), m.val_auc_pr);
        assert_eq!(curve.roc_auc(), m.val_auc_roc);
        assert_eq!(curve.at(0.5), m.val);

        // The command: counts at 0.5 as training printed them.
        let plots = dir.path().join(format!("plots{epoch}"));
        let stdout = run_ok(&[
            os("evaluate"),
            os("--checkpoint"),
            os(&path),
            os("--data"),
            os(&data),
            os("--fn-cost"),
            os("25"),
            os("--fp-cost"),
            os("1"),
            os("--plot"),
            os(&plots),
        ]);
        let counts =
            ["tp: ", "fp: ", "tn: ", "fn: "].map(|k| after(&stdout, k).parse::<u64>().unwrap());
        assert_eq!(
            counts,
            [m.val.tp, m.val.fp, m.val.tn, m.val.fn_],
            "{stdout}"
        );
        assert_eq!(
            after(&stdout, "precision–recall curve): "),
            format!("{:.4}", m.val_auc_pr.unwrap())
        );
        assert_eq!(
            after(&stdout, "ROC AUC: "),
            format!("{:.4}", m.val_auc_roc.unwrap())
        );
        for t in [
            "p > 0.1 ",
            "p > 0.5 ",
            "p > 0.9 ",
            "recall ≥ 0.80",
            "recall ≥ 0.95",
        ] {
            assert!(stdout.contains(t), "{t} missing:\n{stdout}");
        }
        // The cheapest threshold, passed back, gives the cost it was reported with.
        let t = after(&stdout, "Cheapest threshold for FN·25 + FP·1: p > ");
        let cost: f64 = after(&stdout, "  cost ").parse().unwrap();
        let again = run_ok(&[
            os("evaluate"),
            os("--checkpoint"),
            os(&path),
            os("--data"),
            os(&data),
            os("--threshold"),
            os(t),
        ]);
        let fn_: f64 = after(&again, "fn: ").parse().unwrap();
        let fp: f64 = after(&again, "fp: ").parse().unwrap();
        assert_eq!(25.0 * fn_ + fp, cost, "{stdout}\n{again}");
        assert_image_files(&plots, "pr_curve");
    }

    // --all scores every row.
    let stdout = run_ok(&[
        os("evaluate"),
        os("--checkpoint"),
        os(&ckpt.join("fraud_model_best.safetensors")),
        os("--data"),
        os(&data),
        os("--all"),
    ]);
    assert!(
        stdout.contains("Rows: 3000 (120 frauds, 2880 legitimate)"),
        "{stdout}"
    );

    // fraudnet plot: the training curves from the metrics log.
    let plots = dir.path().join("training-plots");
    let stdout = run_ok(&[
        os("plot"),
        os("--metrics-log"),
        os(&dir.path().join("metrics.csv")),
        os("--out-dir"),
        os(&plots),
    ]);
    assert!(stdout.contains("training.png"), "{stdout}");
    assert_image_files(&plots, "training");
}

#[test]
fn evaluate_and_plot_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, ckpt, _, _) = train(dir.path());
    let path = ckpt.join(checkpoint::file_name(1));

    // No label column.
    let csv = small_csv(50, 6, 5);
    let unlabelled: String = csv
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let file = write(dir.path(), "unlabelled.csv", unlabelled);
    let e = run_err(&[
        os("evaluate"),
        os("--checkpoint"),
        os(&path),
        os("--data"),
        os(&file),
    ]);
    assert!(
        e.contains("unlabelled.csv") && e.contains("no label column \"Class\""),
        "{e}"
    );

    // Other features than the checkpoint's.
    let file = write(dir.path(), "five.csv", small_csv(50, 5, 5));
    let e = run_err(&[
        os("evaluate"),
        os("--checkpoint"),
        os(&path),
        os("--data"),
        os(&file),
    ]);
    assert!(
        e.contains("five.csv") && e.contains("do not match") && e.contains("missing: f5"),
        "{e}"
    );

    // Settings.
    let data = dir.path().join("small.csv");
    for (flag, value, needle) in [
        ("--threshold", "1.5", "--threshold"),
        ("--fn-cost", "-1", "--fn-cost"),
    ] {
        let mut args = vec![
            os("evaluate"),
            os("--checkpoint"),
            os(&path),
            os("--data"),
            os(&data),
            os(flag),
            os(value),
        ];
        if flag == "--fn-cost" {
            args.extend([os("--fp-cost"), os("1")]);
        }
        let e = run_err(&args);
        assert!(e.contains(needle), "{e}");
    }

    // A metrics log with a bad cell: file, line and column named; nothing drawn.
    let log = write(
        dir.path(),
        "bad.csv",
        "epoch,loss,val_loss\n1,0.5,0.4\n2,x,0.3\n",
    );
    let out_dir = dir.path().join("none");
    let e = run_err(&[
        os("plot"),
        os("--metrics-log"),
        os(&log),
        os("--out-dir"),
        os(&out_dir),
    ]);
    assert!(
        e.contains("bad.csv:3: column \"loss\": expected a number, found \"x\""),
        "{e}"
    );
    assert!(!out_dir.exists());
    let e = run_err(&[os("plot"), os("--out-dir"), os(&out_dir)]);
    assert!(e.contains("nothing to plot"), "{e}");
}

#[test]
fn keep_best_carries_over_a_resumed_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    let ckpt = dir.path().join("ckpt");
    let train = |epochs: &str, resume: bool| {
        let mut flags = vec!["--epochs", epochs, "--batch-size", "128"];
        flags.extend(["--hidden", "8", "--dropout", "0", "--learning-rate", "0.05"]);
        flags.extend(["--keep-best", "val_loss"]);
        if resume {
            flags.extend(["--resume", ckpt.to_str().unwrap()]);
        }
        common::train_ok(&data, &ckpt, &flags)
    };
    train("2", false);
    let stdout = train("4", true);
    // The resumed run compares with the best of epochs 1–2, not with nothing.
    assert!(!stdout.contains("improved from inf"), "{stdout}");
    let losses: Vec<f64> = (1..=4)
        .map(|e| {
            checkpoint::load(&ckpt.join(checkpoint::file_name(e)))
                .unwrap()
                .meta
                .metrics
                .val_loss
        })
        .collect();
    // The first of equal values is kept (a strict improvement is needed), as Keras does.
    let best_epoch = 1
        + (0..4)
            .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
            .unwrap();
    let best = checkpoint::load(&ckpt.join("fraud_model_best.safetensors")).unwrap();
    assert_eq!(best.meta.epoch, best_epoch, "{losses:?}\n{stdout}");
}

/// `--keep-best` only chooses which epoch is copied to the best file: the epoch checkpoints are
/// byte-identical with and without it, with the raw weights and with the weights' average
/// (`--ema`). bench/quality/run.sh relies on this to read the "plain" and "best" configurations
/// from one run (and "ema" and "both" from another).
#[test]
fn keep_best_never_changes_what_is_trained() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    for ema in [false, true] {
        let run = |name: &str, keep_best: bool| {
            let ckpt = dir.path().join(name);
            let mut flags = vec!["--epochs", "3", "--batch-size", "128", "--hidden", "8,8"];
            flags.extend(["--dropout", "0,0.3", "--learning-rate", "0.05"]);
            if keep_best {
                flags.extend(["--keep-best", "val_auc_pr"]);
            }
            if ema {
                flags.extend(["--ema", "0.9"]);
            }
            common::train_ok(&data, &ckpt, &flags);
            ckpt
        };
        let tag = if ema { "ema" } else { "raw" };
        let (without, with) = (
            run(&format!("{tag}-last"), false),
            run(&format!("{tag}-best"), true),
        );
        assert!(with.join("fraud_model_best.safetensors").exists());
        for epoch in 1..=3 {
            let name = checkpoint::file_name(epoch);
            assert!(
                std::fs::read(without.join(&name)).unwrap()
                    == std::fs::read(with.join(&name)).unwrap(),
                "{tag}: epoch {epoch}'s checkpoint differs with --keep-best"
            );
        }
    }
}
