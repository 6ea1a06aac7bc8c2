//! The training/validation split and the class weights of the Keras example.

use ndarray::{Axis, Slice};

use super::Table;
use crate::{Error, Result};

/// Splits `table` into `(train, val)`: validation is the **last** `⌊val_fraction·N⌋` rows, training
/// the rows before them, both in file order (never shuffled across the split).
///
/// Keras example: `num_val_samples = int(len(features) * 0.2)`,
/// `train_features = features[:-num_val_samples]`, `val_features = features[-num_val_samples:]`.
/// On the real file (N = 284,807, fraction 0.2): 227,846 training rows, 56,961 validation rows.
///
/// # Shapes
///
/// `[N, F]` → `([N − n_val, F], [n_val, F])`, labels likewise.
///
/// # Errors
///
/// - [`Error::Config`] (`validation fraction`) unless `0 < val_fraction < 1`;
/// - [`Error::Dataset`] if either split would be empty.
pub fn split_validation(table: Table, val_fraction: f64) -> Result<(Table, Table)> {
    let (train, val, _) = split_test(table, val_fraction, 0.0)?;
    Ok((train, val))
}

/// The sizes `(n_train, n_val, n_test)` of the split of `rows` rows: `n_test = ⌊test_fraction·N⌋`
/// rows at the end of the file, `n_val = ⌊val_fraction·N⌋` rows before them, training the rest.
/// With `test_fraction = 0` this is the Keras example's split.
///
/// # Errors
/// As [`split_test`], without a file to name in [`Error::Dataset`] (its message is returned).
pub fn split_sizes(
    rows: usize,
    val_fraction: f64,
    test_fraction: f64,
) -> Result<(usize, usize, usize), SplitError> {
    if !(val_fraction > 0.0 && val_fraction < 1.0) {
        return Err(SplitError::Config(Error::Config {
            name: "validation fraction",
            message: format!(
                "must be strictly between 0 and 1 (the Keras example uses 0.2), got {val_fraction}"
            ),
        }));
    }
    if !(0.0..1.0).contains(&test_fraction) || val_fraction + test_fraction >= 1.0 {
        return Err(SplitError::Config(Error::Config {
            name: "test fraction",
            message: format!(
                "must be at least 0 and leave training rows beside the validation fraction                  {val_fraction}, got {test_fraction}"
            ),
        }));
    }
    // `as usize` truncates toward zero, like Python's `int()` on a non-negative float.
    let n_val = (val_fraction * rows as f64) as usize;
    let n_test = (test_fraction * rows as f64) as usize;
    let n_train = rows.saturating_sub(n_val + n_test);
    if n_val == 0 || n_train == 0 || (test_fraction > 0.0 && n_test == 0) {
        let message = if test_fraction > 0.0 {
            format!(
                "a validation fraction of {val_fraction} and a test fraction of {test_fraction}                  of its {rows} rows leave {n_train} training, {n_val} validation and {n_test}                  test rows; each split needs at least one row"
            )
        } else {
            format!(
                "a validation fraction of {val_fraction} of its {rows} rows leaves {n_train} \
                 training and {n_val} validation rows; both splits need at least one row"
            )
        };
        return Err(SplitError::Empty(message));
    }
    Ok((n_train, n_val, n_test))
}

/// Why [`split_sizes`] refused.
#[derive(Debug)]
pub enum SplitError {
    /// A fraction out of range ([`Error::Config`]).
    Config(Error),
    /// A split would be empty; the message says which.
    Empty(String),
}

/// Splits `table` into `(train, val, test)` in file order: test is the **last**
/// `⌊test_fraction·N⌋` rows, validation the `⌊val_fraction·N⌋` rows before them, training the
/// rows before those ([`split_sizes`]). The test rows are held out of everything a run does
/// (training, validation metrics, `--keep-best`) and scored once, by `evaluate --split test`.
///
/// # Shapes
///
/// `[N, F]` → `([n_train, F], [n_val, F], [n_test, F])`, labels likewise.
///
/// # Errors
///
/// - [`Error::Config`] (`validation fraction`) unless `0 < val_fraction < 1`, (`test fraction`)
///   unless `0 ≤ test_fraction` and `val_fraction + test_fraction < 1`;
/// - [`Error::Dataset`] if a split would be empty (the test split only when asked for).
pub fn split_test(
    table: Table,
    val_fraction: f64,
    test_fraction: f64,
) -> Result<(Table, Table, Table)> {
    let (n_train, n_val, _) = match split_sizes(table.rows(), val_fraction, test_fraction) {
        Ok(sizes) => sizes,
        Err(SplitError::Config(e)) => return Err(e),
        Err(SplitError::Empty(message)) => {
            return Err(Error::Dataset {
                path: table.source,
                message,
            });
        }
    };
    let part = |rows: Slice| Table {
        source: table.source.clone(),
        feature_names: table.feature_names.clone(),
        label_name: table.label_name.clone(),
        features: table.features.slice_axis(Axis(0), rows).to_owned(),
        labels: table.labels.slice_axis(Axis(0), rows).to_owned(),
    };
    Ok((
        part(Slice::from(..n_train)),
        part(Slice::from(n_train..n_train + n_val)),
        part(Slice::from(n_train + n_val..)),
    ))
}

/// The class weights `[w0, w1] = [1/count0, 1/count1]`, counted over the training split.
///
/// Keras example: `counts = np.bincount(train_targets[:, 0])`, `weight_for_0 = 1.0 / counts[0]`,
/// `weight_for_1 = 1.0 / counts[1]`. On the real file: `[1/227429, 1/417]`.
///
/// # Errors
///
/// [`Error::Dataset`] if the training split lacks either class (its weight would be infinite).
pub fn class_weights(train: &Table) -> Result<[f64; 2]> {
    let positives = train.positives();
    let negatives = train.rows() - positives;
    if positives == 0 || negatives == 0 {
        return Err(Error::Dataset {
            path: train.source.clone(),
            message: format!(
                "the training split has {negatives} rows of class 0 and {positives} of class 1: \
                 the class weight 1/count of a missing class would be infinite; use a file with \
                 both classes in its training rows, or another validation fraction"
            ),
        });
    }
    Ok([1.0 / negatives as f64, 1.0 / positives as f64])
}
