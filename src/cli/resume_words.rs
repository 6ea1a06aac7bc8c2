//! The words of a refused or changed `--resume`: the library says what differs in its own
//! terms ([`Mismatch`], [`Change`]); these functions say it as the flags to pass.

use fraudnet::model::Architecture;
use fraudnet::train::{self, Change, Mismatch};

/// A changed setting as `--flag: checkpoint → now`.
pub fn change_flag(change: &Change) -> String {
    match change {
        Change::LearningRate { from, to } => format!("--learning-rate: {from} → {to}"),
        Change::BatchSize { from, to } => format!("--batch-size: {from} → {to}"),
    }
}

/// Why the checkpoint is refused, and the flags that would make it fit.
pub fn refusal(mismatch: &Mismatch) -> String {
    match mismatch {
        Mismatch::FeatureNames {
            checkpoint,
            run,
            data_source,
        } => {
            format!("it was trained on the features {checkpoint:?}, but {data_source} has {run:?}")
        }
        Mismatch::LabelName { checkpoint, run } => format!(
            "it was trained with the label column {checkpoint:?}, but this run uses {run:?} \
             (--label)"
        ),
        Mismatch::Architecture { checkpoint, run } => format!(
            "it holds a model of {}, but the flags ask for {}; pass the checkpoint's --hidden \
             and --dropout",
            architecture_flags(checkpoint),
            architecture_flags(run)
        ),
        Mismatch::ValFraction { checkpoint, run } => {
            format!("it was trained with --val-fraction {checkpoint}, this run asks for {run}")
        }
        Mismatch::Seed { checkpoint, run } => format!(
            "it was trained with --seed {checkpoint}, this run asks for --seed {run}; pass \
             --seed {checkpoint}"
        ),
        Mismatch::Shuffle { checkpoint: true } => {
            "it was trained with shuffling, this run passes --no-shuffle; remove it".into()
        }
        Mismatch::Shuffle { checkpoint: false } => {
            "it was trained with --no-shuffle; pass --no-shuffle".into()
        }
        Mismatch::TestFraction { checkpoint, run } => {
            format!("it was trained with --test-fraction {checkpoint}, this run asks for {run}")
        }
        Mismatch::Ema {
            checkpoint: Some(m),
            run: _,
        } => format!("it was trained with --ema {m}; pass --ema {m}"),
        Mismatch::Ema {
            checkpoint: None,
            run: _,
        } => "it was trained without --ema (it holds no weight average to continue); remove \
             --ema"
            .into(),
        // No flag fixes other data; the library's words say all there is.
        Mismatch::Data { .. } => mismatch.to_string(),
    }
}

/// `16 inputs, --hidden 16,16 --dropout 0,0.3`: the flags that build `architecture`, or its
/// layers when no flags can (a checkpoint written by hand).
fn architecture_flags(architecture: &Architecture) -> String {
    match train::mlp_settings(architecture) {
        Some((hidden, dropout)) => format!(
            "{} inputs, --hidden {} --dropout {}",
            architecture.inputs,
            hidden
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            dropout
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
        None => format!("{architecture:?}"),
    }
}
