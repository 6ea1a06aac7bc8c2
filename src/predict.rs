//! Scoring transactions with a trained checkpoint: the checkpoint's own standardisation and
//! model, applied to a file streamed a block of rows at a time (constant memory, plain or gzip,
//! with or without the label column).
//!
//! The probability of a row is `σ(z)`, `z` the model's logit in `Mode::Eval` (dropout off) on
//! `(x − mean) / std` (a zero `std` maps the column to 0), exactly as training evaluated its
//! validation rows ([`crate::train::evaluate`]).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::activation::sigmoid;
use crate::atomic_file::AtomicFile;
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::data::{RowChunk, RowStream, Standardizer, StreamLayout};
use crate::error::{Error, Result};
use crate::loss::logit_column;
use crate::model::{ForwardPass, Mode, Sequential};

/// Rows per forward pass (as [`crate::train::evaluate`]): bounds the activations' memory to
/// `8192 × 256` f32 per layer.
pub const CHUNK_ROWS: usize = 8192;

/// One chunk's standardised features and the forward pass's activations, kept per thread and
/// reused from chunk to chunk and from call to call ([`Scorer::logits`] runs once per block of
/// a streamed file): a fresh 8,192-row pass would map (and the kernel zero) about 25 MB of new
/// pages per chunk, 3.6 % of a `predict` profile.
#[derive(Default)]
struct ChunkBuffers {
    standardized: Array2<f32>,
    pass: ForwardPass<f32>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<ChunkBuffers> = std::cell::RefCell::new(ChunkBuffers::default());
}

/// A checkpoint's model and standardisation, ready to score raw feature rows.
#[derive(Clone, Debug)]
pub struct Scorer {
    /// The trained model.
    pub model: Sequential<f32>,
    /// The training split's mean and std, from the checkpoint.
    pub standardizer: Standardizer,
    /// The feature names the model was trained on, in input order.
    pub feature_names: Vec<String>,
    /// The label column's name in the training file.
    pub label_name: String,
}

impl Scorer {
    /// Takes the model and the standardisation out of a loaded checkpoint.
    pub fn new(checkpoint: Checkpoint) -> Self {
        let meta = checkpoint.meta;
        Self {
            model: checkpoint.model,
            standardizer: Standardizer {
                mean: Array1::from(meta.mean),
                std: Array1::from(meta.std),
            },
            feature_names: meta.feature_names,
            label_name: meta.label_name,
        }
    }

    /// The fraud probability of each row of raw (unstandardised) features, in row order:
    /// `σ(z)` of [`Self::logits`] (rows numbered from 1, the file named `<input>` in errors).
    ///
    /// # Shapes
    ///
    /// `x: [n, features]` → `[n]`.
    ///
    /// # Errors
    ///
    /// As [`Self::logits`].
    ///
    /// # Panics
    ///
    /// If `x` does not have one column per feature of the model.
    pub fn probabilities(&self, x: ArrayView2<f32>) -> Result<Vec<f32>> {
        let logits = self.logits(x, Path::new("<input>"), 1)?;
        Ok(logits.into_iter().map(sigmoid).collect())
    }

    /// The model's logit `z` of each row of raw (unstandardised) features, in row order:
    /// standardised with the checkpoint's statistics, then the model in `Mode::Eval`,
    /// [`CHUNK_ROWS`] rows per forward pass. Row `i` of `x` is data row `first_row + i` of
    /// `path`, on line `first_row + i + 1` (the header is line 1).
    ///
    /// Every standardised value and every logit is checked: ReLU would otherwise hide a NaN
    /// (`max(NaN, 0) = 0` in some implementations) and the row would get an ordinary-looking
    /// score. A value such as 3.4e38 is a finite f32, yet `(3.4e38 − mean) / 0.26` is not.
    ///
    /// # Shapes
    ///
    /// `x: [n, features]` → `[n]`.
    ///
    /// # Errors
    ///
    /// [`Error::Data`] naming `path`, the line and the column: for a standardised value that is
    /// not finite, that value's column; for a logit that is not finite, the column whose
    /// standardised value is largest in magnitude (the likely cause). Nothing is returned for
    /// the other rows.
    ///
    /// # Panics
    ///
    /// If `x` does not have one column per feature of the model.
    pub fn logits(&self, x: ArrayView2<f32>, path: &Path, first_row: u64) -> Result<Vec<f32>> {
        let mut logits = Vec::with_capacity(x.nrows());
        // This thread's buffers for the whole call (an error drops them; the next call makes
        // new ones).
        let mut buffers = BUFFERS.take();
        for (c, chunk) in x.axis_chunks_iter(Axis(0), CHUNK_ROWS).enumerate() {
            let chunk_first = first_row + (c * CHUNK_ROWS) as u64;
            let standardized = &mut buffers.standardized;
            if standardized.dim() != chunk.dim() {
                *standardized = Array2::zeros(chunk.dim());
            }
            standardized.assign(&chunk);
            self.standardizer.apply(standardized);
            for (i, row) in standardized.rows().into_iter().enumerate() {
                if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                    return Err(Error::Data {
                        path: path.to_path_buf(),
                        line: chunk_first + i as u64 + 1,
                        column: self.feature_names.get(j).cloned(),
                        message: format!(
                            "the value {} standardised with the checkpoint's mean {} and std \
                             {} is {}, not a finite f32; the row cannot be scored",
                            chunk[[i, j]],
                            self.standardizer.mean[j],
                            self.standardizer.std[j],
                            row[j]
                        ),
                    });
                }
            }
            self.model
                .forward_into(standardized.view(), Mode::Eval, &mut buffers.pass);
            let chunk_logits = logit_column(buffers.pass.outputs())?;
            if let Some(i) = chunk_logits.iter().position(|z| !z.is_finite()) {
                let row = standardized.row(i);
                let j = (0..row.len())
                    .max_by(|&a, &b| row[a].abs().total_cmp(&row[b].abs()))
                    .unwrap_or(0);
                return Err(Error::Data {
                    path: path.to_path_buf(),
                    line: chunk_first + i as u64 + 1,
                    column: self.feature_names.get(j).cloned(),
                    message: format!(
                        "the model's logit for this row is {}, not finite; the largest \
                         standardised value of the row, {} in this column, is the likely cause",
                        chunk_logits[i], row[j]
                    ),
                });
            }
            logits.extend(chunk_logits.iter());
        }
        BUFFERS.set(buffers);
        Ok(logits)
    }
}

/// Where the columns of a file to score are, checked against a checkpoint's feature names.
///
/// The file must hold exactly the checkpoint's features, in the same order; besides them it may
/// hold the label column (under the checkpoint's label name, anywhere) and the `id_column`, if
/// one is named.
///
/// # Errors
///
/// [`Error::Config`] (`id column`) if `id_column` is not in the header or is a feature or
/// the label; [`Error::Dataset`] naming the file if the feature columns differ from the
/// checkpoint's in count, names or order, listing what is missing and what is unexpected.
pub fn match_columns(
    path: &Path,
    names: &[String],
    meta: &CheckpointMeta,
    id_column: Option<&str>,
) -> Result<StreamLayout> {
    let label = names.iter().position(|n| *n == meta.label_name);
    let id = match id_column {
        None => None,
        Some(id) => {
            let j = names
                .iter()
                .position(|n| n == id)
                .ok_or_else(|| Error::Config {
                    name: "id column",
                    message: format!(
                        "{} has no column named {id:?}; its columns are: {}",
                        path.display(),
                        names.join(", ")
                    ),
                })?;
            if Some(j) == label || meta.feature_names.iter().any(|f| f == id) {
                return Err(Error::Config {
                    name: "id column",
                    message: format!(
                        "{id:?} is a feature or the label of the model; name a column it does \
                         not use"
                    ),
                });
            }
            Some(j)
        }
    };
    let features: Vec<&String> = names
        .iter()
        .enumerate()
        .filter(|&(j, _)| Some(j) != label && Some(j) != id)
        .map(|(_, n)| n)
        .collect();
    if features.iter().copied().eq(meta.feature_names.iter()) {
        return Ok(StreamLayout { label, id });
    }
    let missing: Vec<&str> = meta
        .feature_names
        .iter()
        .filter(|f| !features.contains(f))
        .map(String::as_str)
        .collect();
    let unexpected: Vec<&str> = features
        .iter()
        .filter(|f| !meta.feature_names.contains(f))
        .map(|f| f.as_str())
        .collect();
    let mut message = format!(
        "its feature columns do not match the checkpoint's: the model was trained on {} \
         features ({}), optionally followed by the label {:?}; this file has {} feature \
         column(s)",
        meta.feature_names.len(),
        abbreviate(&meta.feature_names),
        meta.label_name,
        features.len()
    );
    if !missing.is_empty() {
        message += &format!("; missing: {}", missing.join(", "));
    }
    if !unexpected.is_empty() {
        message += &format!("; unexpected: {}", unexpected.join(", "));
    }
    if missing.is_empty() && unexpected.is_empty() {
        message += "; the same names in another order (columns are matched by position)";
    }
    Err(Error::Dataset {
        path: path.to_path_buf(),
        message,
    })
}

/// `a, b, c, …, z` for a long list of names.
fn abbreviate(names: &[String]) -> String {
    if names.len() <= 6 {
        names.join(", ")
    } else {
        format!(
            "{}, …, {}",
            names[..3].join(", "),
            names[names.len() - 2..].join(", ")
        )
    }
}

/// Scores every row of `stream` with `scorer`, calling `sink` with each chunk and its
/// probabilities in file order; returns the rows scored ([`score_stream_logits`], then `σ`).
///
/// # Errors
///
/// As [`score_stream_logits`].
pub fn score_stream(
    scorer: &Scorer,
    stream: &mut RowStream,
    mut sink: impl FnMut(&RowChunk, &[f32]) -> Result<()>,
) -> Result<u64> {
    let mut probs = Vec::new();
    score_stream_logits(scorer, stream, |chunk, logits| {
        probs.clear();
        probs.extend(logits.iter().map(|&z| sigmoid(z)));
        sink(chunk, &probs)
    })
}

/// Scores every row of `stream` with `scorer`, calling `sink` with each chunk and its logits
/// ([`Scorer::logits`]) in file order; returns the rows scored. Reading and parsing the next
/// block overlaps with scoring the current one (`rayon::join`), so at most two blocks are in
/// memory.
///
/// # Errors
///
/// The stream's errors (a bad row, with its line and column), [`Scorer::logits`]'s (a value
/// that is not finite once standardised, or a non-finite logit, with its line and column), and
/// whatever `sink` returns. The chunks before a bad row have been passed to `sink`.
pub fn score_stream_logits(
    scorer: &Scorer,
    stream: &mut RowStream,
    mut sink: impl FnMut(&RowChunk, &[f32]) -> Result<()>,
) -> Result<u64> {
    let path = stream.path().to_path_buf();
    let mut next = stream.next_chunk()?;
    while let Some(chunk) = next.take() {
        let (following, logits) = rayon::join(
            || stream.next_chunk(),
            || scorer.logits(chunk.features.view(), &path, chunk.first_row),
        );
        sink(&chunk, &logits?)?;
        next = following?;
    }
    Ok(stream.rows_read())
}

/// What [`predict_csv`] writes besides the probability.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PredictOptions {
    /// Copy this input column (e.g. a transaction id) to the output, before the probability.
    pub id_column: Option<String>,
    /// Write a `row` column, the 1-based data-row number (the row after the header is 1).
    pub row_numbers: bool,
    /// Also write a `logit` column, the model's logit `z` (`probability = σ(z)`): distinct
    /// where probabilities above about 0.99999994 round to 1, for ranking downstream.
    pub logits: bool,
}

/// What a finished [`predict_csv`] reports.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictSummary {
    /// Rows scored.
    pub rows: u64,
    /// Whether the input had the label column (it is not used, only recognised).
    pub labelled: bool,
    /// Wall-clock seconds from opening the input to the output in place.
    pub seconds: f64,
}

impl PredictSummary {
    /// Rows scored per second.
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

/// Scores `input` (CSV or gzip CSV, with a header; the label column optional) with `scorer`
/// and writes `output`: a header, then one row per input row: `row` and/or the id column if
/// asked, then `probability` (the f32 in its shortest round-trip form), then `logit` if asked.
///
/// The output is written to a temporary file beside it and renamed into place only when every
/// row has been scored: an error leaves any existing `output` untouched.
///
/// # Errors
///
/// [`Error::Config`] if `output` is `input` or an existing directory (checked before anything
/// is read), or for a bad `id_column` ([`match_columns`]);
/// [`Error::Dataset`] if the feature columns do not match the checkpoint's; the stream's
/// errors for a bad row (file, line, column); [`Error::Io`] if the output cannot be written.
pub fn predict_csv(
    scorer: &Scorer,
    meta: &CheckpointMeta,
    input: &Path,
    output: &Path,
    options: &PredictOptions,
) -> Result<PredictSummary> {
    let started = Instant::now();
    if output.is_dir() {
        return Err(Error::Config {
            name: "output",
            message: format!(
                "{} is a directory; name the file to write the scores to",
                output.display()
            ),
        });
    }
    if let (Ok(a), Ok(b)) = (input.canonicalize(), output.canonicalize())
        && a == b
    {
        return Err(Error::Config {
            name: "output",
            message: format!("{} is the input file; choose another", output.display()),
        });
    }
    let mut stream = RowStream::open(input)?;
    let layout = match_columns(input, stream.names(), meta, options.id_column.as_deref())?;
    stream.set_layout(layout);

    let tmp = AtomicFile::create(output, ".tmp")?;
    let write_error = |e: csv::Error| {
        Error::io(
            output,
            "cannot write the scores",
            std::io::Error::other(e.to_string()),
        )
    };
    let mut writer =
        csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, tmp.as_file()));
    let mut header: Vec<&str> = Vec::new();
    if options.row_numbers {
        header.push("row");
    }
    if let Some(id) = &options.id_column {
        header.push(id);
    }
    header.push("probability");
    if options.logits {
        header.push("logit");
    }
    writer.write_record(&header).map_err(write_error)?;
    let mut record: Vec<String> = Vec::with_capacity(4);
    score_stream_logits(scorer, &mut stream, |chunk, logits| {
        for (i, &z) in logits.iter().enumerate() {
            record.clear();
            if options.row_numbers {
                record.push((chunk.first_row + i as u64).to_string());
            }
            if let Some(ids) = &chunk.ids {
                record.push(ids[i].clone());
            }
            record.push(sigmoid(z).to_string());
            if options.logits {
                record.push(z.to_string());
            }
            writer.write_record(&record).map_err(write_error)?;
        }
        Ok(())
    })?;
    let mut buffered = writer.into_inner().map_err(|e| {
        Error::io(
            output,
            "cannot write the scores",
            std::io::Error::other(e.to_string()),
        )
    })?;
    buffered
        .flush()
        .map_err(|e| Error::io(output, "cannot write the scores", e))?;
    drop(buffered);
    tmp.commit()?;
    Ok(PredictSummary {
        rows: stream.rows_read(),
        labelled: layout.label.is_some(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
