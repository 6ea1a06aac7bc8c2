//! Finding checkpoints in a directory, and the temporary files an interrupted write leaves.

use std::path::{Path, PathBuf};

use super::names::{BEST_FILE_NAME, epoch_of, is_temporary};
use crate::error::{Error, Result};

/// The checkpoint of the highest epoch in `dir`, as `(epoch, path)`, or `None` when it holds
/// none. Only names of the form `fraud_model_at_epoch_{epoch}.safetensors` count: the hidden
/// temporary files of an interrupted write never do. The file is not read; [`super::load`]
/// validates it.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be listed.
pub fn latest(dir: &Path) -> Result<Option<(usize, PathBuf)>> {
    let mut best: Option<(usize, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list directory", e))? {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list directory", e))?;
        let Some(epoch) = entry.file_name().to_str().and_then(epoch_of) else {
            continue;
        };
        if best.as_ref().is_none_or(|(e, _)| epoch > *e) {
            best = Some((epoch, entry.path()));
        }
    }
    Ok(best)
}

/// Every file in `dir` that a run writes and a later run could mistake for its own: the
/// epoch checkpoints and `fraud_model_best.safetensors`, sorted by name.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be listed.
pub fn run_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list directory", e))? {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list directory", e))?;
        let name = entry.file_name();
        let name = name.to_str().unwrap_or_default();
        if epoch_of(name).is_some() || name == BEST_FILE_NAME {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Removes the temporary files that a run killed while writing a checkpoint leaves in `dir`
/// (see [`is_temporary`]); returns their paths. Call it only when no other run writes to
/// `dir`.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be listed or a file cannot be removed.
pub fn remove_stale_temporaries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list directory", e))? {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list directory", e))?;
        if entry.file_name().to_str().is_some_and(is_temporary) && entry.path().is_file() {
            let path = entry.path();
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(&path, "cannot remove a stale temporary file", e))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}
