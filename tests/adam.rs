//! Adam's first three steps on a scalar parameter, against the formula worked in f64.
//!
//! Expected values from this Python (Keras's `Adam.update_step` written out):
//! ```python
//! import math
//! lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-7
//! th = 1.0; m = v = 0.0
//! for t, g in enumerate(gs, 1):
//!     m += (g - m) * (1 - b1); v += (g * g - v) * (1 - b2)
//!     a = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
//!     th -= a * m / (math.sqrt(v) + eps); print(repr(th))
//! ```
//! and PyTorch's form (`m̂ = m/(1−β1ᵗ)`, `θ −= lr·m̂/(√v̂ + ε)`) for the values it must NOT give.

use fraudnet::model::ParameterMut;
use fraudnet::optim::{Adam, AdamConfig, Update};
use ndarray::{ArrayD, IxDyn};

/// One update of the single parameter `theta`, named `w`.
fn step<F: ndarray::NdFloat>(adam: &mut Adam<F>, theta: &mut ArrayD<F>, g: &ArrayD<F>) {
    adam.step_each([Update {
        parameter: ParameterMut {
            name: "w",
            value: theta.view_mut(),
        },
        gradient: g.view(),
    }]);
}

fn run(gradients: &[f64]) -> Vec<f64> {
    let mut theta = ArrayD::from_elem(IxDyn(&[]), 1.0f64);
    let mut adam = Adam::for_parameters(AdamConfig::default(), [("w".to_string(), vec![])]);
    gradients
        .iter()
        .map(|&g| {
            step(&mut adam, &mut theta, &ArrayD::from_elem(IxDyn(&[]), g));
            theta[[]]
        })
        .collect()
}

fn assert_steps(got: &[f64], expected: &[f64]) {
    for (t, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!((g - e).abs() < 1e-15, "step {}: {g} vs {e}", t + 1);
    }
}

#[test]
fn three_steps_with_ordinary_gradients() {
    // g = 0.5, −0.25, 2.0
    assert_steps(
        &run(&[0.5, -0.25, 2.0]),
        &[0.9900000632451532, 0.9873367079207922, 0.9806302416601094],
    );
}

#[test]
fn three_steps_with_class_weighted_size_gradients_tell_keras_from_pytorch() {
    // g = 1e-6, the size class weights of 1/count give: here √v ≈ 3e-8 is below ε = 1e-7.
    let got = run(&[1e-6, 1e-6, 1e-6]);
    assert_steps(
        &got,
        &[0.9975974692664796, 0.9945078332444554, 0.9909700829312024],
    );
    // PyTorch's form would have moved θ to 0.990909…, 0.981818…, 0.972727…: far away.
    let pytorch = [0.990909090909091, 0.9818181818181819, 0.9727272727272729];
    for (g, p) in got.iter().zip(pytorch) {
        assert!((g - p).abs() > 1e-3, "{g} is PyTorch's value {p}");
    }
}

#[test]
fn step_count_starts_at_one_and_moments_are_kept() {
    let mut adam = Adam::<f32>::for_parameters(AdamConfig::default(), [("w".into(), vec![2])]);
    let mut theta = ArrayD::<f32>::zeros(IxDyn(&[2]));
    let g = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.0f32, -1.0]).unwrap();
    step(&mut adam, &mut theta, &g);
    assert_eq!(adam.t, 1);
    // m = 0.1·g, v = 0.001·g², kept under the parameter's name
    let slot = adam.slot("w").unwrap();
    assert_eq!(slot.m.as_slice().unwrap(), &[0.1f32 * 1.0, -0.1]);
    assert!((slot.v[[0]] - 0.001).abs() < 1e-9);
}

#[test]
#[should_panic(expected = "parameter 1 is v but its slot is w")]
fn a_parameter_is_matched_to_its_state_by_name() {
    let mut adam = Adam::<f32>::for_parameters(AdamConfig::default(), [("w".into(), vec![1])]);
    let mut theta = ArrayD::<f32>::zeros(IxDyn(&[1]));
    let g = ArrayD::<f32>::ones(IxDyn(&[1]));
    adam.step_each([Update {
        parameter: ParameterMut {
            name: "v",
            value: theta.view_mut(),
        },
        gradient: g.view(),
    }]);
}
