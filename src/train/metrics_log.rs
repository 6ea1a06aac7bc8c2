//! The `--metrics-log` CSV: one row per epoch with every metric.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::metrics::EpochMetrics;

/// Column names of the metrics log, in order.
pub const COLUMNS: [&str; 19] = [
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
    "val_auc_pr",
    "val_auc_roc",
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

    /// Reopens the log of a run resumed after `epoch` and appends to it: keeps its header and
    /// the rows of epochs `1..=epoch`, drops any later or incomplete row (those of the epoch
    /// that was interrupted), rewriting the file atomically. A missing log is created as by
    /// [`MetricsLog::create`]. The resumed run then appends rows `epoch + 1, …`, so the log
    /// ends as that of an uninterrupted run (only the `seconds` column differs).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read or written; [`Error::Data`] naming line 1 if
    /// its header is not the one this version writes (use another `--metrics-log` file).
    pub fn resume(path: &Path, epoch: usize) -> Result<Self> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::create(path),
            Err(e) => return Err(Error::io(path, "cannot read metrics log", e)),
        };
        let header = COLUMNS.join(",");
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or("");
        if first.trim_end() != header {
            return Err(Error::Data {
                path: path.to_path_buf(),
                line: 1,
                column: None,
                message: format!(
                    "expected the metrics-log header {header:?}, found {:?}; give --metrics-log \
                     a new file",
                    first.trim_end()
                ),
            });
        }
        let mut kept = first.to_string();
        if !kept.ends_with('\n') {
            kept.push('\n');
        }
        for line in lines {
            let complete = line.ends_with('\n') && line.split(',').count() == COLUMNS.len();
            match line.split(',').next().map(str::parse::<usize>) {
                Some(Ok(e)) if complete && e <= epoch => kept += line,
                _ => {}
            }
        }
        crate::atomic_file::write(path, kept.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, "cannot open metrics log", e))?;
        Ok(MetricsLog {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(file),
        })
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
            // Empty when undefined (no positive in the validation rows).
            m.val_auc_pr.map_or_else(String::new, |v| v.to_string()),
            m.val_auc_roc.map_or_else(String::new, |v| v.to_string()),
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
