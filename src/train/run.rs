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
        crate::sizes::training_bytes(&architecture, settings.config.batch_size),
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
        crate::sizes::training_bytes(&smallest, config.batch_size),
    )?;
    Ok(())
}

/// Checks, changing nothing, that `dir` is a writable directory, or does not exist yet and
/// its nearest existing ancestor is a directory.
fn probe_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::io(
                dir,
                "cannot use as checkpoint directory",
                std::io::Error::other("it is not a directory"),
            ));
        }
        // A hidden probe file, created and removed at once (never a run's file).
        tempfile::Builder::new()
            .prefix(".fraudnet-write-test.")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, "checkpoint directory is not writable", e))?;
        return Ok(());
    }
    let mut ancestor = dir.parent();
    while let Some(a) = ancestor {
        let a = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        if a.exists() {
            if a.is_dir() {
                return Ok(());
            }
            return Err(Error::io(
                dir,
                "cannot create checkpoint directory",
                std::io::Error::other(format!("{} is not a directory", a.display())),
            ));
        }
        ancestor = a.parent();
    }
    Ok(())
}

/// The earlier run's files a new run would replace.
#[derive(Default)]
struct Earlier {
    /// Epoch checkpoints and the best checkpoint in the checkpoint directory.
    checkpoints: Vec<PathBuf>,
    /// The metrics log, if it holds epoch rows.
    log: Option<PathBuf>,
}

/// The earlier run's files; without `overwrite`, an error naming them.
fn earlier_files(settings: &RunSettings) -> Result<Earlier> {
    let dir = &settings.config.checkpoint_dir;
    let checkpoints = if dir.is_dir() {
        checkpoint::run_files(dir)?
    } else {
        Vec::new()
    };
    // A log holding epoch rows belongs to an earlier run; a header alone (a run stopped
    // before its first epoch ended) is replaced freely.
    let has_rows = |log: &Path| {
        std::fs::read_to_string(log)
            .is_ok_and(|text| text.lines().filter(|l| !l.trim().is_empty()).count() > 1)
    };
    let log = settings.metrics_log.clone().filter(|log| has_rows(log));
    if !settings.overwrite {
        if let Some(log) = &log {
            return Err(Error::Config {
                name: "metrics log",
                message: format!(
                    "{}: holds the metrics of an earlier run; continue that run with --resume, \
                     choose another --metrics-log, or pass --overwrite to replace it",
                    log.display()
                ),
            });
        }
        if let (Some(first), Some(last)) = (checkpoints.first(), checkpoints.last()) {
            return Err(Error::Config {
                name: "checkpoint directory",
                message: format!(
                    "{}: holds {} checkpoint file(s) of an earlier run ({} … {}); continue it \
                     with --resume {}, choose another --checkpoint-dir, or pass --overwrite to \
                     replace them (they are deleted once the new run's first checkpoint is \
                     written)",
                    dir.display(),
                    checkpoints.len(),
                    file_label(first),
                    file_label(last),
                    dir.display(),
                ),
            });
        }
    }
    Ok(Earlier { checkpoints, log })
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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

/// The earlier run's files, moved aside until the new run's first checkpoint is written.
#[derive(Default)]
struct Aside {
    /// The hidden directory holding the moved checkpoints, and where each came from.
    dir: Option<PathBuf>,
    moved: Vec<(PathBuf, PathBuf)>,
    /// The metrics log's hidden copy, and the log's path.
    log: Option<(PathBuf, PathBuf)>,
    /// Files moved, for the message.
    count: usize,
}

impl Aside {
    /// Deletes the moved files: the new run has a checkpoint of its own.
    fn delete(&mut self) -> Result<()> {
        if let Some(dir) = self.dir.take() {
            std::fs::remove_dir_all(&dir).map_err(|e| {
                Error::io(
                    &dir,
                    "cannot delete the earlier run's checkpoints moved here",
                    e,
                )
            })?;
        }
        if let Some((hidden, _)) = self.log.take() {
            std::fs::remove_file(&hidden).map_err(|e| {
                Error::io(&hidden, "cannot delete the earlier run's metrics log", e)
            })?;
        }
        self.moved.clear();
        Ok(())
    }

    /// Moves every file back where it was; a file that cannot be moved back is named on `warn`
    /// with where it is.
    fn restore(&mut self, warn: &mut dyn Write) {
        for (from, hidden) in self.moved.drain(..) {
            if let Err(e) = std::fs::rename(&hidden, &from) {
                let _ = writeln!(
                    warn,
                    "warning: cannot move {} back to {}: {e}",
                    hidden.display(),
                    from.display()
                );
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir(&dir);
        }
        if let Some((hidden, log)) = self.log.take()
            && let Err(e) = std::fs::rename(&hidden, &log)
        {
            let _ = writeln!(
                warn,
                "warning: cannot move {} back to {}: {e}",
                hidden.display(),
                log.display()
            );
        }
    }
}

/// After validation: removes stale temporary files and moves the earlier run's files aside.
fn touch_dir(dir: &Path, earlier: &Earlier, out: &mut dyn Write) -> Result<Aside> {
    for stale in checkpoint::remove_stale_temporaries(dir)? {
        writeln!(
            out,
            "Removed {}, left by an interrupted write",
            stale.display()
        )
        .map_err(|e| Error::io("<stdout>", "cannot write the training log", e))?;
    }
    let mut aside = Aside::default();
    let result = (|| -> Result<()> {
        if !earlier.checkpoints.is_empty() {
            let hidden = tempfile::Builder::new()
                .prefix(".fraudnet-earlier-run.")
                .tempdir_in(dir)
                .map_err(|e| {
                    Error::io(
                        dir,
                        "cannot create a directory to move the earlier run's checkpoints to",
                        e,
                    )
                })?
                .keep();
            aside.dir = Some(hidden.clone());
            for file in &earlier.checkpoints {
                let target = hidden.join(file.file_name().unwrap_or_default());
                std::fs::rename(file, &target).map_err(|e| {
                    Error::io(file, "cannot move the earlier run's checkpoint aside", e)
                })?;
                aside.moved.push((file.clone(), target));
                aside.count += 1;
            }
        }
        if let Some(log) = &earlier.log {
            let hidden = log.with_file_name(format!(
                ".{}.earlier-run",
                log.file_name().unwrap_or_default().to_string_lossy()
            ));
            std::fs::rename(log, &hidden).map_err(|e| {
                Error::io(log, "cannot move the earlier run's metrics log aside", e)
            })?;
            aside.log = Some((hidden, log.clone()));
            aside.count += 1;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(aside),
        Err(e) => {
            let mut sink = std::io::sink();
            aside.restore(&mut sink);
            Err(e)
        }
    }
}

/// Removes `dir` if this run created it and it is empty (a failed run leaves none behind).
fn remove_if_created(dir: &Path, created: bool) {
    if created {
        let _ = std::fs::remove_dir(dir);
    }
}

/// What the Keras example prints about its data.
fn print_data(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let header: Vec<String> = table
        .feature_names
        .iter()
        .chain([&table.label_name])
        .map(|n| format!("{n:?}"))
        .collect();
    writeln!(out, "HEADER: {}", header.join(","))?;
    if table.rows() > 0 {
        writeln!(
            out,
            "EXAMPLE FEATURES: {:?}",
            table.features.row(0).to_vec()
        )?;
    }
    writeln!(
        out,
        "features.shape: ({}, {})",
        table.rows(),
        table.feature_names.len()
    )?;
    writeln!(out, "targets.shape: ({}, 1)", table.rows())
}

/// The split's sizes, the training positives and the class weights.
fn print_split(prepared: &super::Prepared, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Number of training samples: {}",
        prepared.train_y.len()
    )?;
    writeln!(
        out,
        "Number of validation samples: {}",
        prepared.val_y.len()
    )?;
    if prepared.test_rows > 0 {
        writeln!(
            out,
            "Number of test samples (held out, never read in training): {}",
            prepared.test_rows
        )?;
    }
    let positives = prepared.train_y.iter().filter(|&&y| y > 0.5).count();
    writeln!(
        out,
        "Number of positive samples in training data: {positives} ({:.2}% of total)",
        100.0 * positives as f64 / prepared.train_y.len().max(1) as f64
    )?;
    writeln!(
        out,
        "Class weights: 0 → {:e}, 1 → {:e}",
        prepared.class_weight[0], prepared.class_weight[1]
    )
}
