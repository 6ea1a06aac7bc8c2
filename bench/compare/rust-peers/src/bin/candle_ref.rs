//! The Keras example's job in candle: `torch_ref.py`'s job with candle-core and candle-nn on the
//! CPU.
//!
//!     candle_ref --data creditcard.csv.gz --epochs 30 --threads 2 [--checkpoint-dir DIR]
//!
//! Data: fraudnet's reader and `prepare` (lib.rs). Model: `candle_nn::Linear` ×4 over `Var`s
//! (Glorot-uniform kernels from a ChaCha8 stream seeded with `--seed`, zero biases), ReLU,
//! `candle_nn::ops::dropout(0.3)` after the second and third hidden layers in training. Loss:
//! the class-weighted cross-entropy from the logit in the stable form
//! `max(z,0) − z·y + ln(1+e^(−|z|))`, `Σ wᵢ·ℓᵢ / B`, written with candle's tensor ops
//! (candle-nn's `binary_cross_entropy_with_logit` takes the sigmoid and then its log, and has
//! no weights). Optimizer: candle-nn's `AdamW` with weight decay 0 (candle-nn has no separate
//! Adam), ε adjusted every step to take Keras's step. Prints a line per epoch on stderr and
//! `RESULT {json}` on stdout.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW};
use clap::Parser;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_peers::{
    Args, BETA_1, BETA_2, Counts, DROPOUT, EPSILON, HIDDEN, Outcome, Shuffler, keras_form_epsilon,
};
use serde_json::json;

/// 30-256-256-256-1 over named variables (Keras's names; candle's `Linear` keeps the kernel as
/// `[d_out, d_in]`, PyTorch's layout, and multiplies by its transpose).
struct Mlp {
    layers: Vec<Linear>,
    vars: Vec<(String, Var)>,
}

impl Mlp {
    fn new(inputs: usize, seed: u64, device: &Device) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dims: Vec<usize> = std::iter::once(inputs).chain(HIDDEN).chain([1]).collect();
        let (mut layers, mut vars) = (Vec::new(), Vec::new());
        for (i, pair) in dims.windows(2).enumerate() {
            let (d_in, d_out) = (pair[0], pair[1]);
            let w = rust_peers::glorot_uniform(&mut rng, d_in, d_out, d_out, d_in);
            let weight = Var::from_tensor(&Tensor::from_vec(w, (d_out, d_in), device)?)?;
            let bias = Var::zeros(d_out, DType::F32, device)?;
            layers.push(Linear::new(
                weight.as_tensor().clone(),
                Some(bias.as_tensor().clone()),
            ));
            let name = if i == 0 {
                "dense".to_string()
            } else {
                format!("dense_{i}")
            };
            vars.push((format!("{name}/kernel"), weight));
            vars.push((format!("{name}/bias"), bias));
        }
        Ok(Mlp { layers, vars })
    }

    /// Logits `[B]` of rows `[B, F]`; dropout only when `train`.
    fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (i, layer) in self.layers[..last].iter().enumerate() {
            h = layer.forward(&h)?.relu()?;
            if train && DROPOUT[i] > 0.0 {
                h = candle_nn::ops::dropout(&h, DROPOUT[i] as f32)?;
            }
        }
        Ok(self.layers[last].forward(&h)?.squeeze(1)?)
    }
}

/// `Σ wᵢ·(max(zᵢ,0) − zᵢ·yᵢ + ln(1+e^(−|zᵢ|))) / B`: the cross-entropy of the logit, stable for
/// any z, each row weighted by its class weight.
fn weighted_bce_with_logits(z: &Tensor, y: &Tensor, w: &Tensor) -> Result<Tensor> {
    let softplus_neg_abs = (z.abs()?.neg()?.exp()? + 1.0)?.log()?;
    let per_row = ((z.relu()? - (z * y)?)? + softplus_neg_abs)?;
    Ok((per_row * w)?.mean_all()?)
}

fn adam_params(lr: f64, t: u64) -> ParamsAdamW {
    ParamsAdamW {
        lr,
        beta1: BETA_1,
        beta2: BETA_2,
        eps: keras_form_epsilon(t),
        weight_decay: 0.0,
    }
}

fn checkpoint(dir: &Path, epoch: usize, model: &Mlp) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let tensors: HashMap<String, Tensor> = model
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    candle_core::safetensors::save(
        &tensors,
        dir.join(format!("fraud_model_at_epoch_{epoch}.safetensors")),
    )?;
    Ok(())
}

fn main() -> Result<()> {
    let clock = Instant::now();
    let args = Args::parse();
    let threads = rust_peers::set_threads(args.threads)?;
    let device = Device::Cpu;
    let setup_seconds = clock.elapsed().as_secs_f64();

    let data = rust_peers::load(&args, "candle")?;
    let (n, f, bs) = (data.n_train, data.features, args.batch_size);
    let val_chunks: Vec<Tensor> = (0..data.n_val)
        .step_by(bs)
        .map(|start| {
            let rows = bs.min(data.n_val - start);
            Tensor::from_slice(
                &data.val_x[start * f..(start + rows) * f],
                (rows, f),
                &device,
            )
        })
        .collect::<candle_core::Result<_>>()?;

    let model = Mlp::new(f, args.seed, &device)?;
    let vars: Vec<Var> = model.vars.iter().map(|(_, v)| v.clone()).collect();
    let mut optim = AdamW::new(vars, adam_params(args.learning_rate, 1))?;
    let mut t = 0u64;
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
            let x = Tensor::from_vec(data.gather_x(rows), (b, f), &device)?;
            let y_host = data.gather_y(rows);
            let y = Tensor::from_slice(&y_host, b, &device)?;
            let w = Tensor::from_vec(data.gather_w(rows), b, &device)?;
            let logits = model.forward(&x, true)?;
            let loss = weighted_bce_with_logits(&logits, &y, &w)?;
            t += 1;
            optim.set_params(adam_params(args.learning_rate, t));
            optim.backward_step(&loss)?;
            loss_sum += f64::from(loss.to_scalar::<f32>()?) * b as f64;
            let probs = candle_nn::ops::sigmoid(&logits.detach())?.to_vec1::<f32>()?;
            train.add(&probs, &y_host);
        }
        val_probs.clear();
        for x in &val_chunks {
            let logits = model.forward(x, false)?.detach();
            val_probs.extend(candle_nn::ops::sigmoid(&logits)?.to_vec1::<f32>()?);
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
            checkpoint(dir, epoch, &model)?;
        }
    }

    rust_peers::emit(Outcome {
        framework: "candle",
        version: env!("PEER_CANDLE_VERSION"),
        threads,
        epochs: args.epochs,
        steps,
        setup_seconds,
        data: &data,
        epoch_seconds,
        epoch_includes: "training steps, training metrics, validation forward pass and metrics; not the checkpoint",
        val_probs,
        extra: json!({
            "device": "Cpu",
            "epsilon": EPSILON,
            "rayon_num_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        }),
    });
    Ok(())
}
