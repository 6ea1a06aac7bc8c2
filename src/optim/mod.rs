//! The Adam optimizer, in Keras's form, and the moving average of the weights it produces
//! (Keras's `use_ema`, [`Ema`]).

mod ema;

pub use ema::Ema;

use ndarray::{ArrayD, ArrayViewD, NdFloat};

use crate::model::{Gradients, ParameterMut, Sequential};
use rayon::prelude::*;

/// Adam's hyper-parameters, with Keras's defaults (`keras.optimizers.Adam`) except the
/// learning rate, which defaults to the example's 1e-2 (Keras's own default is 1e-3).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    /// Learning rate `lr`; the example's `Adam(1e-2)`.
    pub learning_rate: f64,
    /// Decay of the first moment, `β1` (Keras default 0.9).
    pub beta_1: f64,
    /// Decay of the second moment, `β2` (Keras default 0.999).
    pub beta_2: f64,
    /// `ε`, added to `√v` (Keras default 1e-7; PyTorch's default is 1e-8).
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 1e-2,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) exactly as
/// `keras.optimizers.Adam.update_step` computes it (keras/src/optimizers/adam.py):
///
/// ```text
/// t ← t + 1                                  (t = 1 on the first update)
/// α = lr·√(1 − β2ᵗ) / (1 − β1ᵗ)
/// m ← m + (g − m)·(1 − β1)
/// v ← v + (g² − v)·(1 − β2)
/// θ ← θ − α·m / (√v + ε)
/// ```
///
/// This differs from PyTorch's `torch.optim.Adam`, which computes
/// `θ ← θ − lr·m̂ / (√v̂ + ε)` with `m̂ = m/(1 − β1ᵗ)`, `v̂ = v/(1 − β2ᵗ)`: there `ε` is added
/// to the bias-corrected `√v̂`, in Keras to the raw `√v`. For gradients near 1e-6 (class
/// weights of 1/count make them that small) `√v` is comparable to `ε` and the two forms take
/// visibly different steps. Derivation notes: `docs/backprop.md`, section "Adam".
///
/// The state holds one `m` and one `v` per parameter, under the parameter's Keras name (the
/// names the checkpoint stores them under: `optimizer/m/dense_1/kernel`).
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<F> {
    /// Hyper-parameters.
    pub config: AdamConfig,
    /// Updates taken so far, `t` (Keras's `iterations`).
    pub t: u64,
    /// One slot per parameter, in the model's parameter order.
    pub slots: Vec<AdamSlot<F>>,
}

/// Adam's moments for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamSlot<F> {
    /// The parameter's Keras name (`dense_1/kernel`).
    pub name: String,
    /// First moment `m`, shaped like the parameter.
    pub m: ArrayD<F>,
    /// Second moment `v`, shaped like the parameter.
    pub v: ArrayD<F>,
}

/// One parameter's update: its name and values, and its gradient.
pub struct Update<'p, F> {
    /// The parameter.
    pub parameter: ParameterMut<'p, F>,
    /// `∂L/∂θ`, shaped like it.
    pub gradient: ArrayViewD<'p, F>,
}

impl<F: NdFloat> Adam<F> {
    /// Zero moments for every parameter of `model`, `t = 0`.
    pub fn new(config: AdamConfig, model: &Sequential<F>) -> Self {
        Self::for_parameters(
            config,
            model
                .parameters()
                .map(|p| (p.name.to_string(), p.value.shape().to_vec())),
        )
    }

    /// Zero moments for parameters given by name and shape, `t = 0`.
    pub fn for_parameters(
        config: AdamConfig,
        parameters: impl IntoIterator<Item = (String, Vec<usize>)>,
    ) -> Self {
        let slots = parameters
            .into_iter()
            .map(|(name, shape)| AdamSlot {
                name,
                m: ArrayD::zeros(shape.as_slice()),
                v: ArrayD::zeros(shape.as_slice()),
            })
            .collect();
        Adam {
            config,
            t: 0,
            slots,
        }
    }

    /// The slot of the parameter called `name`.
    pub fn slot(&self, name: &str) -> Option<&AdamSlot<F>> {
        self.slots.iter().find(|s| s.name == name)
    }

    /// One update of every parameter of `model` from `grads` ([`Adam::step_each`]).
    ///
    /// # Panics
    /// As [`Adam::step_each`].
    pub fn step(&mut self, model: &mut Sequential<F>, grads: &Gradients<F>) -> bool {
        let updates = model
            .parameters_mut()
            .zip(grads.views())
            .map(|(parameter, gradient)| Update {
                parameter,
                gradient,
            });
        self.step_each(updates)
    }

    /// One update of every parameter from its gradient, each matched to its slot by name.
    ///
    /// The step size `α` is computed in f64 and rounded to `F` once. The update is independent
    /// per element; large tensors are split into fixed chunks run in parallel, so the result
    /// does not depend on the thread count.
    ///
    /// Returns whether every updated parameter and moment is finite, checked as it is written,
    /// so a training loop's guard needs no second pass over the state.
    ///
    /// # Panics
    /// If the parameters are not the slots' (by number, name or shape), a gradient's shape
    /// differs from its parameter's, or a gradient is not contiguous.
    pub fn step_each<'p>(&mut self, updates: impl IntoIterator<Item = Update<'p, F>>) -> bool
    where
        F: 'p,
    {
        self.t += 1;
        let c = &self.config;
        let t = self.t as i32;
        let alpha = c.learning_rate * (1.0 - c.beta_2.powi(t)).sqrt() / (1.0 - c.beta_1.powi(t));
        let cast = |x: f64| F::from(x).unwrap_or_else(F::nan);
        let k = Constants {
            alpha: cast(alpha),
            one_minus_b1: cast(1.0 - c.beta_1),
            one_minus_b2: cast(1.0 - c.beta_2),
            eps: cast(c.epsilon),
        };
        let mut count = 0;
        let mut finite = true;
        for (update, slot) in updates.into_iter().zip(&mut self.slots) {
            count += 1;
            let Update {
                parameter,
                gradient: g,
            } = update;
            let mut theta = parameter.value;
            assert_eq!(
                parameter.name, slot.name,
                "Adam::step: parameter {count} is {} but its slot is {}",
                parameter.name, slot.name
            );
            assert_eq!(
                theta.shape(),
                g.shape(),
                "Adam::step: {} is {:?} but its gradient is {:?}",
                slot.name,
                theta.shape(),
                g.shape()
            );
            assert_eq!(
                theta.shape(),
                slot.m.shape(),
                "Adam::step: {} is {:?} but its slot is {:?}",
                slot.name,
                theta.shape(),
                slot.m.shape()
            );
            let theta = theta.as_slice_mut().expect("parameters are contiguous");
            let g = g.to_slice().expect("gradients are contiguous");
            let m = slot.m.as_slice_mut().expect("state is contiguous");
            let v = slot.v.as_slice_mut().expect("state is contiguous");
            finite &= theta
                .par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK))
                .zip(v.par_chunks_mut(CHUNK))
                .map(|(((theta, g), m), v)| {
                    let mut finite = true;
                    for (((theta, &g), m), v) in theta.iter_mut().zip(g).zip(m).zip(v) {
                        k.update(theta, g, m, v);
                        finite &= theta.is_finite() & m.is_finite() & v.is_finite();
                    }
                    finite
                })
                .reduce(|| true, |a, b| a & b);
        }
        assert_eq!(
            count,
            self.slots.len(),
            "Adam::step: {count} parameters, the state has {}",
            self.slots.len()
        );
        finite
    }
}

/// Elements per parallel chunk of the update: large enough that a chunk outweighs rayon's
/// scheduling, small enough to spread a 65,536-element kernel over the cores.
const CHUNK: usize = 8192;

/// The per-step constants of the update, in the parameters' precision.
#[derive(Clone, Copy)]
struct Constants<F> {
    alpha: F,
    one_minus_b1: F,
    one_minus_b2: F,
    eps: F,
}

impl<F: NdFloat> Constants<F> {
    /// One element: `m ← m + (g − m)(1 − β1)`, `v ← v + (g² − v)(1 − β2)`,
    /// `θ ← θ − α·m/(√v + ε)`.
    #[inline(always)]
    fn update(&self, theta: &mut F, g: F, m: &mut F, v: &mut F) {
        *m += (g - *m) * self.one_minus_b1;
        *v += (g * g - *v) * self.one_minus_b2;
        *theta -= self.alpha * *m / (v.sqrt() + self.eps);
    }
}
