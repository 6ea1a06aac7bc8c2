//! The epoch line and the conclusion, formatted as the Keras example prints them.

use crate::format::thousands;
use crate::metrics::EpochMetrics;

/// A metric value as Keras 3's progress bar prints it (keras/src/utils/progbar.py):
/// `{v:.4f}` when `|v| > 1e-3`, else `{v:.4e}` with Python's exponent style (`6.0843e-07`).
pub fn keras_number(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
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
/// thresholds; `nan` when the validation rows hold no fraud.
pub fn epoch_line(steps: usize, seconds: f64, m: &EpochMetrics) -> String {
    let width = steps.to_string().len();
    let mut line = format!(
        "{steps:>width$}/{steps} - {seconds:.0}s - {}",
        per_step(seconds / steps.max(1) as f64)
    );
    let values = [
        ("fn", m.train.fn_ as f64),
        ("fp", m.train.fp as f64),
        ("loss", m.loss),
        ("precision", m.train.precision()),
        ("recall", m.train.recall()),
        ("tn", m.train.tn as f64),
        ("tp", m.train.tp as f64),
        ("val_auc_pr", m.val_auc_pr.unwrap_or(f64::NAN)),
        ("val_auc_roc", m.val_auc_roc.unwrap_or(f64::NAN)),
        ("val_fn", m.val.fn_ as f64),
        ("val_fp", m.val.fp as f64),
        ("val_loss", m.val_loss),
        ("val_precision", m.val.precision()),
        ("val_recall", m.val.recall()),
        ("val_tn", m.val.tn as f64),
        ("val_tp", m.val.tp as f64),
    ];
    for (name, value) in values {
        line += &format!(" - {name}: {}", keras_number(value));
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
