//! The metadata every checkpoint carries: what run wrote it, how to rebuild its model and
//! standardise its inputs, and where its random streams stood.

use serde::{Deserialize, Serialize};

use crate::metrics::EpochMetrics;
use crate::model::Architecture;
use crate::optim::AdamConfig;

/// The value of the `format` metadata key.
pub const FORMAT: &str = "fraudnet-checkpoint";
/// The checkpoint format version this build writes; it reads every version from 1 up to it.
///
/// - 1: Dense layers in the architecture say `"relu": true|false`;
/// - 2: Dense layers name their activation, `"activation": "relu"|"linear"|"sigmoid"|"tanh"`;
/// - 3: `ema_momentum` (and, when it is set, the averaged weights `ema/<parameter>`) and
///   `test_fraction`; versions 1 and 2 read as a run without either.
pub const FORMAT_VERSION: u32 = 3;

/// The metadata stored with every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always [`FORMAT`]: tells a fraudnet checkpoint from other safetensors files.
    pub format: String,
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// The epoch just completed, 1-based.
    pub epoch: usize,
    /// Epochs the run was asked for.
    pub epochs: usize,
    /// The run's seed.
    pub seed: u64,
    /// The model's shape.
    pub architecture: Architecture,
    /// Adam's hyper-parameters.
    pub adam: AdamConfig,
    /// Rows per batch.
    pub batch_size: usize,
    /// Fraction of rows held out for validation.
    pub val_fraction: f64,
    /// Fraction of rows held out for testing, after the validation rows (`--test-fraction`;
    /// 0, no test rows, in versions 1 and 2).
    #[serde(default)]
    pub test_fraction: f64,
    /// The momentum of the weights' moving average when the run kept one (`--ema`): the
    /// checkpoint then holds the averaged weights as `ema/<parameter>`. `None` (`null`, or
    /// absent in versions 1 and 2): no average.
    #[serde(default)]
    pub ema_momentum: Option<f64>,
    /// Whether the training rows were shuffled each epoch.
    pub shuffle: bool,
    /// Feature names, in input order.
    pub feature_names: Vec<String>,
    /// The label column's name.
    pub label_name: String,
    /// Standardisation mean per feature (subtracted first).
    pub mean: Vec<f32>,
    /// Standardisation standard deviation per feature (divided by second; 0 means the column
    /// was constant and is mapped to 0).
    pub std: Vec<f32>,
    /// Class weights `[w₀, w₁] = [1/count₀, 1/count₁]` of the training split.
    pub class_weight: [f64; 2],
    /// The data file trained on, as given.
    pub data_source: String,
    /// That epoch's metrics.
    pub metrics: EpochMetrics,
    /// Position (ChaCha word position, as a decimal string) of the dropout stream after this
    /// epoch, so a resumed run draws the same masks.
    pub dropout_rng_position: String,
    /// Position of the shuffle stream after this epoch.
    pub shuffle_rng_position: String,
}
