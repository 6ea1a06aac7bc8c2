//! `fraudnet evaluate`: a checkpoint judged on labelled rows by its precision–recall trade-off.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use fraudnet::checkpoint;
use fraudnet::checkpoint::Weights;
use fraudnet::evaluation::{Evaluation, Rows, Split, score_split};
use fraudnet::plot;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The checkpoint to evaluate (its standardisation and architecture are used).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Labelled transactions, `.csv` or `.csv.gz`, with the checkpoint's feature columns and its
    /// label column.
    #[arg(long)]
    data: PathBuf,
    /// Flag a transaction when its probability is above this [default: 0.5, the Keras
    /// example's metrics' threshold].
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    threshold: f32,
    /// Cost of a missed fraud; with --fp-cost, report the threshold minimising
    /// FN·fn-cost + FP·fp-cost on these rows.
    #[arg(long, requires = "fp_cost", allow_negative_numbers = true)]
    fn_cost: Option<f64>,
    /// Cost of flagging a legitimate transaction (see --fn-cost).
    #[arg(long, requires = "fn_cost", allow_negative_numbers = true)]
    fp_cost: Option<f64>,
    /// Evaluate every row of --data [default: only the validation split the checkpoint was
    /// trained with, the last ⌊val_fraction·N⌋ rows]; the same as --split all.
    #[arg(long, conflicts_with = "split")]
    all: bool,
    /// Which rows of --data to score: the checkpoint's validation split, the test split its
    /// run held out (`train --test-fraction`: the last ⌊test_fraction·N⌋ rows), or all
    /// [default: validation]. The checkpoint records both fractions.
    #[arg(long, value_enum)]
    split: Option<Split>,
    /// Score with the checkpoint's raw weights or their moving average (`train --ema`)
    /// [default: the average when the checkpoint has one, else the raw weights].
    #[arg(long, value_enum)]
    weights: Option<Weights>,
    /// Also draw the precision–recall curve, with the threshold marked, as pr_curve.png and
    /// pr_curve.svg in this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    super::check_threshold(args.threshold)?;
    let costs = match (args.fn_cost, args.fp_cost) {
        (Some(c_fn), Some(c_fp)) => {
            for (name, c) in [("--fn-cost", c_fn), ("--fp-cost", c_fp)] {
                if !(c >= 0.0 && c.is_finite()) {
                    bail!("invalid setting {name}: {c} must be a non-negative number");
                }
            }
            Some((c_fn, c_fp))
        }
        _ => None,
    };
    if !args.data.exists() {
        bail!("{}: data file not found", args.data.display());
    }
    let saved = checkpoint::load(&args.checkpoint)?;
    let has_ema = saved.ema.is_some();
    let (saved, weights) = saved.with_weights(args.weights, &args.checkpoint)?;
    // Written with `?`, so a closed pipe ends the command with an error, not a panic.
    let mut out = std::io::stdout().lock();
    // Which weights are named whenever there was a choice (a checkpoint with an average).
    let which = if has_ema || args.weights.is_some() {
        format!(", {} weights", weights.label())
    } else {
        String::new()
    };
    writeln!(
        out,
        "Checkpoint {} (epoch {}, trained on {}{which})",
        args.checkpoint.display(),
        saved.meta.epoch,
        saved.meta.data_source
    )?;
    let split = match (args.split, args.all) {
        (Some(split), _) => split,
        (None, true) => Split::All,
        (None, false) => Split::Validation,
    };
    let scored = score_split(saved, &args.data, split)?;
    match scored.rows {
        // The last row scored: the validation rows end before any test rows.
        Rows::Validation { first, of } => writeln!(
            out,
            "Evaluating the validation split of {}: rows {first}–{} of {of}",
            args.data.display(),
            first + scored.labels.len() - 1
        ),
        Rows::Test { first, of } => writeln!(
            out,
            "Evaluating the test split of {}: rows {first}–{of} of {of}",
            args.data.display()
        ),
        Rows::All => writeln!(out, "Evaluating every row of {}", args.data.display()),
    }?;
    let evaluation = Evaluation::new(&scored.logits, &scored.labels, args.threshold, costs);
    write!(out, "{evaluation}")?;
    if let Some(dir) = &args.plot {
        let cheapest = evaluation
            .cost
            .map(|c| (c.best.threshold, c.best.confusion));
        let files = plot::plot_precision_recall(
            &evaluation.ranking,
            (args.threshold, evaluation.confusion),
            cheapest,
            dir,
        )
        .context("cannot draw the precision–recall curve")?;
        for file in files {
            writeln!(out, "Wrote {}", file.display())?;
        }
    }
    Ok(())
}
