//! One training step: gather the batch, forward, loss, backward, Adam.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::Result;
use crate::loss::{logit_column, weighted_bce_with_logits_into};
use crate::model::{Backward, ForwardPass, Mode, Sequential};
use crate::optim::Adam;
use crate::rng::Rng;

/// The rows of one batch, taken from the training arrays by index.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// All training features, `[n_train, inputs]`.
    pub features: ArrayView2<'a, f32>,
    /// All training labels, `[n_train]`, 0 or 1.
    pub labels: ArrayView1<'a, f32>,
    /// The rows of this batch, in order.
    pub rows: &'a [usize],
    /// Sample weight of each class, `[w₀, w₁]` (Keras's `class_weight`).
    pub class_weight: [f32; 2],
}

/// What one step reports; the views borrow the workspace until the next step.
#[derive(Clone, Debug)]
pub struct StepOutput<'w> {
    /// The weighted batch loss `Σ wᵢℓᵢ / n` before the update.
    pub loss: f32,
    /// The logits of the forward pass (dropout on), `[n]`, for the training metrics.
    pub logits: ArrayView1<'w, f32>,
    /// The batch's labels, `[n]`.
    pub targets: ArrayView1<'w, f32>,
    /// The batch's features, `[n, inputs]`.
    pub x: ArrayView2<'w, f32>,
    /// Whether every gradient was finite (the update is skipped when not).
    pub gradients_finite: bool,
    /// Whether every parameter and Adam moment is finite after the step.
    pub state_finite: bool,
}

/// Every buffer a step needs for one batch size.
#[derive(Debug)]
struct Buffers {
    x: Array2<f32>,
    targets: Array1<f32>,
    sample_weight: Array1<f32>,
    dlogits: Array2<f32>,
    pass: ForwardPass<f32>,
    backward: Backward<f32>,
}

/// The buffers of [`train_step`], kept per batch size (a run has at most two: the full batch
/// and the last, partial one), so that after the first step of each size a step allocates
/// nothing.
#[derive(Debug, Default)]
pub struct StepWorkspace {
    by_rows: Vec<(usize, Buffers)>,
}

impl StepWorkspace {
    fn buffers(&mut self, model: &Sequential<f32>, rows: usize) -> &mut Buffers {
        let i = match self.by_rows.iter().position(|(r, _)| *r == rows) {
            Some(i) => i,
            None => {
                let buffers = Buffers {
                    x: Array2::zeros((rows, model.inputs())),
                    targets: Array1::zeros(rows),
                    sample_weight: Array1::zeros(rows),
                    dlogits: Array2::zeros((rows, model.outputs())),
                    pass: ForwardPass::default(),
                    backward: Backward::without_input_gradient(model),
                };
                self.by_rows.push((rows, buffers));
                self.by_rows.len() - 1
            }
        };
        &mut self.by_rows[i].1
    }
}

/// One step of training: gather the batch's rows, forward in `Mode::Train` with fresh dropout
/// masks from `dropout_rng`, the weighted loss, the backward pass, and one Adam update (skipped
/// when a gradient is not finite, so the caller can stop with the parameters intact).
///
/// # Errors
/// [`crate::Error::Config`] when the model's output is not one logit per row
/// ([`crate::loss::check_output_width`]).
///
/// # Panics
/// If the batch is empty or its arrays do not match the model.
pub fn train_step<'w>(
    model: &mut Sequential<f32>,
    adam: &mut Adam<f32>,
    workspace: &'w mut StepWorkspace,
    batch: Batch,
    dropout_rng: &mut Rng,
) -> Result<StepOutput<'w>> {
    let b = workspace.buffers(model, batch.rows.len());
    for ((mut dst, t, w), &row) in
        b.x.rows_mut()
            .into_iter()
            .zip(b.targets.iter_mut())
            .zip(b.sample_weight.iter_mut())
            .map(|((d, t), w)| (d, t, w))
            .zip(batch.rows)
    {
        dst.assign(&batch.features.row(row));
        *t = batch.labels[row];
        *w = batch.class_weight[usize::from(*t > 0.5)];
    }
    model.forward_into(b.x.view(), Mode::train(dropout_rng), &mut b.pass);
    let loss = weighted_bce_with_logits_into(
        b.pass.outputs(),
        b.targets.view(),
        b.sample_weight.view(),
        b.dlogits.view_mut(),
    )?;
    model.backward_into(b.x.view(), &b.pass, b.dlogits.view(), &mut b.backward);
    let gradients_finite = b.backward.gradients.all_finite();
    // With a non-finite gradient the update is skipped, so the state stays as it was (finite:
    // the previous step checked it).
    let state_finite = !gradients_finite || adam.step(model, &b.backward.gradients);
    Ok(StepOutput {
        loss,
        logits: logit_column(b.pass.outputs())?,
        targets: b.targets.view(),
        x: b.x.view(),
        gradients_finite,
        state_finite,
    })
}
