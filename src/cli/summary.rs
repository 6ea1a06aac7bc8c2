//! `fraudnet summary`: the Keras-style model table.

use clap::Args;
use fraudnet::model::Sequential;
use fraudnet::rng::{self, Stream};
use fraudnet::sizes;

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
    // The table is printed from a built model (until it is printed from the architecture
    // alone): refuse, before allocating, a model that cannot fit in memory.
    sizes::check_memory("--hidden", "the model", sizes::model_bytes(&arch, 4))?;
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(0, Stream::Init));
    print!("{}", model.summary());
    Ok(())
}
