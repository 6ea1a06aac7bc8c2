//! `fraudnet train --resume CHECKPOINT`: going on after a checkpoint's epoch.
//!
//! The checkpoint is read and validated before the data, so a wrong path or a damaged file
//! fails in milliseconds; once the data is prepared, [`start`] checks that the checkpoint
//! belongs to the run the flags describe and builds the state to go on from.
//!
//! The library says what differs in its own terms ([`train::Mismatch`], [`train::Change`]);
//! this module words it as the flags to pass.
//!
//! The metrics log of a resumed run is the one given by `--metrics-log`, reopened by
//! [`MetricsLog::resume`]: its rows up to the checkpoint's epoch are kept, later ones (the
//! interrupted epoch's) dropped, and the resumed epochs appended, so it ends as the log of an
//! uninterrupted run.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fraudnet::checkpoint::{self, Checkpoint};
use fraudnet::model::Architecture;
use fraudnet::train::{self, Change, MetricsLog, Mismatch, Prepared, TrainConfig, TrainState};

/// A checkpoint to resume from, read and validated.
pub struct ResumeFrom {
    /// The checkpoint file.
    pub path: PathBuf,
    /// Its contents.
    pub checkpoint: Checkpoint,
}

/// Reads the checkpoint `--resume` names: a file, or a directory whose newest
/// `fraud_model_at_epoch_*.safetensors` is taken.
pub fn read(given: &Path) -> anyhow::Result<ResumeFrom> {
    let path = if given.is_dir() {
        match checkpoint::latest(given)? {
            Some((_, path)) => path,
            None => anyhow::bail!(
                "{}: --resume names a directory holding no fraud_model_at_epoch_*.safetensors",
                given.display()
            ),
        }
    } else {
        given.to_path_buf()
    };
    let checkpoint = checkpoint::load(&path).context("cannot resume")?;
    Ok(ResumeFrom { path, checkpoint })
}

/// The state to go on from and the metrics log to append to, after checking that the
/// checkpoint belongs to this run; says what it resumes and which settings changed.
pub fn start(
    from: ResumeFrom,
    config: &TrainConfig,
    architecture: &Architecture,
    data: &Prepared,
    metrics_log: Option<&Path>,
) -> anyhow::Result<(TrainState, Option<MetricsLog>)> {
    let ResumeFrom { path, checkpoint } = from;
    if let Some(mismatch) = train::mismatch(&checkpoint.meta, config, architecture, data) {
        bail!("{}: cannot resume: {}", path.display(), refusal(&mismatch));
    }
    let changed = train::changed_settings(&checkpoint.meta, config);
    let state = TrainState::resume(checkpoint, &path, config, architecture, data)?;
    println!(
        "Resuming from {} after epoch {} of {}",
        path.display(),
        state.epoch,
        config.epochs
    );
    for change in &changed {
        println!(
            "  changed on resume: {} (the run is no longer that of one without a stop)",
            change_flag(change)
        );
    }
    if state.epoch == config.epochs {
        println!("Nothing left to train: the checkpoint is at the last epoch asked for");
    }
    let log = metrics_log
        .map(|p| MetricsLog::resume(p, state.epoch))
        .transpose()?;
    Ok((state, log))
}

/// A changed setting as `--flag: checkpoint → now`.
fn change_flag(change: &Change) -> String {
    match change {
        Change::LearningRate { from, to } => format!("--learning-rate: {from} → {to}"),
        Change::BatchSize { from, to } => format!("--batch-size: {from} → {to}"),
    }
}

/// Why the checkpoint is refused, and the flags that would make it fit.
fn refusal(mismatch: &Mismatch) -> String {
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
