//! Backprop against f64 central differences: each layer alone, the weighted loss, and a small
//! whole model with fixed dropout masks. Tolerance: relative error ≤ 1e-6
//! (see `fraudnet::gradcheck` for why that separates right from wrong).

mod common;

use common::random;
use fraudnet::activation::Activation;
use fraudnet::gradcheck::{
    STEP, check_model, distance_to_kink, max_relative_error, numeric_gradient, random_masks, spread,
};
use fraudnet::layers::{Dense, Dropout};
use fraudnet::loss::weighted_bce_with_logits;
use fraudnet::model::{Architecture, LayerSpec, Sequential};
use fraudnet::rng::{self, Stream};
use ndarray::{Array1, Array2, ArrayView2};

const TOLERANCE: f64 = 1e-6;

/// `L = Σ R ⊙ y`: a scalar of the layer's output whose gradient `∂L/∂y = R` is known exactly.
fn projected(y: ArrayView2<f64>, r: &Array2<f64>) -> f64 {
    (&y * r).sum()
}

fn check(
    name: &str,
    analytic: &Array2<f64>,
    x: &mut Array2<f64>,
    f: impl FnMut(&Array2<f64>) -> f64,
) {
    let at = spread(x.len(), usize::MAX);
    let numeric = numeric_gradient(x, &at, f);
    let err = max_relative_error(analytic.as_slice().unwrap(), &at, &numeric);
    assert!(err <= TOLERANCE, "{name}: max relative error {err:e}");
}

#[test]
fn dense_alone() {
    let layer = Dense::<f64> {
        kernel: random(4, 3, 1),
        bias: random(1, 3, 2).into_shape_with_order(3).unwrap(),
    };
    let mut x = random::<f64>(5, 4, 3);
    let r = random::<f64>(5, 3, 4);
    let (dx, g) = layer.backward(x.view(), r.view());
    check("dense input", &dx, &mut x, |x| {
        projected(layer.forward(x.view()).view(), &r)
    });
    let mut kernel = layer.kernel.clone();
    check("dense kernel", &g.kernel, &mut kernel, |k| {
        let l = Dense {
            kernel: k.clone(),
            bias: layer.bias.clone(),
        };
        projected(l.forward(x.view()).view(), &r)
    });
    let mut bias = layer.bias.clone().insert_axis(ndarray::Axis(0));
    check(
        "dense bias",
        &g.bias.insert_axis(ndarray::Axis(0)),
        &mut bias,
        |b| {
            let l = Dense {
                kernel: layer.kernel.clone(),
                bias: b.row(0).to_owned(),
            };
            projected(l.forward(x.view()).view(), &r)
        },
    );
    // The check can fail: a kernel gradient off by 0.1 % is caught.
    let wrong = g.kernel.mapv(|v| v * 1.001);
    let at = spread(layer.kernel.len(), usize::MAX);
    let numeric = numeric_gradient(&mut layer.kernel.clone(), &at, |k| {
        projected(
            Dense {
                kernel: k.clone(),
                bias: layer.bias.clone(),
            }
            .forward(x.view())
            .view(),
            &r,
        )
    });
    assert!(max_relative_error(wrong.as_slice().unwrap(), &at, &numeric) > TOLERANCE);
}

#[test]
fn every_activation_alone() {
    for activation in Activation::ALL {
        // Inputs at least 0.1 from 0 (ReLU's kink), far beyond the step 1e-5, over ±4 so
        // sigmoid and tanh are checked on their curved parts too.
        let mut z = random::<f64>(6, 5, 5).mapv(|v| {
            let v = 4.0 * v;
            if v.abs() < 0.1 {
                v.signum() * 0.1 + v
            } else {
                v
            }
        });
        assert!(z.iter().all(|v| v.abs() > 100.0 * STEP));
        let r = random::<f64>(6, 5, 6);
        let y = activation.forward(z.view());
        let dz = activation.backward(y.view(), r.view());
        check(&format!("{activation} input"), &dz, &mut z, |z| {
            projected(activation.forward(z.view()).view(), &r)
        });
        // The check can fail: a gradient 0.1 % off is caught (identity's included).
        let wrong = dz.mapv(|v| v * 1.001);
        let at = spread(z.len(), usize::MAX);
        let numeric = numeric_gradient(&mut z.clone(), &at, |z| {
            projected(activation.forward(z.view()).view(), &r)
        });
        assert!(
            max_relative_error(wrong.as_slice().unwrap(), &at, &numeric) > TOLERANCE,
            "{activation}: a wrong gradient passed"
        );
    }
}

#[test]
fn dropout_alone_with_a_fixed_mask() {
    let mask = Dropout::new(0.3).mask::<f64>((6, 5), &mut rng::stream(3, Stream::Dropout));
    let mut x = random::<f64>(6, 5, 7);
    let r = random::<f64>(6, 5, 8);
    let dx = Dropout::backward(mask.view(), r.view());
    check("dropout input", &dx, &mut x, |x| {
        projected(Dropout::forward(x.view(), mask.view()).view(), &r)
    });
}

#[test]
fn weighted_loss_both_classes() {
    let mut z = random::<f64>(1, 8, 11).mapv(|v| 3.0 * v);
    let targets = Array1::from(vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
    // Class weights as 1/count would give, scaled up so the gradients are not tiny.
    let weights = targets.mapv(|y| if y > 0.5 { 2.5 } else { 0.4 });
    let (_, dz) = weighted_bce_with_logits(z.t(), targets.view(), weights.view()).unwrap();
    let dz = dz.t().to_owned();
    check("loss logits", &dz, &mut z, |z| {
        weighted_bce_with_logits(z.t(), targets.view(), weights.view())
            .unwrap()
            .0
    });
}

/// A whole-model check of `arch` at a sample point with non-zero biases and fixed masks.
fn check_whole_model(arch: &Architecture, expected_tensors: usize) {
    let mut model = Sequential::<f64>::new(arch, &mut rng::stream(21, Stream::Init)).unwrap();
    // Non-zero biases: with zero biases a row whose inputs were all dropped sits exactly on
    // the ReLU kink (z = 0), where the function has no derivative.
    for (k, p) in model.parameters_mut().enumerate() {
        if p.name.ends_with("/bias") {
            let n = p.value.len();
            let values = random::<f64>(1, n, 30 + k as u64).mapv(|v| 0.5 * v);
            let mut bias = p.value;
            bias.assign(&values.into_shape_with_order(n).unwrap().into_dyn());
        }
    }
    let x = random::<f64>(8, arch.inputs, 22).mapv(|v| 2.0 * v);
    let targets = Array1::from(vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    let weights = targets.mapv(|y| if y > 0.5 { 1.6 } else { 0.7 });
    let masks = random_masks(&model, 8, &mut rng::stream(23, Stream::Dropout));
    let kink = distance_to_kink(&model, x.view(), &masks);
    assert!(
        kink > 1e-3,
        "sample point {kink:e} from a ReLU kink: pick another seed"
    );
    let report = check_model(&model, &x, &targets, &weights, &masks, usize::MAX).unwrap();
    assert_eq!(
        report.len(),
        expected_tensors,
        "kernels, biases and the input"
    );
    for t in &report {
        eprintln!(
            "{:<16} {:>4} elements, max relative error {:.2e}",
            t.name, t.checked, t.max_relative_error
        );
        assert!(
            t.max_relative_error <= TOLERANCE,
            "{}: {:e}",
            t.name,
            t.max_relative_error
        );
    }
}

#[test]
fn small_whole_model_with_fixed_dropout_masks() {
    let arch = Architecture::mlp(5, &[7, 6], &[0.3, 0.5]).unwrap();
    let model = Sequential::<f64>::new(&arch, &mut rng::stream(21, Stream::Init)).unwrap();
    assert_eq!(
        random_masks(&model, 8, &mut rng::stream(23, Stream::Dropout)).len(),
        2
    );
    check_whole_model(&arch, 7);
}

#[test]
fn whole_models_with_every_activation() {
    use Activation::{Identity, Relu, Sigmoid, Tanh};
    let dense = |units, activation| LayerSpec::Dense { units, activation };
    let arch = Architecture {
        inputs: 4,
        layers: vec![
            dense(6, Tanh),
            LayerSpec::Dropout { rate: 0.25 },
            dense(5, Sigmoid),
            dense(3, Identity),
            LayerSpec::Dropout { rate: 0.5 },
            dense(4, Relu),
            dense(1, Identity),
        ],
    };
    check_whole_model(&arch, 11);
}

#[test]
fn a_model_that_does_not_output_one_logit_is_refused() {
    let arch = Architecture {
        inputs: 2,
        layers: vec![LayerSpec::Dense {
            units: 3,
            activation: Activation::Identity,
        }],
    };
    let err = fraudnet::gradcheck::check_architecture(&arch, 4, 1, 10).unwrap_err();
    assert!(
        err.to_string().contains("needs exactly 1 output unit"),
        "{err}"
    );
}
