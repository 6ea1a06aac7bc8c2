//! Turning a table into training and validation arrays, as the Keras example does.

use ndarray::{Array1, Array2};

use crate::data::{Standardizer, Table, class_weights, split_test, split_validation};
use crate::error::Result;

/// The arrays a run trains on, and what it takes to reproduce them.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Standardised training features, `[n_train, features]`.
    pub train_x: Array2<f32>,
    /// Training labels, `[n_train]`, 0 or 1.
    pub train_y: Array1<f32>,
    /// Standardised validation features, `[n_val, features]`.
    pub val_x: Array2<f32>,
    /// Validation labels, `[n_val]`.
    pub val_y: Array1<f32>,
    /// `[1/count₀, 1/count₁]` of the training split.
    pub class_weight: [f64; 2],
    /// Mean and std of the training split, applied to both splits.
    pub standardizer: Standardizer,
    /// Feature names in column order.
    pub feature_names: Vec<String>,
    /// The label column's name.
    pub label_name: String,
    /// Names of constant columns (standardised to 0), for a warning.
    pub constant_columns: Vec<String>,
    /// Rows held out for testing after the validation rows (`--test-fraction`), which nothing
    /// here holds: only their count is kept, for the log.
    pub test_rows: usize,
}

/// Splits off the last `⌊val_fraction·N⌋` rows for validation, computes the class weights of
/// the training rows, and standardises both splits with the training mean and population std.
///
/// # Errors
/// From [`split_validation`] (fraction outside (0, 1), an empty split) and [`class_weights`]
/// (a class absent from the training split).
pub fn prepare(table: Table, val_fraction: f64) -> Result<Prepared> {
    let feature_names = table.feature_names.clone();
    let label_name = table.label_name.clone();
    let (train, val) = split_validation(table, val_fraction)?;
    from_split(train, val, 0, feature_names, label_name)
}

/// [`prepare`] with the last `⌊test_fraction·N⌋` rows held out for testing after the
/// validation rows ([`split_test`]): they are dropped here, before the class weights and the
/// standardisation are computed, so nothing a run does (training, validation metrics,
/// `--keep-best`, the moving average) ever reads them. `test_fraction = 0` is [`prepare`].
///
/// # Errors
/// From [`split_test`] (a fraction out of range, an empty split) and [`class_weights`].
pub fn prepare_with_test(table: Table, val_fraction: f64, test_fraction: f64) -> Result<Prepared> {
    let feature_names = table.feature_names.clone();
    let label_name = table.label_name.clone();
    let (train, val, test) = split_test(table, val_fraction, test_fraction)?;
    from_split(train, val, test.rows(), feature_names, label_name)
}

fn from_split(
    train: Table,
    val: Table,
    test_rows: usize,
    feature_names: Vec<String>,
    label_name: String,
) -> Result<Prepared> {
    let class_weight = class_weights(&train)?;
    let standardizer = Standardizer::fit(&train.features);
    let constant_columns = standardizer
        .zero_variance_columns()
        .into_iter()
        .map(|c| feature_names[c].clone())
        .collect();
    let (mut train_x, mut val_x) = (train.features, val.features);
    standardizer.apply(&mut train_x);
    standardizer.apply(&mut val_x);
    Ok(Prepared {
        train_x,
        train_y: train.labels,
        val_x,
        val_y: val.labels,
        class_weight,
        standardizer,
        feature_names,
        label_name,
        constant_columns,
        test_rows,
    })
}
