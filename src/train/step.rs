//! One training step.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::Mode;
use crate::loss::weighted_bce_with_logits;
use crate::model::{Masks, Sequential};
use crate::optim::Adam;
use crate::rng::Rng;

/// What one step reports.
#[derive(Clone, Debug)]
pub struct StepOutput {
    /// The weighted batch loss `Σ wᵢℓᵢ / n` before the update.
    pub loss: f32,
    /// The logits of the forward pass (dropout on), `[n]`, for the training metrics.
    pub logits: Array1<f32>,
    /// Whether every gradient was finite (the update is skipped when not).
    pub gradients_finite: bool,
}

/// One step of training: forward in `Mode::Train` with fresh dropout masks from `dropout_rng`,
/// the weighted loss, the backward pass, and one Adam update.
///
/// # Shapes
/// `x: [n, inputs]`, `targets`, `sample_weight: [n]`.
pub fn train_step(
    model: &mut Sequential<f32>,
    adam: &mut Adam<f32>,
    x: ArrayView2<f32>,
    targets: ArrayView1<f32>,
    sample_weight: ArrayView1<f32>,
    dropout_rng: &mut Rng,
) -> StepOutput {
    let pass = model.forward(x, Mode::Train, Some(Masks::Draw(dropout_rng)));
    let (loss, dlogits) = weighted_bce_with_logits(pass.logits(), targets, sample_weight);
    let (grads, _) = model.backward(x, &pass, dlogits.view());
    let gradients_finite = grads.iter().all(|g| g.iter().all(|v| v.is_finite()));
    if gradients_finite {
        adam.step(model.params_mut(), grads.iter().map(|g| g.view()).collect());
    }
    StepOutput {
        loss,
        logits: pass.logits().to_owned(),
        gradients_finite,
    }
}
