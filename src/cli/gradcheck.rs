//! `fraudnet gradcheck`: backprop against central differences, for a learner to see.

use anyhow::bail;
use clap::Args;
use fraudnet::gradcheck::{GRADIENT_FLOOR, KINK_MARGIN, STEP, check_architecture};
use fraudnet::sizes;

use super::ModelArgs;

/// The largest relative error accepted.
const TOLERANCE: f64 = 1e-6;

#[derive(Args, Debug)]
pub struct GradcheckArgs {
    /// Input features [default: 30, as the credit-card data].
    #[arg(long, default_value_t = 30)]
    inputs: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// Rows in the random batch.
    #[arg(long, default_value_t = 4)]
    batch: usize,
    /// Elements checked per tensor, spread evenly over it (each costs two forward passes).
    #[arg(long, default_value_t = 40)]
    per_tensor: usize,
    /// Seed of the random model, batch and dropout masks.
    #[arg(long, default_value_t = 1337)]
    seed: u64,
}

pub fn run(args: GradcheckArgs) -> anyhow::Result<()> {
    let arch = args.model.architecture(args.inputs)?;
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    sizes::check_memory(
        "--hidden",
        "the gradient check of this model in f64",
        sizes::gradcheck_bytes(&arch, args.batch),
    )?;
    println!("Gradient check in f64: central differences (h = {STEP:e}) against backprop,");
    println!(
        "relative error |a − n| / max(|a|, |n|, {GRADIENT_FLOOR:e}), on a random batch of {} rows.",
        args.batch
    );
    let (report, kink, seed) = check_architecture(&arch, args.batch, args.seed, args.per_tensor)?;
    println!(
        "Sample point (seed {seed}): nearest ReLU input to the kink at 0 is {kink:.3e} (at least {KINK_MARGIN:e} needed)\n"
    );
    println!(
        "{:<18} {:>8} {:>20}",
        "tensor", "checked", "max relative error"
    );
    let mut failed = false;
    for t in &report {
        let ok = t.max_relative_error <= TOLERANCE;
        failed |= !ok;
        println!(
            "{:<18} {:>8} {:>20.3e}  {}",
            t.name,
            t.checked,
            t.max_relative_error,
            if ok { "ok" } else { "FAIL" }
        );
    }
    if failed || kink < KINK_MARGIN {
        bail!("gradient check failed (tolerance {TOLERANCE:e}, kink distance {kink:.3e})");
    }
    println!("\nAll gradients agree within {TOLERANCE:e}.");
    Ok(())
}
