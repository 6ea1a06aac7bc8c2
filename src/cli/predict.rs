//! `fraudnet predict`: score a file of transactions with a checkpoint, streaming.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use fraudnet::checkpoint::{self, Weights};
use fraudnet::format::thousands;
use fraudnet::predict::{PredictOptions, Scorer, predict_csv};

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The checkpoint to score with (its standardisation and architecture are used).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Transactions, `.csv` or `.csv.gz`, with the checkpoint's feature columns in its order;
    /// the label column may be present (it is ignored). Read in blocks: any size fits.
    #[arg(long)]
    data: PathBuf,
    /// Where to write the scores (CSV, one row per input row), replaced atomically when done.
    #[arg(long)]
    output: PathBuf,
    /// Write the 1-based data-row number as a first column `row`.
    #[arg(long)]
    row_numbers: bool,
    /// Copy this input column (e.g. a transaction id, not a feature) to the output.
    #[arg(long, value_name = "NAME")]
    id_column: Option<String>,
    /// Also write the model's logit z (probability = σ(z)) as a last column `logit`: distinct
    /// where probabilities above about 0.99999994 all round to 1, for ranking downstream.
    #[arg(long)]
    logits: bool,
    /// Score with the checkpoint's raw weights or their moving average (`train --ema`)
    /// [default: the average when the checkpoint has one, else the raw weights].
    #[arg(long, value_enum)]
    weights: Option<Weights>,
}

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    if !args.data.exists() {
        bail!("{}: data file not found", args.data.display());
    }
    let saved = checkpoint::load(&args.checkpoint)?;
    let has_ema = saved.ema.is_some();
    let (saved, weights) = saved.with_weights(args.weights, &args.checkpoint)?;
    if has_ema || args.weights.is_some() {
        eprintln!(
            "Scoring with the {} weights of {}",
            weights.label(),
            args.checkpoint.display()
        );
    }
    let meta = saved.meta.clone();
    let scorer = Scorer::new(saved);
    let options = PredictOptions {
        id_column: args.id_column.clone(),
        row_numbers: args.row_numbers,
        logits: args.logits,
    };
    let summary = predict_csv(&scorer, &meta, &args.data, &args.output, &options)?;
    eprintln!(
        "Scored {} rows{} in {:.2} s ({} rows/s) → {}",
        thousands(summary.rows as usize),
        if summary.labelled {
            " (label column ignored)"
        } else {
            ""
        },
        summary.seconds,
        thousands(summary.rows_per_second() as usize),
        args.output.display()
    );
    Ok(())
}
