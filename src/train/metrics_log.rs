//! The `--metrics-log` CSV: one row per epoch with every metric.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::metrics::EpochMetrics;

/// Column names of the metrics log, in order.
pub const COLUMNS: [&str; 17] = [
    "epoch",
    "seconds",
    "loss",
    "fn",
    "fp",
    "tn",
    "tp",
    "precision",
    "recall",
    "val_loss",
    "val_fn",
    "val_fp",
    "val_tn",
    "val_tp",
    "val_precision",
    "val_recall",
    "steps",
];

/// A CSV file receiving one row per epoch, flushed after each row so it survives a crash.
pub struct MetricsLog {
    path: PathBuf,
    writer: csv::Writer<File>,
}

impl MetricsLog {
    /// Creates (or truncates) the log and writes its header.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be created or written.
    pub fn create(path: &Path) -> Result<Self> {
        let file =
            File::create(path).map_err(|e| Error::io(path, "cannot create metrics log", e))?;
        let mut log = MetricsLog {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(file),
        };
        log.write(COLUMNS.iter().map(|c| c.to_string()).collect())?;
        Ok(log)
    }

    /// Appends one epoch's row.
    ///
    /// # Errors
    /// [`Error::Io`] if the row cannot be written.
    pub fn append(
        &mut self,
        epoch: usize,
        steps: usize,
        seconds: f64,
        m: &EpochMetrics,
    ) -> Result<()> {
        let (t, v) = (&m.train, &m.val);
        let row = vec![
            epoch.to_string(),
            format!("{seconds:.3}"),
            m.loss.to_string(),
            t.fn_.to_string(),
            t.fp.to_string(),
            t.tn.to_string(),
            t.tp.to_string(),
            t.precision().to_string(),
            t.recall().to_string(),
            m.val_loss.to_string(),
            v.fn_.to_string(),
            v.fp.to_string(),
            v.tn.to_string(),
            v.tp.to_string(),
            v.precision().to_string(),
            v.recall().to_string(),
            steps.to_string(),
        ];
        self.write(row)
    }

    fn write(&mut self, row: Vec<String>) -> Result<()> {
        let to_io = |e: csv::Error| std::io::Error::other(e.to_string());
        self.writer
            .write_record(&row)
            .map_err(|e| Error::io(&self.path, "cannot write metrics log", to_io(e)))?;
        self.writer
            .flush()
            .map_err(|e| Error::io(&self.path, "cannot write metrics log", e))
    }
}
