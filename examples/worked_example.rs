//! The worked example of `docs/backprop.md` ("A worked example"), computed step by step with
//! the library's own layer calls and printed: one forward pass, one backward pass and one Adam
//! step of a 2 → Dense 2 + ReLU → Dense 1 network on two samples.
//!
//! Run it with `cargo run --release --example worked_example`; every number it prints is the
//! one the document shows (a test, `tests/worked_example.rs`, compares them).

use fraudnet::activation::{Activation, sigmoid};
use fraudnet::layers::Dense;
use fraudnet::loss::{bce_with_logits, weighted_bce_with_logits};
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use ndarray::{Array2, array};

/// One named step of the example and its values, in row-major order.
pub type Step = (&'static str, Vec<f64>);

/// Runs the example and returns every step's values, in the order the document shows them.
pub fn run() -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut record = |name, values: Vec<f64>| steps.push((name, values));

    // The network and the data: x is [n = 2, d_in = 2]; sample 0 is legitimate, sample 1 a
    // fraud; class weights 1/count for a toy set of 4 legitimate transactions and 1 fraud.
    let x = array![[0.5, 2.0], [1.5, -0.5]];
    let targets = array![0.0, 1.0];
    let sample_weight = array![0.25, 1.0];
    let layer1 = Dense {
        kernel: array![[0.75, -0.75], [0.25, 0.75]],
        bias: array![-0.5, 0.0],
    };
    let layer2 = Dense {
        kernel: array![[0.5], [-0.75]],
        bias: array![0.25],
    };

    // Forward.
    let z1 = layer1.forward(x.view());
    record("z1", flat(&z1));
    let h = Activation::Relu.forward(z1.view());
    record("h", flat(&h));
    let z2 = layer2.forward(h.view());
    record("z2", flat(&z2));
    record("p", z2.iter().map(|&z| sigmoid(z)).collect());
    record(
        "l",
        z2.iter()
            .zip(&targets)
            .map(|(&z, &y)| bce_with_logits(z, y))
            .collect(),
    );
    let (loss, dz2) = weighted_bce_with_logits(z2.view(), targets.view(), sample_weight.view())
        .expect("one logit per row");
    record("L", vec![loss]);

    // Backward: the output layer, the ReLU, the hidden layer.
    record("dz2", flat(&dz2));
    let (dh, grads2) = layer2.backward(h.view(), dz2.view());
    record("dW2", flat(&grads2.kernel));
    record("db2", grads2.bias.to_vec());
    record("dh", flat(&dh));
    let dz1 = Activation::Relu.backward(h.view(), dh.view());
    record("dz1", flat(&dz1));
    let (dx, grads1) = layer1.backward(x.view(), dz1.view());
    record("dW1", flat(&grads1.kernel));
    record("db1", grads1.bias.to_vec());
    record("dx", flat(&dx));

    // One Adam step, in Keras's form, on a model holding the same parameters.
    let config = AdamConfig::default();
    record(
        "alpha",
        vec![config.learning_rate * (1.0 - config.beta_2).sqrt() / (1.0 - config.beta_1)],
    );
    let architecture = Architecture::mlp(2, &[2], &[0.0]).expect("a valid architecture");
    let mut model = Sequential::<f64>::new(&architecture, &mut rng::stream(0, Stream::Init))
        .expect("a valid architecture");
    let values = [
        layer1.kernel.clone().into_dyn(),
        layer1.bias.clone().into_dyn(),
        layer2.kernel.clone().into_dyn(),
        layer2.bias.clone().into_dyn(),
    ];
    for (parameter, value) in model.parameters_mut().zip(&values) {
        let mut parameter = parameter.value;
        parameter.assign(value);
    }
    let gradients = fraudnet::model::Gradients {
        blocks: vec![grads1, grads2],
    };
    let mut adam = Adam::new(config, &model);
    adam.step(&mut model, &gradients);
    for (name, parameter) in ["W1'", "b1'", "W2'", "b2'"]
        .into_iter()
        .zip(model.parameters())
    {
        record(name, parameter.value.iter().copied().collect());
    }
    steps
}

fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn main() {
    println!("The worked example of docs/backprop.md, from the library's layer calls:\n");
    for (name, values) in run() {
        let shown: Vec<String> = values.iter().map(|v| format!("{v:.10}")).collect();
        println!("{name:>5} = [{}]", shown.join(", "));
    }
}
