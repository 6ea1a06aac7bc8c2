//! The exponential moving average (EMA) of the weights, as Keras's optimizers keep it with
//! `use_ema=True`.

use ndarray::{NdFloat, Zip};

use crate::model::Sequential;

/// An exponential moving average of a model's parameters, updated after every optimizer step
/// exactly as Keras's `BaseOptimizer._update_model_variables_moving_average`
/// (keras/src/optimizers/base_optimizer.py) updates it:
///
/// ```text
/// m = 0 on the optimizer's first step (Keras: iterations == 0), ema_momentum after it
/// average ← m·average + (1 − m)·θ
/// ```
///
/// so the average starts at the weights after the first update and from then on follows them
/// with momentum `m` (Keras's default 0.99: roughly the last 100 steps). Keras swaps the
/// average into the model only at the end of `fit` (or every `ema_overwrite_frequency`
/// steps); training itself always continues from the raw weights, here too: the average never
/// changes the run, it is a second set of weights to validate, save and serve.
///
/// The average is kept as a [`Sequential`] of the same architecture, so it has the model's
/// parameter names (`dense/kernel`, …; stored as `ema/dense/kernel` in checkpoints) and can
/// be evaluated as it is. Derivation notes: `docs/backprop.md`, section "Weight EMA".
#[derive(Clone, Debug, PartialEq)]
pub struct Ema<F> {
    /// `ema_momentum`, in `[0, 1)`.
    pub momentum: f64,
    /// The averaged weights, shaped and named like the model's.
    pub average: Sequential<F>,
}

impl<F: NdFloat> Ema<F> {
    /// An average for `model`'s parameters with momentum `momentum`. Its values start as a copy
    /// of the model's; the first [`Ema::update`] (with `first_step`) replaces them anyway.
    pub fn new(momentum: f64, model: &Sequential<F>) -> Self {
        Ema {
            momentum,
            average: model.clone(),
        }
    }

    /// One update after an optimizer step: `average ← m·average + (1 − m)·θ` for every
    /// parameter `θ` of `model`, with `m = 0` when `first_step` (the optimizer's first update
    /// of the run, Keras's `iterations == 0` before it is incremented) and `m = momentum`
    /// otherwise. `m` and `1 − m` are computed in `F`, as Keras computes them in the variable's
    /// dtype. Allocates nothing.
    ///
    /// # Panics
    /// If `model`'s parameters are not the average's (by number, name or shape).
    pub fn update(&mut self, model: &Sequential<F>, first_step: bool) {
        let m = if first_step {
            F::zero()
        } else {
            F::from(self.momentum).expect("a momentum in [0, 1) is representable")
        };
        let one_minus_m = F::one() - m;
        let mut count = 0;
        for (theta, mut average) in model.parameters().zip(self.average.parameters_mut()) {
            count += 1;
            assert_eq!(
                theta.name, average.name,
                "Ema::update: parameter {count} is {} but the average's is {}",
                theta.name, average.name
            );
            assert_eq!(
                theta.value.shape(),
                average.value.shape(),
                "Ema::update: {} is {:?} but its average is {:?}",
                theta.name,
                theta.value.shape(),
                average.value.shape()
            );
            Zip::from(&mut average.value)
                .and(&theta.value)
                .for_each(|a, &t| *a = m * *a + one_minus_m * t);
        }
        assert_eq!(
            count,
            self.average.parameters().count(),
            "Ema::update: the model has {count} parameters, the average more"
        );
    }
}
