//! `fraudnet train --resume CHECKPOINT`: going on after a checkpoint's epoch.
//!
//! The checkpoint is read and validated before the data, so a wrong path or a damaged file
//! fails in milliseconds; once the data is prepared, [`start`] checks that the checkpoint
//! belongs to the run the flags describe and builds the state to go on from.
//!
//! The metrics log of a resumed run is the one given by `--metrics-log`, reopened by
//! [`MetricsLog::resume`]: its rows up to the checkpoint's epoch are kept, later ones (the
//! interrupted epoch's) dropped, and the resumed epochs appended, so it ends as the log of an
//! uninterrupted run.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fraudnet::checkpoint::{self, Checkpoint};
use fraudnet::model::Architecture;
use fraudnet::train::{self, MetricsLog, Prepared, TrainConfig, TrainState};

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
    let changed = train::changed_settings(&checkpoint.meta, config);
    let state = TrainState::resume(checkpoint, &path, config, architecture, data)?;
    println!(
        "Resuming from {} after epoch {} of {}",
        path.display(),
        state.epoch,
        config.epochs
    );
    for change in &changed {
        println!("  changed on resume: {change} (the run is no longer that of one without a stop)");
    }
    if state.epoch == config.epochs {
        println!("Nothing left to train: the checkpoint is at the last epoch asked for");
    }
    let log = metrics_log
        .map(|p| MetricsLog::resume(p, state.epoch))
        .transpose()?;
    Ok((state, log))
}
