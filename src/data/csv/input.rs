//! Opening a data file (plain or gzip, by its magic bytes), reading it in blocks of whole lines,
//! and its header row: what [`super::read_table`] and [`super::RowStream`] share.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ReaderBuilder, StringRecord};
use flate2::bufread::GzDecoder;

use crate::{Error, Result};

/// The first two bytes of every gzip member (RFC 1952, section 2.3.1).
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// The UTF-8 byte-order mark some spreadsheet programs put before the header.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
/// A first line longer than this is not a CSV header.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// An open data file, decompressed on the fly if it starts with the gzip magic bytes.
pub(super) struct Input {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    /// What a failed read means, for [`Error::Io`].
    action: &'static str,
}

impl Input {
    /// Opens `path`, recognising gzip by its magic bytes.
    pub(super) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, "cannot open data file", e))?;
        let mut file = BufReader::with_capacity(1 << 16, file);
        let start = file
            .fill_buf()
            .map_err(|e| Error::io(path, "cannot read data file", e))?;
        Ok(if start.starts_with(GZIP_MAGIC) {
            Self {
                path: path.to_path_buf(),
                // Multi-member, as `gzip -d` and Python's `gzip.open` read concatenated members.
                reader: Box::new(GzMembers::new(file)),
                action: "cannot decompress gzip data file",
            }
        } else {
            Self {
                path: path.to_path_buf(),
                reader: Box::new(file),
                action: "cannot read data file",
            }
        })
    }

    /// Appends up to `limit` bytes to `buf`, fewer only at the end of the file; returns how many.
    fn read_up_to(&mut self, buf: &mut Vec<u8>, limit: usize) -> Result<usize> {
        (&mut self.reader)
            .take(limit as u64)
            .read_to_end(buf)
            .map_err(|e| Error::io(&self.path, self.action, e))
    }

    /// Reads the next block of whole lines: `carry` (what the last call read past its last
    /// line break) first, then about `block_bytes` more, cut after the last `\n`; a line longer
    /// than a block makes the block longer. Returns `None` at the end of the file; the file's
    /// last line may lack its `\n`.
    pub(super) fn next_block(
        &mut self,
        carry: &mut Vec<u8>,
        block_bytes: usize,
    ) -> Result<Option<Vec<u8>>> {
        let mut block = std::mem::take(carry);
        block.reserve(block_bytes);
        loop {
            let at_end = self.read_up_to(&mut block, block_bytes)? < block_bytes;
            if at_end {
                return Ok((!block.is_empty()).then_some(block));
            }
            if let Some(end) = block.iter().rposition(|&b| b == b'\n') {
                *carry = block.split_off(end + 1);
                return Ok(Some(block));
            }
            // One line longer than a block: read on.
        }
    }
}

/// Gzip members one after another (RFC 1952 allows any number), as `gzip -d` reads them:
/// after the last member, the end of the file, or zero bytes to the end (padding, which `gzip`
/// and Python's `gzip` module ignore, as tape and block devices add). Any other byte after a
/// member is an error of its own, not "unexpected end of file" (a truncated member) nor
/// "invalid gzip header".
struct GzMembers<R: BufRead> {
    /// The member being decompressed; `None` once the input is done.
    current: Option<GzDecoder<R>>,
    /// Members started so far.
    members: u64,
}

impl<R: BufRead> GzMembers<R> {
    fn new(input: R) -> Self {
        Self {
            current: Some(GzDecoder::new(input)),
            members: 1,
        }
    }

    /// After a member's end: whether another member follows (`true`) or the input ends, perhaps
    /// after zero padding (`false`); an error for any other trailing byte.
    fn next_member(&mut self, mut input: R) -> std::io::Result<bool> {
        let rest = input.fill_buf()?;
        if rest.is_empty() {
            return Ok(false);
        }
        if rest[0] == GZIP_MAGIC[0] {
            self.current = Some(GzDecoder::new(input));
            self.members += 1;
            return Ok(true);
        }
        // Count the trailing bytes and whether any is not zero.
        let (mut trailing, mut first_nonzero) = (0u64, None);
        loop {
            let rest = input.fill_buf()?;
            if rest.is_empty() {
                break;
            }
            if first_nonzero.is_none()
                && let Some(i) = rest.iter().position(|&b| b != 0)
            {
                first_nonzero = Some((trailing + i as u64, rest[i]));
            }
            let n = rest.len();
            trailing += n as u64;
            input.consume(n);
        }
        match first_nonzero {
            None => Ok(false),
            Some((at, byte)) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "after gzip member {} come {trailing} byte(s) that are neither another \
                     gzip member nor zero padding (byte {at} of them is {byte:#04x}): the file \
                     holds trailing data",
                    self.members
                ),
            )),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(finished) = self.current.take() else {
                return Ok(0);
            };
            if !self.next_member(finished.into_inner())? {
                return Ok(0);
            }
        }
    }
}

/// Reads the first line (without its `\n` and any byte-order mark) and what was read after it.
pub(super) fn read_header_line(input: &mut Input) -> Result<(Vec<u8>, Vec<u8>)> {
    let path = input.path.clone();
    let path = path.as_path();
    let mut line = Vec::new();
    let mut searched = 0;
    let end = loop {
        let read = input.read_up_to(&mut line, 64 << 10)?;
        if let Some(offset) = line[searched..].iter().position(|&b| b == b'\n') {
            break Some(searched + offset);
        }
        searched = line.len();
        if read == 0 {
            break None;
        }
        if line.len() > MAX_HEADER_BYTES {
            return Err(not_csv_error(path, "its first 1 MiB holds no line break"));
        }
    };
    let mut rest = match end {
        Some(end) => {
            let rest = line.split_off(end + 1);
            line.truncate(end);
            rest
        }
        None => Vec::new(),
    };
    if line.starts_with(UTF8_BOM) {
        line.drain(..UTF8_BOM.len());
    }
    if line.trim_ascii().is_empty() {
        input.read_up_to(&mut rest, usize::MAX)?;
        return Err(if rest.iter().all(u8::is_ascii_whitespace) {
            dataset_error(
                path,
                "is empty: expected a header row and at least one data row",
            )
        } else {
            Error::Data {
                path: path.to_path_buf(),
                line: 1,
                column: None,
                message: "expected a header row of column names, found an empty line".into(),
            }
        });
    }
    Ok((line, rest))
}

/// Parses the header row (line 1) into column names without their quotes; a header of fewer
/// than `min_columns` names is an error.
pub(super) fn parse_header(path: &Path, line: &[u8], min_columns: usize) -> Result<Vec<String>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line)
        .map_err(|_| not_csv_error(path, "its first line is not UTF-8 text"))?;
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\t') {
        return Err(not_csv_error(
            path,
            &format!("its first line contains the control character {c:?}"),
        ));
    }
    let header_error = |message: String| Error::Data {
        path: path.to_path_buf(),
        line: 1,
        column: None,
        message,
    };
    if text.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        return Err(header_error(
            "the header row has an unterminated quote (column names cannot span lines)".into(),
        ));
    }
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut record = StringRecord::new();
    // Reading one line of valid UTF-8 from memory cannot fail.
    reader
        .read_record(&mut record)
        .map_err(|e| header_error(e.to_string()))?;
    let names: Vec<String> = record.iter().map(|name| name.trim().to_owned()).collect();
    // A first line of numbers only is a data row: the file lacks its header (whose names
    // would otherwise be taken from the first transaction, e.g. "duplicate column name").
    if names.len() >= 2 && names.iter().all(|n| n.parse::<f64>().is_ok()) {
        return Err(header_error(format!(
            "the first line looks like data ({}): a header row is required, naming the \
             columns (e.g. \"Time\",\"V1\",…,\"Amount\",\"Class\")",
            abbreviated_line(text)
        )));
    }

    if names.len() < min_columns {
        return Err(header_error(if min_columns == 2 {
            format!(
                "expected at least 2 columns (features and the label), found {}",
                names.len()
            )
        } else {
            format!(
                "expected at least {min_columns} columns, found {}",
                names.len()
            )
        }));
    }
    let mut seen = HashMap::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(header_error(format!("column {} has no name", j + 1)));
        }
        if let Some(first) = seen.insert(name.as_str(), j) {
            return Err(header_error(format!(
                "duplicate column name {name:?} (columns {} and {}): each name must be unique",
                first + 1,
                j + 1
            )));
        }
    }
    Ok(names)
}

/// `text`, or its first 60 characters and `…`.
fn abbreviated_line(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub(super) fn dataset_error(path: &Path, message: &str) -> Error {
    Error::Dataset {
        path: path.to_path_buf(),
        message: message.to_owned(),
    }
}

fn not_csv_error(path: &Path, why: &str) -> Error {
    dataset_error(
        path,
        &format!("is not a CSV or gzip-compressed CSV file: {why}"),
    )
}
