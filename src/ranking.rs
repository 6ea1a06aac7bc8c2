//! Threshold-free metrics of a scorer on imbalanced data: the precision–recall and ROC curves,
//! average precision, ROC AUC, and operating points chosen by recall or by cost.
//!
//! Every quantity is computed from the exact curve: the scores are sorted once and each
//! distinct score is a step, so tied scores move together, as scikit-learn's
//! `precision_recall_curve` and `roc_curve` treat them (sklearn/metrics/_ranking.py,
//! `_binary_clf_curve`).
//!
//! Thresholds here are **strict**, like Keras's metrics and [`crate::metrics::Confusion`]: an
//! operating point with threshold `t` flags exactly the rows with `p > t`, so a threshold
//! printed by `fraudnet evaluate` can be passed back to `--threshold` and gives the same counts.

use crate::metrics::Confusion;

/// The highest threshold `--threshold` accepts: `p > 1` flags no row.
pub const MAX_THRESHOLD: f32 = 1.0;
/// The lowest threshold `--threshold` accepts, the f32 just below 0 (printed `-1e-45`):
/// `p > −1e-45` flags every row, even one whose probability rounds to exactly 0 (a logit below
/// about −104). Every threshold `evaluate` prints lies in [`MIN_THRESHOLD`, `MAX_THRESHOLD`].
pub const MIN_THRESHOLD: f32 = -1e-45;

/// A threshold as `evaluate` prints it: the shortest text that parses back to the same f32,
/// in plain decimals (`0.49999997`, `1`) or, below 1e-4, in exponent form (`-1e-45`, where
/// plain decimals would take 47 characters).
pub fn format_threshold(threshold: f32) -> String {
    if threshold != 0.0 && threshold.abs() < 1e-4 {
        format!("{threshold:e}")
    } else {
        threshold.to_string()
    }
}

/// Whether `threshold` is one `--threshold` accepts: in [[`MIN_THRESHOLD`], [`MAX_THRESHOLD`]].
pub fn threshold_accepted(threshold: f32) -> bool {
    (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&threshold)
}

/// One point of the curve: the rows with `p > threshold` are flagged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OperatingPoint {
    /// Flag rows with `p > threshold` (strict).
    pub threshold: f32,
    /// The confusion counts at this threshold.
    pub confusion: Confusion,
}

impl OperatingPoint {
    /// `FN·fn_cost + FP·fp_cost`: the cost of the errors at this threshold.
    pub fn cost(&self, fn_cost: f64, fp_cost: f64) -> f64 {
        self.confusion.fn_ as f64 * fn_cost + self.confusion.fp as f64 * fp_cost
    }
}

/// The exact precision–recall and ROC curves of scores against 0/1 labels.
///
/// Point `i` (0 ≤ i ≤ k, with `k` distinct scores `s₁ > s₂ > … > s_k`) flags the rows scoring
/// at least `sᵢ` (point 0 flags none). Its cumulative counts are `tpᵢ`, `fpᵢ`.
///
/// # Shapes
///
/// `scores: [n]`, `labels: [n]` (a label is positive when `> 0.5`).
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Rows labelled 1.
    pub positives: u64,
    /// Rows labelled 0.
    pub negatives: u64,
    /// Distinct scores, descending, `[k]`.
    scores: Vec<f32>,
    /// `tpᵢ` for points 0..=k, `[k + 1]`.
    tp: Vec<u64>,
    /// `fpᵢ` for points 0..=k, `[k + 1]`.
    fp: Vec<u64>,
}

impl Curve {
    /// Sorts the scores (descending, [`f32::total_cmp`]) and accumulates the counts at each
    /// distinct score.
    ///
    /// # Panics
    ///
    /// If `scores` and `labels` differ in length.
    pub fn new(scores: &[f32], labels: &[f32]) -> Self {
        assert_eq!(
            scores.len(),
            labels.len(),
            "Curve::new: {} scores but {} labels",
            scores.len(),
            labels.len()
        );
        let mut pairs: Vec<(f32, bool)> = scores
            .iter()
            .zip(labels)
            .map(|(&s, &y)| (s, y > 0.5))
            .collect();
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut curve = Curve {
            positives: 0,
            negatives: 0,
            scores: Vec::new(),
            tp: vec![0],
            fp: vec![0],
        };
        let (mut tp, mut fp) = (0u64, 0u64);
        for (i, &(score, positive)) in pairs.iter().enumerate() {
            if positive {
                tp += 1;
            } else {
                fp += 1;
            }
            let last_of_tie = pairs
                .get(i + 1)
                .is_none_or(|next| next.0.total_cmp(&score).is_ne());
            if last_of_tie {
                curve.scores.push(score);
                curve.tp.push(tp);
                curve.fp.push(fp);
            }
        }
        curve.positives = tp;
        curve.negatives = fp;
        curve
    }

    /// The number of distinct scores `k` (the curve has `k + 1` points).
    pub fn distinct_scores(&self) -> usize {
        self.scores.len()
    }

    /// The confusion counts of point `i`.
    fn confusion(&self, i: usize) -> Confusion {
        Confusion {
            tp: self.tp[i],
            fp: self.fp[i],
            tn: self.negatives - self.fp[i],
            fn_: self.positives - self.tp[i],
        }
    }

    /// The strict threshold of point `i`: the **highest** `t` for which `p > t` flags exactly
    /// its rows, so equivalent thresholds are never printed as the lowest of them. Point 0 (flag
    /// none) has [`MAX_THRESHOLD`], 1 (no probability exceeds it; the highest score if scores
    /// exceed 1, as logits may); point `i ≥ 1` the f32 just below its lowest flagged score `sᵢ`.
    /// For probabilities every threshold lies in [[`MIN_THRESHOLD`], [`MAX_THRESHOLD`]]: flagging
    /// a row with `p = 0` takes `next_down(0) = −1e-45`.
    fn threshold(&self, i: usize) -> f32 {
        match i.checked_sub(1).and_then(|k| self.scores.get(k)) {
            Some(&lowest_flagged) => next_down(lowest_flagged),
            None => self
                .scores
                .first()
                .map_or(MAX_THRESHOLD, |&s| s.max(MAX_THRESHOLD)),
        }
    }

    /// Point `i` (0 = flag none … k = flag all).
    ///
    /// # Panics
    ///
    /// If `i > k`.
    pub fn point(&self, i: usize) -> OperatingPoint {
        OperatingPoint {
            threshold: self.threshold(i),
            confusion: self.confusion(i),
        }
    }

    /// All `k + 1` points, from flag-none (highest threshold) to flag-all.
    pub fn points(&self) -> impl Iterator<Item = OperatingPoint> + '_ {
        (0..=self.scores.len()).map(|i| self.point(i))
    }

    /// The confusion counts of flagging `p > threshold`, by binary search (equal to counting
    /// with [`Confusion::add`]).
    pub fn at(&self, threshold: f32) -> Confusion {
        let flagged_scores = self.scores.partition_point(|&s| s > threshold);
        self.confusion(flagged_scores)
    }

    /// Average precision, as scikit-learn's `average_precision_score` defines it: the step-wise
    /// area under the precision–recall curve, `AP = Σᵢ (Rᵢ − Rᵢ₋₁)·Pᵢ` over the points in order
    /// of decreasing score, with `Pᵢ = tpᵢ/(tpᵢ+fpᵢ)` and `Rᵢ = tpᵢ/P` (no interpolation).
    /// `None` when there are no positives (recall is undefined).
    pub fn average_precision(&self) -> Option<f64> {
        if self.positives == 0 {
            return None;
        }
        // Σᵢ Δtpᵢ·Pᵢ, divided by P once at the end: a perfect ranking gives exactly 1.
        let mut sum = 0.0;
        for i in 1..self.tp.len() {
            let new_tp = self.tp[i] - self.tp[i - 1];
            if new_tp > 0 {
                let precision = self.tp[i] as f64 / (self.tp[i] + self.fp[i]) as f64;
                sum += new_tp as f64 * precision;
            }
        }
        Some(sum / self.positives as f64)
    }

    /// Area under the ROC curve, as scikit-learn's `roc_auc_score`: the trapezoidal area under
    /// (FPR, TPR) with one point per distinct score, so a tie between a positive and a negative
    /// counts one half. Summed exactly in integers:
    /// `AUC = Σᵢ (fpᵢ − fpᵢ₋₁)·(tpᵢ + tpᵢ₋₁) / (2·P·N)`.
    /// `None` unless both classes are present.
    pub fn roc_auc(&self) -> Option<f64> {
        if self.positives == 0 || self.negatives == 0 {
            return None;
        }
        let mut twice_area: u128 = 0;
        for i in 1..self.tp.len() {
            let d_fp = u128::from(self.fp[i] - self.fp[i - 1]);
            twice_area += d_fp * u128::from(self.tp[i] + self.tp[i - 1]);
        }
        let denominator = 2 * u128::from(self.positives) * u128::from(self.negatives);
        Some(twice_area as f64 / denominator as f64)
    }

    /// The highest threshold whose recall is at least `target`, or `None` when there are no
    /// positives: of the points reaching the target, the one flagging the fewest rows, at the
    /// highest of its equivalent thresholds ([`Self::point`]).
    pub fn for_recall(&self, target: f64) -> Option<OperatingPoint> {
        if self.positives == 0 {
            return None;
        }
        let p = self.positives as f64;
        (0..self.tp.len())
            .find(|&i| self.tp[i] as f64 / p >= target)
            .map(|i| self.point(i))
    }

    /// The threshold minimising `FN·fn_cost + FP·fp_cost` on these rows; among equal costs the
    /// highest threshold (fewest rows flagged).
    pub fn min_cost(&self, fn_cost: f64, fp_cost: f64) -> OperatingPoint {
        let mut best = self.point(0);
        for point in self.points().skip(1) {
            if point.cost(fn_cost, fp_cost) < best.cost(fn_cost, fp_cost) {
                best = point;
            }
        }
        best
    }

    /// The precision–recall curve as `(recall, precision)` pairs, from flag-none to flag-all;
    /// flag-none is drawn as scikit-learn draws it, `(0, 1)`. Empty when there are no positives.
    pub fn precision_recall(&self) -> Vec<(f64, f64)> {
        if self.positives == 0 {
            return Vec::new();
        }
        let p = self.positives as f64;
        (0..self.tp.len())
            .map(|i| {
                let flagged = self.tp[i] + self.fp[i];
                let precision = if flagged == 0 {
                    1.0
                } else {
                    self.tp[i] as f64 / flagged as f64
                };
                (self.tp[i] as f64 / p, precision)
            })
            .collect()
    }
}

/// The largest f32 below `x` (for a finite `x`), so that `p > next_down(x)` flags `p = x`.
fn next_down(x: f32) -> f32 {
    if x.is_nan() || x == f32::NEG_INFINITY {
        return x;
    }
    if x == 0.0 {
        return -f32::from_bits(1);
    }
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits - 1 } else { bits + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_accepted_threshold_is_the_f32_below_zero() {
        assert_eq!(MIN_THRESHOLD, next_down(0.0));
        assert_eq!(format_threshold(MIN_THRESHOLD), "-1e-45");
        assert_eq!(format_threshold(0.49999997), "0.49999997");
        assert_eq!(format_threshold(1.0), "1");
        assert_eq!(format_threshold(0.0), "0");
        assert_eq!("-1e-45".parse::<f32>(), Ok(MIN_THRESHOLD));
    }

    #[test]
    fn next_down_is_just_below() {
        for x in [1.0f32, 0.5, 1e-30, -2.0, 0.0, f32::MIN_POSITIVE] {
            let below = next_down(x);
            assert!(below < x, "{below} < {x}");
            // Adjacent: no f32 lies strictly between them.
            let mid = below / 2.0 + x / 2.0;
            assert!(mid == below || mid == x, "{below} and {x} are not adjacent");
        }
    }
}
