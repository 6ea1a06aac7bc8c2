//! [`read_table`]: a CSV or gzip-compressed CSV file into a [`Table`].
//!
//! The calling thread reads (and decompresses) the file in blocks of whole lines; each block is
//! parsed on the rayon pool as soon as it has been read (`rows.rs`), so decompression and
//! parsing overlap. The blocks are joined in file order at the end, and the first fault in file
//! order is the one reported, with its physical line number.

use std::path::Path;
use std::sync::Mutex;

use ndarray::{Array1, Array2};

use super::input::{Input, dataset_error, parse_header, read_header_line};
use super::rows::{BlockRows, Columns, join_blocks, parse_block};
use crate::data::{StreamLayout, Table};
use crate::{Error, Result};

/// Bytes read per block: the real file (151 MB) makes 36 blocks, enough to keep every thread busy.
const BLOCK_BYTES: usize = 4 << 20;

/// Reads a CSV file, plain or gzip-compressed, with a header row, into a [`Table`].
///
/// Mirrors the Keras example's reader, `float(v.replace('"', ""))` for each feature field and
/// `int(...)` for the label, followed by `np.array(..., dtype="float32")`: each feature is parsed
/// as an `f64` and then rounded to the nearest `f32`, so the values are bitwise those of the
/// example. `label` names the label column; `None` takes the last column. Every other column is a
/// feature, in file order.
///
/// Accepted: quoted or bare names and fields (`"0"`), `\n` or `\r\n` line endings, a UTF-8
/// byte-order mark, blank lines at the end of the file, whitespace around numbers (as `float()`
/// allows), and labels written `0`, `1`, `0.0` or `1.0`. Gzip input is recognised by its magic
/// bytes `1f 8b`, whatever the file is called, and may hold several members.
///
/// # Shapes
///
/// A file with `N` data rows and `C` columns gives `features: [N, C - 1]` and `labels: [N]`.
///
/// # Errors
///
/// - [`Error::Io`] if the file cannot be opened, read or decompressed;
/// - [`Error::Dataset`] if the file is empty, has a header but no data rows, or is not a CSV or
///   gzip-compressed CSV file (a NUL byte, invalid UTF-8 or another control character in the
///   first line);
/// - [`Error::Config`] (`label`) if no column has the name `label`; the message lists the names;
/// - [`Error::Data`] with the 1-based physical line (the header is line 1) for a bad header
///   (duplicate or empty names, fewer than two columns), a row with the wrong number of fields,
///   a blank line before the last data row, a quoted field running over a line break, and, with
///   the column's name, a feature that is not a finite `f32` (empty, not a number, NaN, ±inf,
///   beyond ±3.4e38) or a label other than 0 or 1. The first fault in file order is reported.
pub fn read_table(path: &Path, label: Option<&str>) -> Result<Table> {
    let mut input = Input::open(path)?;
    let (header, rest) = read_header_line(&mut input)?;
    let names = parse_header(path, &header, 2)?;
    let label = label_column(path, &names, label)?;
    let columns = Columns {
        count: names.len(),
        layout: StreamLayout {
            label: Some(label),
            id: None,
        },
    };
    let blocks = parse_blocks(&mut input, rest, columns)?;
    let (features, labels) = join_blocks(&blocks, columns).map_err(|fault| Error::Data {
        path: path.to_path_buf(),
        line: fault.line,
        column: fault.column.map(|j| names[j].clone()),
        message: fault.message,
    })?;
    drop(blocks);
    if labels.is_empty() {
        return Err(dataset_error(path, "has a header but no data rows"));
    }

    let rows = labels.len();
    let mut feature_names = names;
    let label_name = feature_names.remove(label);
    let features = Array2::from_shape_vec((rows, feature_names.len()), features)
        .expect("every parsed row holds one value per feature column");
    Ok(Table {
        source: path.to_path_buf(),
        feature_names,
        label_name,
        features,
        labels: Array1::from_vec(labels),
    })
}

/// Reads the rest of the file in blocks of whole lines, `carry` first, and parses each block on
/// the rayon pool while the next is read. Returns the blocks in file order.
fn parse_blocks(input: &mut Input, mut carry: Vec<u8>, columns: Columns) -> Result<Vec<BlockRows>> {
    let parsed = Mutex::new(Vec::new());
    rayon::in_place_scope(|scope| -> Result<()> {
        let mut index = 0;
        while let Some(block) = input.next_block(&mut carry, BLOCK_BYTES)? {
            let parsed = &parsed;
            scope.spawn(move |_| {
                let rows = parse_block(&block, columns);
                parsed
                    .lock()
                    .expect("no block parser panics while holding the lock")
                    .push((index, rows));
            });
            index += 1;
        }
        Ok(())
    })?;
    let mut parsed = parsed.into_inner().expect("no block parser panicked");
    parsed.sort_unstable_by_key(|&(index, _)| index);
    Ok(parsed.into_iter().map(|(_, rows)| rows).collect())
}

/// The index of the label column: the one called `label`, or the last one.
fn label_column(path: &Path, names: &[String], label: Option<&str>) -> Result<usize> {
    let Some(label) = label else {
        return Ok(names.len() - 1);
    };
    names
        .iter()
        .position(|name| name == label)
        .ok_or_else(|| Error::Config {
            name: "label",
            message: format!(
                "{} has no column named {label:?}; its columns are: {}",
                path.display(),
                names.join(", ")
            ),
        })
}
