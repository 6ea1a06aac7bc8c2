//! Inference over a whole split.

use ndarray::{ArrayView1, ArrayView2, Axis, s};

use crate::Mode;
use crate::activation::sigmoid;
use crate::error::Result;
use crate::loss::{bce_with_logits, logit_column};
use crate::metrics::Confusion;
use crate::model::{ForwardPass, Sequential};
use crate::ranking::Curve;

/// Rows per forward pass, bounding memory on large splits (five `[4096, 256]` f32 buffers,
/// 20 MB) while keeping the products large.
const CHUNK: usize = 4096;

/// The unweighted mean cross-entropy and the confusion counts at `p > 0.5` of `model` on
/// `(x, y)`, in `Mode::Eval` (dropout off), as Keras computes `val_loss` and the `val_`
/// metrics. Rows are processed in fixed chunks and summed in row order, so the result does not
/// depend on the thread count.
///
/// # Shapes
/// `x: [n, inputs]`, `y: [n]`.
///
/// # Errors
/// [`crate::Error::Config`] when the model does not output one logit per row.
pub fn evaluate(
    model: &Sequential<f32>,
    x: ArrayView2<f32>,
    y: ArrayView1<f32>,
) -> Result<(f64, Confusion)> {
    let (loss, confusion, _) = evaluate_with_logits(model, x, y)?;
    Ok((loss, confusion))
}

/// What [`evaluate_ranked`] measures on a split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluated {
    /// Unweighted mean cross-entropy.
    pub loss: f64,
    /// Counts at `p > 0.5`.
    pub confusion: Confusion,
    /// Average precision (scikit-learn's `average_precision_score`); `None` without positives.
    pub auc_pr: Option<f64>,
    /// ROC AUC (scikit-learn's `roc_auc_score`); `None` unless both classes are present.
    pub auc_roc: Option<f64>,
}

/// [`evaluate`] plus the threshold-free metrics: average precision and ROC AUC over the exact
/// curve ([`Curve`]) of the **logits** — the probabilities' order without the ties f32
/// rounding makes where `σ(z)` saturates at 1 (see [`crate::evaluation::Evaluation::new`]).
///
/// # Shapes
/// `x: [n, inputs]`, `y: [n]`.
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_ranked(
    model: &Sequential<f32>,
    x: ArrayView2<f32>,
    y: ArrayView1<f32>,
) -> Result<Evaluated> {
    let (loss, confusion, logits) = evaluate_with_logits(model, x, y)?;
    let labels: Vec<f32> = y.to_vec();
    let curve = Curve::new(&logits, &labels);
    Ok(Evaluated {
        loss,
        confusion,
        auc_pr: curve.average_precision(),
        auc_roc: curve.roc_auc(),
    })
}

/// The loss, the counts at `p > 0.5` and every logit, `[n]`.
fn evaluate_with_logits(
    model: &Sequential<f32>,
    x: ArrayView2<f32>,
    y: ArrayView1<f32>,
) -> Result<(f64, Confusion, Vec<f32>)> {
    let mut all_logits = Vec::with_capacity(x.nrows());
    let mut confusion = Confusion::default();
    let mut loss_sum = 0.0f64;
    // One set of layer buffers for every full chunk (and one more for the last).
    let mut pass = ForwardPass::default();
    for (start, xc) in x
        .axis_chunks_iter(Axis(0), CHUNK)
        .enumerate()
        .map(|(i, c)| (i * CHUNK, c))
    {
        let yc = y.slice(s![start..start + xc.nrows()]);
        model.forward_into(xc, Mode::Eval, &mut pass);
        let logits = logit_column(pass.outputs())?;
        loss_sum += logits
            .iter()
            .zip(yc)
            .map(|(&z, &t)| bce_with_logits(z, t) as f64)
            .sum::<f64>();
        let chunk_probs = logits.mapv(sigmoid);
        confusion.add(chunk_probs.view(), yc, 0.5);
        all_logits.extend(logits.iter());
    }
    let n = x.nrows().max(1) as f64;
    Ok((loss_sum / n, confusion, all_logits))
}
