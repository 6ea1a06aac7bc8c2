//! Inference over a whole split.

use ndarray::{ArrayView1, ArrayView2, Axis, s};

use crate::layers::Sigmoid;
use crate::loss::bce_with_logits;
use crate::metrics::Confusion;
use crate::model::Sequential;

/// Rows per forward pass, bounding memory on large splits.
const CHUNK: usize = 8192;

/// The unweighted mean cross-entropy and the confusion counts at `p > 0.5` of `model` on
/// `(x, y)`, in `Mode::Eval` (dropout off), as Keras computes `val_loss` and the `val_`
/// metrics. Rows are processed in fixed chunks and summed in row order, so the result does not
/// depend on the thread count.
///
/// # Shapes
/// `x: [n, inputs]`, `y: [n]`.
pub fn evaluate(
    model: &Sequential<f32>,
    x: ArrayView2<f32>,
    y: ArrayView1<f32>,
) -> (f64, Confusion) {
    let mut confusion = Confusion::default();
    let mut loss_sum = 0.0f64;
    for (start, xc) in x
        .axis_chunks_iter(Axis(0), CHUNK)
        .enumerate()
        .map(|(i, c)| (i * CHUNK, c))
    {
        let yc = y.slice(s![start..start + xc.nrows()]);
        let logits = model.predict_logits(xc);
        loss_sum += logits
            .iter()
            .zip(yc)
            .map(|(&z, &t)| bce_with_logits(z, t) as f64)
            .sum::<f64>();
        confusion.add(logits.mapv(Sigmoid::value).view(), yc, 0.5);
    }
    let n = x.nrows().max(1) as f64;
    (loss_sum / n, confusion)
}
