//! Logistic sigmoid: `σ(z) = 1 / (1 + e^(−z))`.

use ndarray::{Array2, ArrayView2, NdFloat, Zip};

/// The logistic sigmoid, turning logits into probabilities.
///
/// In training the sigmoid is not applied on its own: the loss takes logits and combines the
/// sigmoid with binary cross-entropy ([`crate::loss`]), which is both stabler and simpler
/// (`∂L/∂z = w·(σ(z) − y)/n`). This layer serves predictions and metrics, and its backward pass
/// is here for learners and the gradient checks (`docs/backprop.md`, section "Sigmoid").
///
/// Backward: `dz = dy ⊙ σ(z)·(1 − σ(z))`.
///
/// # Shapes
/// Any `[batch, features]`; the output has the input's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sigmoid;

impl Sigmoid {
    /// `σ(z)` for one value, stable for any finite input: for `z ≥ 0` it computes
    /// `1 / (1 + e^(−z))`, for `z < 0` the equal `e^z / (1 + e^z)`, so `e^(…)` never overflows
    /// (at `z = ±1000` it returns exactly 1 and 0, never NaN).
    pub fn value<F: NdFloat>(z: F) -> F {
        if z >= F::zero() {
            F::one() / (F::one() + (-z).exp())
        } else {
            let e = z.exp();
            e / (F::one() + e)
        }
    }

    /// Forward pass: `p = σ(z)` element by element.
    pub fn forward<F: NdFloat>(z: ArrayView2<F>) -> Array2<F> {
        z.mapv(Self::value)
    }

    /// Backward pass: given the output `p = σ(z)` and `dy = ∂L/∂p`, returns
    /// `∂L/∂z = dy ⊙ p·(1 − p)`.
    ///
    /// # Panics
    /// If `p` and `dy` differ in shape.
    pub fn backward<F: NdFloat>(p: ArrayView2<F>, dy: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            p.dim(),
            dy.dim(),
            "Sigmoid::backward: p is {:?} but dy is {:?}",
            p.dim(),
            dy.dim()
        );
        Zip::from(&p)
            .and(&dy)
            .map_collect(|&p, &g| g * p * (F::one() - p))
    }
}
