//! An earlier run's files in a checkpoint directory: found and refused without `overwrite`,
//! or moved aside before a new run starts and deleted only once its first checkpoint is
//! written (moved back if it fails first). [`super::run`] decides when; this file does it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::RunSettings;
use crate::checkpoint;
use crate::error::{Error, Result};

/// Checks, changing nothing, that `dir` is a writable directory, or does not exist yet and
/// its nearest existing ancestor is a directory.
pub(super) fn probe_dir(dir: &Path) -> Result<()> {
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
pub(super) struct Earlier {
    /// Epoch checkpoints and the best checkpoint in the checkpoint directory.
    checkpoints: Vec<PathBuf>,
    /// The metrics log, if it holds epoch rows.
    log: Option<PathBuf>,
}

/// The earlier run's files; without `overwrite`, an error naming them.
pub(super) fn earlier_files(settings: &RunSettings) -> Result<Earlier> {
    let dir = &settings.config.checkpoint_dir;
    let mut checkpoints = if dir.is_dir() {
        checkpoint::run_files(dir)?
    } else {
        Vec::new()
    };
    // By epoch, so the message names the first and the newest (`_9` sorts after `_30` as text);
    // other files (the best checkpoint) after them, by name.
    checkpoints.sort_by_key(|path| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let epoch = name.as_deref().and_then(checkpoint::epoch_of);
        (epoch.is_none(), epoch, name)
    });
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

/// The earlier run's files, moved aside until the new run's first checkpoint is written.
#[derive(Default)]
pub(super) struct Aside {
    /// The hidden directory holding the moved checkpoints, and where each came from.
    dir: Option<PathBuf>,
    moved: Vec<(PathBuf, PathBuf)>,
    /// The metrics log's hidden copy, and the log's path.
    log: Option<(PathBuf, PathBuf)>,
    /// Files moved, for the message.
    pub(super) count: usize,
}

impl Aside {
    /// Deletes the moved files: the new run has a checkpoint of its own.
    pub(super) fn delete(&mut self) -> Result<()> {
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
    pub(super) fn restore(&mut self, warn: &mut dyn Write) {
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
pub(super) fn touch_dir(dir: &Path, earlier: &Earlier, out: &mut dyn Write) -> Result<Aside> {
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
pub(super) fn remove_if_created(dir: &Path, created: bool) {
    if created {
        let _ = std::fs::remove_dir(dir);
    }
}
