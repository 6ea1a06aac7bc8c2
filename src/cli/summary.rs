//! `fraudnet summary`: the Keras-style model table.

use clap::Args;

use super::ModelArgs;

#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// Input features [default: 30, the credit-card data's Time, V1–V28, Amount].
    #[arg(long, default_value_t = 30)]
    inputs: usize,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(args: SummaryArgs) -> anyhow::Result<()> {
    let arch = args.model.architecture(args.inputs)?;
    print!("{}", fraudnet::model::summary(&arch));
    Ok(())
}
