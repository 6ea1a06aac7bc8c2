//! The library's one error type: everything a user can cause (files, CSV content, checkpoints,
//! arguments) is reported through [`Error`], carrying the path, line, field, what was expected
//! and what was found. Shape mismatches inside the math are bugs and panic instead.

use std::path::PathBuf;

/// Every failure the library reports to its caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused an operation on a file or directory.
    ///
    /// The OS error is part of the message, not a separate `source()`, so that a caller printing
    /// the error chain (as `anyhow`'s `{:#}` does) shows it once.
    #[error("{path}: {action}: {error}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being attempted, e.g. "cannot open" or "cannot write checkpoint".
        action: &'static str,
        /// The underlying OS error.
        error: std::io::Error,
    },

    /// A data file is malformed at a known place.
    ///
    /// `line` is 1-based and counts the header as line 1, as an editor would show it.
    #[error("{path}:{line}: {}{message}", column.as_ref().map(|c| format!("column {c:?}: ")).unwrap_or_default())]
    Data {
        /// The data file.
        path: PathBuf,
        /// 1-based physical line number (the header is line 1).
        line: u64,
        /// The column's name from the header, where one field is at fault.
        column: Option<String>,
        /// What was expected and what was found.
        message: String,
    },

    /// A data file is malformed as a whole (empty, no rows, a class missing from a split, …).
    #[error("{path}: {message}")]
    Dataset {
        /// The data file (or `<synthetic>` for the built-in data set).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A checkpoint file cannot be used.
    #[error("{path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A setting is out of its allowed range or inconsistent with another.
    ///
    /// `name` is the parameter in the library's own terms (`validation fraction`, `batch size`,
    /// `hidden`, `dropout rate`, …), never a command-line flag: the binary maps it to its flag.
    #[error("invalid {name}: {message}")]
    Config {
        /// The parameter, in the library's terms (e.g. `validation fraction`).
        name: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },

    /// Training produced a non-finite loss, gradient, parameter or optimizer moment. Training
    /// stops before the epoch's checkpoint is written, so the checkpoints of earlier epochs are
    /// the last good ones.
    #[error(
        "training stopped at epoch {epoch}, step {step}: {what} is not finite (NaN or infinite); \
         likely cause: {cause}; the checkpoints of earlier epochs are left as they were"
    )]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step within the epoch; 0 when the model was already non-finite before the
        /// epoch's first step.
        step: usize,
        /// The quantity that went wrong, e.g. "the loss" or "parameter dense_1/kernel".
        what: String,
        /// The likely cause and what to try, e.g. "the learning rate 1e30 is too large: try a
        /// smaller --learning-rate".
        cause: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path and what was being attempted.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            error,
        }
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
