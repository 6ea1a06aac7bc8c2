//! The training job of the Keras example: data preparation, the epoch loop, per-epoch
//! metrics, the Keras-style log and a checkpoint after every epoch.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `prepare.rs` | split, class weights and standardisation of a [`crate::data::Table`] |
//! | `step.rs` | one training step: forward, loss, backward, Adam |
//! | `evaluate.rs` | a forward pass over a whole split in `Mode::Eval` |
//! | `fit.rs` | the epoch loop, progress bar and checkpoints |
//! | `report.rs` | the epoch line and the conclusion, formatted as Keras prints them |
//! | `metrics_log.rs` | the `--metrics-log` CSV |

mod evaluate;
mod fit;
mod metrics_log;
mod prepare;
mod report;
mod step;

pub use evaluate::evaluate;
pub use fit::{FitOutcome, TrainConfig, fit};
pub use metrics_log::MetricsLog;
pub use prepare::{Prepared, prepare};
pub use report::{conclusion, epoch_line, keras_number};
pub use step::{StepOutput, train_step};
