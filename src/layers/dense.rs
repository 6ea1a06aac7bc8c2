//! Dense (fully connected) layer: `y = x·W + b`, written plainly on the naive product. The model
//! runs the same math fused into the fast product ([`super::DenseBlock`]); a test keeps the two
//! equal bit for bit.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, Axis, NdFloat};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;
use rayon::prelude::*;

use crate::linalg::matmul_naive;
use crate::rng::Rng;

/// A fully connected layer, `y = x·W + b`, in Keras's layout.
///
/// Backward (derived in `docs/backprop.md`, section "Dense"):
/// `dx = dy·Wᵀ`, `dW = xᵀ·dy`, `db = Σₙ dy` (the sum over the batch rows).
///
/// # Shapes
/// - `kernel` (W): `[d_in, d_out]` (Keras layout; PyTorch's `nn.Linear.weight` is its transpose)
/// - `bias` (b): `[d_out]`
/// - input `x`: `[batch, d_in]`, output `y`: `[batch, d_out]`
///
/// # Reference
/// `keras.layers.Dense` (keras/src/layers/core/dense.py) with the default
/// `kernel_initializer="glorot_uniform"` and `bias_initializer="zeros"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<F> {
    /// `W`: `[d_in, d_out]`.
    pub kernel: Array2<F>,
    /// `b`: `[d_out]`.
    pub bias: Array1<F>,
}

/// Gradients of the loss with respect to a [`Dense`] layer's parameters, named like them.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseGrads<F> {
    /// `dW = xᵀ·dy`: `[d_in, d_out]`.
    pub kernel: Array2<F>,
    /// `db = Σₙ dy`: `[d_out]`.
    pub bias: Array1<F>,
}

impl<F: NdFloat> DenseGrads<F> {
    /// Zero gradients shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &Dense<F>) -> Self {
        DenseGrads {
            kernel: Array2::zeros(layer.kernel.raw_dim()),
            bias: Array1::zeros(layer.bias.raw_dim()),
        }
    }
}

impl<F: NdFloat> Dense<F> {
    /// A layer with a Glorot-uniform kernel and a zero bias.
    ///
    /// Kernel values are drawn from `U(−limit, +limit)` with `limit = √(6 / (d_in + d_out))`
    /// (Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
    /// networks", AISTATS 2010; Keras's `GlorotUniform`). They are drawn in f64 and rounded to
    /// `F`, so an f32 and an f64 layer built from the same stream hold the same values.
    pub fn glorot_uniform(d_in: usize, d_out: usize, rng: &mut Rng) -> Self {
        let limit = (6.0 / (d_in + d_out) as f64).sqrt();
        let kernel = Array2::<f64>::random_using(
            (d_in, d_out),
            Uniform::new(-limit, limit).expect("limit > 0"),
            rng,
        );
        Dense {
            kernel: kernel.mapv(|w| F::from(w).expect("f64 fits F")),
            bias: Array1::zeros(d_out),
        }
    }

    /// Input features, `d_in`.
    pub fn d_in(&self) -> usize {
        self.kernel.nrows()
    }

    /// Output units, `d_out`.
    pub fn d_out(&self) -> usize {
        self.kernel.ncols()
    }

    /// Forward pass: `y = x·W + b`.
    ///
    /// # Shapes
    /// `x: [batch, d_in]` → `y: [batch, d_out]`.
    ///
    /// # Panics
    /// If `x` does not have `d_in` columns.
    pub fn forward(&self, x: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            x.ncols(),
            self.d_in(),
            "Dense::forward: x is {:?} but the kernel is {:?}",
            x.dim(),
            self.kernel.dim()
        );
        matmul_naive(x, self.kernel.view()) + &self.bias
    }

    /// Backward pass: given the input `x` of the forward pass and `dy = ∂L/∂y`, returns
    /// `dx = dy·Wᵀ` and the parameter gradients `dW = xᵀ·dy`, `db = Σₙ dy`.
    ///
    /// # Shapes
    /// `x: [batch, d_in]`, `dy: [batch, d_out]` → `dx: [batch, d_in]`.
    ///
    /// # Panics
    /// If the shapes do not match the layer.
    pub fn backward(&self, x: ArrayView2<F>, dy: ArrayView2<F>) -> (Array2<F>, DenseGrads<F>) {
        assert_eq!(
            x.nrows(),
            dy.nrows(),
            "Dense::backward: x is {:?} but dy is {:?}",
            x.dim(),
            dy.dim()
        );
        let dx = matmul_naive(dy, self.kernel.t());
        let mut bias = Array1::zeros(dy.ncols());
        Self::bias_gradient_into(dy, bias.view_mut());
        let grads = DenseGrads {
            kernel: matmul_naive(x.t(), dy),
            bias,
        };
        (dx, grads)
    }

    /// `db = Σₙ dy`: the bias gradient, summed over the batch rows in order `n = 0, 1, …`
    /// (so the fused block, which calls this too, gets the same bits). Columns are summed in
    /// parallel in blocks of 64 — each column's sum stays one thread's, in row order, so the
    /// result does not depend on the thread count.
    ///
    /// # Shapes
    /// `dy: [batch, d_out]`, `db: [d_out]`.
    ///
    /// # Panics
    /// If `db` does not have `dy`'s width.
    pub fn bias_gradient_into(dy: ArrayView2<F>, mut db: ArrayViewMut1<F>) {
        assert_eq!(
            db.len(),
            dy.ncols(),
            "Dense::bias_gradient_into: dy is {:?} but db has {} values",
            dy.dim(),
            db.len()
        );
        db.fill(F::zero());
        db.axis_chunks_iter_mut(Axis(0), 64)
            .into_par_iter()
            .zip(dy.axis_chunks_iter(Axis(1), 64))
            .for_each(|(mut db, dy)| {
                for row in dy.rows() {
                    db += &row;
                }
            });
    }
}
