//! Inverted dropout.

use ndarray::{Array2, ArrayView2, NdFloat};
use rand::Rng as _;

use crate::rng::Rng;

/// Inverted dropout (Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
/// Overfitting", JMLR 2014, in the "inverted" form Keras and PyTorch use).
///
/// In training each unit is kept with probability `1 − rate` and scaled by `1/(1 − rate)`, so
/// the expected activation is unchanged and inference needs no rescaling: `y = x ⊙ mask` with
/// `mask ∈ {0, 1/(1 − rate)}`. In evaluation it is the identity.
///
/// Backward (`docs/backprop.md`, section "Dropout"): `dx = dy ⊙ mask`.
///
/// # Shapes
/// Any `[batch, features]`; the output and the mask have the input's shape.
///
/// # Reference
/// `keras.layers.Dropout` (keras/src/layers/regularization/dropout.py).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// The fraction of units dropped in training, in `[0, 1)`.
    pub rate: f64,
}

impl Dropout {
    /// A dropout layer dropping `rate` of the units in training.
    ///
    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    pub fn new(rate: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&rate),
            "Dropout rate must be in [0, 1), got {rate}"
        );
        Dropout { rate }
    }

    /// Draws a mask of the given shape: each value `1/(1 − rate)` with probability `1 − rate`,
    /// else 0. Values are drawn row by row from `rng`, one uniform `[0, 1)` number each, and a
    /// unit is kept when its number is `≥ rate`.
    pub fn mask<F: NdFloat>(&self, shape: (usize, usize), rng: &mut Rng) -> Array2<F> {
        let scale = F::from(1.0 / (1.0 - self.rate)).expect("scale fits F");
        Array2::from_shape_simple_fn(shape, || {
            if rng.random::<f64>() >= self.rate {
                scale
            } else {
                F::zero()
            }
        })
    }

    /// Forward pass with a given mask: `y = x ⊙ mask` (training), see [`Dropout::mask`].
    ///
    /// # Panics
    /// If `x` and `mask` differ in shape.
    pub fn forward<F: NdFloat>(x: ArrayView2<F>, mask: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            x.dim(),
            mask.dim(),
            "Dropout::forward: x is {:?} but mask is {:?}",
            x.dim(),
            mask.dim()
        );
        &x * &mask
    }

    /// Backward pass: `dx = dy ⊙ mask`, the same mask as the forward pass.
    ///
    /// # Panics
    /// If `dy` and `mask` differ in shape.
    pub fn backward<F: NdFloat>(mask: ArrayView2<F>, dy: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            dy.dim(),
            mask.dim(),
            "Dropout::backward: dy is {:?} but mask is {:?}",
            dy.dim(),
            mask.dim()
        );
        &dy * &mask
    }
}
