//! The epoch line and the conclusion, formatted as the Keras example prints them.

use std::io::Write;

use crate::data::Table;
use crate::format::thousands;
use crate::metrics::EpochMetrics;

/// A metric value as Keras 3's progress bar prints it (keras/src/utils/progbar.py):
/// `{v:.4f}` when `|v| > 1e-3`, else `{v:.4e}` with Python's exponent style (`6.0843e-07`).
/// NaN, which Keras prints as `nan`, is written [`UNDEFINED`], as `evaluate` writes a metric
/// without a value: fraudnet never prints `nan`.
pub fn keras_number(v: f64) -> String {
    if v.is_nan() {
        return UNDEFINED.into();
    }
    if v.abs() > 1e-3 {
        return format!("{v:.4}");
    }
    let s = format!("{v:.4e}");
    let (mantissa, exponent) = s.split_once('e').expect("`e` in scientific notation");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    format!(
        "{mantissa}e{}{:02}",
        if exponent < 0 { '-' } else { '+' },
        exponent.abs()
    )
}

/// How every output writes a metric that has no value (an AUC without positives).
pub const UNDEFINED: &str = "undefined";

/// Keras's `_format_time`: `9ms/step`, `1s/step` or `850us/step`.
fn per_step(seconds: f64) -> String {
    if seconds >= 1.0 || seconds == 0.0 {
        format!("{seconds:.0}s/step")
    } else if seconds >= 1e-3 {
        format!("{:.0}ms/step", seconds * 1e3)
    } else {
        format!("{:.0}us/step", seconds * 1e6)
    }
}

/// The line Keras's `verbose=2` prints after an epoch, metrics in its (alphabetical) order:
/// `112/112 - 1s - 9ms/step - fn: 39.0000 - fp: … - loss: 6.0843e-07 - precision: … - val_tp: …`.
/// `val_auc_pr` (average precision) and `val_auc_roc` are computed exactly over the validation
/// rows, as scikit-learn does, where Keras's `AUC` metric approximates them with 200
/// thresholds; [`UNDEFINED`] when the validation rows hold no fraud (Keras would print `nan`).
pub fn epoch_line(steps: usize, seconds: f64, m: &EpochMetrics) -> String {
    let width = steps.to_string().len();
    let mut line = format!(
        "{steps:>width$}/{steps} - {seconds:.0}s - {}",
        per_step(seconds / steps.max(1) as f64)
    );
    let values = [
        ("fn", Some(m.train.fn_ as f64)),
        ("fp", Some(m.train.fp as f64)),
        ("loss", Some(m.loss)),
        ("precision", Some(m.train.precision())),
        ("recall", Some(m.train.recall())),
        ("tn", Some(m.train.tn as f64)),
        ("tp", Some(m.train.tp as f64)),
        ("val_auc_pr", m.val_auc_pr),
        ("val_auc_roc", m.val_auc_roc),
        ("val_fn", Some(m.val.fn_ as f64)),
        ("val_fp", Some(m.val.fp as f64)),
        ("val_loss", Some(m.val_loss)),
        ("val_precision", Some(m.val.precision())),
        ("val_recall", Some(m.val.recall())),
        ("val_tn", Some(m.val.tn as f64)),
        ("val_tp", Some(m.val.tp as f64)),
    ];
    for (name, value) in values {
        let shown = value.map_or_else(|| UNDEFINED.to_string(), keras_number);
        line += &format!(" - {name}: {shown}");
    }
    line
}

/// The example's closing words on the last epoch's validation counts.
pub fn conclusion(m: &EpochMetrics) -> String {
    let v = &m.val;
    format!(
        "At the end of training, out of {} validation transactions, we are:\n\
         - Correctly identifying {} of them as fraudulent\n\
         - Missing {} fraudulent transactions\n\
         - At the cost of incorrectly flagging {} legitimate transactions",
        thousands(v.total() as usize),
        thousands(v.tp as usize),
        thousands(v.fn_ as usize),
        thousands(v.fp as usize),
    )
}

/// The warning printed before training when the validation split holds no fraud, naming what
/// it leaves undefined and, if `keep_best` is one of them, that no best checkpoint will be
/// kept; `None` when the split has a positive row.
pub fn no_positive_validation_warning(
    val_positives: usize,
    val_rows: usize,
    keep_best: Option<super::KeepBest>,
) -> Option<String> {
    use super::KeepBest;
    if val_positives > 0 {
        return None;
    }
    let mut text = format!(
        "the validation split ({val_rows} rows) holds no fraud: val_auc_pr and val_auc_roc are \
         {UNDEFINED} in every epoch, val_recall is 0 and val_precision 0 (no true positive can \
         occur), so --keep-best val_auc_pr and val_auc_roc keep no checkpoint and val_recall and \
         val_precision never improve after epoch 1; only val_loss ranks epochs"
    );
    match keep_best {
        Some(metric @ (KeepBest::ValAucPr | KeepBest::ValAucRoc)) => {
            text += &format!(
                "; with --keep-best {metric} no fraud_model_best.safetensors will be written"
            );
        }
        Some(metric @ (KeepBest::ValRecall | KeepBest::ValPrecision)) => {
            text += &format!(
                "; with --keep-best {metric} fraud_model_best.safetensors stays epoch 1's"
            );
        }
        _ => {}
    }
    text += "; give a --val-fraction or a file order that puts frauds in the last rows";
    Some(text)
}

/// What the Keras example prints about its data.
pub(super) fn print_data(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let header: Vec<String> = table
        .feature_names
        .iter()
        .chain([&table.label_name])
        .map(|n| format!("{n:?}"))
        .collect();
    writeln!(out, "HEADER: {}", header.join(","))?;
    if table.rows() > 0 {
        writeln!(
            out,
            "EXAMPLE FEATURES: {:?}",
            table.features.row(0).to_vec()
        )?;
    }
    writeln!(
        out,
        "features.shape: ({}, {})",
        table.rows(),
        table.feature_names.len()
    )?;
    writeln!(out, "targets.shape: ({}, 1)", table.rows())
}

/// The split's sizes, the training positives and the class weights.
pub(super) fn print_split(prepared: &super::Prepared, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Number of training samples: {}",
        prepared.train_y.len()
    )?;
    writeln!(
        out,
        "Number of validation samples: {}",
        prepared.val_y.len()
    )?;
    if prepared.test_rows > 0 {
        writeln!(
            out,
            "Number of test samples (held out, never read in training): {}",
            prepared.test_rows
        )?;
    }
    let positives = prepared.train_y.iter().filter(|&&y| y > 0.5).count();
    writeln!(
        out,
        "Number of positive samples in training data: {positives} ({:.2}% of total)",
        100.0 * positives as f64 / prepared.train_y.len().max(1) as f64
    )?;
    writeln!(
        out,
        "Class weights: 0 → {:e}, 1 → {:e}",
        prepared.class_weight[0], prepared.class_weight[1]
    )
}
