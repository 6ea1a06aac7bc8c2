//! Element-wise activation functions: each one's value and the gradient through it, side by
//! side, as scalars. The layer that applies them to arrays is
//! [`crate::layers::activation`]; the fused Dense block applies the very same scalar functions
//! inside the matrix product's epilogue ([`crate::linalg::Epilogue`]), which is why the fused
//! and the layer-by-layer paths agree bit for bit.
//!
//! Every gradient is written in terms of the activation's *output* `y = f(z)`, so a model keeps
//! one array per activation, not two (`docs/backprop.md`, sections "ReLU" and "Sigmoid, tanh
//! and identity").

use ndarray::NdFloat;
use serde::{Deserialize, Serialize};

/// An element-wise activation `y = f(z)`.
///
/// | variant | `f(z)` | `∂L/∂z` from `dy = ∂L/∂y` and `y` | Keras name |
/// |---|---|---|---|
/// | `Identity` | `z` | `dy` | `"linear"` |
/// | `Relu` | `max(z, 0)`, NaN propagated | `dy` where `y > 0`, else 0 | `"relu"` |
/// | `Sigmoid` | `1 / (1 + e^(−z))` | `dy·y·(1 − y)` | `"sigmoid"` |
/// | `Tanh` | `tanh z` | `dy·(1 − y²)` | `"tanh"` |
///
/// # Reference
/// `keras.activations` (keras/src/activations/activations.py) and PyTorch's `torch.relu`,
/// `torch.sigmoid`, `torch.tanh`. ReLU's derivative at exactly 0 is taken as 0, as TensorFlow's
/// `ReluGrad` and PyTorch's `threshold_backward` take it; ReLU of NaN is NaN, as in PyTorch,
/// so a non-finite input reaches the output instead of vanishing into a plausible score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `y = z`: the logits of an output layer (the sigmoid lives in the loss).
    #[default]
    #[serde(rename = "linear", alias = "identity")]
    Identity,
    /// Rectified linear unit, `y = max(z, 0)`.
    Relu,
    /// Logistic sigmoid, `y = 1 / (1 + e^(−z))`, computed stably for any `z`.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
}

impl Activation {
    /// Every activation, for tests and listings.
    pub const ALL: [Activation; 4] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ];

    /// The name Keras gives it (`Dense(..., activation="relu")`).
    pub fn keras_name(self) -> &'static str {
        match self {
            Activation::Identity => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
        }
    }

    /// `y = f(z)` for one value.
    #[inline(always)]
    pub fn value<F: NdFloat>(self, z: F) -> F {
        match self {
            Activation::Identity => z,
            // `z ≤ 0` is false for NaN, so NaN passes through; −0 becomes +0.
            Activation::Relu => relu(z),
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
        }
    }

    /// `∂L/∂z` for one value, from `dy = ∂L/∂y` and the output `y = f(z)`.
    #[inline(always)]
    pub fn gradient<F: NdFloat>(self, dy: F, y: F) -> F {
        match self {
            Activation::Identity => dy,
            Activation::Relu => relu_gradient(dy, y),
            Activation::Sigmoid => dy * (y * (F::one() - y)),
            Activation::Tanh => dy * (F::one() - y * y),
        }
    }

    /// [`Activation::value`] of every element of `z`, as a new array; the choice of function is
    /// made once outside the loop (the fused epilogue's hot path, on one row of a block).
    ///
    /// Out of place on purpose: written in place (`*v = relu(*v)`), the compiler turns ReLU's
    /// select into a masked store of the zeros (`vmaskmovps`), which is slow on AMD processors
    /// and stalls the next load of the same values; a new array is written with plain stores.
    #[inline(always)]
    pub fn values_of<F: NdFloat, const N: usize>(self, z: &[F; N]) -> [F; N] {
        match self {
            Activation::Identity => *z,
            Activation::Relu => std::array::from_fn(|j| relu(z[j])),
            Activation::Sigmoid => std::array::from_fn(|j| sigmoid(z[j])),
            Activation::Tanh => std::array::from_fn(|j| z[j].tanh()),
        }
    }

    /// [`Activation::gradient`] of every pair `(dy[j], y[j])`, as a new array, the choice of
    /// function made once outside the loop; out of place for the reason given at
    /// [`Activation::values_of`].
    #[inline(always)]
    pub fn gradients_of<F: NdFloat, const N: usize>(self, dy: &[F; N], y: &[F; N]) -> [F; N] {
        match self {
            Activation::Identity => *dy,
            Activation::Relu => std::array::from_fn(|j| relu_gradient(dy[j], y[j])),
            Activation::Sigmoid => std::array::from_fn(|j| dy[j] * (y[j] * (F::one() - y[j]))),
            Activation::Tanh => std::array::from_fn(|j| dy[j] * (F::one() - y[j] * y[j])),
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keras_name())
    }
}

impl std::str::FromStr for Activation {
    type Err = String;

    /// Parses a Keras name (`linear`/`identity`, `relu`, `sigmoid`, `tanh`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linear" | "identity" => Ok(Activation::Identity),
            "relu" => Ok(Activation::Relu),
            "sigmoid" => Ok(Activation::Sigmoid),
            "tanh" => Ok(Activation::Tanh),
            other => Err(format!(
                "unknown activation {other:?}; expected one of linear, relu, sigmoid, tanh"
            )),
        }
    }
}

/// `max(z, 0)` with NaN propagated: 0 where `z ≤ 0`, else `z`.
#[inline(always)]
fn relu<F: NdFloat>(z: F) -> F {
    if z <= F::zero() { F::zero() } else { z }
}

/// `dy` where `y > 0`, else 0 (also where `y` is NaN).
#[inline(always)]
fn relu_gradient<F: NdFloat>(dy: F, y: F) -> F {
    if y > F::zero() { dy } else { F::zero() }
}

/// `σ(z)` for one value, stable for any finite input: for `z ≥ 0` it computes
/// `1 / (1 + e^(−z))`, for `z < 0` the equal `e^z / (1 + e^z)`, so `e^(…)` never overflows (at
/// `z = ±1000` it returns exactly 1 and 0, never NaN). NaN gives NaN.
#[inline(always)]
pub fn sigmoid<F: NdFloat>(z: F) -> F {
    if z >= F::zero() {
        F::one() / (F::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (F::one() + e)
    }
}
