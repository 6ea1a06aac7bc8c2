//! The order of a training run, as `fraudnet train` performs it, callable without a process.
//!
//! 1. **Settings** are checked (epochs, batch size, validation fraction, learning rate,
//!    `--overwrite` with `--resume`), and the checkpoint directory is probed **leaving nothing
//!    changed** (a hidden probe file is created and removed at once): it must be a writable
//!    directory, or not exist yet under a directory that does.
//! 2. **An earlier run's files** (epoch checkpoints, `fraud_model_best.safetensors`, a metrics
//!    log holding epoch rows) stop a new run unless `overwrite` is set — before any data is
//!    read, so the refusal is immediate.
//! 3. **Every input is read and validated**: the checkpoint to resume from, the data (every
//!    row), the split and its class weights, the architecture, the model, the initial weights,
//!    the resumed state.
//! 4. Only then is the checkpoint directory **touched**: created if missing, temporary files of
//!    an interrupted write removed, and, with `overwrite`, the earlier run's files **moved
//!    aside** into a hidden directory `.fraudnet-earlier-run.XXXXXX` in the checkpoint
//!    directory (the metrics log beside itself, `.NAME.earlier-run`).
//! 5. **Training.** The moment the new run's first epoch checkpoint is written (atomically),
//!    the earlier files are deleted. If the run fails before that, the earlier files are moved
//!    back, the new run's metrics log is removed, and a checkpoint directory this run created
//!    is removed again: a failed run leaves the directory as it found it.
//!
//! `src/cli/train.rs` parses the flags, calls [`run`] and prints; tests call [`run`] directly.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::earlier_run::{Earlier, earlier_files, probe_dir, remove_if_created, touch_dir};
use super::report::{print_data, print_split};
use super::{Change, FitOutcome, MetricsLog, Mismatch, TrainConfig, TrainState};
use crate::checkpoint::{self, Checkpoint};
use crate::data::{self, Table};
use crate::error::{Error, Result};
use crate::model::{Architecture, Sequential};
use crate::rng::{self, Stream};

/// Where the rows of a run come from.
#[derive(Clone, Debug)]
pub enum DataSource {
    /// A CSV or gzip CSV file, read (and every row validated) by [`data::read_table`].
    File(PathBuf),
    /// A table already in memory (the synthetic data set), and the name recorded in
    /// checkpoints as its source.
    Table {
        /// The rows.
        table: Table,
        /// What checkpoints record as `data_source`, e.g. `<synthetic>`.
        source: String,
    },
}

/// Everything a run needs besides the data: the training settings and the flags that decide
/// the model, the starting point and the files.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The training settings (`data_source` is filled in from the [`DataSource`]).
    pub config: TrainConfig,
    /// Units of each hidden layer (`--hidden`).
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer (`--dropout`).
    pub dropout: Vec<f64>,
    /// The label column's name (`--label`); `None`: the last column.
    pub label: Option<String>,
    /// Start from these weights (`--init-weights`).
    pub init_weights: Option<PathBuf>,
    /// Write one CSV row per epoch here (`--metrics-log`).
    pub metrics_log: Option<PathBuf>,
    /// Go on after this checkpoint, or the newest one in this directory (`--resume`).
    pub resume: Option<PathBuf>,
    /// Let a new run replace an earlier run's checkpoints and metrics log (`--overwrite`).
    pub overwrite: bool,
    /// How a refused resume is worded after "cannot resume: " ([`Mismatch`]'s own words, or a
    /// caller's that name its flags).
    pub describe_mismatch: fn(&Mismatch) -> String,
    /// How a setting changed on resume is worded ([`Change`]'s own words, or a caller's).
    pub describe_change: fn(&Change) -> String,
}

/// Runs training in the order the module documentation gives: `out` receives what
/// `fraudnet train` prints on standard output, `warn` its warnings (standard error), and
/// `write_checkpoint` stores each checkpoint (pass [`checkpoint::write_atomically`]).
///
/// # Errors
/// [`Error::Config`] for a bad setting or an earlier run's files without `overwrite`; the
/// data's, the checkpoint's, the initial weights' and the split's errors (before anything in
/// the checkpoint directory changed); then [`super::fit_from`]'s. On an error before the first
/// checkpoint of this run was written, the earlier run's files are back in place.
pub fn run(
    settings: &RunSettings,
    data: DataSource,
    out: &mut dyn Write,
    warn: &mut dyn Write,
    write_checkpoint: &mut dyn FnMut(&Path, &[u8]) -> Result<()>,
) -> Result<FitOutcome> {
    let stdout_err = |e| Error::io("<stdout>", "cannot write the training log", e);
    // 1. Settings, and the checkpoint directory probed without changing it.
    check_settings(settings)?;
    let dir = settings.config.checkpoint_dir.clone();
    probe_dir(&dir)?;
    // 2. An earlier run's files, refused at once without --overwrite.
    let earlier = if settings.resume.is_none() {
        earlier_files(settings)?
    } else {
        Earlier::default()
    };
    // 3. Every input, read and validated.
    let resume_from = settings.resume.as_deref().map(read_resume).transpose()?;
    let (table, source) = match data {
        DataSource::File(path) => {
            if !path.exists() {
                return Err(Error::Dataset {
                    path,
                    message: "data file not found".into(),
                });
            }
            writeln!(out, "Reading {}", path.display()).map_err(stdout_err)?;
            let table = data::read_table(&path, settings.label.as_deref())?;
            (table, path.display().to_string())
        }
        DataSource::Table { table, source } => (table, source),
    };
    print_data(&table, out).map_err(stdout_err)?;
    let architecture = Architecture::mlp(
        table.feature_names.len(),
        &settings.hidden,
        &settings.dropout,
    )?;
    crate::sizes::check_memory(
        "hidden",
        "training this model",
        crate::sizes::training_bytes(
            &architecture,
            settings.config.batch_size,
            settings.config.ema.is_some(),
        ),
    )?;
    let mut config = settings.config.clone();
    config.data_source = source;
    let prepared = super::prepare_with_test(table, config.val_fraction, config.test_fraction)?;
    print_split(&prepared, out).map_err(stdout_err)?;
    for name in &prepared.constant_columns {
        writeln!(
            warn,
            "warning: column {name:?} is constant in the training rows; it is standardised to 0"
        )
        .map_err(stdout_err)?;
    }
    let val_positives = prepared.val_y.iter().filter(|&&y| y > 0.5).count();
    if let Some(text) = super::report::no_positive_validation_warning(
        val_positives,
        prepared.val_y.len(),
        config.keep_best,
    ) {
        writeln!(warn, "warning: {text}").map_err(stdout_err)?;
    }
    let mut model =
        Sequential::<f32>::new(&architecture, &mut rng::stream(config.seed, Stream::Init))?;
    if let Some(path) = &settings.init_weights {
        checkpoint::load_weights(path, &mut model)?;
        writeln!(out, "Initial weights from {}", path.display()).map_err(stdout_err)?;
    }
    write!(out, "{}", model.summary()).map_err(stdout_err)?;
    let state = match resume_from {
        Some((path, saved)) => {
            if let Some(mismatch) = super::mismatch(&saved.meta, &config, &architecture, &prepared)
            {
                return Err(Error::Checkpoint {
                    path,
                    message: format!("cannot resume: {}", (settings.describe_mismatch)(&mismatch)),
                });
            }
            let changed = super::changed_settings(&saved.meta, &config);
            let state = TrainState::resume(saved, &path, &config, &architecture, &prepared)?;
            writeln!(
                out,
                "Resuming from {} after epoch {} of {}",
                path.display(),
                state.epoch,
                config.epochs
            )
            .map_err(stdout_err)?;
            for change in &changed {
                writeln!(
                    out,
                    "  changed on resume: {} (the run is no longer that of one without a stop)",
                    (settings.describe_change)(change)
                )
                .map_err(stdout_err)?;
            }
            if state.epoch == config.epochs {
                writeln!(
                    out,
                    "Nothing left to train: the checkpoint is at the last epoch asked for"
                )
                .map_err(stdout_err)?;
            }
            state
        }
        None => TrainState::fresh(model, &config),
    };

    // 4. Only now is anything changed on disk.
    let created_dir = !dir.exists();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(&dir, "cannot create checkpoint directory", e))?;
    let mut aside = match touch_dir(&dir, &earlier, out) {
        Ok(aside) => aside,
        Err(e) => {
            remove_if_created(&dir, created_dir);
            return Err(e);
        }
    };
    // Said before the first epoch, so a run stopped part-way has told where its checkpoints are.
    writeln!(
        out,
        "Checkpoints: {} after every epoch",
        dir.join(checkpoint::file_name(0))
            .display()
            .to_string()
            .replace("_0.", "_{epoch}.")
    )
    .map_err(stdout_err)?;
    let log = match &settings.metrics_log {
        None => Ok(None),
        Some(path) if settings.resume.is_some() => MetricsLog::resume(path, state.epoch).map(Some),
        Some(path) => MetricsLog::create(path).map(Some),
    };
    let mut log = match log {
        Ok(log) => log,
        Err(e) => {
            if settings.resume.is_none()
                && let Some(path) = &settings.metrics_log
            {
                let _ = std::fs::remove_file(path);
            }
            aside.restore(warn);
            remove_if_created(&dir, created_dir);
            return Err(e);
        }
    };

    // 5. Training; the earlier files go with the first checkpoint written.
    let mut committed = false;
    let mut commit_error = None;
    let outcome = {
        let mut writer = |path: &Path, bytes: &[u8]| -> Result<()> {
            write_checkpoint(path, bytes)?;
            let is_epoch = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(checkpoint::epoch_of)
                .is_some();
            if is_epoch && !committed {
                committed = true;
                if let Err(e) = aside.delete() {
                    commit_error = Some(e);
                }
            }
            Ok(())
        };
        super::fit_from(&config, &prepared, state, log.as_mut(), out, &mut writer)
    };
    if let Some(e) = commit_error {
        writeln!(warn, "warning: {e}").map_err(stdout_err)?;
    } else if committed && aside.count > 0 {
        writeln!(
            out,
            "Deleted {} file(s) of an earlier run in {} once this run's first checkpoint was \
             written (--overwrite)",
            aside.count,
            dir.display()
        )
        .map_err(stdout_err)?;
    }
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            if !committed {
                // The new run's log goes (a resumed run's keeps the rows it had).
                drop(log);
                if settings.resume.is_none()
                    && let Some(path) = &settings.metrics_log
                {
                    let _ = std::fs::remove_file(path);
                }
                aside.restore(warn);
                remove_if_created(&dir, created_dir);
            }
            Err(e)
        }
    }
}

/// Checks the settings alone, reading nothing: those [`super::fit_from`] would refuse, and the
/// combinations it cannot see. [`run`] calls it first; a caller may call it before preparing
/// its data.
///
/// # Errors
/// [`Error::Config`] naming the setting.
pub fn check_settings(settings: &RunSettings) -> Result<()> {
    let config = &settings.config;
    let bad = |name: &'static str, message: String| Err(Error::Config { name, message });
    if config.batch_size == 0 {
        return bad("batch size", "must be at least 1".into());
    }
    if config.epochs == 0 {
        return bad("epochs", "must be at least 1".into());
    }
    if !(config.val_fraction > 0.0 && config.val_fraction < 1.0) {
        return bad(
            "validation fraction",
            format!("{} is outside (0, 1)", config.val_fraction),
        );
    }
    let tf = config.test_fraction;
    if !(0.0..1.0).contains(&tf) || config.val_fraction + tf >= 1.0 {
        return bad(
            "test fraction",
            format!(
                "{tf} is outside [0, 1 − {}) (the validation fraction)",
                config.val_fraction
            ),
        );
    }
    if let Some(m) = config.ema
        && !(0.0..1.0).contains(&m)
    {
        return bad(
            "ema momentum",
            format!("{m} is outside [0, 1) (Keras's default is 0.99)"),
        );
    }
    let lr = config.adam.learning_rate;
    if !(lr > 0.0 && lr.is_finite()) {
        return bad("learning rate", format!("{lr} must be a positive number"));
    }
    if settings.overwrite && settings.resume.is_some() {
        return bad(
            "overwrite",
            "cannot be used when resuming (a resumed run keeps its files)".into(),
        );
    }
    if settings.resume.is_some() && settings.init_weights.is_some() {
        return bad(
            "init weights",
            "cannot be used when resuming (the checkpoint holds the weights)".into(),
        );
    }
    // The architecture's own checks (rates, zero units), and its memory with one input (a
    // lower bound), before any data is read.
    let smallest = Architecture::mlp(1, &settings.hidden, &settings.dropout)?;
    crate::sizes::check_memory(
        "hidden",
        "training this model",
        crate::sizes::training_bytes(&smallest, config.batch_size, config.ema.is_some()),
    )?;
    Ok(())
}

/// The checkpoint to resume from: a file, or the newest checkpoint of a directory.
fn read_resume(given: &Path) -> Result<(PathBuf, Checkpoint)> {
    let path = if given.is_dir() {
        match checkpoint::latest(given)? {
            Some((_, path)) => path,
            None => {
                return Err(Error::Config {
                    name: "resume",
                    message: format!(
                        "{} is a directory holding no fraud_model_at_epoch_*.safetensors",
                        given.display()
                    ),
                });
            }
        }
    } else {
        given.to_path_buf()
    };
    let saved = checkpoint::load(&path)?;
    Ok((path, saved))
}
