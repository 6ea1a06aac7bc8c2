//! Classification metrics at a threshold: confusion counts, precision and recall.

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// Confusion counts at a probability threshold, as Keras's `TruePositives`, `FalsePositives`,
/// `TrueNegatives` and `FalseNegatives` metrics count them: a prediction is positive when
/// `p > threshold` (strictly; keras/src/metrics/metrics_utils.py), here 0.5.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// True positives: frauds flagged.
    pub tp: u64,
    /// False positives: legitimate transactions flagged.
    pub fp: u64,
    /// True negatives: legitimate transactions passed.
    pub tn: u64,
    /// False negatives: frauds missed.
    pub fn_: u64,
}

impl Confusion {
    /// Adds the counts of one batch of probabilities against targets (0 or 1).
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn add<F: ndarray::NdFloat>(
        &mut self,
        probs: ArrayView1<F>,
        targets: ArrayView1<F>,
        threshold: F,
    ) {
        assert_eq!(probs.len(), targets.len(), "Confusion::add: lengths differ");
        let half = F::from(0.5).expect("0.5 fits F");
        for (&p, &y) in probs.iter().zip(targets) {
            self.count(p > threshold, y > half);
        }
    }

    /// Counts one sample: flagged or not, fraud or not.
    fn count(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    /// Adds the counts of one batch given as logits: `p = σ(z)` is computed per element (as
    /// Keras thresholds the sigmoid's output), with no array allocated.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn add_logits<F: ndarray::NdFloat>(
        &mut self,
        logits: ArrayView1<F>,
        targets: ArrayView1<F>,
    ) {
        assert_eq!(
            logits.len(),
            targets.len(),
            "Confusion::add_logits: lengths differ"
        );
        let half = F::from(0.5).expect("0.5 fits F");
        for (&z, &y) in logits.iter().zip(targets) {
            self.count(crate::activation::sigmoid(z) > half, y > half);
        }
    }

    /// All samples counted.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// `tp / (tp + fp)`, 0 when nothing was flagged (Keras returns 0 there too).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn)`, 0 when there are no positives.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// F1 score, the harmonic mean `2·P·R / (P + R)` of precision and recall; 0 when both are 0
    /// (as scikit-learn's `f1_score` with `zero_division=0`).
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Everything measured in one epoch, as the epoch line and the metrics log report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Weighted training loss: the batch losses averaged with the batch sizes as weights.
    pub loss: f64,
    /// Training confusion counts, from each batch's forward pass as it trained (dropout on).
    pub train: Confusion,
    /// Unweighted validation loss after the epoch (dropout off).
    pub val_loss: f64,
    /// Validation confusion counts after the epoch (dropout off).
    pub val: Confusion,
    /// Validation average precision (step-wise area under the precision–recall curve, as
    /// scikit-learn's `average_precision_score`; see [`crate::ranking::Curve`]); `None` when
    /// the validation rows hold no positive or the checkpoint predates this field.
    #[serde(default)]
    pub val_auc_pr: Option<f64>,
    /// Validation ROC AUC (as scikit-learn's `roc_auc_score`, ties counting one half); `None`
    /// unless both classes are present, or when the checkpoint predates this field.
    #[serde(default)]
    pub val_auc_roc: Option<f64>,
}
