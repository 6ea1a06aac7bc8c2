//! The training job of the Keras example: data preparation, the epoch loop, per-epoch
//! metrics, the Keras-style log and a checkpoint after every epoch.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `prepare.rs` | split, class weights and standardisation of a [`crate::data::Table`] |
//! | `step.rs` | one training step: forward, loss, backward, Adam |
//! | `evaluate.rs` | a forward pass over a whole split in `Mode::Eval` |
//! | `fit.rs` | the epoch loop, progress bar and checkpoints |
//! | `best.rs` | `--keep-best`: the best epoch's checkpoint by a validation metric |
//! | `guard.rs` | the NaN guard: stops on a non-finite loss, gradient, parameter or moment |
//! | `resume.rs` | where a run starts: fresh, or after a checkpoint's epoch |
//! | `report.rs` | the epoch line and the conclusion, formatted as Keras prints them |
//! | `metrics_log.rs` | the metrics log: its columns, its writer and its reader |
//! | `earlier_run.rs` | an earlier run's files: refused, or moved aside and deleted once the new run's first checkpoint is written |
//! | `run.rs` | the order of a run: settings, every input validated, then the checkpoint directory, `--overwrite` |

mod best;
mod earlier_run;
mod evaluate;
mod fit;
mod guard;
mod metrics_log;
mod prepare;
mod report;
mod resume;
mod run;
mod step;

pub use best::KeepBest;
pub use evaluate::{Evaluated, evaluate, evaluate_ranked};
pub use fit::{FitOutcome, TrainConfig, fit, fit_from};
pub use metrics_log::{COLUMNS, EpochRow, MetricsLog, read_metrics_log};
pub use prepare::{Prepared, prepare, prepare_with_test};
pub use report::{UNDEFINED, conclusion, epoch_line, keras_number, no_positive_validation_warning};
pub use resume::{Change, Mismatch, TrainState, changed_settings, mismatch, mlp_settings};
pub use run::{DataSource, RunSettings, check_settings, run};
pub use step::{Batch, StepOutput, StepWorkspace, train_step};
