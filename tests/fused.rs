//! The fast path equals the reference path: `Sequential::forward_into`/`backward_into` (Dense
//! blocks fused into the packed product's epilogues) against `model::reference` (the plain
//! `Dense`, `Activation` and `Dropout` layers on the naive product), bit for bit.
//!
//! Why bit for bit and not within a tolerance: the two paths run the same scalar operations in
//! the same order. Every product element is the sequential sum over `k` in index order, with a
//! fused multiply-add per step in both (`linalg::matmul_naive` fuses exactly where the kernel
//! does); the bias is added after the sum; the activation, the dropout mask and the activation
//! gradient are the same scalar functions (`fraudnet::activation`) applied in the same order;
//! the bias gradient is the same in-order row sum. Any difference is a bug, so none is allowed.
//!
//! Run on the seed architecture and on odd ones (widths 1, 7 and 33; tanh, sigmoid and identity
//! activations; no dropout; dropout after every layer; a 3-wide output), with 1, 2 and 4
//! threads, on a full and a partial batch, with given masks and with masks drawn from a seed.

mod common;

use common::{pool, random};
use fraudnet::activation::Activation;
use fraudnet::layers::Dropout;
use fraudnet::model::{
    Architecture, Backward, ForwardPass, LayerSpec, Mode, Sequential, reference,
};
use fraudnet::rng::{self, Stream};
use ndarray::{Array2, ArrayView2};

fn dense(units: usize, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

fn dropout(rate: f64) -> LayerSpec {
    LayerSpec::Dropout { rate }
}

/// The architectures the equality is checked on.
fn architectures() -> Vec<(&'static str, Architecture)> {
    use Activation::{Identity, Relu, Sigmoid, Tanh};
    let arch = |inputs, layers| Architecture { inputs, layers };
    vec![
        ("seed (the Keras example)", Architecture::reference()),
        (
            "widths 1, 7, 33 with tanh and identity, no dropout",
            arch(
                5,
                vec![
                    dense(1, Tanh),
                    dense(7, Identity),
                    dense(33, Tanh),
                    dense(1, Identity),
                ],
            ),
        ),
        (
            "dropout after every layer, sigmoid and ReLU",
            arch(
                33,
                vec![
                    dense(7, Sigmoid),
                    dropout(0.5),
                    dense(33, Relu),
                    dropout(0.2),
                    dense(1, Relu),
                    dropout(0.1),
                    dense(1, Identity),
                ],
            ),
        ),
        (
            "one layer, 3-wide tanh output",
            arch(7, vec![dense(3, Tanh)]),
        ),
    ]
}

fn bits(a: ArrayView2<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn assert_same(what: &str, fast: ArrayView2<f32>, reference: ArrayView2<f32>) {
    assert_eq!(fast.dim(), reference.dim(), "{what}: shape");
    assert!(
        bits(fast) == bits(reference),
        "{what}: fast and reference differ (first: {:?})",
        fast.iter()
            .zip(reference.iter())
            .find(|(a, b)| a.to_bits() != b.to_bits())
    );
}

/// One pass of both paths on `model`, compared element by element.
fn compare(name: &str, model: &Sequential<f32>, x: &Array2<f32>, masks: &[Array2<f32>], seed: u64) {
    let n = x.nrows();
    let dy = random::<f32>(n, model.outputs(), seed + 1).mapv(|v| v * 1e-3);
    // Given masks.
    let fast = model.forward(x.view(), Mode::train_with_masks(masks));
    let slow = reference::forward(model, x.view(), Mode::train_with_masks(masks));
    compare_passes(name, model, x, &fast, &slow, &dy);
    // Masks drawn from the same seed by both paths.
    let (mut r1, mut r2) = (
        rng::stream(seed, Stream::Dropout),
        rng::stream(seed, Stream::Dropout),
    );
    let fast = model.forward(x.view(), Mode::train(&mut r1));
    let slow = reference::forward(model, x.view(), Mode::train(&mut r2));
    compare_passes(&format!("{name}, drawn masks"), model, x, &fast, &slow, &dy);
    // Evaluation: dropout is the identity.
    let fast = model.forward(x.view(), Mode::Eval);
    let slow = reference::forward(model, x.view(), Mode::Eval);
    assert_same(
        &format!("{name}, eval outputs"),
        fast.outputs(),
        slow.model_outputs(),
    );
}

fn compare_passes(
    name: &str,
    model: &Sequential<f32>,
    x: &Array2<f32>,
    fast: &ForwardPass<f32>,
    slow: &reference::ReferencePass<f32>,
    dy: &Array2<f32>,
) {
    for (i, (f, s)) in fast.blocks.iter().zip(&slow.outputs).enumerate() {
        assert_same(&format!("{name}: block {i} output"), f.output(), s.view());
        assert_same(
            &format!("{name}: block {i} activation"),
            f.activation.view(),
            slow.activations[i].view(),
        );
        match (f.mask(), &slow.masks[i]) {
            (Some(a), Some(b)) => assert_same(&format!("{name}: block {i} mask"), a, b.view()),
            (None, None) => {}
            _ => panic!("{name}: block {i}: one path has a mask, the other not"),
        }
    }
    let (grads, dx) = model.backward(x.view(), fast, dy.view());
    let (ref_grads, ref_dx) = reference::backward(model, x.view(), slow, dy.view());
    for (b, (g, r)) in grads.blocks.iter().zip(&ref_grads.blocks).enumerate() {
        assert_same(
            &format!("{name}: dW of block {b}"),
            g.kernel.view(),
            r.kernel.view(),
        );
        assert_same(
            &format!("{name}: db of block {b}"),
            g.bias.view().insert_axis(ndarray::Axis(0)),
            r.bias.view().insert_axis(ndarray::Axis(0)),
        );
    }
    assert!(
        grads.views().any(|g| g.iter().any(|&v| v != 0.0)),
        "{name}: every gradient is zero: the comparison would prove little"
    );
    assert_same(&format!("{name}: dx"), dx.view(), ref_dx.view());
}

/// Dropout masks for `model` at `batch` rows, one per Dropout layer.
fn masks_for(model: &Sequential<f32>, batch: usize, seed: u64) -> Vec<Array2<f32>> {
    let mut rng = rng::stream(seed, Stream::Dropout);
    model
        .blocks()
        .iter()
        .filter_map(|b| {
            let d: Dropout = b.dropout?;
            Some(d.mask((batch, b.dense.d_out()), &mut rng))
        })
        .collect()
}

#[test]
fn fast_path_equals_the_reference_bit_for_bit() {
    for (name, arch) in architectures() {
        let model = Sequential::<f32>::new(&arch, &mut rng::stream(11, Stream::Init)).unwrap();
        for threads in [1, 2, 4] {
            for batch in [518, 37] {
                let x = random::<f32>(batch, arch.inputs, 12).mapv(|v| 2.0 * v);
                let masks = masks_for(&model, batch, 13);
                let label = format!("{name}, {threads} threads, batch {batch}");
                pool(threads).install(|| compare(&label, &model, &x, &masks, 14));
            }
        }
    }
}

#[test]
fn reused_buffers_change_nothing() {
    let arch = Architecture::reference();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(21, Stream::Init)).unwrap();
    let x = random::<f32>(300, 30, 22);
    let masks = masks_for(&model, 300, 23);
    let other_x = random::<f32>(77, 30, 24);
    let other_masks = masks_for(&model, 77, 25);
    let dy = random::<f32>(300, 1, 26);
    let other_dy = random::<f32>(77, 1, 27);

    let fresh = model.forward(x.view(), Mode::train_with_masks(&masks));
    let (grads, _) = model.backward(x.view(), &fresh, dy.view());

    // The same buffers used first for another batch size and other masks.
    let mut pass = ForwardPass::default();
    let mut backward = Backward::without_input_gradient(&model);
    model.forward_into(
        other_x.view(),
        Mode::train_with_masks(&other_masks),
        &mut pass,
    );
    model.backward_into(other_x.view(), &pass, other_dy.view(), &mut backward);
    model.forward_into(x.view(), Mode::train_with_masks(&masks), &mut pass);
    model.backward_into(x.view(), &pass, dy.view(), &mut backward);
    assert_same("reused outputs", pass.outputs(), fresh.outputs());
    assert_eq!(backward.gradients, grads, "reused gradients");
    assert!(backward.input_gradient().is_none());
}
