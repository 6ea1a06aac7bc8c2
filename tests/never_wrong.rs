//! Issue 12, "never a wrong number": each kind's example from the issue, with its right value.
//!
//! Most cases use the checkpoint of a network that is the identity on one feature `x` (inputs
//! 1, a single Dense(1) with kernel 1 and bias 0, standardisation mean 0 and std 1), so the
//! logit is `x` and the probability `σ(x)`; it is built through the library and saved with
//! `checkpoint::save`, as `train` saves one.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{fraudnet, write};
use fraudnet::checkpoint::{self, CheckpointMeta};
use fraudnet::evaluation::Evaluation;
use fraudnet::metrics::{Confusion, EpochMetrics};
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::ranking::{self, Curve};
use fraudnet::rng::{self, Stream};
use fraudnet::{Error, sizes};
use ndarray::{Array1, Array2};

/// Saves a one-feature checkpoint `z = kernel·(x − mean)/std + bias` as `name` in `dir`.
fn linear_checkpoint(dir: &Path, name: &str, kernel: f32, std: f32) -> PathBuf {
    let arch = Architecture::mlp(1, &[], &[]).unwrap();
    let mut model = Sequential::<f32>::new(&arch, &mut rng::stream(0, Stream::Init)).unwrap();
    for p in model.parameters_mut() {
        let mut value = p.value;
        value.fill(if p.name.ends_with("/kernel") {
            kernel
        } else {
            0.0
        });
    }
    let adam = Adam::new(AdamConfig::default(), &model);
    let meta = CheckpointMeta {
        format: checkpoint::FORMAT.into(),
        format_version: checkpoint::FORMAT_VERSION,
        epoch: 1,
        epochs: 1,
        seed: 0,
        architecture: arch,
        adam: AdamConfig::default(),
        batch_size: 2048,
        val_fraction: 0.2,
        test_fraction: 0.0,
        ema_momentum: None,
        shuffle: true,
        feature_names: vec!["x".into()],
        label_name: "Class".into(),
        mean: vec![0.0],
        std: vec![std],
        class_weight: [0.5, 0.5],
        data_source: "identity".into(),
        metrics: EpochMetrics::default(),
        dropout_rng_position: "0".into(),
        shuffle_rng_position: "0".into(),
    };
    let path = dir.join(name);
    checkpoint::save(&path, &model, &adam, None, &meta).unwrap();
    path
}

/// The identity checkpoint: `p = σ(x)`.
fn identity_checkpoint(dir: &Path) -> PathBuf {
    linear_checkpoint(dir, "identity.safetensors", 1.0, 1.0)
}

/// A labelled file `x,Class` with these rows.
fn rows_csv(dir: &Path, name: &str, x: &[&str], labels: &[u8]) -> PathBuf {
    let mut text = String::from("x,Class\n");
    for (x, y) in x.iter().zip(labels) {
        text += &format!("{x},{y}\n");
    }
    write(dir, name, text)
}

/// Runs fraudnet with `args`; returns (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = fraudnet().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `fraudnet COMMAND --checkpoint ckpt --data data EXTRA…` (`evaluate` or `predict`): its exit
/// code, stdout and stderr.
fn score(
    command: &str,
    ckpt: &Path,
    data: &Path,
    extra: &[&std::ffi::OsStr],
) -> (Option<i32>, String, String) {
    let mut args = vec![
        os(command),
        os("--checkpoint"),
        os(ckpt),
        os("--data"),
        os(data),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// `evaluate --all` of `data` with `ckpt` plus `extra`; asserts success, returns stdout.
fn evaluate(ckpt: &Path, data: &Path, extra: &[&str]) -> String {
    let mut args = vec![os("--all")];
    args.extend(extra.iter().map(os));
    let (code, stdout, stderr) = score("evaluate", ckpt, data, &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        !stdout.contains("nan") && !stderr.contains("nan"),
        "{stdout}"
    );
    stdout
}

/// The text after `prefix` on the line that starts with it, up to the next space.
fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{text}"));
    line.split_whitespace().next().unwrap()
}

fn confusion(tp: u64, fp: u64, tn: u64, fn_: u64) -> Confusion {
    Confusion { tp, fp, tn, fn_ }
}

// ---------------------------------------------------------------------------------------------
// Kind 1: a non-finite value after standardisation, or a non-finite logit, is an error naming
// the line and the column, and nothing is written.

#[test]
fn a_value_that_overflows_when_standardised_is_refused_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // std 0.26: 3.4e38 is a finite f32, 3.4e38 / 0.26 is not.
    let ckpt = linear_checkpoint(dir.path(), "std.safetensors", 1.0, 0.26);
    let data = rows_csv(
        dir.path(),
        "big.csv",
        &["1", "2", "3.4e38", "0"],
        &[0, 1, 1, 0],
    );
    let expected = format!(
        "error: {}:4: column \"x\": the value 340000000000000000000000000000000000000 \
         standardised with the checkpoint's mean 0 and std 0.26 is inf, not a finite f32; the \
         row cannot be scored\n",
        data.display()
    );
    // evaluate
    let (code, stdout, stderr) = score("evaluate", &ckpt, &data, &[os("--all")]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr, expected);
    assert!(!stdout.contains("ROC AUC"), "{stdout}");
    // predict: the same message, and no output file (nor a temporary one) afterwards.
    let output = dir.path().join("scores.csv");
    let (code, _, stderr) = score("predict", &ckpt, &data, &[os("--output"), os(&output)]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr, expected);
    assert_eq!(
        common::file_names(dir.path()),
        ["big.csv", "std.safetensors"]
    );
    // Without --all, evaluate scores the checkpoint's validation split (the last ⌊0.2·5⌋ = 1
    // row, data row 5): its line is still the file's, 6.
    let tail = rows_csv(
        dir.path(),
        "tail.csv",
        &["1", "2", "3", "4", "-3.4e38"],
        &[0, 1, 0, 1, 1],
    );
    let (code, _, stderr) = score("evaluate", &ckpt, &tail, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with(&format!("error: {}:6: column \"x\": ", tail.display())),
        "{stderr}"
    );
    assert!(stderr.contains(" is -inf, not a finite f32"), "{stderr}");
}

#[test]
fn a_non_finite_logit_is_refused_with_its_line_and_the_likely_column() {
    let dir = tempfile::tempdir().unwrap();
    // kernel 1e30: x = 1e10 gives the logit 1e40, beyond f32.
    let ckpt = linear_checkpoint(dir.path(), "huge.safetensors", 1e30, 1.0);
    let data = rows_csv(dir.path(), "rows.csv", &["0", "1e10"], &[0, 1]);
    let output = dir.path().join("scores.csv");
    let (code, _, stderr) = score("predict", &ckpt, &data, &[os("--output"), os(&output)]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "error: {}:3: column \"x\": the model's logit for this row is inf, not finite; the \
             largest standardised value of the row, 10000000000 in this column, is the likely \
             cause\n",
            data.display()
        )
    );
    assert!(!output.exists());
    // The library says the same through `Scorer::logits`, naming line and column.
    let scorer = fraudnet::predict::Scorer::new(checkpoint::load(&ckpt).unwrap());
    let x = Array2::from_shape_vec((2, 1), vec![0.0f32, 1e10]).unwrap();
    match scorer.logits(x.view(), Path::new("rows.csv"), 1) {
        Err(Error::Data { line, column, .. }) => {
            assert_eq!((line, column.as_deref()), (3, Some("x")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_checkpoint_with_invalid_standardisation_is_refused_naming_the_field_not_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs");
    let data3 = write(
        dir.path(),
        "three.csv",
        "Time,V1,Amount,Class\n1,2,3,0\n4,5,6,1\n",
    );
    for (file, field) in [
        ("ckpt_std_negative.safetensors", "metadata field std[1]"),
        ("ckpt_std_subnormal.safetensors", "metadata field std[2]"),
        ("ckpt_std_all_zero.safetensors", "metadata field std is 0"),
        ("ckpt_mean_beyond_f32.safetensors", "metadata field mean[2]"),
        (
            "ckpt_class_weight_zero.safetensors",
            "metadata field class_weight[1]",
        ),
        (
            "ckpt_val_fraction_1.safetensors",
            "metadata field val_fraction is 1",
        ),
    ] {
        let ckpt = corpus.join(file);
        for command in ["evaluate", "predict"] {
            let output = dir.path().join("out.csv");
            let mut args = vec![
                os(command),
                os("--checkpoint"),
                os(&ckpt),
                os("--data"),
                os(&data3),
            ];
            if command == "predict" {
                args.extend([os("--output"), os(&output)]);
            }
            let (code, _, stderr) = run(&args);
            assert_eq!(code, Some(1), "{file}");
            assert!(stderr.contains(field), "{file}: {stderr}");
            assert!(stderr.contains(file), "{file}: {stderr}");
            // The checkpoint is at fault, not a setting of the command.
            assert!(!stderr.contains("--"), "{file}: names a flag: {stderr}");
            assert!(!output.exists());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kind 3: absurd sizes are refused with "needs N GB", exit 1, no abort.

#[test]
fn absurd_sizes_are_refused_with_the_memory_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["gradcheck", "--hidden", "100000000000", "--dropout", "0"],
            "needs ",
        ),
        (
            &["train", "--hidden", "100000000000", "--dropout", "0"],
            "needs ",
        ),
        (&["peak", "--size", "1000000"], "needs 12,000 GB of memory"),
    ];
    for (args, needs) in cases {
        let out = fraudnet()
            .current_dir(dir.path())
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: invalid setting --"), "{stderr}");
        assert!(stderr.contains(needs), "{args:?}: {stderr}");
        assert!(stderr.contains(" GB"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("memory allocation"));
    }
    // summary allocates nothing: it prints the table of any size from the architecture alone,
    // its counts exact (in u128, so 2·2⁶⁴ + 34·2³² + 1 does not overflow).
    for (hidden, total) in [
        ("100000000000", "Total params: 3,200,000,000,001"),
        (
            "4294967296,4294967296,4294967296",
            "Total params: 36,893,488,293,447,991,297",
        ),
    ] {
        let out = fraudnet()
            .current_dir(dir.path())
            .args(["summary", "--hidden", hidden])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{hidden}: {stdout}");
        assert!(stdout.contains(total), "{hidden}: {stdout}");
    }
    // train touched nothing: no checkpoint directory was created.
    assert!(!dir.path().join("checkpoints").exists());
}

#[test]
fn parameter_counts_do_not_overflow() {
    let huge = 4_294_967_296usize;
    let arch = Architecture::mlp(30, &[huge, huge, huge], &[0.0, 0.0, 0.0]).unwrap();
    // 30·2³² + 2³² + 2·(2³²·2³² + 2³²) + 2³² + 1 = 2·2⁶⁴ + 34·2³² + 1, exactly; in f32
    // bytes 147,573,953,173.8 GB.
    let h = huge as u128;
    let expected = (30 * h + h) + 2 * (h * h + h) + (h + 1);
    assert_eq!(sizes::param_count(&arch), Some(expected));
    assert_eq!(sizes::model_bytes(&arch, 4), Some(4 * expected));
    let e = sizes::check_fits("hidden", "the model", sizes::model_bytes(&arch, 4), 1 << 40)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid hidden: the model needs 147,573,953,174 GB of memory, more than this machine's \
         1,100 GB; choose smaller sizes"
    );
    assert_eq!(sizes::peak_bytes(usize::MAX), None);
    assert_eq!(sizes::gigabytes(12_000_000_000_000), "12,000");
}

#[test]
fn the_memory_check_counts_the_weights_average() {
    // The reference model at batch 2048: 139,777 parameters in 4 f32 copies (weights,
    // gradients, Adam's m and v), a fifth with --ema, and 3 f32 buffers per activation value
    // (30 + 256·3 + 1 per row).
    let arch = Architecture::reference();
    let activations = 2048 * (30 + 3 * 256 + 1) * 3 * 4;
    assert_eq!(
        sizes::training_bytes(&arch, 2048, false),
        Some(4 * 4 * 139_777 + activations)
    );
    assert_eq!(
        sizes::training_bytes(&arch, 2048, true),
        Some(5 * 4 * 139_777 + activations)
    );
}

// ---------------------------------------------------------------------------------------------
// Kind 4: every printed threshold can be passed back, at both ends.

/// Every threshold an evaluation prints, with the counts printed beside it.
fn printed_points(e: &Evaluation) -> Vec<(f32, Confusion)> {
    let mut points: Vec<(f32, Confusion)> =
        e.table.iter().map(|p| (p.threshold, p.confusion)).collect();
    points.extend(
        e.recall_targets
            .iter()
            .filter_map(|(_, p)| p.map(|p| (p.threshold, p.confusion))),
    );
    points.extend(e.cost.map(|c| (c.best.threshold, c.best.confusion)));
    points.extend(e.curve.points().map(|p| (p.threshold, p.confusion)));
    points
}

#[test]
fn every_printed_threshold_round_trips_on_the_issues_rows() {
    /// Logits, labels and `(fn_cost, fp_cost)`.
    type Case<'a> = (&'a [f32], &'a [f32], (f64, f64));
    let cases: [Case; 2] = [
        (&[50.0, 40.0, 0.0, -3.0], &[1.0, 0.0, 1.0, 0.0], (0.0, 1.0)),
        (&[-200.0, 5.0, 6.0], &[1.0, 0.0, 1.0], (1.0, 0.0)),
    ];
    for (logits, labels, costs) in cases {
        let e = Evaluation::new(logits, labels, 0.5, Some(costs));
        for (t, counts) in printed_points(&e) {
            // Printed as `evaluate` prints it, parsed back as `--threshold` parses it.
            let parsed: f32 = ranking::format_threshold(t).parse().unwrap();
            assert_eq!(parsed.to_bits(), t.to_bits(), "{t}");
            assert!(ranking::threshold_accepted(parsed), "{t} is refused");
            let again = Evaluation::new(logits, labels, parsed, None);
            assert_eq!(again.confusion, counts, "threshold {t} on {logits:?}");
        }
    }
}

#[test]
fn flag_nothing_and_flag_everything_print_thresholds_the_command_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = identity_checkpoint(dir.path());
    // x = [50, 40, 0, −3], labels [1, 0, 1, 0], FN free, FP 1: flag nothing, p > 1.
    let data = rows_csv(dir.path(), "a.csv", &["50", "40", "0", "-3"], &[1, 0, 1, 0]);
    let out = evaluate(&ckpt, &data, &["--fn-cost", "0", "--fp-cost", "1"]);
    assert_eq!(after(&out, "Cheapest threshold for FN·0 + FP·1: p > "), "1");
    let back = evaluate(&ckpt, &data, &["--threshold", "1"]);
    assert!(
        back.contains("At threshold p > 1:\n  tp: 0  fp: 0  tn: 2  fn: 2\n"),
        "{back}"
    );
    // The recall ≥ 0.80 line: the highest threshold flagging both frauds, just below σ(0).
    assert_eq!(after(&out, "recall ≥ 0.80: threshold "), "0.49999997");
    let back = evaluate(&ckpt, &data, &["--threshold", "0.49999997"]);
    assert!(back.contains("  tp: 2  fp: 1  tn: 1  fn: 0\n"), "{back}");

    // x = [−200, 5, 6], labels [1, 0, 1]: recall ≥ 0.80 needs every row, σ(−200) = 0.
    let data = rows_csv(dir.path(), "b.csv", &["-200", "5", "6"], &[1, 0, 1]);
    let out = evaluate(&ckpt, &data, &[]);
    assert_eq!(after(&out, "recall ≥ 0.80: threshold "), "-1e-45");
    let back = evaluate(&ckpt, &data, &["--threshold", "-1e-45"]);
    assert!(back.contains("At threshold p > -1e-45:\n"), "{back}");
    assert!(back.contains("  tp: 2  fp: 1  tn: 0  fn: 0\n"), "{back}");
    // Just outside the range is refused, naming it.
    let (code, _, stderr) = score(
        "evaluate",
        &ckpt,
        &data,
        &[os("--threshold"), os("1.0000001")],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "error: invalid setting --threshold: 1.0000001 is outside [-1e-45, 1] (-1e-45 flags \
         every row, 1 none)\n"
    );
}

#[test]
fn recall_lines_print_the_highest_of_the_equivalent_thresholds() {
    // Probabilities 0.8, 0.3, 0.3, 0.1: flagging {0.8, 0.3, 0.3} works for any t in
    // [0.1, 0.3); the highest is the f32 just below 0.3.
    let curve = Curve::new(&[0.8, 0.3, 0.3, 0.1], &[1.0, 1.0, 0.0, 0.0]);
    let point = curve.for_recall(1.0).unwrap();
    assert_eq!(point.threshold, f32::from_bits(0.3f32.to_bits() - 1));
    assert_eq!(point.confusion, confusion(2, 1, 1, 0));
    // Flag-none is 1 whatever the highest probability.
    assert_eq!(curve.point(0).threshold, 1.0);
}

// ---------------------------------------------------------------------------------------------
// Kind 5: no `nan` anywhere; one wording; a warning at the start.

#[test]
fn a_validation_split_without_fraud_warns_first_and_never_prints_nan() {
    let dir = tempfile::tempdir().unwrap();
    // 100 rows; frauds only in the first 80, so the last 20 (the validation split) have none.
    let mut text = String::from("a,b,Class\n");
    for r in 0..100 {
        let positive = r < 80 && r % 10 == 9;
        let v = (r * 37 % 100) as f64 / 50.0 - 1.0;
        let shift = if positive { 2.0 } else { 0.0 };
        text += &format!("{},{},{}\n", v + shift, -v, u8::from(positive));
    }
    let data = write(dir.path(), "no_val_fraud.csv", text);
    let log = dir.path().join("log.csv");
    let out = fraudnet()
        .args([
            "train",
            "--epochs",
            "2",
            "--hidden",
            "4",
            "--batch-size",
            "32",
        ])
        .args(["--keep-best", "val_auc_pr"])
        .arg("--data")
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(dir.path().join("ckpt"))
        .arg("--metrics-log")
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        "warning: the validation split (20 rows) holds no fraud: val_auc_pr and val_auc_roc are \
         undefined in every epoch, val_recall is 0 and val_precision 0 (no true positive can \
         occur), so --keep-best val_auc_pr and val_auc_roc keep no checkpoint and val_recall \
         and val_precision never improve after epoch 1; only val_loss ranks epochs; with \
         --keep-best val_auc_pr no fraud_model_best.safetensors will be written; give a \
         --val-fraction or a file order that puts frauds in the last rows\n"
    );
    let epoch_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" - val_auc_pr: "))
        .collect();
    assert_eq!(epoch_lines.len(), 2, "{stdout}");
    for line in epoch_lines {
        assert!(
            line.contains(" - val_auc_pr: undefined - val_auc_roc: undefined - "),
            "{line}"
        );
    }
    let log_text = std::fs::read_to_string(&log).unwrap();
    for text in [&stdout, &stderr, &log_text] {
        assert!(!text.to_lowercase().contains("nan"), "{text}");
    }
    assert!(
        !dir.path()
            .join("ckpt/fraud_model_best.safetensors")
            .exists()
    );
    assert_eq!(fraudnet::train::keras_number(f64::NAN), "undefined");
}

// ---------------------------------------------------------------------------------------------
// Kind 7: rank on the logit: no saturation ties.

#[test]
fn roc_auc_ranks_by_logit_where_probabilities_tie_at_one() {
    let logits = [50.0f32, 40.0, 0.0, -3.0];
    let labels = [1.0f32, 0.0, 1.0, 0.0];
    // σ(50) = σ(40) = 1 in f32: ranked by probability, the pair ties and AUC is 0.625.
    let probs: Vec<f32> = logits.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect();
    assert_eq!(probs[0], probs[1]);
    assert_eq!(Curve::new(&probs, &labels).roc_auc(), Some(0.625));
    // evaluate
    let e = Evaluation::new(&logits, &labels, 0.5, None);
    assert_eq!(e.roc_auc, Some(0.75));
    assert_eq!(e.average_precision, Some(0.5 + 0.5 * 2.0 / 3.0));
    // train's validation metrics, through a model that is the identity.
    let arch = Architecture::mlp(1, &[], &[]).unwrap();
    let mut model = Sequential::<f32>::new(&arch, &mut rng::stream(0, Stream::Init)).unwrap();
    for p in model.parameters_mut() {
        let mut value = p.value;
        value.fill(if p.name.ends_with("/kernel") {
            1.0
        } else {
            0.0
        });
    }
    let x = Array2::from_shape_vec((4, 1), logits.to_vec()).unwrap();
    let ranked =
        fraudnet::train::evaluate_ranked(&model, x.view(), Array1::from(labels.to_vec()).view())
            .unwrap();
    assert_eq!(ranked.auc_roc, Some(0.75));
    assert_eq!(ranked.auc_pr, e.average_precision);
    // The command, and `predict --logits`.
    let dir = tempfile::tempdir().unwrap();
    let ckpt = identity_checkpoint(dir.path());
    let data = rows_csv(dir.path(), "a.csv", &["50", "40", "0", "-3"], &[1, 0, 1, 0]);
    let out = evaluate(&ckpt, &data, &[]);
    assert!(out.contains("\nROC AUC: 0.7500\n"), "{out}");
    assert!(
        out.contains("(area under the precision–recall curve): 0.8333\n"),
        "{out}"
    );
    let output = dir.path().join("scores.csv");
    let (code, _, stderr) = score(
        "predict",
        &ckpt,
        &data,
        &[os("--output"), os(&output), os("--logits")],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "probability,logit\n1,50\n1,40\n0.5,0\n0.047425874,-3\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Also: a closed pipe, and --output naming a directory.

#[test]
fn evaluate_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = identity_checkpoint(dir.path());
    // Enough rows that scoring them takes a while after the first line is written.
    let mut text = String::from("x,Class\n");
    for r in 0..300_000 {
        text += &format!("{},{}\n", r % 100 - 50, r % 2);
    }
    let data = write(dir.path(), "many.csv", text);
    // `… | head -c 10`: the reader takes a few bytes, then closes its end while the rows are
    // being scored.
    let mut child = fraudnet()
        .arg("evaluate")
        .arg("--checkpoint")
        .arg(&ckpt)
        .arg("--data")
        .arg(&data)
        .arg("--all")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: every later write fails with EPIPE.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(&first, b"Checkpoint");
    assert_eq!(stderr, "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn predict_refuses_a_directory_as_output_before_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = identity_checkpoint(dir.path());
    let data = rows_csv(dir.path(), "a.csv", &["1", "2"], &[0, 1]);
    let target = dir.path().join("scores");
    std::fs::create_dir(&target).unwrap();
    let (code, _, stderr) = score("predict", &ckpt, &data, &[os("--output"), os(&target)]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "error: invalid setting --output: {} is a directory; name the file to write the \
             scores to\n",
            target.display()
        )
    );
    assert!(common::file_names(&target).is_empty());
}
