//! Unit values for each layer and the loss, worked by hand or from the formula.

mod common;

use fraudnet::activation::{Activation, sigmoid};
use fraudnet::layers::{Dense, Dropout};
use fraudnet::loss::{mean_bce_with_logits, weighted_bce_with_logits};
use fraudnet::rng::{self, Stream};
use ndarray::{Array1, Array2, Axis, array, concatenate};

/// W = [[1, 2], [3, 4]], b = [0.5, −1]; every number below is small integers or halves, exact
/// in f32, so the comparisons are exact.
fn hand_layer() -> Dense<f32> {
    Dense {
        kernel: array![[1.0, 2.0], [3.0, 4.0]],
        bias: array![0.5, -1.0],
    }
}

#[test]
fn dense_by_hand_batch_of_one() {
    let layer = hand_layer();
    let x = array![[1.0f32, 2.0]];
    // y = [1·1 + 2·3 + 0.5, 1·2 + 2·4 − 1] = [7.5, 9]
    assert_eq!(layer.forward(x.view()), array![[7.5, 9.0]]);
    let dy = array![[1.0f32, -1.0]];
    let (dx, g) = layer.backward(x.view(), dy.view());
    // dx = dy·Wᵀ = [1·1 − 1·2, 1·3 − 1·4]
    assert_eq!(dx, array![[-1.0, -1.0]]);
    // dW = xᵀ·dy = [[1·1, 1·(−1)], [2·1, 2·(−1)]], db = dy
    assert_eq!(g.kernel, array![[1.0, -1.0], [2.0, -2.0]]);
    assert_eq!(g.bias, array![1.0, -1.0]);
}

fn batch_of_two() -> (Array2<f32>, Array2<f32>) {
    (
        array![[1.0f32, 2.0], [-1.0, 0.5]],
        array![[1.0f32, -1.0], [0.5, 2.0]],
    )
}

#[test]
fn dense_by_hand_batch_of_two() {
    let layer = hand_layer();
    let (x, dy) = batch_of_two();
    // row 2: [−1·1 + 0.5·3 + 0.5, −1·2 + 0.5·4 − 1] = [1, −1]
    assert_eq!(layer.forward(x.view()), array![[7.5, 9.0], [1.0, -1.0]]);
    let (dx, g) = layer.backward(x.view(), dy.view());
    // row 2: [0.5·1 + 2·2, 0.5·3 + 2·4] = [4.5, 9.5]
    assert_eq!(dx, array![[-1.0, -1.0], [4.5, 9.5]]);
    // dW = Σₙ xₙᵀ·dyₙ = [[1, −1], [2, −2]] + [[−0.5, −2], [0.25, 1]]
    assert_eq!(g.kernel, array![[0.5, -3.0], [2.25, -1.0]]);
    assert_eq!(g.bias, array![1.5, 1.0]);
}

#[test]
fn dense_by_hand_batch_of_518_the_last_partial_batch() {
    let layer = hand_layer();
    let (x2, dy2) = batch_of_two();
    let x = concatenate(Axis(0), &vec![x2.view(); 259]).unwrap();
    let dy = concatenate(Axis(0), &vec![dy2.view(); 259]).unwrap();
    let y = layer.forward(x.view());
    assert_eq!(y.dim(), (518, 2));
    assert!(
        y.outer_iter()
            .enumerate()
            .all(|(i, r)| r == layer.forward(x2.view()).row(i % 2))
    );
    let (dx, g) = layer.backward(x.view(), dy.view());
    assert_eq!(dx.row(517), array![4.5f32, 9.5]);
    // 259 copies of the batch-of-two gradients.
    assert_eq!(g.kernel, array![[129.5, -777.0], [582.75, -259.0]]);
    assert_eq!(g.bias, array![388.5, 259.0]);
}

#[test]
fn relu_derivative_is_zero_at_zero() {
    let x = array![[-2.0f32, -0.0, 0.0, 1e-30, 3.0]];
    let y = Activation::Relu.forward(x.view());
    assert_eq!(y, array![[0.0, 0.0, 0.0, 1e-30, 3.0]]);
    // −0 becomes +0, as PyTorch's relu does.
    assert!(y.iter().all(|v| v.is_sign_positive()));
    let dx = Activation::Relu.backward(y.view(), Array2::ones((1, 5)).view());
    assert_eq!(dx, array![[0.0, 0.0, 0.0, 1.0, 1.0]]);
}

#[test]
fn relu_propagates_nan_as_pytorch_does() {
    // torch.relu(torch.tensor([nan])) is nan: a non-finite input must not turn into a score.
    let x = array![[f32::NAN, -1.0, 2.0]];
    let y = Activation::Relu.forward(x.view());
    assert!(
        y[[0, 0]].is_nan(),
        "ReLU(NaN) must be NaN, got {}",
        y[[0, 0]]
    );
    assert_eq!((y[[0, 1]], y[[0, 2]]), (0.0, 2.0));
    // The fused epilogue does the same: a NaN input reaches the model's output.
    use fraudnet::model::{Architecture, Mode, Sequential};
    let arch = Architecture::mlp(3, &[4], &[0.0]).unwrap();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(1, Stream::Init)).unwrap();
    let out = model.forward(x.view(), Mode::Eval);
    assert!(
        out.outputs()[[0, 0]].is_nan(),
        "the logit of a NaN row must be NaN"
    );
    // The gradient through ReLU at a NaN output is 0 (PyTorch's threshold_backward: y > 0 is
    // false for NaN).
    let dx = Activation::Relu.backward(y.view(), Array2::ones((1, 3)).view());
    assert_eq!(dx, array![[0.0, 0.0, 1.0]]);
}

#[test]
fn tanh_and_identity_forward_and_backward_by_hand() {
    let z = array![[0.5f64, -2.0]];
    let y = Activation::Tanh.forward(z.view());
    assert_eq!(y, array![[0.5f64.tanh(), (-2.0f64).tanh()]]);
    let dy = array![[3.0f64, -1.0]];
    let dz = Activation::Tanh.backward(y.view(), dy.view());
    assert_eq!(
        dz,
        array![[
            3.0 * (1.0 - y[[0, 0]] * y[[0, 0]]),
            -(1.0 - y[[0, 1]] * y[[0, 1]])
        ]]
    );
    assert_eq!(Activation::Identity.forward(z.view()), z);
    assert_eq!(Activation::Identity.backward(y.view(), dy.view()), dy);
}

#[test]
fn dropout_statistics_at_rate_0_3() {
    let layer = Dropout::new(0.3);
    let mut rng = rng::stream(7, Stream::Dropout);
    let ones = Array2::<f32>::ones((1000, 1000));
    let mask = layer.mask::<f32>(ones.dim(), &mut rng);
    let y = Dropout::forward(ones.view(), mask.view());
    let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / 1e6;
    // Binomial(1e6, 0.3): std of the fraction is 0.00046, so ±0.003 is > 6 sigma.
    assert!((zeros - 0.3).abs() < 0.003, "zero fraction {zeros}");
    let kept = (1.0f64 / 0.7) as f32;
    assert!(
        y.iter().all(|&v| v == 0.0 || v == kept),
        "kept values must be exactly 1/0.7"
    );
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / 1e6;
    assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
    // Backward uses the same mask.
    assert_eq!(Dropout::backward(mask.view(), ones.view()), y);
}

#[test]
fn dropout_is_the_identity_in_eval() {
    use fraudnet::model::{Architecture, Mode, Sequential};
    // A model with dropout after its hidden Dense: in Eval the block's output is its
    // activation, and no mask is drawn.
    let arch = Architecture::mlp(3, &[4], &[0.5]).unwrap();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(1, Stream::Init)).unwrap();
    let x = common::random::<f32>(5, 3, 1);
    let pass = model.forward(x.view(), Mode::Eval);
    assert_eq!(
        pass.blocks[0].output(),
        pass.blocks[0].activation.view(),
        "dropout output in Eval"
    );
    assert!(pass.blocks.iter().all(|b| b.mask().is_none()));
}

#[test]
fn sigmoid_is_stable_at_saturated_logits() {
    for z in [
        -1000.0f32,
        -100.0,
        -20.0,
        0.0,
        20.0,
        100.0,
        1000.0,
        f32::MAX,
        f32::MIN,
    ] {
        let p = sigmoid(z);
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "σ({z}) = {p}");
    }
    assert_eq!(sigmoid(1000.0f32), 1.0);
    assert_eq!(sigmoid(-1000.0f32), 0.0);
    assert_eq!(sigmoid(0.0f32), 0.5);
    let p = array![[0.25f32]];
    // σ'(z) = p(1 − p) = 0.1875
    assert_eq!(
        Activation::Sigmoid.backward(p.view(), array![[2.0f32]].view()),
        array![[0.375]]
    );
}

#[test]
fn loss_at_saturated_logits() {
    let one = Array1::<f32>::ones(1);
    // logit 100, label 0: loss = max(100,0) − 0 + ln(1 + e^−100) = 100; gradient σ(100) − 0 = 1.
    let (loss, grad) =
        weighted_bce_with_logits(array![[100.0f32]].view(), array![0.0f32].view(), one.view())
            .unwrap();
    assert_eq!(loss, 100.0);
    assert_eq!(grad[[0, 0]], 1.0);
    // logit −300, label 1: loss = 0 + 300 + ln(1 + e^−300) = 300; gradient σ(−300) − 1 = −1.
    let (loss, grad) = weighted_bce_with_logits(
        array![[-300.0f32]].view(),
        array![1.0f32].view(),
        one.view(),
    )
    .unwrap();
    assert_eq!(loss, 300.0);
    assert_eq!(grad[[0, 0]], -1.0);
    // Correct and confident: loss e^−300 underflows to 0, never NaN.
    let (loss, grad) =
        weighted_bce_with_logits(array![[300.0f32]].view(), array![1.0f32].view(), one.view())
            .unwrap();
    assert!(loss == 0.0 && grad[[0, 0]] == 0.0);
}

#[test]
fn loss_is_sum_over_batch_size_not_over_weights() {
    // Two samples, z = 0 (ℓ = ln 2 each), weights 3 and 5: L = (3 + 5)·ln 2 / 2.
    let (loss, grad) = weighted_bce_with_logits(
        array![[0.0f64], [0.0]].view(),
        array![1.0, 0.0].view(),
        array![3.0, 5.0].view(),
    )
    .unwrap();
    assert!((loss - 4.0 * std::f64::consts::LN_2).abs() < 1e-15);
    // ∂L/∂zᵢ = wᵢ(σ(0) − yᵢ)/n = [3·(−0.5)/2, 5·0.5/2]
    assert_eq!(grad, array![[-0.75], [1.25]]);
    // The unweighted validation loss of the same: ln 2.
    assert!(
        (mean_bce_with_logits(array![0.0f64, 0.0].view(), array![1.0, 0.0].view())
            - std::f64::consts::LN_2)
            .abs()
            < 1e-15
    );
}

#[test]
fn loss_refuses_an_output_wider_than_one_logit() {
    // A model ending in Dense(3) must not have columns 1 and 2 silently dropped.
    let logits = Array2::<f32>::zeros((4, 3));
    let y = Array1::<f32>::zeros(4);
    let err = weighted_bce_with_logits(logits.view(), y.view(), y.view()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("output units")
            && text.contains("needs exactly 1 output unit")
            && text.contains("has 3"),
        "{text}"
    );
}
