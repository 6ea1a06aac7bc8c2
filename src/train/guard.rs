//! The NaN guard: after every step, the loss, the gradients, every parameter and Adam's moments
//! must be finite, or training stops with [`Error::NonFinite`] naming the epoch, the step, what
//! went wrong and its likely cause, before anything non-finite can reach a checkpoint.
//!
//! The cause is told from the batch: when its (standardised) inputs hold a non-finite value the
//! data is at fault; otherwise the finite inputs were driven to overflow by the updates, which
//! is what a learning rate far too large does.

use ndarray::{ArrayD, ArrayView2, ArrayViewD};

use super::StepOutput;
use crate::error::Error;
use crate::model::Sequential;
use crate::optim::{Adam, AdamSlot};

/// Where a check happens: the 1-based epoch and step (step 0: before the epoch's first step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct At {
    pub epoch: usize,
    pub step: usize,
}

/// The name of the first parameter or Adam moment holding a non-finite value, if any.
pub(super) fn first_non_finite_state(model: &Sequential<f32>, adam: &Adam<f32>) -> Option<String> {
    let moments = |kind: &str, moment: fn(&AdamSlot<f32>) -> &ArrayD<f32>| {
        adam.slots
            .iter()
            .find(|s| !all_finite(moment(s).view()))
            .map(|s| format!("Adam's moment optimizer/{kind}/{}", s.name))
    };
    model
        .parameters()
        .find(|p| !all_finite(p.value.view()))
        .map(|p| format!("parameter {}", p.name))
        .or_else(|| moments("m", |s| &s.m))
        .or_else(|| moments("v", |s| &s.v))
}

/// Checks the model before the first step of a run: a starting model (initial weights, a
/// checkpoint loaded through the library) that is already non-finite is reported as such.
pub(super) fn check_start(at: At, model: &Sequential<f32>, adam: &Adam<f32>) -> Result<(), Error> {
    match first_non_finite_state(model, adam) {
        Some(what) => Err(Error::NonFinite {
            epoch: at.epoch,
            step: at.step,
            what,
            cause: "the starting weights or optimizer state already hold non-finite values".into(),
        }),
        None => Ok(()),
    }
}

/// Checks that every input value of both splits is finite, before the first step: a
/// non-finite input would otherwise pass unnoticed (ReLU maps NaN to 0) or surface later as a
/// non-finite gradient with no clue to its origin. `train_x: [n_train, inputs]`, `val_x:
/// [n_val, inputs]`, columns named `feature_names`; data rows count the training rows first.
pub(super) fn check_inputs(
    at: At,
    train_x: ArrayView2<f32>,
    val_x: ArrayView2<f32>,
    feature_names: &[String],
) -> Result<(), Error> {
    let n_train = train_x.nrows();
    for (split, x, offset) in [("training", train_x, 0), ("validation", val_x, n_train)] {
        if let Some((row, column)) = first_non_finite(x) {
            return Err(Error::NonFinite {
                epoch: at.epoch,
                step: at.step,
                what: format!(
                    "the standardised input of {split} row {} (data row {}), feature {}",
                    row + 1,
                    offset + row + 1,
                    feature_name(feature_names, column)
                ),
                cause: "the input values: check the data for extreme values".into(),
            });
        }
    }
    Ok(())
}

/// Checks one step's outcome: the loss, whether every gradient was finite, then whether Adam
/// wrote only finite parameters and moments (`state_finite`, checked during the update; the
/// state is scanned only to name the tensor when it was not). The step's input batch
/// (`step.x`, `[n, inputs]`) has the columns `feature_names`.
pub(super) fn check_step(
    at: At,
    step: &StepOutput,
    model: &Sequential<f32>,
    adam: &Adam<f32>,
    feature_names: &[String],
) -> Result<(), Error> {
    let x = step.x;
    let what = if !step.loss.is_finite() {
        Some("the loss".to_string())
    } else if !step.gradients_finite {
        Some("a gradient".to_string())
    } else if !step.state_finite {
        first_non_finite_state(model, adam)
    } else {
        None
    };
    match what {
        Some(what) => Err(Error::NonFinite {
            epoch: at.epoch,
            step: at.step,
            what,
            cause: cause(x, feature_names, adam.config.learning_rate),
        }),
        None => Ok(()),
    }
}

/// Checks the validation loss after an epoch; `x` is the validation split, `[n, inputs]`.
pub(super) fn check_validation(
    at: At,
    val_loss: f64,
    x: ArrayView2<f32>,
    feature_names: &[String],
    learning_rate: f64,
) -> Result<(), Error> {
    if val_loss.is_finite() {
        return Ok(());
    }
    Err(Error::NonFinite {
        epoch: at.epoch,
        step: at.step,
        what: "the validation loss".into(),
        cause: cause(x, feature_names, learning_rate),
    })
}

/// The likely cause of a non-finite value produced from the inputs `x` (columns named
/// `feature_names`).
fn cause(x: ArrayView2<f32>, feature_names: &[String], learning_rate: f64) -> String {
    match first_non_finite(x) {
        Some((row, column)) => format!(
            "the input values: row {} of the batch holds a non-finite value in feature {} \
             after standardisation; check the data for extreme values",
            row + 1,
            feature_name(feature_names, column)
        ),
        None => format!(
            "the learning rate {learning_rate:e} is too large for this model: try a smaller \
             --learning-rate (if that does not help, check the data for extreme values)"
        ),
    }
}

/// `(row, column)` of the first non-finite value of `x`, 0-based, in row-major order.
fn first_non_finite(x: ArrayView2<f32>) -> Option<(usize, usize)> {
    x.outer_iter()
        .enumerate()
        .find_map(|(r, row)| row.iter().position(|v| !v.is_finite()).map(|c| (r, c)))
}

/// `"V1"`, quoted, or `#3` when the names do not reach `column`.
fn feature_name(feature_names: &[String], column: usize) -> String {
    feature_names
        .get(column)
        .map(|name| format!("{name:?}"))
        .unwrap_or_else(|| format!("#{}", column + 1))
}

fn all_finite(a: ArrayViewD<f32>) -> bool {
    a.iter().all(|v| v.is_finite())
}
