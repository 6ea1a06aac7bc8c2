//! Binary cross-entropy with per-sample weights, computed from logits.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, NdFloat, Zip};

use crate::activation::sigmoid;
use crate::error::{Error, Result};

/// The column of logits in a model's outputs: sigmoid binary cross-entropy scores one logit
/// per row, so the outputs must be `[batch, 1]`.
///
/// # Errors
/// [`Error::Config`] named `output units` when the outputs have any other width: a wider output
/// would otherwise have its other columns silently ignored (and get no gradient).
pub fn logit_column<F>(outputs: ArrayView2<'_, F>) -> Result<ArrayView1<'_, F>> {
    check_output_width(outputs.ncols())?;
    Ok(outputs.index_axis_move(Axis(1), 0))
}

/// Checks that a model with `outputs` output units fits sigmoid binary cross-entropy: exactly 1.
///
/// # Errors
/// [`Error::Config`] named `output units` otherwise.
pub fn check_output_width(outputs: usize) -> Result<()> {
    if outputs == 1 {
        return Ok(());
    }
    Err(Error::Config {
        name: "output units",
        message: format!(
            "sigmoid binary cross-entropy needs exactly 1 output unit (one logit per row); \
             the model has {outputs}"
        ),
    })
}

/// The weighted binary cross-entropy of a batch and its gradient with respect to the logits.
///
/// For logit `zᵢ`, target `yᵢ ∈ {0, 1}` and sample weight `wᵢ` (the class weight of `yᵢ`):
///
/// - per-sample loss, in the stable form: `ℓᵢ = max(zᵢ, 0) − zᵢ·yᵢ + ln(1 + e^(−|zᵢ|))`,
///   which equals `−yᵢ·ln σ(zᵢ) − (1 − yᵢ)·ln(1 − σ(zᵢ))` but never overflows
///   (logit 100 with target 0 gives 100; logit −300 with target 1 gives 300);
/// - batch loss: `L = Σᵢ wᵢ·ℓᵢ / n`, with `n` the rows in the batch — Keras's
///   "sum over batch size" reduction, *not* divided by `Σᵢ wᵢ`;
/// - gradient: `∂L/∂zᵢ = wᵢ·(σ(zᵢ) − yᵢ) / n` (derived in `docs/backprop.md`, section
///   "Sigmoid and weighted binary cross-entropy").
///
/// The sum runs in row order, so the result does not depend on the thread count.
///
/// # Shapes
/// `logits: [n, 1]` (a model's outputs); `targets`, `sample_weight`: `[n]`. Returns
/// `(L, ∂L/∂z: [n, 1])`.
///
/// # Errors
/// [`Error::Config`] when `logits` is not one column ([`check_output_width`]).
///
/// # Panics
/// If the arrays differ in length or `n = 0`.
///
/// # Reference
/// TensorFlow's `tf.nn.sigmoid_cross_entropy_with_logits` (the form Keras's TensorFlow backend
/// uses for a sigmoid output), reduced as `keras.losses.BinaryCrossentropy` with
/// `class_weight` in `Model.fit`.
pub fn weighted_bce_with_logits<F: NdFloat>(
    logits: ArrayView2<F>,
    targets: ArrayView1<F>,
    sample_weight: ArrayView1<F>,
) -> Result<(F, Array2<F>)> {
    let mut dlogits = Array2::zeros(logits.dim());
    let loss = weighted_bce_with_logits_into(logits, targets, sample_weight, dlogits.view_mut())?;
    Ok((loss, dlogits))
}

/// [`weighted_bce_with_logits`] writing `∂L/∂z` into `dlogits` (`[n, 1]`) instead of a new
/// array.
///
/// # Errors
/// As [`weighted_bce_with_logits`].
///
/// # Panics
/// If the arrays differ in length or `n = 0`.
pub fn weighted_bce_with_logits_into<F: NdFloat>(
    logits: ArrayView2<F>,
    targets: ArrayView1<F>,
    sample_weight: ArrayView1<F>,
    dlogits: ArrayViewMut2<F>,
) -> Result<F> {
    let logits = logit_column(logits)?;
    check_output_width(dlogits.ncols())?;
    let dlogits = dlogits.index_axis_move(Axis(1), 0);
    let n = logits.len();
    assert!(n > 0, "weighted_bce_with_logits: empty batch");
    assert_eq!(
        targets.len(),
        n,
        "weighted_bce_with_logits: {n} logits but {} targets",
        targets.len()
    );
    assert_eq!(
        sample_weight.len(),
        n,
        "weighted_bce_with_logits: {n} logits but {} weights",
        sample_weight.len()
    );
    assert_eq!(
        dlogits.len(),
        n,
        "weighted_bce_with_logits: {n} logits but {} gradients",
        dlogits.len()
    );
    let n_f = F::from(n).unwrap_or_else(F::nan);
    let mut total = F::zero();
    Zip::from(dlogits)
        .and(&logits)
        .and(&targets)
        .and(&sample_weight)
        .for_each(|dz, &z, &y, &w| {
            total += w * bce_with_logits(z, y);
            *dz = w * (sigmoid(z) - y) / n_f;
        });
    Ok(total / n_f)
}

/// The unweighted mean binary cross-entropy, `Σᵢ ℓᵢ / n`, as Keras reports `val_loss`
/// (validation data carries no class weights). Returns 0 for an empty batch.
///
/// # Panics
/// If `logits` and `targets` differ in length.
pub fn mean_bce_with_logits<F: NdFloat>(logits: ArrayView1<F>, targets: ArrayView1<F>) -> F {
    assert_eq!(
        logits.len(),
        targets.len(),
        "mean_bce_with_logits: lengths differ"
    );
    if logits.is_empty() {
        return F::zero();
    }
    let sum = Zip::from(&logits)
        .and(&targets)
        .fold(F::zero(), |s, &z, &y| s + bce_with_logits(z, y));
    sum / F::from(logits.len()).unwrap_or_else(F::nan)
}

/// One sample's cross-entropy from its logit: `max(z, 0) − z·y + ln(1 + e^(−|z|))`.
pub fn bce_with_logits<F: NdFloat>(z: F, y: F) -> F {
    z.max(F::zero()) - z * y + (-z.abs()).exp().ln_1p()
}
