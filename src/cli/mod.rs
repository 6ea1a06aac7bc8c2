//! Argument definitions (clap derive) and dispatch to the subcommands.

mod errors;
mod evaluate;
mod gradcheck;
mod model_args;
mod peak;
mod plot;
mod predict;
mod resume_words;
mod summary;
mod train;

use clap::{Parser, Subcommand};

pub use errors::describe;
pub use model_args::ModelArgs;

/// fraudnet: a hand-written neural network for credit-card fraud detection, re-creating the
/// Keras example "Imbalanced classification: credit card fraud detection".
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train the model (the Keras example end to end), writing a checkpoint every epoch.
    Train(train::TrainArgs),
    /// Judge a checkpoint on labelled rows: counts, precision, recall, F1, average precision,
    /// ROC AUC, a threshold table, thresholds by recall and by cost.
    Evaluate(evaluate::EvaluateArgs),
    /// Score a file of transactions with a checkpoint, streaming, into a CSV of probabilities.
    Predict(predict::PredictArgs),
    /// Draw the training curves of a metrics log and a checkpoint's precision–recall curve
    /// (PNG and SVG).
    Plot(plot::PlotArgs),
    /// Print the Keras-style model table for an architecture.
    Summary(summary::SummaryArgs),
    /// Check backprop against central differences in f64, layer by layer.
    Gradcheck(gradcheck::GradcheckArgs),
    /// Measure this machine's rate on fraudnet's matrix-product kernel (GFLOP/s).
    Peak(peak::PeakArgs),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Summary(args) => summary::run(args),
        Command::Gradcheck(args) => gradcheck::run(args),
        Command::Peak(args) => peak::run(args),
    }
}

/// Refuses a `--threshold` outside the range whose every value means something: from the one
/// that flags every row to the one that flags none (`fraudnet::ranking::threshold_accepted`).
fn check_threshold(threshold: f32) -> anyhow::Result<()> {
    use fraudnet::ranking::{MAX_THRESHOLD, MIN_THRESHOLD, format_threshold, threshold_accepted};
    if !threshold_accepted(threshold) {
        anyhow::bail!(
            "invalid setting --threshold: {threshold} is outside [{}, {MAX_THRESHOLD}] ({} flags \
             every row, {MAX_THRESHOLD} none)",
            format_threshold(MIN_THRESHOLD),
            format_threshold(MIN_THRESHOLD),
        );
    }
    Ok(())
}
