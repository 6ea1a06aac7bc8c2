//! Loading the real data set: the gzip file as shipped, and the uncompressed 150 MB CSV (the
//! issue's target: well under a second). Throughput is in bytes of CSV text.
//!
//! Needs `../shared/data/creditcard.csv.gz`; without it the bench prints why and does nothing.
//! The uncompressed copy is written once to the system's temporary directory.
//!
//! Run: `cargo bench --bench csv_load`.

use std::io::Read;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fraudnet::data::read_table;

/// Size of the uncompressed `creditcard.csv`, from `../shared/data/README.md`.
const CSV_BYTES: u64 = 150_828_752;

fn real_data() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/creditcard.csv.gz");
    path.exists().then_some(path)
}

/// The uncompressed CSV in the temporary directory, decompressed on first use.
fn plain_copy(gz: &Path) -> PathBuf {
    let path = std::env::temp_dir().join("fraudnet-bench-creditcard.csv");
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(CSV_BYTES) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(gz).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        std::fs::write(&path, text).unwrap();
    }
    path
}

fn bench(c: &mut Criterion) {
    let Some(gz) = real_data() else {
        assert!(
            std::env::var("FRAUDNET_REQUIRE_DATA").as_deref() != Ok("1"),
            "FRAUDNET_REQUIRE_DATA=1 but ../shared/data/creditcard.csv.gz is absent"
        );
        eprintln!("skipping: ../shared/data/creditcard.csv.gz is absent");
        return;
    };
    let plain = plain_copy(&gz);
    let mut g = c.benchmark_group("csv_load");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(CSV_BYTES));
    g.bench_function("creditcard_csv", |b| {
        b.iter(|| read_table(&plain, None).unwrap().rows())
    });
    g.bench_function("creditcard_csv_gz", |b| {
        b.iter(|| read_table(&gz, None).unwrap().rows())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
