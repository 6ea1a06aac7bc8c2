//! The bad-input corpus, `tests/bad_inputs/`: small CSV files and checkpoints, each with its
//! expected outcome in one table — accepted with exactly the values of the clean equivalent
//! (`clean.csv`, `ckpt_ok.safetensors`), or rejected with an error naming the line and field
//! where there is one. Every file in the directory must be in the table, so a file added
//! without an expectation (a fuzzer's find, say) fails the test until it is given one.
//!
//! The files were written by `regenerate_corpus` below (run it with `cargo test --release
//! --test bad_inputs -- --ignored regenerate_corpus` after a deliberate format change); the
//! fuzzers' finds (`fuzz-*`) are copied in from `fuzz/artifacts/` by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use fraudnet::Error;
use fraudnet::checkpoint::{self, CheckpointMeta};
use fraudnet::data::{self, RowStream, StreamLayout, Table};
use fraudnet::metrics::EpochMetrics;
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};
use safetensors::tensor::{Dtype, SafeTensors};

/// What reading a CSV file must give.
enum Csv {
    /// Accepted, with exactly the names, features and labels of `clean.csv`.
    Clean,
    /// Rejected: `Error::Data` on this 1-based line (the header is line 1) and, where one
    /// field is at fault, this column; the message holds every fragment.
    Line(u64, Option<&'static str>, &'static [&'static str]),
    /// Rejected as a whole file (`Error::Dataset`, `Error::Io`): the message holds every
    /// fragment.
    File(&'static [&'static str]),
}

use Csv::{Clean, File, Line};

/// Every CSV file of the corpus and what reading it must give.
const CSV_CASES: &[(&str, Csv)] = &[
    // Accepted: the clean file in every harmless disguise.
    ("clean.csv", Clean),
    ("clean.csv.gz", Clean),
    ("gzip_two_members.csv.gz", Clean),
    ("gzip_named_plain.csv", Clean),
    ("bom.csv", Clean),
    ("crlf.csv", Clean),
    ("bom_crlf.csv", Clean),
    ("mixed_line_endings.csv", Clean),
    ("no_final_newline.csv", Clean),
    ("trailing_blank_lines.csv", Clean),
    ("trailing_blank_crlf_lines.csv", Clean),
    ("trailing_whitespace_lines.csv", Clean),
    ("all_quoted.csv", Clean),
    ("nothing_quoted.csv", Clean),
    ("spaces_around_fields.csv", Clean),
    ("labels_as_floats.csv", Clean),
    ("other_number_forms.csv", Clean),
    ("very_long_line.csv", Clean),
    // Rejected on a line, naming the field where one is at fault.
    (
        "missing_field.csv",
        Line(3, None, &["expected 4 fields, found 3"]),
    ),
    (
        "extra_field.csv",
        Line(4, None, &["expected 4 fields, found 5"]),
    ),
    (
        "trailing_comma.csv",
        Line(2, None, &["expected 4 fields, found 5"]),
    ),
    (
        "empty_field.csv",
        Line(3, Some("V1"), &["expected a finite number, found \"\""]),
    ),
    (
        "nan.csv",
        Line(3, Some("V1"), &["expected a finite number, found \"NaN\""]),
    ),
    ("inf.csv", Line(4, Some("Amount"), &["found \"inf\""])),
    (
        "neg_infinity.csv",
        Line(2, Some("Amount"), &["found \"-Infinity\""]),
    ),
    (
        "overflow_1e400.csv",
        Line(5, Some("V1"), &["found \"1e400\""]),
    ),
    (
        "beyond_f32.csv",
        Line(3, Some("Amount"), &["found \"3.5e38\""]),
    ),
    (
        "non_utf8_field.csv",
        Line(
            3,
            Some("V1"),
            &["expected a finite number, found \"1.19\u{FFFD}\""],
        ),
    ),
    (
        "nul_in_field.csv",
        Line(2, Some("Amount"), &["expected a finite number"]),
    ),
    (
        "decimal_comma.csv",
        Line(2, Some("V1"), &["found \"-1,3598071336738\""]),
    ),
    (
        "hex_float.csv",
        Line(3, Some("Amount"), &["found \"0x1p3\""]),
    ),
    (
        "underscore_digits.csv",
        Line(5, Some("Time"), &["found \"4_06\""]),
    ),
    (
        "long_garbage_field.csv",
        Line(
            4,
            Some("Amount"),
            &["found \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"…"],
        ),
    ),
    (
        "label_2.csv",
        Line(
            3,
            Some("Class"),
            &["expected a class label 0 or 1, found \"2\""],
        ),
    ),
    (
        "label_minus_1.csv",
        Line(4, Some("Class"), &["found \"-1\""]),
    ),
    ("label_half.csv", Line(2, Some("Class"), &["found \"0.5\""])),
    ("label_text.csv", Line(5, Some("Class"), &["found \"yes\""])),
    ("label_empty.csv", Line(3, Some("Class"), &["found \"\""])),
    ("label_nan.csv", Line(2, Some("Class"), &["found \"nan\""])),
    (
        "blank_line_in_middle.csv",
        Line(4, None, &["found an empty line", "only at the end"]),
    ),
    (
        "quote_spans_lines.csv",
        Line(3, None, &["runs over a line break"]),
    ),
    (
        "duplicate_header.csv",
        Line(1, None, &["duplicate column name \"V1\" (columns 2 and 3)"]),
    ),
    (
        "empty_header_name.csv",
        Line(1, None, &["column 2 has no name"]),
    ),
    (
        "one_column.csv",
        Line(1, None, &["expected at least 2 columns", "found 1"]),
    ),
    (
        "semicolon_separated.csv",
        Line(1, None, &["expected at least 2 columns", "found 1"]),
    ),
    (
        "unterminated_header_quote.csv",
        Line(1, None, &["unterminated quote"]),
    ),
    (
        "header_row_is_data.csv",
        Line(
            3,
            Some("Time"),
            &["expected a finite number, found \"Time\""],
        ),
    ),
    // Rejected as a whole.
    ("empty.csv", File(&["is empty"])),
    ("whitespace_only.csv", File(&["is empty"])),
    ("header_only.csv", File(&["has a header but no data rows"])),
    (
        "header_then_blank_lines.csv",
        File(&["has a header but no data rows"]),
    ),
    ("non_utf8_header.csv", File(&["not a CSV", "not UTF-8"])),
    ("binary.csv", File(&["not a CSV", "control character"])),
    ("truncated.csv.gz", File(&["gzip"])),
    ("gzip_zero_padding.csv.gz", Clean),
    ("gzip_two_members_zero_padding.csv.gz", Clean),
    (
        "gzip_trailing_text.csv.gz",
        File(&[
            "after gzip member 1 come 6 byte(s) that are neither another gzip member nor zero \
             padding (byte 0 of them is 0x68): the file holds trailing data",
        ]),
    ),
    (
        "gzip_zero_padding_then_text.csv.gz",
        File(&[
            "after gzip member 1 come 101 byte(s)",
            "(byte 100 of them is 0x78)",
        ]),
    ),
    ("gzip_trailing_bad_member.csv.gz", File(&["gzip"])),
    (
        "no_header.csv",
        Line(
            1,
            None,
            &[
                "the first line looks like data (0,-1.3598071336738,149.62,\"0\"): a header row is \
               required",
            ],
        ),
    ),
    (
        "no_header_unquoted.csv",
        Line(
            1,
            None,
            &["the first line looks like data", "a header row is required"],
        ),
    ),
];

/// What loading a checkpoint must give: `None` for accepted (with the weights of
/// `ckpt_ok.safetensors`), else fragments of the `Error::Checkpoint` message.
const CHECKPOINT_CASES: &[(&str, Option<&[&str]>)] = &[
    ("ckpt_ok.safetensors", None),
    ("ckpt_f64_tensors.safetensors", None),
    (
        "ckpt_empty.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_7_bytes.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_header_size_absurd.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_header_size_beyond_file.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_header_not_json.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_truncated_header.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_truncated_data.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_bad_offsets.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_is_csv.safetensors",
        Some(&["not a valid safetensors file"]),
    ),
    (
        "ckpt_no_metadata.safetensors",
        Some(&["not a fraudnet checkpoint", "no \"fraudnet\" entry"]),
    ),
    (
        "ckpt_metadata_not_json.safetensors",
        Some(&["metadata \"fraudnet\" is not valid JSON"]),
    ),
    (
        "ckpt_wrong_format.safetensors",
        Some(&["not a fraudnet checkpoint", "\"keras\""]),
    ),
    (
        "ckpt_version_4.safetensors",
        Some(&["format version 4", "reads versions 1 to 3"]),
    ),
    (
        "ckpt_ema_missing.safetensors",
        Some(&["tensor \"ema/dense/kernel\" is missing"]),
    ),
    (
        "ckpt_ema_momentum_1.safetensors",
        Some(&["metadata field ema_momentum is 1, outside [0, 1)"]),
    ),
    (
        "ckpt_test_fraction_0_8.safetensors",
        Some(&["metadata field test_fraction is 0.8"]),
    ),
    (
        "ckpt_version_string.safetensors",
        Some(&["format version \"1\""]),
    ),
    (
        "ckpt_missing_field.safetensors",
        Some(&["not valid", "missing field `seed`"]),
    ),
    (
        "ckpt_field_wrong_type.safetensors",
        Some(&["not valid", "invalid type"]),
    ),
    (
        "ckpt_missing_tensor.safetensors",
        Some(&["tensor \"dense/bias\" is missing"]),
    ),
    (
        "ckpt_missing_moment.safetensors",
        Some(&["tensor \"optimizer/v/dense_1/kernel\" is missing"]),
    ),
    (
        "ckpt_missing_iterations.safetensors",
        Some(&["tensor \"optimizer/iterations\" is missing"]),
    ),
    (
        "ckpt_extra_tensor.safetensors",
        Some(&["unexpected tensors", "\"dense_2/kernel\""]),
    ),
    (
        "ckpt_wrong_shape.safetensors",
        Some(&["tensor \"dense/kernel\" has shape [4, 3], expected [3, 4]"]),
    ),
    (
        "ckpt_dtype_i32.safetensors",
        Some(&["tensor \"dense/kernel\" has dtype I32, expected F32 or F64"]),
    ),
    (
        "ckpt_dtype_f16.safetensors",
        Some(&["tensor \"dense/bias\" has dtype F16"]),
    ),
    (
        "ckpt_iterations_f32.safetensors",
        Some(&["\"optimizer/iterations\" is F32 []", "expected I64 []"]),
    ),
    (
        "ckpt_iterations_negative.safetensors",
        Some(&["\"optimizer/iterations\" is -5"]),
    ),
    (
        "ckpt_nan_weight.safetensors",
        Some(&["tensor \"dense/kernel\" holds a non-finite value (NaN) at flat index 5"]),
    ),
    (
        "ckpt_inf_moment.safetensors",
        Some(&["tensor \"optimizer/m/dense/bias\" holds a non-finite value (inf)"]),
    ),
    (
        "ckpt_f64_beyond_f32.safetensors",
        Some(&["tensor \"dense_1/bias\" holds a non-finite value"]),
    ),
    (
        "ckpt_architecture_absurd.safetensors",
        Some(&["larger than the file could hold"]),
    ),
    (
        "ckpt_architecture_overflow.safetensors",
        Some(&["larger than the file could hold"]),
    ),
    (
        "ckpt_dropout_rate_1_5.safetensors",
        Some(&["cannot build", "rate 1.5 is outside [0, 1)"]),
    ),
    (
        "ckpt_no_output_layer.safetensors",
        Some(&["cannot build", "the last layer must be a Dense layer"]),
    ),
    (
        "ckpt_zero_units.safetensors",
        Some(&["cannot build", "at least 1 unit"]),
    ),
    (
        "ckpt_zero_inputs.safetensors",
        Some(&["cannot build", "at least one input"]),
    ),
    (
        "ckpt_mean_too_short.safetensors",
        Some(&["mean (2) and std (3) do not have one value per input (3)"]),
    ),
    (
        "ckpt_feature_names_too_many.safetensors",
        Some(&["4 feature names for 3 inputs"]),
    ),
    ("ckpt_epoch_0.safetensors", Some(&["epoch 0"])),
    (
        "ckpt_bad_rng_position.safetensors",
        Some(&["dropout_rng_position is \"abc\""]),
    ),
    (
        "ckpt_std_all_zero.safetensors",
        Some(&["metadata field std is 0 for all 3 features: every row would get the same score"]),
    ),
    (
        "ckpt_std_negative.safetensors",
        Some(&["metadata field std[1] (feature \"V1\") is -1.5e0, negative"]),
    ),
    (
        "ckpt_std_subnormal.safetensors",
        Some(&["metadata field std[2] (feature \"Amount\")", "subnormal"]),
    ),
    (
        "ckpt_std_beyond_f32.safetensors",
        Some(&["metadata field std[0] (feature \"Time\") is inf, not finite"]),
    ),
    (
        "ckpt_std_null.safetensors",
        Some(&["metadata \"fraudnet\" is not valid", "invalid type: null"]),
    ),
    (
        "ckpt_mean_beyond_f32.safetensors",
        Some(&["metadata field mean[2] (feature \"Amount\") is -inf, expected a finite number"]),
    ),
    (
        "ckpt_mean_nan_token.safetensors",
        Some(&["metadata \"fraudnet\" is not valid JSON"]),
    ),
    (
        "ckpt_class_weight_zero.safetensors",
        Some(&["metadata field class_weight[1] is 0e0, expected a finite positive number"]),
    ),
    (
        "ckpt_class_weight_negative.safetensors",
        Some(&["metadata field class_weight[0] is -5e-1"]),
    ),
    (
        "ckpt_class_weight_1e999.safetensors",
        Some(&["metadata \"fraudnet\" is not valid JSON"]),
    ),
    (
        "ckpt_val_fraction_1.safetensors",
        Some(&["metadata field val_fraction is 1, outside (0, 1)"]),
    ),
    (
        "ckpt_val_fraction_0.safetensors",
        Some(&["metadata field val_fraction is 0, outside (0, 1)"]),
    ),
    (
        "ckpt_val_fraction_negative.safetensors",
        Some(&["metadata field val_fraction is -0.2, outside (0, 1)"]),
    ),
    (
        "ckpt_learning_rate_zero.safetensors",
        Some(&["metadata field adam.learning_rate is 0e0"]),
    ),
    (
        "ckpt_beta_1_one.safetensors",
        Some(&["metadata field adam.beta_1 is 1, outside [0, 1)"]),
    ),
];

/// Files in the corpus directory that are not inputs.
const NOT_INPUTS: &[&str] = &["README.md", ".gitattributes"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

/// The table as read by [`RowStream`] (label: the last column), in blocks of `block_bytes`.
fn stream_table(path: &Path, block_bytes: usize) -> fraudnet::Result<(Vec<f32>, Vec<f32>)> {
    let mut stream = RowStream::open(path)?;
    let label = stream.names().len() - 1;
    stream.set_layout(StreamLayout {
        label: Some(label),
        id: None,
    });
    stream.set_block_bytes(block_bytes);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while let Some(chunk) = stream.next_chunk()? {
        features.extend(chunk.features.iter().copied());
        labels.extend(chunk.labels.expect("a label column").iter().copied());
    }
    Ok((features, labels))
}

fn bits(values: impl IntoIterator<Item = f32>) -> Vec<u32> {
    values.into_iter().map(f32::to_bits).collect()
}

/// Checks one CSV case against both readers; returns what is wrong.
fn check_csv(name: &str, expect: &Csv, clean: &Table) -> Result<(), String> {
    let path = corpus().join(name);
    let read = data::read_table(&path, None);
    // The streaming reader must agree, also with blocks small enough to split every line;
    // it reads files of one column too (all features, for scoring), so those are left out.
    let one_column = matches!(&read, Err(e) if e.to_string().contains("at least 2 columns"));
    for block_bytes in [7, 1 << 20].into_iter().filter(|_| !one_column) {
        let streamed = stream_table(&path, block_bytes);
        match (&read, &streamed) {
            (Ok(table), Ok((features, labels))) => {
                if bits(table.features.iter().copied()) != bits(features.iter().copied())
                    || bits(table.labels.iter().copied()) != bits(labels.iter().copied())
                {
                    return Err(format!(
                        "RowStream ({block_bytes}-byte blocks) reads other values"
                    ));
                }
            }
            (Err(a), Err(b)) if a.to_string() == b.to_string() => {}
            (a, b) => {
                return Err(format!(
                    "read_table and RowStream ({block_bytes}-byte blocks) disagree: {:?} vs {:?}",
                    a.as_ref().map(|_| "ok").map_err(|e| e.to_string()),
                    b.as_ref().map(|_| "ok").map_err(|e| e.to_string())
                ));
            }
        }
    }
    match (expect, read) {
        (Clean, Ok(table)) => {
            let same = table.feature_names == clean.feature_names
                && table.label_name == clean.label_name
                && bits(table.features.iter().copied()) == bits(clean.features.iter().copied())
                && bits(table.labels.iter().copied()) == bits(clean.labels.iter().copied());
            if same {
                Ok(())
            } else {
                Err(format!("accepted with other values: {table:?}"))
            }
        }
        (Clean, Err(e)) => Err(format!("rejected: {e}")),
        (Line(..) | File(_), Ok(_)) => Err("accepted".into()),
        (Line(line, column, parts), Err(e)) => {
            let message = e.to_string();
            match &e {
                Error::Data {
                    line: l, column: c, ..
                } if l == line && c.as_deref() == *column => {}
                _ => {
                    return Err(format!(
                        "expected line {line}, column {column:?}; got {message}"
                    ));
                }
            }
            let place = format!("{name}:{line}: ");
            fragments(&message, &[&[place.as_str()], *parts].concat())
        }
        (File(parts), Err(e)) => {
            let message = e.to_string();
            if matches!(e, Error::Data { .. }) {
                return Err(format!("expected a whole-file error, got {message}"));
            }
            fragments(&message, &[&[name], *parts].concat())
        }
    }
}

fn fragments(message: &str, parts: &[&str]) -> Result<(), String> {
    match parts.iter().find(|p| !message.contains(**p)) {
        Some(missing) => Err(format!("expected {missing:?} in {message:?}")),
        None => Ok(()),
    }
}

/// Checks one checkpoint case; returns what is wrong.
fn check_checkpoint(name: &str, expect: Option<&[&str]>) -> Result<(), String> {
    let path = corpus().join(name);
    let loaded = checkpoint::load(&path);
    let bytes = std::fs::read(&path).unwrap();
    // The loader in memory must agree with the one from a file.
    let in_memory = checkpoint::from_bytes(&bytes, &path);
    if loaded.as_ref().err().map(ToString::to_string)
        != in_memory.as_ref().err().map(ToString::to_string)
    {
        return Err("checkpoint::load and checkpoint::from_bytes disagree".into());
    }
    match (expect, loaded) {
        (None, Ok(c)) => {
            let (_, model, adam, meta) = base();
            if c.model == model && c.adam == adam && c.meta == meta {
                Ok(())
            } else {
                Err("accepted with other contents than ckpt_ok.safetensors".into())
            }
        }
        (None, Err(e)) => Err(format!("rejected: {e}")),
        (Some(_), Ok(_)) => Err("accepted".into()),
        (Some(parts), Err(e)) => {
            let message = e.to_string();
            if !matches!(e, Error::Checkpoint { .. }) {
                return Err(format!("expected Error::Checkpoint, got {message}"));
            }
            fragments(&message, &[&[name], parts].concat())
        }
    }
}

#[test]
fn every_bad_input_gets_its_expected_outcome() {
    let dir = corpus();
    let clean = data::read_table(&dir.join("clean.csv"), None).unwrap();
    assert_eq!(clean.rows(), 4);
    let mut failures = Vec::new();
    let mut listed = BTreeSet::new();
    for (name, expect) in CSV_CASES {
        assert!(listed.insert(*name), "{name} is listed twice");
        if let Err(e) = check_csv(name, expect, &clean) {
            failures.push(format!("{name}: {e}"));
        }
    }
    for (name, expect) in CHECKPOINT_CASES {
        assert!(listed.insert(*name), "{name} is listed twice");
        if let Err(e) = check_checkpoint(name, *expect) {
            failures.push(format!("{name}: {e}"));
        }
    }
    listed.extend(NOT_INPUTS);
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for name in &present {
        if !listed.contains(name.as_str()) {
            failures.push(format!("{name}: in tests/bad_inputs/ but not in the table"));
        }
    }
    for name in &listed {
        if !present.contains(*name) {
            failures.push(format!("{name}: in the table but not in tests/bad_inputs/"));
        }
    }
    assert!(
        present.len() >= 30,
        "the corpus holds {} files",
        present.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// The corpus generator.

/// The clean file, in the real file's style: quoted header and labels, bare numbers.
const CLEAN: &str = "\"Time\",\"V1\",\"Amount\",\"Class\"\n\
                     0,-1.3598071336738,149.62,\"0\"\n\
                     1,1.19185711131486,2.69,\"0\"\n\
                     2,-1.35835406159823,378.66,\"1\"\n\
                     406,-2.3122265423263,0,\"1\"\n";

/// The clean file with line `line` (1-based) replaced.
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = CLEAN.lines().collect();
    lines[line - 1] = text;
    lines.join("\n") + "\n"
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn csv_files() -> Vec<(&'static str, Vec<u8>)> {
    let crlf = CLEAN.replace('\n', "\r\n");
    let long_zeros = format!("1,{}1.19185711131486,2.69,\"0\"", "0".repeat(70_000));
    let half = CLEAN.len() / 2;
    let mut two_members = gzip(&CLEAN.as_bytes()[..half]);
    two_members.extend(gzip(&CLEAN.as_bytes()[half..]));
    let gz = gzip(CLEAN.as_bytes());
    let gzip_two = two_members.clone();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("clean.csv", CLEAN.into()),
        ("clean.csv.gz", gz.clone()),
        ("gzip_two_members.csv.gz", two_members),
        ("gzip_named_plain.csv", gz.clone()),
        ("bom.csv", [&b"\xEF\xBB\xBF"[..], CLEAN.as_bytes()].concat()),
        ("crlf.csv", crlf.clone().into()),
        (
            "bom_crlf.csv",
            [&b"\xEF\xBB\xBF"[..], crlf.as_bytes()].concat(),
        ),
        (
            "mixed_line_endings.csv",
            CLEAN.replacen('\n', "\r\n", 2).into(),
        ),
        ("no_final_newline.csv", CLEAN.trim_end().into()),
        ("trailing_blank_lines.csv", format!("{CLEAN}\n\n\n").into()),
        (
            "trailing_blank_crlf_lines.csv",
            format!("{crlf}\r\n\r\n").into(),
        ),
        (
            "trailing_whitespace_lines.csv",
            format!("{CLEAN}   \n\t\n \r\n").into(),
        ),
        (
            "all_quoted.csv",
            "\"Time\",\"V1\",\"Amount\",\"Class\"\n\
             \"0\",\"-1.3598071336738\",\"149.62\",\"0\"\n\
             \"1\",\"1.19185711131486\",\"2.69\",\"0\"\n\
             \"2\",\"-1.35835406159823\",\"378.66\",\"1\"\n\
             \"406\",\"-2.3122265423263\",\"0\",\"1\"\n"
                .into(),
        ),
        ("nothing_quoted.csv", CLEAN.replace('"', "").into()),
        (
            "spaces_around_fields.csv",
            " Time , V1 ,\"Amount\",  Class\n\
             0 , -1.3598071336738,149.62 ,\" 0 \"\n\
             \t1,1.19185711131486\t,2.69,0\n\
             2,  -1.35835406159823,378.66,1  \n\
             406,-2.3122265423263,\"  0\",\"1\"\n"
                .into(),
        ),
        (
            "labels_as_floats.csv",
            "\"Time\",\"V1\",\"Amount\",\"Class\"\n\
             0,-1.3598071336738,149.62,\"0.0\"\n\
             1,1.19185711131486,2.69,\"-0\"\n\
             2,-1.35835406159823,378.66,\"1.0\"\n\
             406,-2.3122265423263,0,1e0\n"
                .into(),
        ),
        (
            "other_number_forms.csv",
            "\"Time\",\"V1\",\"Amount\",\"Class\"\n\
             0.0,-1.3598071336738e0,1.4962e2,\"0\"\n\
             +1,+1.19185711131486,2.690000,\"0\"\n\
             2.,-13.5835406159823E-1,378.66,\"1\"\n\
             00406,-2.3122265423263,0.000,\"1\"\n"
                .into(),
        ),
        ("very_long_line.csv", with_line(3, &long_zeros).into()),
        (
            "missing_field.csv",
            with_line(3, "1,1.19185711131486,\"0\"").into(),
        ),
        (
            "extra_field.csv",
            with_line(4, "2,-1.35835406159823,378.66,7,\"1\"").into(),
        ),
        (
            "trailing_comma.csv",
            with_line(2, "0,-1.3598071336738,149.62,\"0\",").into(),
        ),
        ("empty_field.csv", with_line(3, "1,,2.69,\"0\"").into()),
        ("nan.csv", with_line(3, "1,NaN,2.69,\"0\"").into()),
        (
            "inf.csv",
            with_line(4, "2,-1.35835406159823,inf,\"1\"").into(),
        ),
        (
            "neg_infinity.csv",
            with_line(2, "0,-1.3598071336738,-Infinity,\"0\"").into(),
        ),
        (
            "overflow_1e400.csv",
            with_line(5, "406,1e400,0,\"1\"").into(),
        ),
        (
            "beyond_f32.csv",
            with_line(3, "1,1.19185711131486,3.5e38,\"0\"").into(),
        ),
        (
            "non_utf8_field.csv",
            [
                &b"\"Time\",\"V1\",\"Amount\",\"Class\"\n0,-1.3598071336738,149.62,\"0\"\n1,1.19"[..],
                b"\xFF",
                b",2.69,\"0\"\n2,-1.35835406159823,378.66,\"1\"\n",
            ]
            .concat(),
        ),
        (
            "nul_in_field.csv",
            with_line(2, "0,-1.3598071336738,149\u{0}.62,\"0\"").into(),
        ),
        (
            "decimal_comma.csv",
            with_line(2, "0,\"-1,3598071336738\",149.62,\"0\"").into(),
        ),
        (
            "hex_float.csv",
            with_line(3, "1,1.19185711131486,0x1p3,\"0\"").into(),
        ),
        (
            "underscore_digits.csv",
            with_line(5, "4_06,-2.3122265423263,0,\"1\"").into(),
        ),
        (
            "long_garbage_field.csv",
            with_line(
                4,
                &format!("2,-1.35835406159823,{},\"1\"", "x".repeat(200)),
            )
            .into(),
        ),
        (
            "label_2.csv",
            with_line(3, "1,1.19185711131486,2.69,\"2\"").into(),
        ),
        (
            "label_minus_1.csv",
            with_line(4, "2,-1.35835406159823,378.66,-1").into(),
        ),
        (
            "label_half.csv",
            with_line(2, "0,-1.3598071336738,149.62,\"0.5\"").into(),
        ),
        (
            "label_text.csv",
            with_line(5, "406,-2.3122265423263,0,yes").into(),
        ),
        ("label_empty.csv", with_line(3, "1,1.19185711131486,2.69,").into()),
        (
            "label_nan.csv",
            with_line(2, "0,-1.3598071336738,149.62,nan").into(),
        ),
        (
            "blank_line_in_middle.csv",
            CLEAN.replacen("\"0\"\n2,", "\"0\"\n\n2,", 1).into(),
        ),
        (
            "quote_spans_lines.csv",
            with_line(3, "1,\"1.19\n185711131486\",2.69,\"0\"").into(),
        ),
        (
            "duplicate_header.csv",
            with_line(1, "\"Time\",\"V1\",\"V1\",\"Class\"").into(),
        ),
        (
            "empty_header_name.csv",
            with_line(1, "\"Time\",,\"Amount\",\"Class\"").into(),
        ),
        ("one_column.csv", "\"Class\"\n0\n1\n".into()),
        (
            "semicolon_separated.csv",
            "Time;V1;Amount;Class\n0;-1.3598071336738;149.62;0\n".into(),
        ),
        (
            "unterminated_header_quote.csv",
            with_line(1, "\"Time\",\"V1,\"Amount\",\"Class\"").into(),
        ),
        (
            "header_row_is_data.csv",
            CLEAN.replacen("\"0\"\n1,", "\"0\"\n\"Time\",\"V1\",\"Amount\",\"Class\"\n1,", 1).into(),
        ),
        ("empty.csv", Vec::new()),
        ("whitespace_only.csv", " \n\r\n\t\n".into()),
        (
            "header_only.csv",
            "\"Time\",\"V1\",\"Amount\",\"Class\"\n".into(),
        ),
        (
            "header_then_blank_lines.csv",
            "\"Time\",\"V1\",\"Amount\",\"Class\"\r\n\r\n\r\n".into(),
        ),
        (
            "non_utf8_header.csv",
            [&b"\"Time\",\"V\xE91\",\"Class\"\n"[..], b"0,1,0\n"].concat(),
        ),
        (
            "binary.csv",
            vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, b'\n', 0, 0],
        ),
        ("truncated.csv.gz", gz[..gz.len() / 2].to_vec()),
        // Gzip framing (issue 12, kind 6): zero padding after the last member is accepted, as
        // `gzip -d` and Python accept it; anything else after it has its own message.
        (
            "gzip_zero_padding.csv.gz",
            [&gz[..], &[0u8; 512][..]].concat(),
        ),
        (
            "gzip_two_members_zero_padding.csv.gz",
            [&gzip_two[..], &[0u8; 3][..]].concat(),
        ),
        (
            "gzip_trailing_text.csv.gz",
            [&gz[..], &b"hello\n"[..]].concat(),
        ),
        (
            "gzip_zero_padding_then_text.csv.gz",
            [&gz[..], &[0u8; 100][..], &b"x"[..]].concat(),
        ),
        (
            "gzip_trailing_bad_member.csv.gz",
            [&gz[..], &[0x1f, 0x8b, 0x00, 0x00][..]].concat(),
        ),
        // A file without its header row (issue 12, "Also").
        ("no_header.csv", CLEAN.lines().skip(1).collect::<Vec<_>>().join("\n").into()),
        (
            "no_header_unquoted.csv",
            "0,-1.3598071336738,149.62,0\n1,1.19185711131486,2.69,0\n".into(),
        ),
    ];
    files
}

/// The accepted checkpoint's contents: a 3-input model `--hidden 4 --dropout 0.5`.
fn base() -> (Architecture, Sequential<f32>, Adam<f32>, CheckpointMeta) {
    let arch = Architecture::mlp(3, &[4], &[0.5]).unwrap();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(3, Stream::Init)).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), &model);
    adam.t = 7;
    for (k, slot) in adam.slots.iter_mut().enumerate() {
        slot.m.fill(0.25 / (k + 1) as f32);
        slot.v.fill(1e-6);
    }
    let meta = CheckpointMeta {
        format: checkpoint::FORMAT.into(),
        format_version: checkpoint::FORMAT_VERSION,
        epoch: 1,
        epochs: 30,
        seed: 3,
        architecture: arch.clone(),
        adam: AdamConfig::default(),
        batch_size: 2048,
        val_fraction: 0.2,
        test_fraction: 0.0,
        ema_momentum: None,
        shuffle: true,
        feature_names: vec!["Time".into(), "V1".into(), "Amount".into()],
        label_name: "Class".into(),
        mean: vec![1.0, -0.5, 100.0],
        std: vec![2.0, 1.5, 50.0],
        class_weight: [0.5, 0.25],
        data_source: "clean.csv".into(),
        metrics: EpochMetrics::default(),
        dropout_rng_position: "1024".into(),
        shuffle_rng_position: "96".into(),
    };
    (arch, model, adam, meta)
}

/// One tensor of a hand-built safetensors file.
#[derive(Clone)]
struct Raw {
    name: String,
    dtype: &'static str,
    shape: Vec<usize>,
    data: Vec<u8>,
}

/// A safetensors file from tensors and an optional `__metadata__` map, written by hand so that
/// tests can build files the `safetensors` crate refuses to write.
fn safetensors_bytes(tensors: &[Raw], metadata: Option<serde_json::Value>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for t in tensors {
        let start = data.len();
        data.extend(&t.data);
        header.insert(
            t.name.clone(),
            serde_json::json!({"dtype": t.dtype, "shape": t.shape, "data_offsets": [start, data.len()]}),
        );
    }
    if let Some(m) = metadata {
        header.insert("__metadata__".into(), m);
    }
    let mut json = serde_json::to_vec(&header).unwrap();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    [(json.len() as u64).to_le_bytes().to_vec(), json, data].concat()
}

/// The accepted checkpoint's tensors and metadata JSON.
fn base_parts() -> (Vec<Raw>, serde_json::Value) {
    let (_, model, adam, meta) = base();
    let bytes = checkpoint::to_bytes(&model, &adam, None, &meta).unwrap();
    let tensors = SafeTensors::deserialize(&bytes).unwrap();
    let mut raws: Vec<Raw> = tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| Raw {
            name,
            dtype: match view.dtype() {
                Dtype::F32 => "F32",
                Dtype::I64 => "I64",
                other => panic!("unexpected dtype {other:?}"),
            },
            shape: view.shape().to_vec(),
            data: view.data().to_vec(),
        })
        .collect();
    raws.sort_by(|a, b| a.name.cmp(&b.name));
    (raws, serde_json::to_value(&meta).unwrap())
}

fn checkpoint_files() -> Vec<(&'static str, Vec<u8>)> {
    let (_, model, adam, meta) = base();
    let ok = checkpoint::to_bytes(&model, &adam, None, &meta).unwrap();
    let (raws, json) = base_parts();
    let build = |raws: &[Raw], json: &serde_json::Value| {
        safetensors_bytes(
            raws,
            Some(serde_json::json!({"fraudnet": json.to_string()})),
        )
    };
    let with_meta = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut j = json.clone();
        edit(&mut j);
        build(&raws, &j)
    };
    // Edits of the metadata's text, for numbers a `serde_json::Value` cannot hold (1e999).
    let with_meta_text = |from: &str, to: &str| {
        let text = json.to_string();
        assert!(text.contains(from), "{from} not in {text}");
        safetensors_bytes(
            &raws,
            Some(serde_json::json!({"fraudnet": text.replacen(from, to, 1)})),
        )
    };
    let with_tensors = |edit: &dyn Fn(&mut Vec<Raw>)| {
        let mut r = raws.clone();
        edit(&mut r);
        build(&r, &json)
    };
    let tensor =
        |r: &[Raw], name: &str| -> usize { r.iter().position(|t| t.name == name).unwrap() };
    let set_f32 = |r: &mut Vec<Raw>, name: &str, index: usize, value: f32| {
        let k = tensor(r, name);
        r[k].data[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
    };
    let to_f64 = |t: &mut Raw| {
        t.data = t
            .data
            .chunks_exact(4)
            .flat_map(|b| (f32::from_le_bytes(b.try_into().unwrap()) as f64).to_le_bytes())
            .collect();
        t.dtype = "F64";
    };
    let header_len = u64::from_le_bytes(ok[..8].try_into().unwrap()) as usize;
    let mut absurd = ok.clone();
    absurd[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut beyond = ok.clone();
    beyond[..8].copy_from_slice(&(ok.len() as u64 + 100).to_le_bytes());
    let mut not_json = ok.clone();
    not_json[8..8 + 16].copy_from_slice(b"this is not JSON");
    vec![
        ("ckpt_ok.safetensors", ok.clone()),
        (
            "ckpt_f64_tensors.safetensors",
            with_tensors(&|r| r.iter_mut().filter(|t| t.dtype == "F32").for_each(to_f64)),
        ),
        ("ckpt_empty.safetensors", Vec::new()),
        ("ckpt_7_bytes.safetensors", ok[..7].to_vec()),
        ("ckpt_header_size_absurd.safetensors", absurd),
        ("ckpt_header_size_beyond_file.safetensors", beyond),
        ("ckpt_header_not_json.safetensors", not_json),
        (
            "ckpt_truncated_header.safetensors",
            ok[..8 + header_len / 2].to_vec(),
        ),
        (
            "ckpt_truncated_data.safetensors",
            ok[..ok.len() - 10].to_vec(),
        ),
        ("ckpt_bad_offsets.safetensors", {
            // The first tensor's offsets cover 4 of its 16 bytes.
            let mut bytes = build(&raws, &json);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let start = text.find("\"data_offsets\":[").unwrap() + 16;
            let end = start + text[start..].find(']').unwrap();
            let same = "0,4".to_string() + &" ".repeat(end - start - 3);
            bytes.splice(start..end, same.bytes());
            bytes
        }),
        ("ckpt_is_csv.safetensors", CLEAN.into()),
        (
            "ckpt_no_metadata.safetensors",
            safetensors_bytes(&raws, None),
        ),
        (
            "ckpt_metadata_not_json.safetensors",
            safetensors_bytes(&raws, Some(serde_json::json!({"fraudnet": "{\"format\":"}))),
        ),
        (
            "ckpt_wrong_format.safetensors",
            with_meta(&|j| j["format"] = "keras".into()),
        ),
        (
            "ckpt_version_4.safetensors",
            with_meta(&|j| j["format_version"] = 4.into()),
        ),
        // Version 3: an average announced by the metadata must be in the file.
        (
            "ckpt_ema_missing.safetensors",
            with_meta(&|j| j["ema_momentum"] = 0.99.into()),
        ),
        (
            "ckpt_ema_momentum_1.safetensors",
            with_meta(&|j| j["ema_momentum"] = 1.0.into()),
        ),
        (
            "ckpt_test_fraction_0_8.safetensors",
            with_meta(&|j| j["test_fraction"] = 0.8.into()),
        ),
        (
            "ckpt_version_string.safetensors",
            with_meta(&|j| j["format_version"] = "1".into()),
        ),
        (
            "ckpt_missing_field.safetensors",
            with_meta(&|j| {
                j.as_object_mut().unwrap().remove("seed");
            }),
        ),
        (
            "ckpt_field_wrong_type.safetensors",
            with_meta(&|j| j["batch_size"] = "2048".into()),
        ),
        (
            "ckpt_missing_tensor.safetensors",
            with_tensors(&|r| r.retain(|t| t.name != "dense/bias")),
        ),
        (
            "ckpt_missing_moment.safetensors",
            with_tensors(&|r| r.retain(|t| t.name != "optimizer/v/dense_1/kernel")),
        ),
        (
            "ckpt_missing_iterations.safetensors",
            with_tensors(&|r| r.retain(|t| t.name != "optimizer/iterations")),
        ),
        (
            "ckpt_extra_tensor.safetensors",
            with_tensors(&|r| {
                let mut extra = r[tensor(r, "dense_1/kernel")].clone();
                extra.name = "dense_2/kernel".into();
                r.push(extra);
            }),
        ),
        (
            "ckpt_wrong_shape.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "dense/kernel");
                r[k].shape = vec![4, 3];
            }),
        ),
        (
            "ckpt_dtype_i32.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "dense/kernel");
                r[k].dtype = "I32";
            }),
        ),
        (
            "ckpt_dtype_f16.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "dense/bias");
                r[k].dtype = "F16";
                r[k].data.truncate(8);
            }),
        ),
        (
            "ckpt_iterations_f32.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "optimizer/iterations");
                r[k].dtype = "F32";
                r[k].data = 7.0f32.to_le_bytes().to_vec();
            }),
        ),
        (
            "ckpt_iterations_negative.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "optimizer/iterations");
                r[k].data = (-5i64).to_le_bytes().to_vec();
            }),
        ),
        (
            "ckpt_nan_weight.safetensors",
            with_tensors(&|r| set_f32(r, "dense/kernel", 5, f32::NAN)),
        ),
        (
            "ckpt_inf_moment.safetensors",
            with_tensors(&|r| set_f32(r, "optimizer/m/dense/bias", 2, f32::INFINITY)),
        ),
        (
            "ckpt_f64_beyond_f32.safetensors",
            with_tensors(&|r| {
                let k = tensor(r, "dense_1/bias");
                to_f64(&mut r[k]);
                r[k].data = 1e300f64.to_le_bytes().to_vec();
            }),
        ),
        (
            "ckpt_architecture_absurd.safetensors",
            with_meta(&|j| {
                j["architecture"]["layers"][0]["units"] = 1_000_000_000_000u64.into();
            }),
        ),
        (
            "ckpt_architecture_overflow.safetensors",
            with_meta(&|j| {
                j["architecture"]["inputs"] = u64::MAX.into();
                j["architecture"]["layers"][0]["units"] = u64::MAX.into();
            }),
        ),
        (
            "ckpt_dropout_rate_1_5.safetensors",
            with_meta(&|j| j["architecture"]["layers"][1]["rate"] = 1.5.into()),
        ),
        (
            "ckpt_no_output_layer.safetensors",
            with_meta(&|j| {
                j["architecture"]["layers"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "ckpt_zero_units.safetensors",
            with_meta(&|j| j["architecture"]["layers"][0]["units"] = 0.into()),
        ),
        (
            "ckpt_zero_inputs.safetensors",
            with_meta(&|j| j["architecture"]["inputs"] = 0.into()),
        ),
        (
            "ckpt_mean_too_short.safetensors",
            with_meta(&|j| {
                j["mean"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "ckpt_feature_names_too_many.safetensors",
            with_meta(&|j| {
                j["feature_names"].as_array_mut().unwrap().push("V2".into());
            }),
        ),
        (
            "ckpt_epoch_0.safetensors",
            with_meta(&|j| j["epoch"] = 0.into()),
        ),
        (
            "ckpt_bad_rng_position.safetensors",
            with_meta(&|j| j["dropout_rng_position"] = "abc".into()),
        ),
        // The metadata's numbers (issue 12, kind 1): what scoring divides by or weighs with.
        (
            "ckpt_std_all_zero.safetensors",
            with_meta_text("\"std\":[2.0,1.5,50.0]", "\"std\":[0.0,0.0,0.0]"),
        ),
        (
            "ckpt_std_negative.safetensors",
            with_meta_text("\"std\":[2.0,1.5,50.0]", "\"std\":[2.0,-1.5,50.0]"),
        ),
        (
            "ckpt_std_subnormal.safetensors",
            with_meta_text("\"std\":[2.0,1.5,50.0]", "\"std\":[2.0,1.5,1e-40]"),
        ),
        (
            "ckpt_std_beyond_f32.safetensors",
            with_meta_text("\"std\":[2.0,1.5,50.0]", "\"std\":[1e39,1.5,50.0]"),
        ),
        (
            "ckpt_std_null.safetensors",
            with_meta_text("\"std\":[2.0,1.5,50.0]", "\"std\":[2.0,null,50.0]"),
        ),
        (
            "ckpt_mean_beyond_f32.safetensors",
            with_meta_text("\"mean\":[1.0,-0.5,100.0]", "\"mean\":[1.0,-0.5,-1e39]"),
        ),
        (
            "ckpt_mean_nan_token.safetensors",
            with_meta_text("\"mean\":[1.0,-0.5,100.0]", "\"mean\":[NaN,-0.5,100.0]"),
        ),
        (
            "ckpt_class_weight_zero.safetensors",
            with_meta_text("\"class_weight\":[0.5,0.25]", "\"class_weight\":[0.5,0.0]"),
        ),
        (
            "ckpt_class_weight_negative.safetensors",
            with_meta_text(
                "\"class_weight\":[0.5,0.25]",
                "\"class_weight\":[-0.5,0.25]",
            ),
        ),
        (
            "ckpt_class_weight_1e999.safetensors",
            with_meta_text(
                "\"class_weight\":[0.5,0.25]",
                "\"class_weight\":[1e999,0.25]",
            ),
        ),
        (
            "ckpt_val_fraction_1.safetensors",
            with_meta(&|j| j["val_fraction"] = 1.0.into()),
        ),
        (
            "ckpt_val_fraction_0.safetensors",
            with_meta(&|j| j["val_fraction"] = 0.0.into()),
        ),
        (
            "ckpt_val_fraction_negative.safetensors",
            with_meta(&|j| j["val_fraction"] = (-0.2).into()),
        ),
        (
            "ckpt_learning_rate_zero.safetensors",
            with_meta(&|j| j["adam"]["learning_rate"] = 0.0.into()),
        ),
        (
            "ckpt_beta_1_one.safetensors",
            with_meta(&|j| j["adam"]["beta_1"] = 1.0.into()),
        ),
    ]
}

#[test]
#[ignore = "writes the corpus; run by hand after a deliberate format change"]
fn regenerate_corpus() {
    let dir = corpus();
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = BTreeMap::new();
    for (name, bytes) in csv_files().into_iter().chain(checkpoint_files()) {
        assert!(names.insert(name, ()).is_none(), "{name} generated twice");
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
