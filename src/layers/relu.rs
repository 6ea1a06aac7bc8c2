//! Rectified linear unit: `y = max(x, 0)`.

use ndarray::{Array2, ArrayView2, NdFloat, Zip};

/// ReLU, `y = max(x, 0)`, applied element by element.
///
/// Backward (`docs/backprop.md`, section "ReLU"): `dx = dy ⊙ 1[x > 0]`. The derivative at
/// exactly `x = 0` is taken as 0, the convention of Keras (TensorFlow's `ReluGrad`) and
/// PyTorch (`threshold_backward`).
///
/// # Shapes
/// Any `[batch, features]`; the output has the input's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Relu;

impl Relu {
    /// Forward pass: `y = max(x, 0)`.
    pub fn forward<F: NdFloat>(x: ArrayView2<F>) -> Array2<F> {
        x.mapv(|v| if v > F::zero() { v } else { F::zero() })
    }

    /// Backward pass: `dx = dy ⊙ 1[y > 0]`.
    ///
    /// Takes the forward pass's *output* `y` (equivalently its input: `y > 0` exactly where
    /// `x > 0`), so a model needs to keep only one array per ReLU.
    ///
    /// # Panics
    /// If `y` and `dy` differ in shape.
    pub fn backward<F: NdFloat>(y: ArrayView2<F>, dy: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            y.dim(),
            dy.dim(),
            "Relu::backward: y is {:?} but dy is {:?}",
            y.dim(),
            dy.dim()
        );
        Zip::from(&y)
            .and(&dy)
            .map_collect(|&y, &g| if y > F::zero() { g } else { F::zero() })
    }
}
