//! The worked example of `docs/backprop.md` (section "A worked example"), reproduced through
//! the library: every intermediate number of one forward pass, one backward pass and one Adam
//! step of a 2 → Dense 2 + ReLU → Dense 1 network on two samples.
//!
//! The expected values are the doc's, printed there to 10 significant digits by the Python
//! script of that section (plain `math`, f64; run it to regenerate them). Values that are exact
//! in binary (the forward pass up to the logits, the masked zero) are compared with `==`; the
//! rest to a relative error of [`RELATIVE_TOLERANCE`] = 1e-9, which the 10-digit rounding
//! (at most 5e-10) stays within and every effect checked here exceeds by far: Keras's and
//! PyTorch's Adam, for instance, put the new kernel values 3e-7 (relative) or more apart.
//!
//! `the_doc_prints_these_numbers` checks that every expected number below appears in that
//! section of the doc, so the doc and this file cannot drift apart.

use fraudnet::activation::Activation;
use fraudnet::layers::Dense;
use fraudnet::loss::{bce_with_logits, weighted_bce_with_logits};
use fraudnet::model::{Architecture, ForwardPass, Mode, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use ndarray::{Array1, Array2, ArrayViewD, arr1, arr2};

#[allow(dead_code)]
#[path = "../examples/worked_example.rs"]
mod example;

/// Relative tolerance for the values the doc rounds to 10 significant digits.
const RELATIVE_TOLERANCE: f64 = 1e-9;

// ---- The example's data and parameters (doc: "The network and the data") ----

/// Inputs `[n = 2, d_in = 2]`: sample 0 is legitimate, sample 1 a fraud.
const X: [[f64; 2]; 2] = [[0.5, 2.0], [1.5, -0.5]];
/// Targets `y`.
const TARGETS: [f64; 2] = [0.0, 1.0];
/// `class_weight = {0: 0.25, 1: 1.0}` (1/count for a toy training set of 4 legitimate
/// transactions and 1 fraud).
const CLASS_WEIGHT: [f64; 2] = [0.25, 1.0];
/// `dense/kernel` W1: `[2, 2]`.
const W1: [[f64; 2]; 2] = [[0.75, -0.75], [0.25, 0.75]];
/// `dense/bias` b1: `[2]`.
const B1: [f64; 2] = [-0.5, 0.0];
/// `dense_1/kernel` W2: `[2, 1]`.
const W2: [[f64; 1]; 2] = [[0.5], [-0.75]];
/// `dense_1/bias` b2: `[1]`.
const B2: [f64; 1] = [0.25];

// ---- Forward (doc: "Forward") ----

/// `z1 = x·W1 + b1`, exact in binary.
const Z1: [[f64; 2]; 2] = [[0.375, 1.125], [0.5, -1.5]];
/// `h = ReLU(z1)`, exact: unit 1 is inactive for sample 1.
const H: [[f64; 2]; 2] = [[0.375, 1.125], [0.5, 0.0]];
/// `z2 = h·W2 + b2`, the logits, exact.
const Z2: [f64; 2] = [-0.40625, 0.5];
/// `p = σ(z2)`.
const P: [f64; 2] = [0.3998116407, 0.6224593312];
/// `ℓᵢ`, the unweighted per-sample cross-entropies.
const LOSS_PER_SAMPLE: [f64; 2] = [0.5105117409, 0.4740769842];
/// `L = Σ wᵢ·ℓᵢ / n`.
const LOSS: f64 = 0.3008524597;

// ---- Backward (doc: "Backward") ----

/// `dz2 = ∂L/∂z2 = w·(p − y)/n`.
const DZ2: [f64; 2] = [0.04997645509, -0.1887703344];
/// `dW2 = hᵀ·dz2`.
const DW2: [[f64; 1]; 2] = [[-0.07564399654], [0.05622351198]];
/// `db2 = Σₙ dz2`.
const DB2: [f64; 1] = [-0.1387938793];
/// `dh = dz2·W2ᵀ`.
const DH: [[f64; 2]; 2] = [
    [0.02498822755, -0.03748234132],
    [-0.0943851672, 0.1415777508],
];
/// `dz1 = dh ⊙ 1[z1 > 0]`: the mask zeroes sample 1's unit 1.
const DZ1: [[f64; 2]; 2] = [[0.02498822755, -0.03748234132], [-0.0943851672, 0.0]];
/// `dW1 = xᵀ·dz1`.
const DW1: [[f64; 2]; 2] = [
    [-0.129083637, -0.01874117066],
    [0.09716903869, -0.07496468264],
];
/// `db1 = Σₙ dz1`.
const DB1: [f64; 2] = [-0.06939693965, -0.03748234132];
/// `dx = dz1·W1ᵀ`.
const DX: [[f64; 2]; 2] = [
    [0.04685292665, -0.0218646991],
    [-0.0707888754, -0.0235962918],
];

// ---- One Adam step (doc: "One Adam step") ----

/// `α = lr·√(1 − β2)/(1 − β1)` at `t = 1`.
const ALPHA: f64 = 0.00316227766;
/// `dense/kernel` after the step.
const NEW_W1: [[f64; 2]; 2] = [[0.759999755, -0.7400016871], [0.2400003254, 0.7599995782]];
/// `dense/bias` after the step.
const NEW_B1: [f64; 2] = [-0.4900004557, 0.0099991564];
/// `dense_1/kernel` after the step.
const NEW_W2: [[f64; 1]; 2] = [[0.509999582], [-0.7599994376]];
/// `dense_1/bias` after the step.
const NEW_B2: [f64; 1] = [0.2599997722];
/// What PyTorch's form (ε added to `√v̂`) would make of `dense/kernel[0, 1]`.
const PYTORCH_NEW_W1_01: f64 = -0.7400000534;

/// Every expected number, by name, for `the_doc_prints_these_numbers`.
fn expected_numbers() -> Vec<(&'static str, Vec<f64>)> {
    let flat = |rows: &[&[f64]]| rows.concat();
    vec![
        ("x", flat(&[&X[0], &X[1]])),
        ("W1", flat(&[&W1[0], &W1[1]])),
        ("b1", B1.to_vec()),
        ("W2", flat(&[&W2[0], &W2[1]])),
        ("b2", B2.to_vec()),
        ("class_weight", CLASS_WEIGHT.to_vec()),
        ("z1", flat(&[&Z1[0], &Z1[1]])),
        ("h", flat(&[&H[0], &H[1]])),
        ("z2", Z2.to_vec()),
        ("p", P.to_vec()),
        ("l", LOSS_PER_SAMPLE.to_vec()),
        ("L", vec![LOSS]),
        ("dz2", DZ2.to_vec()),
        ("dW2", flat(&[&DW2[0], &DW2[1]])),
        ("db2", DB2.to_vec()),
        ("dh", flat(&[&DH[0], &DH[1]])),
        ("dz1", flat(&[&DZ1[0], &DZ1[1]])),
        ("dW1", flat(&[&DW1[0], &DW1[1]])),
        ("db1", DB1.to_vec()),
        ("dx", flat(&[&DX[0], &DX[1]])),
        ("alpha", vec![ALPHA]),
        ("W1'", flat(&[&NEW_W1[0], &NEW_W1[1]])),
        ("b1'", NEW_B1.to_vec()),
        ("W2'", flat(&[&NEW_W2[0], &NEW_W2[1]])),
        ("b2'", NEW_B2.to_vec()),
        ("W1'[0][1] PyTorch form", vec![PYTORCH_NEW_W1_01]),
    ]
}

/// Asserts `got` equals `want` element by element to [`RELATIVE_TOLERANCE`] (exactly where
/// `want` is 0), shapes included.
fn assert_close(name: &str, got: ArrayViewD<f64>, want: ArrayViewD<f64>) {
    assert_eq!(got.shape(), want.shape(), "{name}: shape");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (g - w).abs() <= RELATIVE_TOLERANCE * w.abs(),
            "{name}, element {i} (row-major): got {g:.12e}, the doc says {w:.12e}"
        );
    }
}

fn assert_close2<const C: usize>(name: &str, got: &Array2<f64>, want: &[[f64; C]]) {
    assert_close(name, got.view().into_dyn(), arr2(want).view().into_dyn());
}

fn assert_close1(name: &str, got: &Array1<f64>, want: &[f64]) {
    assert_close(name, got.view().into_dyn(), arr1(want).view().into_dyn());
}

fn sample_weight() -> Array1<f64> {
    TARGETS.iter().map(|&y| CLASS_WEIGHT[y as usize]).collect()
}

/// The example's model: `Architecture::mlp(2, &[2], &[0.0])` with the doc's parameters.
fn model() -> Sequential<f64> {
    let architecture = Architecture::mlp(2, &[2], &[0.0]).expect("a valid architecture");
    // The seed only fills the kernels that are overwritten below.
    let mut model = Sequential::new(&architecture, &mut rng::stream(0, Stream::Init)).unwrap();
    assert_eq!(
        model.parameters().map(|p| p.name).collect::<Vec<_>>(),
        [
            "dense/kernel",
            "dense/bias",
            "dense_1/kernel",
            "dense_1/bias"
        ]
    );
    assert_eq!(
        model
            .parameters()
            .map(|p| p.value.shape().to_vec())
            .collect::<Vec<_>>(),
        [vec![2, 2], vec![2], vec![2, 1], vec![1]]
    );
    let values = [
        arr2(&W1).into_dyn(),
        arr1(&B1).into_dyn(),
        arr2(&W2).into_dyn(),
        arr1(&B2).into_dyn(),
    ];
    for (param, value) in model.parameters_mut().zip(&values) {
        let mut param = param.value;
        param.assign(value);
    }
    model
}

/// The Dense layer of block `b` of `model`, whose activation must be `activation`.
fn dense(model: &Sequential<f64>, b: usize, activation: Activation) -> &Dense<f64> {
    let block = &model.blocks()[b];
    assert_eq!(block.activation, activation, "block {b}");
    &block.dense
}

fn forward(model: &Sequential<f64>) -> ForwardPass<f64> {
    model.forward(arr2(&X).view(), Mode::Eval)
}

#[test]
fn the_model_is_dense_relu_then_dense() {
    let model = model();
    assert_eq!(model.blocks().len(), 2);
    assert_eq!(dense(&model, 0, Activation::Relu).kernel, arr2(&W1));
    assert_eq!(dense(&model, 0, Activation::Relu).bias, arr1(&B1));
    assert_eq!(dense(&model, 1, Activation::Identity).kernel, arr2(&W2));
    assert_eq!(dense(&model, 1, Activation::Identity).bias, arr1(&B2));
}

#[test]
fn forward_pass() {
    let model = model();
    let x = arr2(&X);
    // z1 is the Dense layer's output before its ReLU; the model keeps only h.
    assert_eq!(
        dense(&model, 0, Activation::Relu).forward(x.view()),
        arr2(&Z1),
        "z1"
    );
    let pass = forward(&model);
    assert_eq!(pass.blocks.len(), 2);
    assert_eq!(pass.blocks[0].output(), arr2(&H), "h");
    assert_eq!(pass.outputs().column(0), arr1(&Z2), "z2");
    assert_eq!(pass.outputs().dim(), (2, 1), "logits are [n, 1]");
    // With no Dropout layer, a training pass (with no masks) is the same pass.
    let train = model.forward(x.view(), Mode::train_with_masks(&[]));
    assert_eq!(train.outputs(), pass.outputs());
    assert!(
        pass.blocks
            .iter()
            .chain(&train.blocks)
            .all(|b| b.mask().is_none())
    );
}

#[test]
fn probabilities_and_loss() {
    let pass = forward(&model());
    let logits = pass.outputs().column(0).to_owned();
    let probs = Activation::Sigmoid.forward(pass.outputs());
    assert_close1("p", &probs.column(0).to_owned(), &P);
    let per_sample: Array1<f64> = logits
        .iter()
        .zip(&TARGETS)
        .map(|(&z, &y)| bce_with_logits(z, y))
        .collect();
    assert_close1("l", &per_sample, &LOSS_PER_SAMPLE);
    let (loss, dlogits) = weighted_bce_with_logits(
        pass.outputs(),
        arr1(&TARGETS).view(),
        sample_weight().view(),
    )
    .unwrap();
    assert!(
        (loss - LOSS).abs() <= RELATIVE_TOLERANCE * LOSS,
        "L: got {loss:.12e}, the doc says {LOSS:.12e}"
    );
    assert_close1("dz2", &dlogits.column(0).to_owned(), &DZ2);
    // Keras's "sum over batch size": divided by n = 2, not by Σ w = 1.25.
    let over_weights = (0.25 * LOSS_PER_SAMPLE[0] + LOSS_PER_SAMPLE[1]) / 1.25;
    assert!((loss - over_weights).abs() > 0.05, "L is not Σ wℓ / Σ w");
}

/// The backward pass one layer at a time, as `Sequential::backward` chains it.
#[test]
fn backward_layer_by_layer() {
    let model = model();
    let x = arr2(&X);
    let pass = forward(&model);
    let (_, dlogits) = weighted_bce_with_logits(
        pass.outputs(),
        arr1(&TARGETS).view(),
        sample_weight().view(),
    )
    .unwrap();
    let dz2 = dlogits;
    let h = pass.blocks[0].output();

    let (dh, g2) = dense(&model, 1, Activation::Identity).backward(h.view(), dz2.view());
    assert_close2("dW2", &g2.kernel, &DW2);
    assert_close1("db2", &g2.bias, &DB2);
    assert_close2("dh", &dh, &DH);

    let dz1 = Activation::Relu.backward(h.view(), dh.view());
    assert_close2("dz1", &dz1, &DZ1);
    assert!(
        dh[[1, 1]] != 0.0 && dz1[[1, 1]] == 0.0,
        "the ReLU mask stops sample 1's gradient at unit 1"
    );

    let (dx, g1) = dense(&model, 0, Activation::Relu).backward(x.view(), dz1.view());
    assert_close2("dW1", &g1.kernel, &DW1);
    assert_close1("db1", &g1.bias, &DB1);
    assert_close2("dx", &dx, &DX);
}

#[test]
fn backward_through_the_model() {
    let model = model();
    let x = arr2(&X);
    let pass = forward(&model);
    let (_, dlogits) = weighted_bce_with_logits(
        pass.outputs(),
        arr1(&TARGETS).view(),
        sample_weight().view(),
    )
    .unwrap();
    let (grads, dx) = model.backward(x.view(), &pass, dlogits.view());
    assert_eq!(grads.views().count(), 4);
    let want = [
        arr2(&DW1).into_dyn(),
        arr1(&DB1).into_dyn(),
        arr2(&DW2).into_dyn(),
        arr1(&DB2).into_dyn(),
    ];
    for ((p, got), want) in model.parameters().zip(grads.views()).zip(&want) {
        assert_close(p.name, got, want.view());
    }
    assert_close2("dx", &dx, &DX);
}

#[test]
fn one_adam_step() {
    let mut model = model();
    let x = arr2(&X);
    let pass = forward(&model);
    let (_, dlogits) = weighted_bce_with_logits(
        pass.outputs(),
        arr1(&TARGETS).view(),
        sample_weight().view(),
    )
    .unwrap();
    let (grads, _) = model.backward(x.view(), &pass, dlogits.view());

    let config = AdamConfig::default();
    assert_eq!(
        config,
        AdamConfig {
            learning_rate: 1e-2,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        },
        "the doc's hyper-parameters"
    );
    let alpha = config.learning_rate * (1.0 - config.beta_2).sqrt() / (1.0 - config.beta_1);
    assert!(
        (alpha - ALPHA).abs() <= RELATIVE_TOLERANCE * ALPHA,
        "α = {alpha}"
    );

    let mut adam = Adam::new(config, &model);
    adam.step(&mut model, &grads);
    assert_eq!(adam.t, 1);
    for (slot, g) in adam.slots.iter().zip(grads.views()) {
        // From zero moments: m = (1 − β1)·g, v = (1 − β2)·g².
        let m = g.mapv(|g| 0.1 * g);
        let v = g.mapv(|g| 0.001 * g * g);
        assert_close("m", slot.m.view(), m.view());
        assert_close("v", slot.v.view(), v.view());
    }

    let want = [
        arr2(&NEW_W1).into_dyn(),
        arr1(&NEW_B1).into_dyn(),
        arr2(&NEW_W2).into_dyn(),
        arr1(&NEW_B2).into_dyn(),
    ];
    for (p, want) in model.parameters().zip(&want) {
        assert_close(p.name, p.value, want.view());
    }

    // PyTorch's form, θ − lr·m̂/(√v̂ + ε), lands elsewhere, and the tolerance tells them apart.
    let g = grads.blocks[0].kernel[[0, 1]];
    let (m_hat, v_hat) = (g, g * g); // m/(1 − β1), v/(1 − β2) at t = 1
    let pytorch = W1[0][1] - config.learning_rate * m_hat / (v_hat.sqrt() + config.epsilon);
    assert!(
        (pytorch - PYTORCH_NEW_W1_01).abs() <= RELATIVE_TOLERANCE * PYTORCH_NEW_W1_01.abs(),
        "PyTorch form: {pytorch}"
    );
    let keras = model.parameter("dense/kernel").unwrap()[[0, 1]];
    assert!(
        (keras - pytorch).abs() > 1000.0 * RELATIVE_TOLERANCE * keras.abs(),
        "Keras {keras} vs PyTorch {pytorch}"
    );
}

/// The doc's "A worked example" section, up to the next section.
fn worked_example_section() -> &'static str {
    const DOC: &str = include_str!("../docs/backprop.md");
    let start = DOC
        .find("\n## A worked example\n")
        .expect("docs/backprop.md has a section \"A worked example\"");
    let section = &DOC[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    &section[..end]
}

#[test]
fn the_doc_prints_these_numbers() {
    // Every number of the section as a token: a run of ASCII digits, '.' and '-'.
    let tokens: Vec<&str> = worked_example_section()
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .map(|t| t.trim_end_matches('.'))
        .collect();
    for (name, values) in expected_numbers() {
        for v in values {
            // `{}` prints an f64 as the shortest decimal that reads back as the same value,
            // which for these literals is the literal itself.
            let text = format!("{v}");
            assert!(
                tokens.contains(&text.as_str()),
                "{name}: {text} does not appear in docs/backprop.md, section \"A worked example\""
            );
        }
    }
}

#[test]
fn the_example_computes_the_docs_numbers_from_the_layer_calls() {
    // `cargo run --example worked_example` prints these: each computed by the library's own
    // layer functions, each equal to the doc's value.
    let steps = example::run();
    let inputs = [
        "x",
        "W1",
        "b1",
        "W2",
        "b2",
        "class_weight",
        "W1'[0][1] PyTorch form",
    ];
    for (name, want) in expected_numbers() {
        if inputs.contains(&name) {
            continue;
        }
        let got = steps
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("the example does not print {name}"));
        assert_eq!(got.1.len(), want.len(), "{name}");
        for (g, w) in got.1.iter().zip(&want) {
            assert!(
                (g - w).abs() <= RELATIVE_TOLERANCE * w.abs().max(1e-300),
                "{name}: the example computes {g}, the doc says {w}"
            );
        }
    }
}
