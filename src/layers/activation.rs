//! An activation layer, `y = f(z)` element by element, with its backward pass `dz = dy ⊙ f′`.
//! The scalar functions and their derivatives are in [`crate::activation`]; this file applies
//! them to whole arrays, as the reference path does.

use ndarray::{Array2, ArrayView2, NdFloat, Zip};

use crate::activation::Activation;

impl Activation {
    /// Forward pass: `y = f(z)` element by element ([`Activation::value`]).
    ///
    /// # Shapes
    /// Any `[batch, features]`; `y` has the shape of `z`.
    pub fn forward<F: NdFloat>(self, z: ArrayView2<F>) -> Array2<F> {
        z.mapv(|v| self.value(v))
    }

    /// Backward pass: `dz = dy ⊙ f′(z)`, computed from the forward pass's *output* `y`
    /// ([`Activation::gradient`]): ReLU `dy ⊙ 1[y > 0]`, sigmoid `dy ⊙ y(1 − y)`, tanh
    /// `dy ⊙ (1 − y²)`, identity `dy`. Derived in `docs/backprop.md`, sections "ReLU" and
    /// "Sigmoid, tanh and identity".
    ///
    /// # Shapes
    /// `y`, `dy`: the same `[batch, features]`; `dz` has that shape.
    ///
    /// # Panics
    /// If `y` and `dy` differ in shape.
    pub fn backward<F: NdFloat>(self, y: ArrayView2<F>, dy: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            y.dim(),
            dy.dim(),
            "Activation::backward ({self}): y is {:?} but dy is {:?}",
            y.dim(),
            dy.dim()
        );
        Zip::from(&dy)
            .and(&y)
            .map_collect(|&g, &y| self.gradient(g, y))
    }
}
