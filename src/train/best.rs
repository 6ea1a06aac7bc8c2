//! `train --keep-best METRIC`: which epoch's checkpoint is also kept as
//! `fraud_model_best.safetensors`, as Keras's `ModelCheckpoint(save_best_only=True,
//! monitor=METRIC)` keeps it (keras/src/callbacks/model_checkpoint.py).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::checkpoint::BEST_FILE_NAME;
use crate::metrics::EpochMetrics;

/// A validation metric to keep the best epoch by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepBest {
    /// `val_auc_pr`, average precision: higher is better.
    ValAucPr,
    /// `val_auc_roc`, ROC AUC: higher is better.
    ValAucRoc,
    /// `val_loss`, unweighted cross-entropy: lower is better.
    ValLoss,
    /// `val_recall` at `p > 0.5`: higher is better.
    ValRecall,
    /// `val_precision` at `p > 0.5`: higher is better.
    ValPrecision,
}

impl KeepBest {
    /// Every metric, in the order `--help` lists them.
    pub const ALL: [KeepBest; 5] = [
        KeepBest::ValAucPr,
        KeepBest::ValAucRoc,
        KeepBest::ValLoss,
        KeepBest::ValRecall,
        KeepBest::ValPrecision,
    ];

    /// The metric's name, as in the epoch line and the metrics log.
    pub fn name(self) -> &'static str {
        match self {
            KeepBest::ValAucPr => "val_auc_pr",
            KeepBest::ValAucRoc => "val_auc_roc",
            KeepBest::ValLoss => "val_loss",
            KeepBest::ValRecall => "val_recall",
            KeepBest::ValPrecision => "val_precision",
        }
    }

    /// The metric's value in an epoch's metrics; `None` when undefined (an AUC without
    /// positives) or not finite.
    pub fn value(self, m: &EpochMetrics) -> Option<f64> {
        let v = match self {
            KeepBest::ValAucPr => m.val_auc_pr?,
            KeepBest::ValAucRoc => m.val_auc_roc?,
            KeepBest::ValLoss => m.val_loss,
            KeepBest::ValRecall => m.val.recall(),
            KeepBest::ValPrecision => m.val.precision(),
        };
        v.is_finite().then_some(v)
    }

    /// Whether `candidate` is strictly better than `best` (any defined value beats `None`); on
    /// a tie the earlier epoch is kept, as Keras does.
    pub fn improves(self, candidate: Option<f64>, best: Option<f64>) -> bool {
        match (candidate, best) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(c), Some(b)) => match self {
                KeepBest::ValLoss => c < b,
                _ => c > b,
            },
        }
    }
}

impl fmt::Display for KeepBest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeepBest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeepBest::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown metric {s:?}; choose one of {}",
                    KeepBest::ALL.map(KeepBest::name).join(", ")
                )
            })
    }
}

/// The best value of `metric` before a run resumed after epoch `done`: that of the existing
/// best checkpoint in `dir`, if it was written by a run with this `seed` at an epoch up to
/// `done`. `None` for a fresh run (`done == 0`), whose first epoch replaces any old best file.
pub fn best_so_far(dir: &Path, metric: KeepBest, done: usize, seed: u64) -> Option<f64> {
    if done == 0 {
        return None;
    }
    let saved = crate::checkpoint::load(&dir.join(BEST_FILE_NAME)).ok()?;
    (saved.meta.seed == seed && saved.meta.epoch <= done)
        .then(|| metric.value(&saved.meta.metrics))
        .flatten()
}

/// After epoch `epoch`: if its `metric` improves on `best`, calls `save` (which writes the best
/// checkpoint) and updates `best`. Returns the line Keras's `ModelCheckpoint(verbose=1)` prints:
/// `Epoch 3: val_auc_pr improved from 0.71234 to 0.74321, saving model to DIR/fraud_model_best.safetensors`
/// or `Epoch 4: val_auc_pr did not improve from 0.74321`.
///
/// # Errors
///
/// Whatever `save` returns.
pub fn keep_if_better(
    metric: KeepBest,
    metrics: &EpochMetrics,
    best: &mut Option<f64>,
    epoch: usize,
    dir: &Path,
    save: impl FnOnce() -> crate::Result<()>,
) -> crate::Result<String> {
    let value = metric.value(metrics);
    let shown = |v: Option<f64>| match (v, metric) {
        (Some(v), _) => format!("{v:.5}"),
        (None, KeepBest::ValLoss) => "inf".to_string(),
        (None, _) => "-inf".to_string(),
    };
    if metric.improves(value, *best) {
        save()?;
        let line = format!(
            "Epoch {epoch}: {metric} improved from {} to {}, saving model to {}",
            shown(*best),
            shown(value),
            dir.join(BEST_FILE_NAME).display()
        );
        *best = value;
        Ok(line)
    } else {
        Ok(format!(
            "Epoch {epoch}: {metric} did not improve from {}",
            shown(*best)
        ))
    }
}
