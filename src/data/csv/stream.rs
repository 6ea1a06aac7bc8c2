//! [`RowStream`]: a CSV or gzip-compressed CSV file read a block of rows at a time, in constant
//! memory, with the parsing rules of [`super::read_table`] (the same code parses the rows).

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

use super::input::{Input, parse_header, read_header_line};
use super::rows::{Columns, Placement, StreamLayout, parse_block};
use crate::{Error, Result};

/// Bytes read per block: about 1,900 rows of the real file (530 bytes a row).
pub const STREAM_BLOCK_BYTES: usize = 1 << 20;

/// One block of rows, in file order.
///
/// # Shapes
///
/// `features: [rows, features]`; `labels`, `ids`: `[rows]` where the layout has them.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChunk {
    /// 1-based data-row number of the chunk's first row (the row after the header is row 1).
    pub first_row: u64,
    /// Feature values, `[rows, features]`, each a finite f32 rounded from f64.
    pub features: Array2<f32>,
    /// Labels, `[rows]`, each 0.0 or 1.0, when the layout names a label column.
    pub labels: Option<Array1<f32>>,
    /// The id column's text, `[rows]`, when the layout names one.
    pub ids: Option<Vec<String>>,
}

/// A data file read a block at a time: plain or gzip (by its magic bytes), with the header row
/// parsed up front. Memory is bounded by the block size (and the longest line), not the file.
///
/// Rows follow the rules of [`super::read_table`]: quoted or bare fields, `\n` or `\r\n`, f64
/// parsed then rounded to f32 and required finite, labels 0 or 1, blank lines only at the end.
pub struct RowStream {
    path: PathBuf,
    input: Input,
    names: Vec<String>,
    columns: Columns,
    carry: Vec<u8>,
    placement: Placement,
    block_bytes: usize,
    rows: u64,
    done: bool,
}

impl RowStream {
    /// Opens `path` and reads its header row. Until [`Self::set_layout`] is called every column
    /// is a feature.
    ///
    /// # Errors
    ///
    /// As [`super::read_table`] for the header: [`Error::Io`] if the file cannot be opened or
    /// read, [`Error::Dataset`] if it is empty or not CSV, [`Error::Data`] (line 1) for a bad
    /// header (duplicate or empty names).
    pub fn open(path: &Path) -> Result<Self> {
        let mut input = Input::open(path)?;
        let (header, carry) = read_header_line(&mut input)?;
        let names = parse_header(path, &header, 1)?;
        let columns = Columns {
            count: names.len(),
            layout: StreamLayout::default(),
        };
        Ok(Self {
            path: path.to_path_buf(),
            input,
            names,
            columns,
            carry,
            placement: Placement::default(),
            block_bytes: STREAM_BLOCK_BYTES,
            rows: 0,
            done: false,
        })
    }

    /// The header's column names without their quotes, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Data rows returned so far.
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// Sets which columns are the label and the id.
    ///
    /// # Panics
    ///
    /// If an index is out of range or both name the same column (a caller's bug: the indices
    /// come from [`Self::names`]).
    pub fn set_layout(&mut self, layout: StreamLayout) {
        for index in [layout.label, layout.id].into_iter().flatten() {
            assert!(
                index < self.names.len(),
                "RowStream::set_layout: column {index} of {}",
                self.names.len()
            );
        }
        assert!(
            layout.label.is_none() || layout.label != layout.id,
            "RowStream::set_layout: label and id are the same column"
        );
        self.columns.layout = layout;
    }

    /// Sets the bytes read per block (at least 1; tests use small blocks to cross boundaries).
    pub fn set_block_bytes(&mut self, block_bytes: usize) {
        self.block_bytes = block_bytes.max(1);
    }

    /// The next block of rows, or `None` after the last. A block holding only blank lines is
    /// skipped.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read or decompressed; [`Error::Data`] with the
    /// 1-based physical line (and the column's name where one field is at fault) for a row with
    /// the wrong number of fields, a feature that is not a finite f32, a label other than 0 or 1,
    /// or a blank line before the last row; [`Error::Dataset`] if the file has a header but no
    /// data rows. After an error the stream returns `None`.
    pub fn next_chunk(&mut self) -> Result<Option<RowChunk>> {
        while !self.done {
            let Some(block) = self.input.next_block(&mut self.carry, self.block_bytes)? else {
                self.done = true;
                if self.rows == 0 {
                    return Err(Error::Dataset {
                        path: self.path.clone(),
                        message: "has a header but no data rows".into(),
                    });
                }
                break;
            };
            let parsed = parse_block(&block, self.columns);
            drop(block);
            if let Err(fault) = self.placement.place(&parsed, self.columns) {
                self.done = true;
                return Err(Error::Data {
                    path: self.path.clone(),
                    line: fault.line,
                    column: fault.column.map(|j| self.names[j].clone()),
                    message: fault.message,
                });
            }
            let rows = parsed.rows();
            if rows == 0 {
                continue;
            }
            let (features, labels, ids) = parsed.into_parts();
            let chunk = RowChunk {
                first_row: self.rows + 1,
                features: Array2::from_shape_vec((rows, self.columns.features()), features)
                    .expect("every parsed row holds one value per feature column"),
                labels: self.columns.layout.label.map(|_| Array1::from_vec(labels)),
                ids: self.columns.layout.id.map(|_| ids),
            };
            self.rows += rows as u64;
            return Ok(Some(chunk));
        }
        Ok(None)
    }
}
