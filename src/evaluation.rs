//! `fraudnet evaluate`: a checkpoint judged on labelled rows the way a fraud team judges it, by
//! its precision–recall trade-off rather than its counts at one threshold.
//!
//! [`score_labelled`] reads a file and scores the rows (by default the validation split the
//! checkpoint was trained with); [`Evaluation::new`] computes the counts at the chosen
//! threshold, average precision, ROC AUC, a threshold table, the thresholds reaching fixed
//! recalls and, given costs, the cheapest threshold; its `Display` is the printed report.

use std::fmt;
use std::path::Path;

use crate::activation::sigmoid;
use crate::checkpoint::Checkpoint;
use crate::data::{read_table, split_test};
use crate::error::{Error, Result};
use crate::metrics::Confusion;
use crate::predict::{Scorer, match_columns};
use crate::ranking::{Curve, OperatingPoint, format_threshold};

/// Thresholds of the table, `p > t`: 0.1, 0.2, …, 0.9.
pub const TABLE_THRESHOLDS: [f32; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// Recalls for which the highest threshold reaching them is reported.
pub const RECALL_TARGETS: [f64; 3] = [0.80, 0.90, 0.95];

/// Which rows of the file were scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The last `⌊val_fraction·N⌋` rows: the validation split the checkpoint was trained with.
    Validation {
        /// 1-based data-row number of the first validation row.
        first: usize,
        /// Rows in the file.
        of: usize,
    },
    /// The last `⌊test_fraction·N⌋` rows: the test split the checkpoint's run held out.
    Test {
        /// 1-based data-row number of the first test row.
        first: usize,
        /// Rows in the file.
        of: usize,
    },
    /// Every row of the file.
    All,
}

/// Which rows of a file to score (`evaluate --split`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// The validation split the checkpoint's run was validated on.
    Validation,
    /// The test split the checkpoint's run held out (`train --test-fraction`).
    Test,
    /// Every row of the file.
    All,
}

/// Logits, probabilities and labels of the scored rows.
///
/// # Shapes
///
/// `logits`, `probs`, `labels`: `[n]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// The model's logit `z` of each row (what the metrics rank by).
    pub logits: Vec<f32>,
    /// The model's fraud probability of each row, `σ(z)`.
    pub probs: Vec<f32>,
    /// Each row's label, 0.0 or 1.0.
    pub labels: Vec<f32>,
    /// Which rows these are.
    pub rows: Rows,
}

/// Reads `data` (labelled, with the checkpoint's feature columns) and scores the validation split
/// the checkpoint was trained with (the last `⌊val_fraction·N⌋` rows, as [`crate::data::split_validation`]),
/// or every row when `all`, with the checkpoint's standardisation and model.
///
/// # Errors
///
/// [`crate::data::read_table`]'s for the file (with the checkpoint's label name as `label`);
/// [`Error::Dataset`] if its feature columns differ from the checkpoint's, or if the split
/// leaves no validation row; [`Scorer::logits`]'s (a value not finite once standardised, or a
/// non-finite logit, named by line and column).
pub fn score_labelled(checkpoint: Checkpoint, data: &Path, all: bool) -> Result<Scored> {
    let split = if all { Split::All } else { Split::Validation };
    score_split(checkpoint, data, split)
}

/// [`score_labelled`] for any [`Split`]: the validation or the test rows of the split the
/// checkpoint records ([`split_test`] with its `val_fraction` and `test_fraction`), or every
/// row.
///
/// # Errors
/// As [`score_labelled`]; [`Error::Config`] (`split`) for the test split of a checkpoint
/// trained without one.
pub fn score_split(checkpoint: Checkpoint, data: &Path, split: Split) -> Result<Scored> {
    if split == Split::Test && checkpoint.meta.test_fraction == 0.0 {
        return Err(Error::Config {
            name: "split",
            message: "the checkpoint's run held out no test rows (train with --test-fraction); \
                      use the validation split or all rows"
                .into(),
        });
    }
    let meta = checkpoint.meta.clone();
    let table = read_table(data, Some(&meta.label_name)).map_err(|e| match e {
        Error::Config { name: "label", .. } => Error::Dataset {
            path: data.to_path_buf(),
            message: format!(
                "has no label column {:?} (the checkpoint's); evaluate needs labelled rows, \
                 use predict to score unlabelled ones",
                meta.label_name
            ),
        },
        other => other,
    })?;
    let names: Vec<String> = table
        .feature_names
        .iter()
        .chain([&table.label_name])
        .cloned()
        .collect();
    match_columns(data, &names, &meta, None)?;
    let n = table.rows();
    let (rows, table, first) = match split {
        Split::All => (Rows::All, table, 1),
        Split::Validation | Split::Test => {
            let (train, val, test) = split_test(table, meta.val_fraction, meta.test_fraction)?;
            if split == Split::Validation {
                let first = train.rows() + 1;
                (Rows::Validation { first, of: n }, val, first)
            } else {
                let first = train.rows() + val.rows() + 1;
                (Rows::Test { first, of: n }, test, first)
            }
        }
    };
    let scorer = Scorer::new(checkpoint);
    // Data row r is on line r + 1: `read_table` refuses blank lines before the last row and
    // quoted fields running over a line break.
    let logits = scorer.logits(table.features.view(), data, first as u64)?;
    let probs = logits.iter().map(|&z| sigmoid(z)).collect();
    Ok(Scored {
        logits,
        probs,
        labels: table.labels.to_vec(),
        rows,
    })
}

/// The cheapest threshold for given error costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostChoice {
    /// Cost of a missed fraud (false negative).
    pub fn_cost: f64,
    /// Cost of a flagged legitimate transaction (false positive).
    pub fp_cost: f64,
    /// The threshold minimising `FN·fn_cost + FP·fp_cost` on the scored rows.
    pub best: OperatingPoint,
    /// The cost at the evaluated threshold, for comparison.
    pub at_threshold: f64,
}

/// Everything `fraudnet evaluate` reports.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The threshold evaluated (`p > threshold` is flagged).
    pub threshold: f32,
    /// Counts at `threshold`.
    pub confusion: Confusion,
    /// Average precision (scikit-learn's `average_precision_score`, ranked by logit);
    /// `None` without positives.
    pub average_precision: Option<f64>,
    /// ROC AUC (scikit-learn's `roc_auc_score`, ranked by logit); `None` unless both classes
    /// are present.
    pub roc_auc: Option<f64>,
    /// Counts at each of [`TABLE_THRESHOLDS`].
    pub table: Vec<OperatingPoint>,
    /// For each of [`RECALL_TARGETS`], the highest threshold reaching it.
    pub recall_targets: Vec<(f64, Option<OperatingPoint>)>,
    /// The cheapest threshold, when costs were given.
    pub cost: Option<CostChoice>,
    /// The exact curves of the probabilities: the operating points a `--threshold` reaches.
    pub curve: Curve,
    /// The exact curves of the logits: what average precision and ROC AUC are computed from,
    /// and the precision–recall curve drawn.
    pub ranking: Curve,
}

impl Evaluation {
    /// Computes every figure from the logits and labels (`[n]` each).
    ///
    /// Average precision and ROC AUC rank the rows by **logit**: the same order as the
    /// probability `p = σ(z)`, without the ties f32 rounding makes (every `z` above about 17
    /// gives `p = 1`), so the most confident rows stay distinguishable. Keras's `AUC` metric and
    /// scikit-learn given `predict_proba` rank by probability and count those ties as ties.
    /// The operating points (the counts at `threshold`, the table, the recall targets, the
    /// cheapest threshold) are thresholds on the probability, as `--threshold` takes them: each
    /// printed threshold passed back gives the same counts.
    ///
    /// # Panics
    ///
    /// If `logits` and `labels` differ in length.
    pub fn new(logits: &[f32], labels: &[f32], threshold: f32, costs: Option<(f64, f64)>) -> Self {
        let probs: Vec<f32> = logits.iter().map(|&z| sigmoid(z)).collect();
        let curve = Curve::new(&probs, labels);
        let ranking = Curve::new(logits, labels);
        let confusion = curve.at(threshold);
        let table = TABLE_THRESHOLDS
            .iter()
            .map(|&t| OperatingPoint {
                threshold: t,
                confusion: curve.at(t),
            })
            .collect();
        let recall_targets = RECALL_TARGETS
            .iter()
            .map(|&r| (r, curve.for_recall(r)))
            .collect();
        let cost = costs.map(|(fn_cost, fp_cost)| CostChoice {
            fn_cost,
            fp_cost,
            best: curve.min_cost(fn_cost, fp_cost),
            at_threshold: OperatingPoint {
                threshold,
                confusion,
            }
            .cost(fn_cost, fp_cost),
        });
        Self {
            threshold,
            confusion,
            average_precision: ranking.average_precision(),
            roc_auc: ranking.roc_auc(),
            table,
            recall_targets,
            cost,
            curve,
            ranking,
        }
    }
}

fn optional(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".into(), |v| format!("{v:.4}"))
}

fn row(f: &mut fmt::Formatter<'_>, label: &str, point: &OperatingPoint) -> fmt::Result {
    let c = &point.confusion;
    writeln!(
        f,
        "  {label:<14} {:>7} {:>7} {:>9} {:>7} {:>9.4} {:>7.4} {:>7.4}",
        c.tp,
        c.fp,
        c.tn,
        c.fn_,
        c.precision(),
        c.recall(),
        c.f1()
    )
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.confusion;
        writeln!(
            f,
            "Rows: {} ({} frauds, {} legitimate)",
            c.total(),
            self.curve.positives,
            self.curve.negatives
        )?;
        writeln!(f, "At threshold p > {}:", format_threshold(self.threshold))?;
        writeln!(
            f,
            "  tp: {}  fp: {}  tn: {}  fn: {}",
            c.tp, c.fp, c.tn, c.fn_
        )?;
        writeln!(
            f,
            "  precision: {:.4}  recall: {:.4}  F1: {:.4}",
            c.precision(),
            c.recall(),
            c.f1()
        )?;
        writeln!(
            f,
            "Average precision (area under the precision–recall curve): {}",
            optional(self.average_precision)
        )?;
        writeln!(f, "ROC AUC: {}", optional(self.roc_auc))?;
        writeln!(f)?;
        writeln!(
            f,
            "  {:<14} {:>7} {:>7} {:>9} {:>7} {:>9} {:>7} {:>7}",
            "threshold", "tp", "fp", "tn", "fn", "precision", "recall", "F1"
        )?;
        for point in &self.table {
            row(
                f,
                &format!("p > {}", format_threshold(point.threshold)),
                point,
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Highest thresholds reaching a recall (flag p > threshold; pass it to --threshold):"
        )?;
        for (target, point) in &self.recall_targets {
            match point {
                Some(p) => writeln!(
                    f,
                    "  recall ≥ {target:.2}: threshold {:<12} recall {:.4}  precision {:.4}  \
                     false positives {}",
                    format_threshold(p.threshold),
                    p.confusion.recall(),
                    p.confusion.precision(),
                    p.confusion.fp
                )?,
                None => writeln!(
                    f,
                    "  recall ≥ {target:.2}: undefined (no frauds in these rows)"
                )?,
            }
        }
        if let Some(cost) = &self.cost {
            let b = &cost.best.confusion;
            writeln!(f)?;
            writeln!(
                f,
                "Cheapest threshold for FN·{} + FP·{}: p > {}",
                cost.fn_cost,
                cost.fp_cost,
                format_threshold(cost.best.threshold)
            )?;
            writeln!(
                f,
                "  cost {}  (fn: {}, fp: {}, tp: {}; precision {:.4}, recall {:.4}); \
                 at p > {}: cost {}",
                cost.best.cost(cost.fn_cost, cost.fp_cost),
                b.fn_,
                b.fp,
                b.tp,
                b.precision(),
                b.recall(),
                format_threshold(self.threshold),
                cost.at_threshold
            )?;
        }
        Ok(())
    }
}
