//! Fuzzes the CSV reader: `read_table` and the streaming `RowStream` (in 5-byte blocks, so
//! every line is split) on arbitrary bytes. Neither may panic, and they must agree: the same
//! rows bit for bit, or the same error message.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use fraudnet::data::{RowStream, StreamLayout, read_table};
use libfuzzer_sys::fuzz_target;

/// One file per fuzzing process, rewritten for each input (the reader takes a path).
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fraudnet-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("input.csv")
    })
}

fn stream(path: &PathBuf) -> fraudnet::Result<(Vec<u32>, Vec<u32>)> {
    let mut stream = RowStream::open(path)?;
    let label = stream.names().len() - 1;
    stream.set_layout(StreamLayout {
        label: Some(label),
        id: None,
    });
    stream.set_block_bytes(5);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while let Some(chunk) = stream.next_chunk()? {
        features.extend(chunk.features.iter().map(|v| v.to_bits()));
        labels.extend(chunk.labels.unwrap().iter().map(|v| v.to_bits()));
    }
    Ok((features, labels))
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).unwrap();
    let table = read_table(path, None);
    if let Ok(t) = &table {
        assert_eq!(t.features.nrows(), t.labels.len());
        assert!(t.features.iter().all(|v| v.is_finite()));
        assert!(t.labels.iter().all(|&y| y == 0.0 || y == 1.0));
    }
    // RowStream also reads one-column files (features only, for scoring): compare the rest.
    if matches!(&table, Err(e) if e.to_string().contains("at least 2 columns")) {
        return;
    }
    let streamed = stream(path);
    match (&table, &streamed) {
        (Ok(t), Ok((features, labels))) => {
            let bits =
                |a: &mut dyn Iterator<Item = &f32>| a.map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&mut t.features.iter()), *features, "features differ");
            assert_eq!(bits(&mut t.labels.iter()), *labels, "labels differ");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ"),
        (a, b) => panic!(
            "read_table {:?} but RowStream {:?}",
            a.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            b.as_ref().map(|_| ()).map_err(|e| e.to_string())
        ),
    }
});
