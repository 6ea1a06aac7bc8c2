//! The Keras example's job in burn: `torch_ref.py`'s job on burn's NdArray backend wrapped in
//! Autodiff.
//!
//!     burn_ref --data creditcard.csv.gz --epochs 30 --threads 2 [--checkpoint-dir DIR]
//!
//! Data: fraudnet's reader and `prepare` (lib.rs). Model: `nn::Linear` ×4 (Glorot-uniform
//! kernels by burn's `Initializer::XavierUniform`, zero biases), ReLU, `nn::Dropout(0.3)` after
//! the second and third hidden layers. Loss: burn's `BinaryCrossEntropyLoss` from the logits
//! with the class weights `[1/count₀, 1/count₁]` gathered per row, `Σ wᵢ·ℓᵢ / B`. Optimizer:
//! burn's own Adam, ε adjusted every step to take Keras's step (`KerasFormAdam`). Prints a
//! line per epoch on stderr and `RESULT {json}` on stdout.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::nn::loss::{BinaryCrossEntropyLoss, BinaryCrossEntropyLossConfig};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::optim::{
    Adam, AdamConfig, AdamState, GradientsParams, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use clap::Parser;
use rust_peers::{
    Args, BETA_1, BETA_2, Counts, DROPOUT, HIDDEN, Outcome, Shuffler, keras_form_epsilon,
};
use serde_json::json;

/// 30-256-256-256-1, ReLU, dropout after the second and third hidden layers, one logit.
#[derive(Module, Debug)]
struct Mlp {
    dense: Linear,
    dense_1: Linear,
    dense_2: Linear,
    dense_3: Linear,
    dropout_1: Dropout,
    dropout_2: Dropout,
}

/// A Dense layer as Keras initialises it: Glorot-uniform kernel `[d_in, d_out]` (burn's
/// `Linear` stores the kernel in Keras's layout), zero bias.
fn dense(d_in: usize, d_out: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::XavierUniform { gain: 1.0 })
        .init(device);
    // LinearConfig draws the bias from the same initializer; Keras's bias starts at zero.
    layer.bias = Some(Initializer::Zeros.init([d_out], device));
    layer
}

impl Mlp {
    fn new(inputs: usize, device: &Device) -> Self {
        let [h1, h2, h3] = HIDDEN;
        Mlp {
            dense: dense(inputs, h1, device),
            dense_1: dense(h1, h2, device),
            dense_2: dense(h2, h3, device),
            dense_3: dense(h3, 1, device),
            dropout_1: DropoutConfig::new(DROPOUT[1]).init(),
            dropout_2: DropoutConfig::new(DROPOUT[2]).init(),
        }
    }

    /// Logits `[B]` of rows `[B, F]`. Dropout acts only on an autodiff device in training mode
    /// (burn's `Dropout`); `valid()` turns both off.
    fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let [rows, _] = x.dims();
        let x = relu(self.dense.forward(x));
        let x = self.dropout_1.forward(relu(self.dense_1.forward(x)));
        let x = self.dropout_2.forward(relu(self.dense_2.forward(x)));
        self.dense_3.forward(x).reshape([rows])
    }
}

/// burn's Adam made to take Keras's step, as `torch_ref.py`'s `KerasFormAdam` does for PyTorch.
///
/// burn's Adam (burn-optim 0.22 `AdaptiveMomentum`) computes
/// `θ ← θ − lr·(√(1−β2ᵗ)/(1−β1ᵗ))·m / (√v + ε·√(1−β2ᵗ))`, which is `lr·m̂/(√v̂ + ε)`: ε on the
/// bias-corrected `√v̂`, PyTorch's form. Keras's is `θ ← θ − α·m/(√v + ε)`. Running burn's own
/// Adam with `ε′ₜ = ε/√(1−β2ᵗ)` turns its denominator into `√v + ε`: Keras's step (equal in
/// exact arithmetic). Every parameter is stepped every step, so its state's `time` is the step.
#[derive(Clone)]
struct KerasFormAdam;

impl Optimizer for KerasFormAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let t = state.as_ref().map_or(1, |s| s.momentum.time + 1);
        AdamConfig::new()
            .with_beta_1(BETA_1 as f32)
            .with_beta_2(BETA_2 as f32)
            .with_epsilon(keras_form_epsilon(t as u64) as f32)
            .build()
            .step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

fn checkpoint(dir: &Path, epoch: usize, model: &Mlp, optim: &ModuleOptimizer) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    model
        .clone()
        .save_file(dir.join(format!("fraud_model_at_epoch_{epoch}.bpk")))?;
    optim.save(dir.join(format!("fraud_model_at_epoch_{epoch}.optimizer.bpk")))?;
    Ok(())
}

fn main() -> Result<()> {
    let clock = Instant::now();
    let args = Args::parse();
    let threads = rust_peers::set_threads(args.threads)?;
    #[allow(deprecated)]
    // burn 0.22 deprecates NdArray in favour of Flex; the issue asks for NdArray.
    let plain = Device::ndarray();
    let device = plain.clone().autodiff();
    device.seed(args.seed);
    let setup_seconds = clock.elapsed().as_secs_f64();

    let data = rust_peers::load(&args, "burn")?;
    let (n, f, bs) = (data.n_train, data.features, args.batch_size);
    let val_chunks: Vec<(Tensor<2>, usize)> = (0..data.n_val)
        .step_by(bs)
        .map(|start| {
            let rows = bs.min(data.n_val - start);
            let x = data.val_x[start * f..(start + rows) * f].to_vec();
            (
                Tensor::<2>::from_data(TensorData::new(x, [rows, f]), &plain),
                rows,
            )
        })
        .collect();

    let mut model = Mlp::new(f, &device);
    let loss_fn: BinaryCrossEntropyLoss = BinaryCrossEntropyLossConfig::new()
        .with_logits(true)
        .with_weights(Some(data.class_weight.map(|w| w as f32).to_vec()))
        .init(&device);
    let mut optim: ModuleOptimizer = KerasFormAdam.into();
    let mut shuffler = Shuffler::new(n, args.seed, !args.no_shuffle);
    let steps = n.div_ceil(bs);
    let mut epoch_seconds = Vec::with_capacity(args.epochs);
    let mut val_probs = Vec::new();

    for epoch in 1..=args.epochs {
        let started = Instant::now();
        let order = shuffler.epoch().to_vec();
        let mut loss_sum = 0.0;
        let mut train = Counts::default();
        for rows in order.chunks(bs) {
            let b = rows.len();
            let x = Tensor::<2>::from_data(TensorData::new(data.gather_x(rows), [b, f]), &device);
            let y_f = data.gather_y(rows);
            let y_i: Vec<i64> = y_f.iter().map(|&y| y as i64).collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(y_i, [b]), &device);
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits.clone(), y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(args.learning_rate, model, grads);
            loss_sum += f64::from(loss.into_scalar::<f32>()) * b as f64;
            let probs = sigmoid(logits.detach())
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 probabilities");
            train.add(&probs, &y_f);
        }
        let valid = model.valid();
        val_probs.clear();
        for (x, _) in &val_chunks {
            let p = sigmoid(valid.forward(x.clone()))
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 probabilities");
            val_probs.extend(p);
        }
        epoch_seconds.push(rust_peers::end_epoch(
            epoch,
            args.epochs,
            steps,
            started,
            loss_sum / n as f64,
            train,
            &val_probs,
            &data,
        ));
        if let Some(dir) = &args.checkpoint_dir {
            checkpoint(dir, epoch, &model, &optim)?;
        }
    }

    rust_peers::emit(Outcome {
        framework: "burn",
        version: env!("PEER_BURN_VERSION"),
        threads,
        epochs: args.epochs,
        steps,
        setup_seconds,
        data: &data,
        epoch_seconds,
        epoch_includes: "training steps, training metrics, validation forward pass and metrics; not the checkpoint",
        val_probs,
        extra: json!({
            "backend": "Autodiff<NdArray> (simd, rayon)",
            "matmul_threads": std::env::var("MATMUL_NUM_THREADS").ok(),
        }),
    });
    Ok(())
}
