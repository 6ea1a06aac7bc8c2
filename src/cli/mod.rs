//! Argument definitions (clap derive) and dispatch to the subcommands.

mod gradcheck;
mod model_args;
mod summary;
mod train;

use clap::{Parser, Subcommand};

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
    /// Print the Keras-style model table for an architecture.
    Summary(summary::SummaryArgs),
    /// Check backprop against central differences in f64, layer by layer.
    Gradcheck(gradcheck::GradcheckArgs),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Summary(args) => summary::run(args),
        Command::Gradcheck(args) => gradcheck::run(args),
    }
}
