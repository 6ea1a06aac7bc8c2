//! The Sequential model: the reference architecture's summary, parameter names, and
//! bitwise-identical training steps across thread counts.

mod common;

use common::pool;
use fraudnet::activation::Activation;
use fraudnet::loss::weighted_bce_with_logits;
use fraudnet::model::{Architecture, LayerSpec, Mode, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use ndarray::Array1;

#[test]
fn reference_summary_totals_139_777_parameters() {
    let model = Sequential::<f32>::new(
        &Architecture::reference(),
        &mut rng::stream(0, Stream::Init),
    )
    .unwrap();
    assert_eq!(model.parameter_count(), 139_777);
    assert_eq!(Architecture::reference().parameter_count(), Some(139_777));
    let summary = model.summary();
    eprintln!("{summary}");
    assert!(
        summary.contains("Total params: 139,777 (546.00 KB)"),
        "{summary}"
    );
    for row in [
        "dense (Dense)",
        "dense_3 (Dense)",
        "dropout_1 (Dropout)",
        "65,792",
        "7,936",
        "257",
    ] {
        assert!(summary.contains(row), "missing {row:?}");
    }
    assert_eq!(
        model.parameters().map(|p| p.name).collect::<Vec<_>>(),
        [
            "dense/kernel",
            "dense/bias",
            "dense_1/kernel",
            "dense_1/bias",
            "dense_2/kernel",
            "dense_2/bias",
            "dense_3/kernel",
            "dense_3/bias"
        ]
    );
    assert_eq!(model.parameter("dense/kernel").unwrap().shape(), [30, 256]);
}

#[test]
fn glorot_uniform_limits_and_zero_bias() {
    let model = Sequential::<f32>::new(
        &Architecture::reference(),
        &mut rng::stream(5, Stream::Init),
    )
    .unwrap();
    let limit = (6.0f32 / (30.0 + 256.0)).sqrt();
    let k = model.parameter("dense/kernel").unwrap();
    assert!(k.iter().all(|w| w.abs() < limit));
    assert!(
        k.iter().any(|w| w.abs() > 0.9 * limit),
        "values should fill the range"
    );
    assert!(
        model
            .parameter("dense/bias")
            .unwrap()
            .iter()
            .all(|&b| b == 0.0)
    );
}

/// Several Adam steps of the reference model on a synthetic batch of 518 rows.
fn train_steps(seed: u64) -> Vec<u32> {
    let arch = Architecture::reference();
    let mut model = Sequential::<f32>::new(&arch, &mut rng::stream(seed, Stream::Init)).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), &model);
    let mut dropout_rng = rng::stream(seed, Stream::Dropout);
    let x = common::random::<f32>(518, 30, seed);
    let targets = Array1::from_shape_fn(518, |i| if i % 50 == 0 { 1.0f32 } else { 0.0 });
    let weights = targets.mapv(|y| if y > 0.5 { 1.0 / 11.0 } else { 1.0 / 507.0 });
    for _ in 0..4 {
        let pass = model.forward(x.view(), Mode::train(&mut dropout_rng));
        let (loss, dlogits) =
            weighted_bce_with_logits(pass.outputs(), targets.view(), weights.view()).unwrap();
        assert!(loss.is_finite());
        let (grads, _) = model.backward(x.view(), &pass, dlogits.view());
        adam.step(&mut model, &grads);
    }
    model
        .parameters()
        .flat_map(|p| p.value.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn training_steps_are_bitwise_identical_for_1_2_and_4_threads() {
    let one = pool(1).install(|| train_steps(42));
    let two = pool(2).install(|| train_steps(42));
    let four = pool(4).install(|| train_steps(42));
    assert!(one == two, "1 vs 2 threads differ");
    assert!(one == four, "1 vs 4 threads differ");
    assert!(
        one != pool(2).install(|| train_steps(43)),
        "a different seed must change the result"
    );
}

#[test]
fn invalid_architectures_are_clear_errors() {
    let dense = |units, activation| LayerSpec::Dense { units, activation };
    let cases: Vec<(Architecture, &str)> = vec![
        (
            Architecture {
                inputs: 0,
                layers: vec![dense(1, Activation::Identity)],
            },
            "invalid inputs: the model needs at least one input feature",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![],
            },
            "invalid layers: the first layer must be a Dense layer",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![
                    LayerSpec::Dropout { rate: 0.3 },
                    dense(1, Activation::Identity),
                ],
            },
            "invalid layers: the first layer must be a Dense layer",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![dense(4, Activation::Relu), LayerSpec::Dropout { rate: 0.3 }],
            },
            "the last layer must be a Dense layer",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![
                    dense(4, Activation::Relu),
                    LayerSpec::Dropout { rate: 0.3 },
                    LayerSpec::Dropout { rate: 0.3 },
                    dense(1, Activation::Identity),
                ],
            },
            "a Dropout layer must directly follow a Dense layer",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![dense(0, Activation::Relu), dense(1, Activation::Identity)],
            },
            "invalid hidden: a Dense layer needs at least 1 unit",
        ),
        (
            Architecture {
                inputs: 3,
                layers: vec![
                    dense(2, Activation::Relu),
                    LayerSpec::Dropout { rate: 1.0 },
                    dense(1, Activation::Identity),
                ],
            },
            "invalid dropout rate: rate 1 is outside [0, 1)",
        ),
        (
            Architecture {
                inputs: usize::MAX / 2,
                layers: vec![dense(4, Activation::Relu), dense(1, Activation::Identity)],
            },
            "invalid hidden: the layers hold more parameters than a 64-bit count can hold",
        ),
    ];
    for (arch, expected) in cases {
        let err = Sequential::<f32>::new(&arch, &mut rng::stream(0, Stream::Init)).unwrap_err();
        assert!(err.to_string().contains(expected), "{arch:?}: {err}");
    }
    let err = Architecture::mlp(3, &[8, 8], &[0.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 hidden layers but 1 dropout rates"), "{err}");
}

#[test]
fn unknown_activations_are_clear_errors() {
    let err = "softplus".parse::<Activation>().unwrap_err();
    assert_eq!(
        err,
        "unknown activation \"softplus\"; expected one of linear, relu, sigmoid, tanh"
    );
    let json = r#"{"inputs": 3, "layers": [{"type": "dense", "units": 1, "activation": "swish"}]}"#;
    let err = serde_json::from_str::<Architecture>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `swish`"), "{err}");
    for name in ["linear", "relu", "sigmoid", "tanh"] {
        assert_eq!(name.parse::<Activation>().unwrap().keras_name(), name);
    }
}

#[test]
fn architectures_of_format_version_1_still_read() {
    // Checkpoints before activations were named stored `"relu": true|false`.
    let json = r#"{"inputs": 30, "layers": [
        {"type": "dense", "units": 256, "relu": true},
        {"type": "dense", "units": 256, "relu": true},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 256, "relu": true},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 1, "relu": false}]}"#;
    let arch: Architecture = serde_json::from_str(json).unwrap();
    assert_eq!(arch, Architecture::reference());
    // And today's form round-trips.
    let text = serde_json::to_string(&arch).unwrap();
    assert!(
        text.contains(r#""activation":"relu""#) && text.contains(r#""activation":"linear""#),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Architecture>(&text).unwrap(), arch);
}

#[test]
fn the_summary_needs_no_weights() {
    // 10¹¹ hidden units: far too many to allocate, but the table is printed from the
    // architecture alone.
    let arch = Architecture::mlp(30, &[100_000_000_000], &[0.0]).unwrap();
    let table = fraudnet::model::summary(&arch);
    assert!(table.contains("3,100,000,000,000"), "{table}");
    assert!(table.contains("Total params: 3,200,000,000,001"), "{table}");
}
