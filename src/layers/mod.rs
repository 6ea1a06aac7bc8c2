//! The layers, one file each. Every layer is a plain struct with an explicit forward and
//! backward pass; the math of each backward pass is derived in `docs/backprop.md`.
//!
//! Conventions: activations are row-major `[batch, features]`; a backward pass receives the
//! gradient of the loss with respect to the layer's output (`dy`) and returns the gradient with
//! respect to its input (`dx`) and, for layers with parameters, the parameter gradients. A
//! backward pass never updates weights and never sees a learning rate: that is the optimizer's
//! job ([`crate::optim`]).

pub mod dense;
pub mod dropout;
pub mod relu;
pub mod sigmoid;

pub use dense::{Dense, DenseGrads};
pub use dropout::Dropout;
pub use relu::Relu;
pub use sigmoid::Sigmoid;

/// Whether a forward pass is for training (dropout active) or inference (dropout is the
/// identity), as Keras's `training=True/False` and PyTorch's `model.train()/model.eval()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout drops units.
    Train,
    /// Evaluation and prediction: dropout is the identity.
    Eval,
}
