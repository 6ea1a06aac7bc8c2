//! The Sequential model: the reference architecture's summary, parameter names, and
//! bitwise-identical training steps across thread counts.

mod common;

use common::pool;
use fraudnet::Mode;
use fraudnet::loss::weighted_bce_with_logits;
use fraudnet::model::{Architecture, Masks, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use ndarray::Array1;

#[test]
fn reference_summary_totals_139_777_parameters() {
    let model = Sequential::<f32>::new(
        &Architecture::reference(),
        &mut rng::stream(0, Stream::Init),
    );
    assert_eq!(model.param_count(), 139_777);
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
        model.param_names(),
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
    assert_eq!(model.param_shapes()[0], vec![30, 256]);
}

#[test]
fn glorot_uniform_limits_and_zero_bias() {
    let model = Sequential::<f32>::new(
        &Architecture::reference(),
        &mut rng::stream(5, Stream::Init),
    );
    let limit = (6.0f32 / (30.0 + 256.0)).sqrt();
    let k = &model.params()[0];
    assert!(k.iter().all(|w| w.abs() < limit));
    assert!(
        k.iter().any(|w| w.abs() > 0.9 * limit),
        "values should fill the range"
    );
    assert!(model.params()[1].iter().all(|&b| b == 0.0));
}

/// Several Adam steps of the reference model on a synthetic batch of 518 rows.
fn train_steps(seed: u64) -> Vec<u32> {
    let arch = Architecture::reference();
    let mut model = Sequential::<f32>::new(&arch, &mut rng::stream(seed, Stream::Init));
    let mut adam = Adam::new(AdamConfig::default(), &model.param_shapes());
    let mut dropout_rng = rng::stream(seed, Stream::Dropout);
    let x = common::random::<f32>(518, 30, seed);
    let targets = Array1::from_shape_fn(518, |i| if i % 50 == 0 { 1.0f32 } else { 0.0 });
    let weights = targets.mapv(|y| if y > 0.5 { 1.0 / 11.0 } else { 1.0 / 507.0 });
    for _ in 0..4 {
        let pass = model.forward(x.view(), Mode::Train, Some(Masks::Draw(&mut dropout_rng)));
        let (loss, dlogits) =
            weighted_bce_with_logits(pass.logits(), targets.view(), weights.view());
        assert!(loss.is_finite());
        let (grads, _) = model.backward(x.view(), &pass, dlogits.view());
        let grads = grads.iter().map(|g| g.view());
        adam.step(model.params_mut(), grads);
    }
    model
        .params()
        .iter()
        .flat_map(|p| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
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
