//! The data pipeline of the Keras example "Imbalanced classification: credit card fraud
//! detection": read the CSV, split off the validation rows, count the classes, standardise.
//!
//! | step | function | Keras example |
//! | --- | --- | --- |
//! | read | [`read_table`] | `float(v.replace('"', ""))` per field, then `np.array(..., dtype="float32")` |
//! | split | [`split_validation`], [`split_test`] | `num_val_samples = int(len(features) * 0.2)`; the last rows are validation (with `--test-fraction`, the test rows after them) |
//! | class weights | [`class_weights`] | `weight_for_0 = 1.0 / counts[0]`, `weight_for_1 = 1.0 / counts[1]` |
//! | standardise | [`Standardizer`] | `mean = np.mean(train, axis=0)`, subtract; `std = np.std(train, axis=0)`, divide |
//!
//! [`RowStream`] reads a file a block of rows at a time with the same rules, for scoring files
//! larger than memory.
//!
//! [`synthetic_table`] builds a look-alike of the real file for machines that lack it.
//!
//! The reference code is `examples/structured_data/imbalanced_classification.py` in
//! `keras-team/keras-io`.

mod csv;
mod split;
mod standardize;
mod synthetic;
mod synthetic_stats;

use std::path::PathBuf;

use ndarray::{Array1, Array2};

pub use csv::{RowChunk, RowStream, STREAM_BLOCK_BYTES, StreamLayout, read_table};
pub use split::{SplitError, class_weights, split_sizes, split_test, split_validation};
pub use standardize::Standardizer;
pub use synthetic::{
    PLAIN_SEVERITY, SUBTLE_SEVERITY, SUBTLE_SHARE, SYNTHETIC_POSITIVES, SYNTHETIC_ROWS,
    synthetic_table,
};

/// A labelled data set in memory: one row per transaction.
///
/// # Shapes
///
/// - `features`: `[rows, features]`, row-major (standard layout), in file order;
/// - `labels`: `[rows]`, every value exactly `0.0` (legitimate) or `1.0` (fraud).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file the rows were read from, or `<synthetic>` for [`synthetic_table`].
    pub source: PathBuf,
    /// Header names without their quotes, in file order, the label column left out.
    pub feature_names: Vec<String>,
    /// The header name of the label column (`Class` in the real file).
    pub label_name: String,
    /// Feature values, `[rows, features]`.
    pub features: Array2<f32>,
    /// Class labels, `[rows]`, each `0.0` or `1.0`.
    pub labels: Array1<f32>,
}

impl Table {
    /// The number of rows (transactions).
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The number of rows labelled `1` (fraud).
    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|&&y| y == 1.0).count()
    }
}
