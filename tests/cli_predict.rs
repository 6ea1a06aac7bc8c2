//! `fraudnet predict`: streaming scores equal to in-memory scoring, plain or gzip, with or
//! without the label column, row numbers and id columns, and clear refusals that never
//! overwrite a good output.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{fraudnet, small_csv, write};
use fraudnet::checkpoint;
use fraudnet::data::{RowStream, StreamLayout, read_table};
use fraudnet::predict::{Scorer, score_stream};

/// Trains one epoch on a small labelled file; returns (data, checkpoint).
fn train(dir: &Path) -> (PathBuf, PathBuf) {
    let data = write(dir, "small.csv", small_csv(2500, 6, 25));
    let ckpt = dir.join("ckpt");
    let flags = [
        "--epochs",
        "1",
        "--batch-size",
        "256",
        "--hidden",
        "16,8",
        "--dropout",
        "0,0",
    ];
    common::train_ok(&data, &ckpt, &flags);
    (data, ckpt.join(checkpoint::file_name(1)))
}

/// The probabilities of every row of `data`, scored in memory, as predict prints them.
fn in_memory(ckpt: &Path, data: &Path) -> Vec<String> {
    let scorer = Scorer::new(checkpoint::load(ckpt).unwrap());
    let table = read_table(data, None).unwrap();
    let probs = scorer.probabilities(table.features.view()).unwrap();
    probs.iter().map(|p| p.to_string()).collect()
}

fn predict(args: &[&std::ffi::OsStr]) -> std::process::Output {
    fraudnet().arg("predict").args(args).output().unwrap()
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

fn failed(out: &std::process::Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

/// `line` with its field `j` (0-based, comma-separated) replaced by `value`.
fn set_field(line: &str, j: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[j] = value;
    fields.join(",")
}

/// Files in `dir` whose names start with a dot (temporary files).
fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn streamed_scores_equal_in_memory_scores() {
    let dir = tempfile::tempdir().unwrap();
    let (data, ckpt) = train(dir.path());
    let expected = in_memory(&ckpt, &data);
    assert_eq!(expected.len(), 2500);

    // Labelled, plain CSV: the label is recognised and ignored.
    let output = dir.path().join("scores.csv");
    let out = predict(&[
        os("--checkpoint"),
        os(&ckpt),
        os("--data"),
        os(&data),
        os("--output"),
        os(&output),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Scored 2,500 rows (label column ignored)") && stderr.contains("rows/s"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&output).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("probability"));
    assert_eq!(lines.map(str::to_owned).collect::<Vec<_>>(), expected);

    // Unlabelled, gzip, an id column first, CRLF line ends; row numbers and ids asked for.
    let csv = small_csv(2500, 6, 25);
    let mut unlabelled = String::new();
    for (i, line) in csv.lines().enumerate() {
        let features = line.rsplit_once(',').unwrap().0;
        let id = if i == 0 {
            "\"txn\"".to_string()
        } else {
            format!("\"T-{i:05}\"")
        };
        unlabelled += &format!("{id},{features}\r\n");
    }
    let gz = dir.path().join("new.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(unlabelled.as_bytes()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let output = dir.path().join("ids.csv");
    let out = predict(&[
        os("--checkpoint"),
        os(&ckpt),
        os("--data"),
        os(&gz),
        os("--output"),
        os(&output),
        os("--row-numbers"),
        os("--id-column"),
        os("txn"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("label column ignored"), "{stderr}");
    let text = std::fs::read_to_string(&output).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "row,txn,probability");
    assert_eq!(rows.len(), 2501);
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(*row, format!("{},T-{:05},{}", i + 1, i + 1, expected[i]));
    }
    assert!(hidden_files(dir.path()).is_empty());
}

#[test]
fn blocks_of_any_size_give_the_rows_of_read_table() {
    let dir = tempfile::tempdir().unwrap();
    // CRLF, quoted fields, blank lines at the end.
    let csv = small_csv(97, 4, 7).replace('\n', "\r\n") + "\r\n\n";
    let path = write(dir.path(), "crlf.csv", &csv);
    let table = read_table(&path, None).unwrap();
    for block_bytes in [1, 7, 64, 333, 1 << 20] {
        let mut stream = RowStream::open(&path).unwrap();
        stream.set_layout(StreamLayout {
            label: Some(4),
            id: None,
        });
        stream.set_block_bytes(block_bytes);
        let (mut features, mut labels, mut next_row) = (Vec::new(), Vec::new(), 1);
        while let Some(chunk) = stream.next_chunk().unwrap() {
            assert_eq!(chunk.first_row, next_row);
            next_row += chunk.features.nrows() as u64;
            features.extend(chunk.features.iter().copied());
            labels.extend(chunk.labels.unwrap().iter().copied());
        }
        assert_eq!(
            features,
            table.features.iter().copied().collect::<Vec<_>>(),
            "{block_bytes}"
        );
        assert_eq!(labels, table.labels.to_vec(), "{block_bytes}");
    }
    // A bad row far into the file is reported with its line and column whatever the block size.
    let mut lines: Vec<String> = small_csv(300, 4, 7).lines().map(str::to_owned).collect();
    lines[250] = set_field(&lines[250], 1, "\"oops\"");
    let bad_path = write(dir.path(), "bad.csv", lines.join("\n") + "\n");
    let expected = read_table(&bad_path, None).unwrap_err().to_string();
    assert!(expected.contains("bad.csv:251:"), "{expected}");
    for block_bytes in [5, 100, 1 << 20] {
        let mut stream = RowStream::open(&bad_path).unwrap();
        stream.set_layout(StreamLayout {
            label: Some(4),
            id: None,
        });
        stream.set_block_bytes(block_bytes);
        let e = loop {
            match stream.next_chunk() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error for {block_bytes}"),
                Err(e) => break e,
            }
        };
        assert_eq!(e.to_string(), expected, "{block_bytes}");
    }
}

#[test]
fn score_stream_passes_chunks_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let (data, ckpt) = train(dir.path());
    let expected = in_memory(&ckpt, &data);
    let scorer = Scorer::new(checkpoint::load(&ckpt).unwrap());
    let mut stream = RowStream::open(&data).unwrap();
    stream.set_layout(StreamLayout {
        label: Some(6),
        id: None,
    });
    stream.set_block_bytes(4096);
    let mut seen = Vec::new();
    let rows = score_stream(&scorer, &mut stream, |chunk, probs| {
        assert_eq!(chunk.first_row as usize, seen.len() + 1);
        seen.extend(probs.iter().map(|p| p.to_string()));
        Ok(())
    })
    .unwrap();
    assert_eq!(rows, 2500);
    assert_eq!(seen, expected);
}

#[test]
fn refusals_name_the_problem_and_keep_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let (_, ckpt) = train(dir.path());
    let output = write(dir.path(), "scores.csv", "good old scores\n");
    let run = |name: &str, contents: String, extra: &[&str]| {
        let data = write(dir.path(), name, contents);
        let mut args = vec![
            os("--checkpoint"),
            os(&ckpt),
            os("--data"),
            os(&data),
            os("--output"),
            os(&output),
        ];
        args.extend(extra.iter().map(os));
        let e = failed(&predict(&args));
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "good old scores\n",
            "{e}"
        );
        assert!(hidden_files(dir.path()).is_empty(), "{e}");
        e
    };
    // A feature missing.
    let e = run("five.csv", small_csv(20, 5, 5), &[]);
    assert!(
        e.contains("five.csv: its feature columns do not match"),
        "{e}"
    );
    assert!(
        e.contains("trained on 6 features (f0, f1, f2, f3, f4, f5)") && e.contains("missing: f5"),
        "{e}"
    );
    // An extra column.
    let e = run("seven.csv", small_csv(20, 7, 5), &[]);
    assert!(e.contains("unexpected: f6"), "{e}");
    // Same names, another order.
    let swapped = small_csv(20, 6, 5).replacen("\"f0\",\"f1\"", "\"f1\",\"f0\"", 1);
    let e = run("swapped.csv", swapped, &[]);
    assert!(e.contains("another order"), "{e}");
    // A bad value on line 12.
    let mut lines: Vec<String> = small_csv(20, 6, 5).lines().map(str::to_owned).collect();
    lines[11] = set_field(&lines[11], 1, "1e999");
    let e = run("bad.csv", lines.join("\n") + "\n", &[]);
    assert!(
        e.contains("bad.csv:12: column \"f1\": expected a finite number, found \"1e999"),
        "{e}"
    );
    // An id column that is not there.
    let e = run("ok.csv", small_csv(20, 6, 5), &["--id-column", "nope"]);
    assert!(
        e.contains("--id-column") && e.contains("no column named \"nope\""),
        "{e}"
    );
    // A header and no rows.
    let header = small_csv(1, 6, 5).lines().next().unwrap().to_string() + "\n";
    let e = run("empty.csv", header, &[]);
    assert!(
        e.contains("empty.csv: has a header but no data rows"),
        "{e}"
    );

    // The output is the input.
    let data = dir.path().join("ok.csv");
    let e = failed(&predict(&[
        os("--checkpoint"),
        os(&ckpt),
        os("--data"),
        os(&data),
        os("--output"),
        os(&data),
    ]));
    assert!(e.contains("is the input file"), "{e}");
    // A checkpoint that is not one.
    let e = failed(&predict(&[
        os("--checkpoint"),
        os(&data),
        os("--data"),
        os(&data),
        os("--output"),
        os(&output),
    ]));
    assert!(e.contains("ok.csv"), "{e}");
}
