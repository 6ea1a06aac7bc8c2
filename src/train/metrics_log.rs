//! The metrics log: a CSV with one row per epoch and every metric ([`COLUMNS`]), written by
//! [`MetricsLog`] during training and read back by [`read_metrics_log`].

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
                    "expected the metrics-log header {header:?}, found {:?}; write the log to \
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

/// One row of a metrics log: the values `fraudnet plot` draws ([`crate::plot::plot_training`]), `None` where a cell is empty
/// or the column is absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochRow {
    /// 1-based epoch.
    pub epoch: f64,
    /// Class-weighted training loss.
    pub loss: Option<f64>,
    /// Unweighted validation loss.
    pub val_loss: Option<f64>,
    /// Validation precision at `p > 0.5`.
    pub val_precision: Option<f64>,
    /// Validation recall at `p > 0.5`.
    pub val_recall: Option<f64>,
    /// Validation average precision.
    pub val_auc_pr: Option<f64>,
    /// Validation ROC AUC.
    pub val_auc_roc: Option<f64>,
}

/// Reads a metrics log that [`MetricsLog`] wrote (columns found by name; `epoch` is required, the others drawn
/// when present).
///
/// # Errors
///
/// [`Error::Io`] if it cannot be read; [`Error::Data`] naming the line and column of a cell that
/// is not a number, or line 1 if there is no `epoch` column; [`Error::Dataset`] if it has no rows.
pub fn read_metrics_log(path: &Path) -> Result<Vec<EpochRow>> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::io(path, "cannot open metrics log", csv_io(e)))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::io(path, "cannot read metrics log", csv_io(e)))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let epoch = column("epoch").ok_or_else(|| Error::Data {
        path: path.to_path_buf(),
        line: 1,
        column: None,
        message: format!(
            "expected a metrics log with an \"epoch\" column (as training writes it), found \
             columns: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ),
    })?;
    let wanted = [
        "loss",
        "val_loss",
        "val_precision",
        "val_recall",
        "val_auc_pr",
        "val_auc_roc",
    ]
    .map(column);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| Error::Data {
            path: path.to_path_buf(),
            line,
            column: None,
            message: e.to_string(),
        })?;
        let cell = |j: usize| -> Result<Option<f64>> {
            let text = record.get(j).unwrap_or("").trim();
            if text.is_empty() || text.eq_ignore_ascii_case("nan") {
                return Ok(None);
            }
            text.parse::<f64>().map(Some).map_err(|_| Error::Data {
                path: path.to_path_buf(),
                line,
                column: Some(headers[j].to_string()),
                message: format!("expected a number, found {text:?}"),
            })
        };
        let get = |k: usize| -> Result<Option<f64>> {
            wanted[k].map(cell).transpose().map(Option::flatten)
        };
        rows.push(EpochRow {
            epoch: cell(epoch)?.ok_or_else(|| Error::Data {
                path: path.to_path_buf(),
                line,
                column: Some("epoch".into()),
                message: "expected the epoch number, found an empty cell".into(),
            })?,
            loss: get(0)?,
            val_loss: get(1)?,
            val_precision: get(2)?,
            val_recall: get(3)?,
            val_auc_pr: get(4)?,
            val_auc_roc: get(5)?,
        });
    }
    if rows.is_empty() {
        return Err(Error::Dataset {
            path: path.to_path_buf(),
            message: "the metrics log has a header but no epochs".into(),
        });
    }
    Ok(rows)
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}
