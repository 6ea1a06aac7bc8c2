//! Parsing data rows: one block of whole lines at a time, on any thread, then the blocks joined in
//! file order. The `csv` crate tokenises; this file checks the layout and converts the fields.

use csv::{ByteRecord, ReaderBuilder, Terminator};

/// How much of an offending field an error message quotes.
const MAX_QUOTED_CHARS: usize = 40;

/// Which columns of a data file are the label and a pass-through id; every other column is a
/// feature, in file order. [`super::read_table`] always has a label; [`super::RowStream`] may
/// have neither, either or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamLayout {
    /// Index of the label column (values 0 or 1), if the file has one; `None` for unlabelled
    /// rows (scoring new transactions).
    pub label: Option<usize>,
    /// Index of a column copied through as text (e.g. a transaction id), not parsed.
    pub id: Option<usize>,
}

/// How a data row is laid out: the header's column count and the [`StreamLayout`] of its
/// label and id columns.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    /// Fields in the header, and so in every data row.
    pub count: usize,
    /// Where the label and the id are.
    pub layout: StreamLayout,
}

impl Columns {
    /// The number of feature columns: all but the label and the id column.
    pub fn features(&self) -> usize {
        self.count
            - usize::from(self.layout.label.is_some())
            - usize::from(self.layout.id.is_some())
    }
}

/// A fault in the data rows: physical line, column index if one field is at fault, and what was
/// expected and found.
#[derive(Debug, Clone)]
pub(super) struct Fault {
    /// 1-based line of the file once [`join_blocks`] has placed it; 0-based within a block before.
    pub line: u64,
    pub column: Option<usize>,
    pub message: String,
}

/// What one block of whole lines parsed into.
#[derive(Debug, Default)]
pub(super) struct BlockRows {
    /// `[rows, features]`, row-major.
    features: Vec<f32>,
    /// `[rows]`; empty when the layout has no label column.
    labels: Vec<f32>,
    /// `[rows]`, the id column's text; empty when the layout has no id column.
    ids: Vec<String>,
    /// Data rows parsed.
    rows: usize,
    /// Line breaks in the block: how far it moves the line count on.
    line_breaks: u64,
    /// The first blank line (0-based in the block) not yet followed by a data row.
    blank: Option<u64>,
    /// The block's first fault, its line 0-based in the block.
    fault: Option<Fault>,
}

/// Parses one block of whole lines (the last block of a file may lack the final `\n`), stopping
/// at its first fault.
///
/// The reader ends records at `\n` only, so the `\r` of a CRLF line stays in the last field and
/// is trimmed with the other whitespace. It skips empty lines silently; they are found from the
/// bytes and lines each record consumed, since a blank line is allowed only after the last row.
pub(super) fn parse_block(block: &[u8], columns: Columns) -> BlockRows {
    let approx_rows = block.len() / (8 * columns.count) + 1;
    let mut out = BlockRows {
        features: Vec::with_capacity(approx_rows * columns.features()),
        labels: Vec::with_capacity(if columns.layout.label.is_some() {
            approx_rows
        } else {
            0
        }),
        ..BlockRows::default()
    };
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(block);
    let mut record = ByteRecord::new();
    // Where the search for the next record starts: byte offset and 0-based line in the block.
    let (mut byte, mut line) = (0, 0);
    loop {
        let more = reader.read_byte_record(&mut record);
        let position = reader.position();
        let (end_byte, end_line) = (position.byte() as usize, position.line() - 1);
        match more {
            Ok(true) => {}
            Ok(false) => {
                if end_line > line {
                    // Empty lines after the block's last record, which the reader skipped.
                    out.blank = out.blank.or(Some(line));
                }
                out.line_breaks = end_line;
                return out;
            }
            Err(e) => {
                // Unreachable for a flexible reader of bytes from memory; reported all the same.
                out.fault = Some(Fault {
                    line,
                    column: None,
                    message: e.to_string(),
                });
                return out;
            }
        }
        let consumed = &block[byte..end_byte];
        let skipped = consumed.iter().take_while(|&&b| b == b'\n').count() as u64;
        let row_line = line + skipped;
        let spans_lines = end_line - row_line > u64::from(consumed.last() == Some(&b'\n'));
        (byte, line) = (end_byte, end_line);

        if skipped > 0 {
            out.blank = out.blank.or(Some(row_line - skipped));
        }
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            // A line of whitespace only, e.g. the "\r" of a blank CRLF line.
            out.blank = out.blank.or(Some(row_line));
            continue;
        }
        if let Some(blank) = out.blank {
            out.fault = Some(blank_line_fault(blank, columns));
            return out;
        }
        let fault = if spans_lines {
            Err((
                None,
                "a quoted field runs over a line break (fields cannot span lines)".to_owned(),
            ))
        } else {
            parse_row(&record, columns, &mut out)
        };
        if let Err((column, message)) = fault {
            out.fault = Some(Fault {
                line: row_line,
                column,
                message,
            });
            return out;
        }
    }
}

/// Where the blocks of a file fall: the line each starts on, and a blank line waiting to be
/// followed by a row. Blocks are placed one at a time, in file order, so a streaming reader and
/// [`join_blocks`] apply the same rules.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    /// 1-based line of the next block's first line (data rows start on line 2, after the header).
    first_line: u64,
    /// A blank line (1-based) not yet followed by a data row.
    blank: Option<u64>,
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            first_line: 2,
            blank: None,
        }
    }
}

impl Placement {
    /// Places the next block: returns the 1-based line of its first line, or the first fault in
    /// file order with its 1-based line (a blank line left by an earlier block is a fault once
    /// any row follows it).
    pub(super) fn place(&mut self, block: &BlockRows, columns: Columns) -> Result<u64, Fault> {
        if let Some(line) = self.blank
            && (block.rows > 0 || block.fault.is_some())
        {
            return Err(blank_line_fault(line, columns));
        }
        if let Some(fault) = &block.fault {
            return Err(Fault {
                line: self.first_line + fault.line,
                ..fault.clone()
            });
        }
        let first_line = self.first_line;
        self.blank = self.blank.or(block.blank.map(|line| first_line + line));
        self.first_line += block.line_breaks;
        Ok(first_line)
    }
}

/// Joins the blocks, given in file order, into `(features, labels)`, or returns the first fault
/// in file order with its 1-based line number (data rows start on line 2, after the header).
pub(super) fn join_blocks(
    blocks: &[BlockRows],
    columns: Columns,
) -> Result<(Vec<f32>, Vec<f32>), Fault> {
    let mut placement = Placement::default();
    for block in blocks {
        placement.place(block, columns)?;
    }
    let rows: usize = blocks.iter().map(|block| block.rows).sum();
    let mut features = Vec::with_capacity(rows * columns.features());
    let mut labels = Vec::with_capacity(rows);
    for block in blocks {
        features.extend_from_slice(&block.features);
        labels.extend_from_slice(&block.labels);
    }
    Ok((features, labels))
}

impl BlockRows {
    /// Data rows in the block.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// Takes the block's `(features [rows·features], labels [rows or 0], ids [rows or 0])`.
    pub(super) fn into_parts(self) -> (Vec<f32>, Vec<f32>, Vec<String>) {
        (self.features, self.labels, self.ids)
    }
}

/// Parses one record into `out`, or names the column (if one) and what is wrong.
fn parse_row(
    record: &ByteRecord,
    columns: Columns,
    out: &mut BlockRows,
) -> Result<(), (Option<usize>, String)> {
    if record.len() != columns.count {
        return Err((
            None,
            format!("expected {} fields, found {}", columns.count, record.len()),
        ));
    }
    // One UTF-8 check per record; each field is then sliced out of it. (A field boundary can fall
    // inside a character, `\xC3,\xA9` → "é", hence `get` and the per-field fallback.)
    let text = std::str::from_utf8(record.as_slice()).ok();
    let mut start = 0;
    for (j, raw) in record.iter().enumerate() {
        let end = start + raw.len();
        let field = text
            .and_then(|text| text.get(start..end))
            .or_else(|| std::str::from_utf8(raw).ok());
        start = end;
        if columns.layout.id == Some(j) {
            out.ids.push(String::from_utf8_lossy(raw).trim().to_owned());
        } else if columns.layout.label == Some(j) {
            let label = field.and_then(parse_label).ok_or_else(|| {
                let found = quote_field(raw);
                (
                    Some(j),
                    format!("expected a class label 0 or 1, found {found}"),
                )
            })?;
            out.labels.push(label);
        } else {
            let value = field.and_then(parse_feature).ok_or_else(|| {
                let found = quote_field(raw);
                (Some(j), format!("expected a finite number, found {found}"))
            })?;
            out.features.push(value);
        }
    }
    out.rows += 1;
    Ok(())
}

/// A feature as Python's `float()` reads it (surrounding whitespace allowed), rounded to the
/// nearest `f32` as `np.array(..., dtype="float32")` does; `None` unless the result is finite.
fn parse_feature(field: &str) -> Option<f32> {
    let value = field.trim_ascii().parse::<f64>().ok()? as f32;
    value.is_finite().then_some(value)
}

/// A class label: any number equal to 0 or 1 (`0`, `1`, `0.0`, `1.0`, …).
fn parse_label(field: &str) -> Option<f32> {
    match field.trim_ascii() {
        "0" => Some(0.0),
        "1" => Some(1.0),
        other => {
            let value = other.parse::<f64>().ok()?;
            (value == 0.0 || value == 1.0).then_some(value.abs() as f32)
        }
    }
}

/// A field as it appears in messages: in double quotes, escaped, cut after a few dozen characters.
fn quote_field(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    let more = if chars.next().is_some() { "…" } else { "" };
    format!("{shown:?}{more}")
}

fn blank_line_fault(line: u64, columns: Columns) -> Fault {
    Fault {
        line,
        column: None,
        message: format!(
            "expected {} fields, found an empty line (blank lines are allowed only at the end)",
            columns.count
        ),
    }
}

#[cfg(test)]
mod tests {
    //! Joining blocks: what happens at block boundaries, which whole-file tests cannot aim at.

    use super::*;

    const COLUMNS: Columns = Columns {
        count: 2,
        layout: StreamLayout {
            label: Some(1),
            id: None,
        },
    };

    fn join(blocks: &[&str]) -> Result<(Vec<f32>, Vec<f32>), Fault> {
        let parsed: Vec<BlockRows> = blocks
            .iter()
            .map(|block| parse_block(block.as_bytes(), COLUMNS))
            .collect();
        join_blocks(&parsed, COLUMNS)
    }

    fn fault_line(blocks: &[&str]) -> u64 {
        join(blocks).expect_err("the blocks hold a fault").line
    }

    #[test]
    fn rows_of_all_blocks_in_order() {
        let (features, labels) = join(&["1,0\n2,1\n", "3,0\n", "4,1"]).unwrap();
        assert_eq!(features, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(labels, [0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn line_numbers_count_earlier_blocks() {
        // Data starts on line 2; the bad row is the 2nd line of the 3rd block: 2 + 2 + 1 + 1.
        let fault = join(&["1,0\n2,1\n", "3,0\n", "4,1\n5\n"]).unwrap_err();
        assert_eq!(fault.line, 6);
        assert_eq!(fault.message, "expected 2 fields, found 1");
    }

    #[test]
    fn first_fault_in_file_order_wins() {
        let fault = join(&["1,0\nx,1\n", "2,7\n"]).unwrap_err();
        assert_eq!((fault.line, fault.column), (3, Some(0)));
    }

    #[test]
    fn blank_line_ending_a_block_before_more_rows() {
        assert_eq!(fault_line(&["1,0\n\n", "2,1\n"]), 3);
        assert_eq!(fault_line(&["1,0\n\r\n", "2,1\n"]), 3);
    }

    #[test]
    fn block_of_blank_lines_before_more_rows() {
        assert_eq!(fault_line(&["1,0\n", "\n\n", "2,1\n"]), 3);
    }

    #[test]
    fn blank_line_starting_a_block() {
        assert_eq!(fault_line(&["1,0\n", "\n2,1\n"]), 3);
        assert_eq!(fault_line(&["1,0\n", "  \n2,1\n"]), 3);
    }

    #[test]
    fn blank_lines_inside_a_block() {
        assert_eq!(fault_line(&["1,0\n2,1\n\n\n3,0\n"]), 4);
        assert_eq!(fault_line(&["1,0\r\n\r\n2,1\r\n"]), 3);
    }

    #[test]
    fn blank_lines_at_the_end_are_allowed() {
        let (_, labels) = join(&["1,0\n", "2,1\n\n", "\n\r\n"]).unwrap();
        assert_eq!(labels, [0.0, 1.0]);
    }

    #[test]
    fn blank_line_before_a_bad_row_is_reported_first() {
        assert_eq!(fault_line(&["1,0\n", "\nx,1\n"]), 3);
    }

    #[test]
    fn quoted_field_over_a_line_break() {
        let fault = join(&["1,0\n\"2\n\",1\n3,0\n"]).unwrap_err();
        assert_eq!(fault.line, 3);
        assert!(fault.message.contains("line break"), "{}", fault.message);
    }
}
