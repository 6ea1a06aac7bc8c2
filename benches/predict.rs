//! Streaming scoring throughput on the real file: rows per second of `fraudnet predict`'s
//! pipeline (gzip decompression, CSV parsing, standardisation, the reference model's forward
//! pass in chunks, and formatting each probability as a CSV row), with criterion's
//! `Throughput::Elements(rows)` so the report reads as rows/s.
//!
//! The model is the reference architecture (30 → 256 → 256 → 256 → 1) with its Glorot
//! initialisation: the weights' values do not change the work. Output goes to `io::sink()`,
//! so the figure excludes the disk.
//!
//! Run: `cargo bench --bench predict`. Skips, saying why, when `../shared/data/creditcard.csv.gz`
//! is absent, and fails instead when `FRAUDNET_REQUIRE_DATA=1`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fraudnet::data::{RowStream, Standardizer, StreamLayout};
use fraudnet::model::{Architecture, Sequential};
use fraudnet::predict::{Scorer, score_stream};
use fraudnet::rng::{self, Stream};
use ndarray::Array1;

fn bench_predict(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/creditcard.csv.gz");
    if !path.exists() {
        assert!(
            std::env::var("FRAUDNET_REQUIRE_DATA").as_deref() != Ok("1"),
            "FRAUDNET_REQUIRE_DATA=1 but the real data set {} is absent",
            path.display()
        );
        eprintln!(
            "skipping the predict benchmark: the real data set {} is absent",
            path.display()
        );
        return;
    }
    let stream = RowStream::open(&path).expect("the real file opens");
    let names = stream.names().to_vec();
    let features = names.len() - 1;
    let architecture = Architecture::mlp(features, &[256, 256, 256], &[0.0, 0.3, 0.3])
        .expect("the reference architecture");
    let scorer = Scorer {
        model: Sequential::new(&architecture, &mut rng::stream(1337, Stream::Init))
            .expect("a valid architecture"),
        standardizer: Standardizer {
            mean: Array1::zeros(features),
            std: Array1::ones(features),
        },
        feature_names: names[..features].to_vec(),
        label_name: names[features].clone(),
    };
    let run = || {
        let mut stream = RowStream::open(&path).unwrap();
        stream.set_layout(StreamLayout {
            label: Some(features),
            id: None,
        });
        let mut writer = csv::Writer::from_writer(std::io::sink());
        score_stream(&scorer, &mut stream, |_, probs| {
            for p in probs {
                writer.write_record([p.to_string()]).unwrap();
            }
            Ok(())
        })
        .unwrap()
    };
    let rows = run();
    let mut group = c.benchmark_group("predict");
    group.throughput(Throughput::Elements(rows));
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(30));
    group.bench_function("creditcard_csv_gz_rows", |b| b.iter(run));
    group.finish();
}

criterion_group!(benches, bench_predict);
criterion_main!(benches);
