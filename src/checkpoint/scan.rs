//! Finding checkpoints in a directory, and the temporary files an interrupted write leaves.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The epoch of a checkpoint file name, `fraud_model_at_epoch_{epoch}.safetensors`; `None`
/// for any other name, temporary files (`.fraud_model_at_epoch_….tmp`) included.
pub fn epoch_of(file_name: &str) -> Option<usize> {
    let digits = file_name
        .strip_prefix("fraud_model_at_epoch_")?
        .strip_suffix(".safetensors")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

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
        if epoch_of(name).is_some() || name == crate::train::BEST_FILE_NAME {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `file_name` is a temporary file that fraudnet writes in a checkpoint directory: a
/// checkpoint being written (`.fraud_model_at_epoch_{epoch}.safetensors.XXXXXX.tmp`,
/// `.fraud_model_best.safetensors.XXXXXX.tmp`) or the probe of [`super::check_writable_dir`]
/// (`.fraudnet-write-test.XXXXXX`). None of these names starts like a checkpoint's.
pub fn is_temporary(file_name: &str) -> bool {
    (file_name.starts_with(".fraud_model_") && file_name.ends_with(".tmp"))
        || file_name.starts_with(".fraudnet-write-test.")
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
