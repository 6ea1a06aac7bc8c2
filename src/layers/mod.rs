//! The layers, one file each. Every layer is a plain struct with an explicit forward and
//! backward pass; the math of each backward pass is derived in `docs/backprop.md`.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `dense.rs` | [`Dense`], `y = x·W + b`, on the naive product: the layer as a learner reads it |
//! | `activation.rs` | [`Activation`] as a layer: ReLU, sigmoid, tanh, identity |
//! | `dropout.rs` | [`Dropout`], inverted dropout |
//! | `dense_block.rs` | [`DenseBlock`]: Dense → activation → optional Dropout, fused into the fast product; what the model runs |
//!
//! Conventions: activations are row-major `[batch, features]`; a backward pass receives the
//! gradient of the loss with respect to the layer's output (`dy`) and returns the gradient with
//! respect to its input (`dx`) and, for layers with parameters, the parameter gradients. A
//! backward pass never updates weights and never sees a learning rate: that is the optimizer's
//! job ([`crate::optim`]).

pub mod activation;
pub mod dense;
pub mod dense_block;
pub mod dropout;

pub use crate::activation::Activation;
pub use dense::{Dense, DenseGrads};
pub use dense_block::{BlockActivations, DenseBlock, InputGradient};
pub use dropout::Dropout;
