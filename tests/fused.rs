//! The model's fused forward and backward passes (bias + ReLU in the product's epilogue; the
//! Dropout mask and the previous ReLU gating the input-gradient product) equal the layer-by-layer
//! composition of `Dense`, `Relu` and `Dropout` bit for bit, and reused buffers change nothing.

mod common;

use fraudnet::Mode;
use fraudnet::layers::{Dropout, Relu};
use fraudnet::loss::weighted_bce_with_logits;
use fraudnet::model::{Architecture, BackwardScratch, ForwardPass, Layer, Masks, Sequential};
use fraudnet::rng::{self, Stream};
use ndarray::{Array1, Array2, ArrayD, Axis};

fn bits(a: &ArrayD<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn fused_passes_equal_the_layer_by_layer_composition() {
    let arch = Architecture::reference();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(11, Stream::Init));
    let n = 518;
    let x = common::random::<f32>(n, 30, 12).mapv(|v| 2.0 * v);
    let masks: Vec<Array2<f32>> = vec![
        Dropout::new(0.3).mask((n, 256), &mut rng::stream(13, Stream::Dropout)),
        Dropout::new(0.3).mask((n, 256), &mut rng::stream(14, Stream::Dropout)),
    ];
    let targets = Array1::from_shape_fn(n, |i| f32::from(i % 37 == 0));
    let weights = targets.mapv(|y| if y > 0.5 { 0.07 } else { 0.002 });

    // Layer by layer, with the reference functions of each layer.
    let mut outputs: Vec<Array2<f32>> = Vec::new();
    let mut used = 0;
    for layer in &model.layers {
        let input = outputs.last().cloned().unwrap_or_else(|| x.clone());
        outputs.push(match layer {
            Layer::Dense { dense, relu, .. } => {
                let z = dense.forward(input.view());
                if *relu { Relu::forward(z.view()) } else { z }
            }
            Layer::Dropout { .. } => {
                used += 1;
                Dropout::forward(input.view(), masks[used - 1].view())
            }
        });
    }
    let logits = outputs.last().unwrap().column(0).to_owned();
    let (_, dlogits) = weighted_bce_with_logits(logits.view(), targets.view(), weights.view());
    let mut dy = dlogits.clone().insert_axis(Axis(1));
    let mut grads_rev = Vec::new();
    for (l, layer) in model.layers.iter().enumerate().rev() {
        let input = if l == 0 {
            x.clone()
        } else {
            outputs[l - 1].clone()
        };
        dy = match layer {
            Layer::Dense { dense, relu, .. } => {
                if *relu {
                    dy = Relu::backward(outputs[l].view(), dy.view());
                }
                let (dx, g) = dense.backward(input.view(), dy.view());
                grads_rev.push(g.bias.into_dyn());
                grads_rev.push(g.kernel.into_dyn());
                dx
            }
            Layer::Dropout { .. } => {
                used -= 1;
                Dropout::backward(masks[used].view(), dy.view())
            }
        };
    }
    grads_rev.reverse();

    // The model's fused passes.
    let pass = model.forward(x.view(), Mode::Train, Some(Masks::Given(&masks)));
    assert_eq!(
        pass.logits()
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        logits.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let (grads, dx) = model.backward(x.view(), &pass, dlogits.view());
    for (k, name) in model.param_names().iter().enumerate() {
        assert_eq!(bits(&grads[k]), bits(&grads_rev[k]), "{name}");
    }
    assert_eq!(
        dx.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        dy.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        "input gradient"
    );

    // Buffers reused across batch sizes give the same results as fresh ones.
    let mut reused = ForwardPass {
        outputs: Vec::new(),
        masks: Vec::new(),
    };
    let mut scratch = BackwardScratch::default();
    let mut reused_grads: Vec<ArrayD<f32>> = model
        .params()
        .iter()
        .map(|p| ArrayD::zeros(p.raw_dim()))
        .collect();
    let other = common::random::<f32>(7, 30, 99);
    let other_masks = vec![Array2::ones((7, 256)), Array2::ones((7, 256))];
    model.forward_into(
        other.view(),
        Mode::Train,
        Some(Masks::Given(&other_masks)),
        &mut reused,
    );
    model.forward_into(
        x.view(),
        Mode::Train,
        Some(Masks::Given(&masks)),
        &mut reused,
    );
    model.backward_into(
        x.view(),
        &reused,
        dlogits.view(),
        &mut reused_grads,
        &mut scratch,
        true,
    );
    for (k, name) in model.param_names().iter().enumerate() {
        assert_eq!(
            bits(&reused_grads[k]),
            bits(&grads[k]),
            "{name} with reused buffers"
        );
    }
    assert_eq!(scratch.dx, dx);
}
