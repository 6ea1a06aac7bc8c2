//! Helpers shared by the integration tests.
#![allow(dead_code)]

use fraudnet::rng::{self, Stream};
use ndarray::{Array2, NdFloat};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;

/// A `[rows, cols]` array of uniform values in `[-1, 1)`, from a seeded stream.
pub fn random<F: NdFloat>(rows: usize, cols: usize, seed: u64) -> Array2<F> {
    let mut rng = rng::stream(seed, Stream::Data);
    Array2::<f64>::random_using((rows, cols), Uniform::new(-1.0, 1.0).unwrap(), &mut rng)
        .mapv(|v| F::from(v).unwrap())
}

/// A rayon pool with exactly `threads` threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Bit patterns of an f32 array, for bitwise comparisons.
pub fn bits(a: &Array2<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// Path of the real data set, or `None` (with the reason printed) when it is absent.
///
/// # Panics
///
/// When it is absent and `FRAUDNET_REQUIRE_DATA=1` (as `.ci/run` sets it wherever the file
/// exists): a real-data test must then fail rather than pass without running.
pub fn real_data() -> Option<std::path::PathBuf> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/creditcard.csv.gz");
    if path.exists() {
        Some(path)
    } else {
        assert!(
            std::env::var("FRAUDNET_REQUIRE_DATA").as_deref() != Ok("1"),
            "FRAUDNET_REQUIRE_DATA=1 but the real data set {} is absent: this test would skip",
            path.display()
        );
        eprintln!("skipping: the real data set {} is absent", path.display());
        None
    }
}

/// The `fraudnet` binary built for this test run.
pub fn fraudnet() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_fraudnet"))
}

/// A small credit-card-like CSV: quoted header `"f0",…,"Class"`, `rows` rows of `features`
/// features, every `every`-th row a quoted `"1"`, the rest `"0"`; positive rows shifted so the
/// classes are learnable.
pub fn small_csv(rows: usize, features: usize, every: usize) -> String {
    let mut s = (0..features)
        .map(|f| format!("\"f{f}\""))
        .collect::<Vec<_>>()
        .join(",")
        + ",\"Class\"\n";
    for r in 0..rows {
        let positive = r % every == every - 1;
        let values: Vec<String> = (0..features)
            .map(|f| {
                let v = ((r * 7919 + f * 104729) % 1000) as f64 / 500.0 - 1.0;
                format!("{}", if positive { v + 2.0 } else { v })
            })
            .collect();
        s += &format!("{},\"{}\"\n", values.join(","), u8::from(positive));
    }
    s
}

/// Runs `fraudnet train --data data --checkpoint-dir ckpt` with `flags`, asserts it succeeds,
/// and returns its standard output.
pub fn train_ok(data: &std::path::Path, ckpt: &std::path::Path, flags: &[&str]) -> String {
    let out = fraudnet()
        .arg("train")
        .args(flags)
        .arg("--data")
        .arg(data)
        .arg("--checkpoint-dir")
        .arg(ckpt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Writes `contents` to `name` in `dir` and returns the path.
pub fn write(dir: &std::path::Path, name: &str, contents: impl AsRef<[u8]>) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

// Small training runs through the library API (resume, NaN-guard and filesystem-fault tests).

/// `rows` rows of `features` features (every 20th row positive, as [`small_csv`]), written to
/// `dir/data.csv`, read and prepared with a validation fraction of 0.2.
pub fn prepared(dir: &std::path::Path, rows: usize, features: usize) -> fraudnet::train::Prepared {
    let csv = write(dir, "data.csv", small_csv(rows, features, 20));
    let table = fraudnet::data::read_table(&csv, None).unwrap();
    fraudnet::train::prepare(table, 0.2).unwrap()
}

/// A small model: `--hidden 8,8 --dropout 0,0.25`.
pub fn architecture(inputs: usize) -> fraudnet::model::Architecture {
    fraudnet::model::Architecture::mlp(inputs, &[8, 8], &[0.0, 0.25]).unwrap()
}

/// The model `train` builds for `architecture` and seed 7.
pub fn model(architecture: &fraudnet::model::Architecture) -> fraudnet::model::Sequential<f32> {
    fraudnet::model::Sequential::new(architecture, &mut rng::stream(7, Stream::Init)).unwrap()
}

/// Settings of a run of `epochs` epochs with batches of 64, seed 7, checkpoints in `dir`.
pub fn config(dir: &std::path::Path, epochs: usize) -> fraudnet::train::TrainConfig {
    fraudnet::train::TrainConfig {
        epochs,
        batch_size: 64,
        adam: fraudnet::optim::AdamConfig::default(),
        seed: 7,
        shuffle: true,
        checkpoint_dir: dir.to_path_buf(),
        val_fraction: 0.2,
        test_fraction: 0.0,
        ema: None,
        data_source: "data.csv".into(),
        keep_best: None,
    }
}

/// Path of epoch `epoch`'s checkpoint in `dir`.
pub fn ckpt(dir: &std::path::Path, epoch: usize) -> std::path::PathBuf {
    dir.join(fraudnet::checkpoint::file_name(epoch))
}
