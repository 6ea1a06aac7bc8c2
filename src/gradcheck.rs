//! Numerical gradient checks: backprop's gradients against central differences, in f64.
//!
//! For a scalar loss `L(θ)` the central difference `(L(θ + h) − L(θ − h)) / 2h` approximates
//! `∂L/∂θ` with error `O(h²)`. With `h = 1e-5` in f64 the truncation error is about 1e-10 and
//! the round-off about `1e-16 / 1e-5 = 1e-11`, so an analytic gradient that agrees to a relative
//! error of 1e-6 is right; a wrong formula is off by far more.

use ndarray::{Array, Array1, Array2, ArrayView1, ArrayView2, Dimension};

use crate::activation::Activation;
use crate::error::Result;
use crate::loss::{check_output_width, weighted_bce_with_logits};
use crate::model::{Architecture, Mode, Sequential, reference};

/// The finite-difference step `h`.
pub const STEP: f64 = 1e-5;

/// Gradients smaller than this are compared against it instead of their own size, so that the
/// finite difference's round-off (about 1e-11) is not amplified into a large relative error
/// for a gradient that is (nearly) zero: it reads as 1e-7, ten times inside a 1e-6 tolerance.
pub const GRADIENT_FLOOR: f64 = 1e-4;

/// `|a − n| / max(|a|, |n|, GRADIENT_FLOOR)`: the relative error between an analytic gradient
/// `a` and a numerical one `n`.
pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(GRADIENT_FLOOR)
}

/// The central-difference gradient of `loss` with respect to the elements of `x` at the flat
/// (row-major) positions `at`; `x` is perturbed in place and restored exactly.
pub fn numeric_gradient<D: Dimension>(
    x: &mut Array<f64, D>,
    at: &[usize],
    mut loss: impl FnMut(&Array<f64, D>) -> f64,
) -> Vec<f64> {
    at.iter()
        .map(|&i| {
            let original = x.as_slice_mut().expect("contiguous")[i];
            x.as_slice_mut().expect("contiguous")[i] = original + STEP;
            let plus = loss(x);
            x.as_slice_mut().expect("contiguous")[i] = original - STEP;
            let minus = loss(x);
            x.as_slice_mut().expect("contiguous")[i] = original;
            (plus - minus) / (2.0 * STEP)
        })
        .collect()
}

/// The largest [`relative_error`] between `analytic` (at positions `at`) and `numeric`.
pub fn max_relative_error(analytic: &[f64], at: &[usize], numeric: &[f64]) -> f64 {
    at.iter()
        .zip(numeric)
        .map(|(&i, &n)| relative_error(analytic[i], n))
        .fold(0.0, f64::max)
}

/// The result of checking one tensor.
#[derive(Clone, Debug)]
pub struct TensorCheck {
    /// The parameter's name (`dense_1/kernel`), or `input` for `∂L/∂x`.
    pub name: String,
    /// How many of its elements were checked.
    pub checked: usize,
    /// The largest relative error among them.
    pub max_relative_error: f64,
}

/// The weighted binary cross-entropy of a model's training forward pass with fixed dropout
/// masks: the function a whole-model gradient check differentiates.
///
/// # Shapes
/// `x: [batch, inputs]`, `targets`, `sample_weight: [batch]`.
///
/// # Errors
/// [`crate::Error::Config`] when the model does not output one logit per row.
pub fn model_loss(
    model: &Sequential<f64>,
    x: ArrayView2<f64>,
    targets: ArrayView1<f64>,
    sample_weight: ArrayView1<f64>,
    masks: &[Array2<f64>],
) -> Result<f64> {
    let pass = model.forward(x, Mode::train_with_masks(masks));
    Ok(weighted_bce_with_logits(pass.outputs(), targets, sample_weight)?.0)
}

/// Checks every parameter of `model`, and its input, against central differences of
/// [`model_loss`]: at most `per_tensor` elements of each tensor, spread evenly over it.
///
/// # Shapes
/// `x: [batch, inputs]`, `targets`, `sample_weight: [batch]`; `masks` one per Dropout layer,
/// each shaped like that layer's input.
///
/// # Errors
/// [`crate::Error::Config`] when the model does not output one logit per row.
pub fn check_model(
    model: &Sequential<f64>,
    x: &Array2<f64>,
    targets: &Array1<f64>,
    sample_weight: &Array1<f64>,
    masks: &[Array2<f64>],
    per_tensor: usize,
) -> Result<Vec<TensorCheck>> {
    check_output_width(model.outputs())?;
    let pass = model.forward(x.view(), Mode::train_with_masks(masks));
    let (_, dlogits) =
        weighted_bce_with_logits(pass.outputs(), targets.view(), sample_weight.view())?;
    let (grads, dx) = model.backward(x.view(), &pass, dlogits.view());
    // The width was checked above, so the loss cannot fail below.
    let loss = |m: &Sequential<f64>, x: ArrayView2<f64>| {
        model_loss(m, x, targets.view(), sample_weight.view(), masks).unwrap_or(f64::NAN)
    };
    let mut report = Vec::new();
    for ((k, p), analytic) in model.parameters().enumerate().zip(grads.views()) {
        let mut param = p.value.to_owned();
        let at = spread(param.len(), per_tensor);
        let numeric = numeric_gradient(&mut param, &at, |values| {
            let mut m = model.clone();
            if let Some(mut target) = m.parameters_mut().nth(k) {
                target.value.assign(values);
            }
            loss(&m, x.view())
        });
        let analytic = analytic.iter().copied().collect::<Vec<_>>();
        report.push(TensorCheck {
            name: p.name.to_string(),
            checked: at.len(),
            max_relative_error: max_relative_error(&analytic, &at, &numeric),
        });
    }
    let mut input = x.clone();
    let at = spread(input.len(), per_tensor);
    let numeric = numeric_gradient(&mut input, &at, |x| loss(model, x.view()));
    let analytic = dx.iter().copied().collect::<Vec<_>>();
    report.push(TensorCheck {
        name: "input".into(),
        checked: at.len(),
        max_relative_error: max_relative_error(&analytic, &at, &numeric),
    });
    Ok(report)
}

/// The smallest `|z|` over every ReLU input of a forward pass: how far the sample point is from
/// a kink, where the function is not differentiable and central differences are meaningless.
/// A check is sound when this is well above `STEP` times the largest input. Without ReLU it is
/// infinite (sigmoid, tanh and identity are smooth).
pub fn distance_to_kink(model: &Sequential<f64>, x: ArrayView2<f64>, masks: &[Array2<f64>]) -> f64 {
    let pass = reference::forward(model, x, Mode::train_with_masks(masks));
    model
        .blocks()
        .iter()
        .zip(&pass.pre_activations)
        .filter(|(block, _)| block.activation == Activation::Relu)
        .flat_map(|(_, z)| z.iter())
        .fold(f64::INFINITY, |m, z| m.min(z.abs()))
}

/// `count` flat indices spread evenly over `0..len` (all of them when `count ≥ len`).
pub fn spread(len: usize, count: usize) -> Vec<usize> {
    if count >= len {
        return (0..len).collect();
    }
    (0..count).map(|i| i * len / count).collect()
}

/// Random dropout masks for every Dropout layer of `model` at batch size `batch`, each
/// `[batch, units of the Dense layer before it]`.
pub fn random_masks(
    model: &Sequential<f64>,
    batch: usize,
    rng: &mut crate::rng::Rng,
) -> Vec<Array2<f64>> {
    model
        .blocks()
        .iter()
        .filter_map(|b| {
            let dropout = b.dropout?;
            Some(dropout.mask((batch, b.dense.d_out()), rng))
        })
        .collect()
}

/// A whole-model check for `architecture` on a random batch, as `fraudnet gradcheck` runs it:
/// Glorot-uniform kernels and biases uniform in ±0.1 (non-zero, so no unit sits exactly on
/// the ReLU kink), inputs uniform in ±2, half the rows of each class with weights 0.7 and 1.6,
/// fixed dropout masks; at most `per_tensor` elements of each tensor.
///
/// A sample point is only sound away from the ReLU kinks, so seeds `seed, seed + 1, …` are
/// tried (at most [`KINK_ATTEMPTS`]) until every ReLU input is at least [`KINK_MARGIN`] from 0.
/// Returns the report, the sample point's [`distance_to_kink`] and the seed used.
///
/// # Errors
/// [`crate::Error::Config`] when the architecture is invalid or does not output one logit.
pub fn check_architecture(
    architecture: &Architecture,
    batch: usize,
    seed: u64,
    per_tensor: usize,
) -> Result<(Vec<TensorCheck>, f64, u64)> {
    let mut best = (f64::NEG_INFINITY, seed);
    for attempt in 0..KINK_ATTEMPTS {
        let s = seed.wrapping_add(attempt);
        let (model, x, _, _, masks) = sample_point(architecture, batch, s)?;
        let kink = distance_to_kink(&model, x.view(), &masks);
        if kink > best.0 {
            best = (kink, s);
        }
        if kink >= KINK_MARGIN {
            break;
        }
    }
    let (model, x, targets, weights, masks) = sample_point(architecture, batch, best.1)?;
    let report = check_model(&model, &x, &targets, &weights, &masks, per_tensor)?;
    Ok((report, best.0, best.1))
}

/// The smallest distance from a ReLU kink a sample point must keep: ten finite-difference steps.
pub const KINK_MARGIN: f64 = 10.0 * STEP;
/// Seeds tried by [`check_architecture`] to find a point [`KINK_MARGIN`] from every kink.
pub const KINK_ATTEMPTS: u64 = 100;

type SamplePoint = (
    Sequential<f64>,
    Array2<f64>,
    Array1<f64>,
    Array1<f64>,
    Vec<Array2<f64>>,
);

fn sample_point(architecture: &Architecture, batch: usize, seed: u64) -> Result<SamplePoint> {
    use crate::rng::{Stream, stream};
    use ndarray_rand::RandomExt;
    use ndarray_rand::rand_distr::Uniform;
    let mut rng = stream(seed, Stream::Init);
    let mut model = Sequential::<f64>::new(architecture, &mut rng)?;
    let mut data_rng = stream(seed, Stream::Data);
    let range = |low: f64, high: f64| {
        Uniform::new(low, high).map_err(|e| crate::Error::Config {
            name: "sample range",
            message: e.to_string(),
        })
    };
    let (bias_range, input_range) = (range(-0.1, 0.1)?, range(-2.0, 2.0)?);
    for p in model.parameters_mut() {
        if p.name.ends_with("/bias") {
            let mut bias = p.value;
            let shape = bias.raw_dim();
            bias.assign(&Array::random_using(shape, bias_range, &mut data_rng));
        }
    }
    let x = Array2::random_using((batch, architecture.inputs), input_range, &mut data_rng);
    let targets = Array1::from_shape_fn(batch, |i| (i % 2) as f64);
    let weights = targets.mapv(|y| if y > 0.5 { 1.6 } else { 0.7 });
    let masks = random_masks(&model, batch, &mut stream(seed, Stream::Dropout));
    Ok((model, x, targets, weights, masks))
}
