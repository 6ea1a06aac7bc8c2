//! The model: its architecture, the Sequential stack of Dense blocks that trains and predicts,
//! the reference path built from the plain layers, and the summary table.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `architecture.rs` | [`Architecture`] and [`LayerSpec`]: the model's shape, as checkpoints store it |
//! | `sequential.rs` | [`Sequential`]: forward and backward as one loop of [`crate::layers::DenseBlock`] calls |
//! | `passes.rs` | [`Mode`], [`ForwardPass`], [`Backward`], [`Gradients`] |
//! | `reference.rs` | the same passes built only from the plain layers and the naive product: read this first |
//! | `summary.rs` | the Keras-style summary table, from the architecture alone |

mod architecture;
mod passes;
pub mod reference;
mod sequential;
mod summary;

pub use architecture::{Architecture, LayerSpec};
pub use passes::{Backward, ForwardPass, Gradients, Mode};
pub use sequential::{Parameter, ParameterMut, Sequential};
pub use summary::summary;
