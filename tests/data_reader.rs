//! `read_table` on small files written to a temporary directory: the accepted variants of the
//! format, and one test per rejected input with the message it must give.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use fraudnet::Error;
use fraudnet::data::{Table, read_table};
use tempfile::TempDir;

/// The real file's layout in miniature: quoted names, bare numbers, quoted labels.
const SMALL: &str = "\"Time\",\"V1\",\"Amount\",\"Class\"\n\
                     0,-1.3598071336738,149.62,\"0\"\n\
                     1,2.5,3,\"1\"\n";

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes `bytes` to `data.csv` in a fresh directory and reads it, the label the last column.
fn read(bytes: impl AsRef<[u8]>) -> fraudnet::Result<Table> {
    let dir = TempDir::new().unwrap();
    read_table(&write(&dir, "data.csv", bytes.as_ref()), None)
}

/// The `Error::Data` that reading `bytes` must give: `(line, column, message)`.
fn data_error(bytes: impl AsRef<[u8]>) -> (u64, Option<String>, String) {
    match read(bytes) {
        Err(Error::Data {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected Error::Data, got {other:?}"),
    }
}

/// The message of the `Error::Dataset` that reading `bytes` must give.
fn dataset_error(bytes: impl AsRef<[u8]>) -> String {
    match read(bytes) {
        Err(Error::Dataset { message, .. }) => message,
        other => panic!("expected Error::Dataset, got {other:?}"),
    }
}

fn assert_small_table(table: &Table) {
    assert_eq!(table.feature_names, ["Time", "V1", "Amount"]);
    assert_eq!(table.label_name, "Class");
    assert_eq!(table.features.shape(), [2, 3]);
    assert_eq!(
        table.features.as_slice().unwrap(),
        [0.0, -1.3598071336738_f64 as f32, 149.62, 1.0, 2.5, 3.0]
    );
    assert_eq!(table.labels.as_slice().unwrap(), [0.0, 1.0]);
    assert_eq!((table.rows(), table.positives()), (2, 1));
}

// ---- accepted input -------------------------------------------------------------------------

#[test]
fn quoted_header_and_labels() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "data.csv", SMALL.as_bytes());
    let table = read_table(&path, None).unwrap();
    assert_small_table(&table);
    assert_eq!(table.source, path);
}

#[test]
fn crlf_line_endings() {
    let crlf = SMALL.replace('\n', "\r\n");
    assert_small_table(&read(&crlf).unwrap());
    assert_small_table(&read(crlf + "\r\n").unwrap());
}

#[test]
fn byte_order_mark_is_stripped() {
    let table = read([b"\xef\xbb\xbf", SMALL.as_bytes()].concat()).unwrap();
    assert_eq!(table.feature_names[0], "Time");
    assert_small_table(&table);
}

#[test]
fn gzip_is_recognised_by_its_magic_bytes_not_its_name() {
    let dir = TempDir::new().unwrap();
    let compressed = gzip(SMALL.as_bytes());
    for name in ["data.csv", "data.csv.gz", "data"] {
        assert_small_table(&read_table(&write(&dir, name, &compressed), None).unwrap());
    }
    // A plain file called .gz is read as plain text.
    assert_small_table(&read_table(&write(&dir, "plain.gz", SMALL.as_bytes()), None).unwrap());
}

#[test]
fn gzip_with_several_members() {
    let (head, tail) = SMALL.split_at(SMALL.find("1,2.5").unwrap());
    let two_members = [gzip(head.as_bytes()), gzip(tail.as_bytes())].concat();
    assert_small_table(&read(two_members).unwrap());
}

#[test]
fn trailing_blank_lines_and_missing_final_newline() {
    assert_small_table(&read(format!("{SMALL}\n")).unwrap());
    assert_small_table(&read(format!("{SMALL}\n\n")).unwrap());
    assert_small_table(&read(SMALL.trim_end()).unwrap());
}

#[test]
fn label_column_chosen_by_name() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "data.csv", b"a,y,b\n1,0,2\n3,1,4\n");
    let table = read_table(&path, Some("y")).unwrap();
    assert_eq!(table.feature_names, ["a", "b"]);
    assert_eq!(table.label_name, "y");
    assert_eq!(table.features.as_slice().unwrap(), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(table.labels.as_slice().unwrap(), [0.0, 1.0]);
}

#[test]
fn label_spellings() {
    let table = read("x,y\n1,0.0\n2,1.0\n3, 1 \n4,\"0\"\n5,1e0\n").unwrap();
    assert_eq!(table.labels.as_slice().unwrap(), [0.0, 1.0, 1.0, 0.0, 1.0]);
}

#[test]
fn numbers_as_python_float_reads_them() {
    let table = read("x,y\n\" 1.5 \",0\n+2,0\n.5,0\n-3.,0\n1E-3,0\n").unwrap();
    assert_eq!(
        table.features.as_slice().unwrap(),
        [1.5, 2.0, 0.5, -3.0, 0.001]
    );
}

#[test]
fn features_are_rounded_through_f64_like_numpy() {
    // Just above the midpoint between 1 and the next f32: rounding the decimal straight to f32
    // gives 1.0000001, but `float()` gives exactly the midpoint, and float32 then rounds it to
    // even, 1.0. The Keras example (and so this reader) takes the second path.
    let table = read("x,y\n1.00000005960464477539062500000001,0\n16777217,0\n3.4e38,0\n").unwrap();
    assert_eq!(
        table.features.as_slice().unwrap(),
        [1.0, 16_777_216.0, 3.4e38]
    );
}

// ---- rejected input -------------------------------------------------------------------------

#[test]
fn missing_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("absent.csv");
    let error = read_table(&path, None).unwrap_err();
    assert!(
        matches!(&error, Error::Io { action: "cannot open data file", path: p, .. } if p == &path),
        "{error:?}"
    );
    assert!(error.to_string().contains("absent.csv"), "{error}");
}

#[test]
fn binary_file_is_not_csv() {
    for bytes in [
        &b"\x00\x01\x02\x03\xff\xfe\n\x00"[..],
        b"Time,V\xff1,Class\n1,2,0\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    ] {
        let message = dataset_error(bytes);
        assert!(
            message.contains("is not a CSV or gzip-compressed CSV file"),
            "{message}"
        );
    }
    let message = dataset_error(gzip(b"\x7fELF\x02\x01\x01\x00\x00\x00"));
    assert!(message.contains("not a CSV"), "{message}");
}

#[test]
fn damaged_gzip() {
    let compressed = gzip(SMALL.as_bytes());
    let error = read(&compressed[..compressed.len() - 12]).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Io {
                action: "cannot decompress gzip data file",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn empty_file() {
    for bytes in [&b""[..], b"\n\n", b"\xef\xbb\xbf", b" \r\n"] {
        assert_eq!(
            dataset_error(bytes),
            "is empty: expected a header row and at least one data row"
        );
    }
    assert_eq!(
        dataset_error(gzip(b"")),
        "is empty: expected a header row and at least one data row"
    );
}

#[test]
fn header_only() {
    for text in ["a,b\n", "a,b", "a,b\n\n", "a,b\r\n"] {
        assert_eq!(dataset_error(text), "has a header but no data rows");
    }
}

#[test]
fn blank_first_line() {
    let (line, column, message) = data_error("\na,b\n1,0\n");
    assert_eq!((line, column), (1, None));
    assert_eq!(
        message,
        "expected a header row of column names, found an empty line"
    );
}

#[test]
fn wrong_field_count() {
    let (line, column, message) = data_error(SMALL.to_owned() + "2,3,\"0\"\n");
    assert_eq!((line, column), (4, None));
    assert_eq!(message, "expected 4 fields, found 3");
    let (line, _, message) = data_error("a,b\n1,0\n1,0,5\n");
    assert_eq!(line, 3);
    assert_eq!(message, "expected 2 fields, found 3");
}

#[test]
fn error_display_names_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "data.csv",
        b"\"Time\",\"V1\",\"Class\"\n0,1,0\n1,abc,0\n",
    );
    let error = read_table(&path, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}:3: column \"V1\": expected a finite number, found \"abc\"",
            path.display()
        )
    );
}

#[test]
fn non_numeric_feature() {
    let (line, column, message) = data_error("Time,V1,Class\n0,1,0\n1,abc,0\n");
    assert_eq!((line, column.as_deref()), (3, Some("V1")));
    assert_eq!(message, "expected a finite number, found \"abc\"");
}

#[test]
fn empty_feature() {
    let (line, column, message) = data_error("Time,V1,Class\n0,,0\n");
    assert_eq!((line, column.as_deref()), (2, Some("V1")));
    assert_eq!(message, "expected a finite number, found \"\"");
}

#[test]
fn not_finite_features() {
    for value in [
        "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e39",
    ] {
        let (line, column, message) = data_error(format!("Time,V1,Class\n0,1,0\n1,{value},0\n"));
        assert_eq!((line, column.as_deref()), (3, Some("V1")), "{value}");
        assert_eq!(
            message,
            format!("expected a finite number, found {value:?}"),
            "{value}"
        );
    }
}

#[test]
fn field_that_is_not_utf8() {
    let (line, column, message) = data_error(b"a,b,y\n1,2\xff,0\n");
    assert_eq!((line, column.as_deref()), (2, Some("b")));
    assert_eq!(message, "expected a finite number, found \"2\u{fffd}\"");
}

#[test]
fn long_field_is_cut_in_the_message() {
    let (_, _, message) = data_error(format!("a,y\n{},0\n", "x".repeat(100)));
    assert_eq!(
        message,
        format!("expected a finite number, found \"{}\"…", "x".repeat(40))
    );
}

#[test]
fn label_other_than_0_or_1() {
    let (line, column, message) = data_error("Time,V1,Class\n0,1,\"0\"\n1,2,\"2\"\n");
    assert_eq!((line, column.as_deref()), (3, Some("Class")));
    assert_eq!(message, "expected a class label 0 or 1, found \"2\"");
    for label in ["0.5", "-1", "yes", "", "nan"] {
        let (_, column, message) = data_error(format!("x,Class\n1,{label}\n"));
        assert_eq!(column.as_deref(), Some("Class"));
        assert_eq!(
            message,
            format!("expected a class label 0 or 1, found {label:?}")
        );
    }
}

#[test]
fn unknown_label_name() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "data.csv", SMALL.as_bytes());
    match read_table(&path, Some("Fraud")) {
        Err(Error::Config { name, message }) => {
            assert_eq!(name, "label");
            assert!(message.contains("\"Fraud\""), "{message}");
            assert!(message.contains("Time, V1, Amount, Class"), "{message}");
        }
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

#[test]
fn duplicate_header_name() {
    let (line, _, message) = data_error("Time,V1,V2,V1,Class\n0,1,2,3,0\n");
    assert_eq!(line, 1);
    assert!(
        message.contains("duplicate column name \"V1\""),
        "{message}"
    );
    assert!(message.contains("columns 2 and 4"), "{message}");
}

#[test]
fn header_with_an_empty_name_or_one_column() {
    assert_eq!(data_error("a,,y\n1,2,0\n").2, "column 2 has no name");
    assert_eq!(
        data_error("y\n0\n").2,
        "expected at least 2 columns (features and the label), found 1"
    );
}

#[test]
fn blank_line_between_rows() {
    let (line, column, message) = data_error("a,y\n1,0\n\n2,1\n");
    assert_eq!((line, column), (3, None));
    assert_eq!(
        message,
        "expected 2 fields, found an empty line (blank lines are allowed only at the end)"
    );
    assert_eq!(data_error("a,y\r\n1,0\r\n\r\n2,1\r\n").0, 3);
    assert_eq!(data_error("a,y\n\n1,0\n").0, 2);
}

#[test]
fn quoted_field_spanning_lines() {
    let (line, _, message) = data_error("a,y\n1,0\n\"2\n3\",1\n4,0\n");
    assert_eq!(line, 3);
    assert_eq!(
        message,
        "a quoted field runs over a line break (fields cannot span lines)"
    );
}

// ---- a file of many blocks ------------------------------------------------------------------

/// `rows` rows of `"i,i/2,label"` with a label 1 every 7th row: about 20 bytes a row, so
/// 600,000 rows make 11 MB, several of the reader's blocks.
fn many_rows(rows: usize) -> String {
    let mut text = String::from("\"i\",\"half\",\"Class\"\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{i},{},\"{}\"\n",
            i as f64 / 2.0,
            u8::from(i % 7 == 0)
        ));
    }
    text
}

#[test]
fn many_blocks_are_joined_in_order() {
    let rows = 600_000;
    let text = many_rows(rows);
    assert!(
        text.len() > 2 * (4 << 20),
        "the file must span several blocks"
    );
    for bytes in [text.as_bytes().to_vec(), gzip(text.as_bytes())] {
        let table = read(bytes).unwrap();
        assert_eq!(table.features.shape(), [rows, 2]);
        for i in (0..rows).step_by(997).chain([rows - 1]) {
            assert_eq!(table.features[[i, 0]], i as f32, "row {i}");
            assert_eq!(table.features[[i, 1]], (i as f64 / 2.0) as f32, "row {i}");
            assert_eq!(table.labels[i], f32::from(u8::from(i % 7 == 0)), "row {i}");
        }
        assert_eq!(table.positives(), rows.div_ceil(7));
    }
}

#[test]
fn first_error_in_file_order_with_its_line_in_a_late_block() {
    let mut lines: Vec<String> = many_rows(600_000).lines().map(str::to_owned).collect();
    // Line numbers are 1-based with the header on line 1, so row i is on line i + 2.
    lines[300_001] = "299999,1".into(); // line 300,002: too few fields
    lines[550_001] = "x,1,0".into(); // a later fault, not the one reported
    let (line, column, message) = data_error(lines.join("\n"));
    assert_eq!((line, column), (300_002, None));
    assert_eq!(message, "expected 3 fields, found 2");
}

#[test]
fn path_is_reported_as_given() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "bad.csv", b"a,y\n1,2\n");
    match read_table(Path::new(&path), None) {
        Err(Error::Data { path: reported, .. }) => assert_eq!(reported, path),
        other => panic!("expected Error::Data, got {other:?}"),
    }
}
