//! Small training runs through the library API, shared by the resume, NaN-guard and
//! filesystem-fault tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fraudnet::checkpoint;
use fraudnet::data;
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::AdamConfig;
use fraudnet::rng::{self, Stream};
use fraudnet::train::{self, Prepared, TrainConfig};

/// `rows` rows of `features` features (every 20th row positive, shifted to be learnable),
/// written to `dir/data.csv`, read and prepared with a validation fraction of 0.2.
pub fn prepared(dir: &Path, rows: usize, features: usize) -> Prepared {
    let csv = dir.join("data.csv");
    let mut text = (0..features)
        .map(|f| format!("f{f}"))
        .collect::<Vec<_>>()
        .join(",")
        + ",Class\n";
    for r in 0..rows {
        let positive = r % 20 == 19;
        let values: Vec<String> = (0..features)
            .map(|f| {
                let v = ((r * 7919 + f * 104729) % 1000) as f64 / 500.0 - 1.0;
                format!("{}", if positive { v + 2.0 } else { v })
            })
            .collect();
        text += &format!("{},{}\n", values.join(","), u8::from(positive));
    }
    std::fs::write(&csv, text).unwrap();
    train::prepare(data::read_table(&csv, None).unwrap(), 0.2).unwrap()
}

/// A small model: `--hidden 8,8 --dropout 0,0.25`.
pub fn architecture(inputs: usize) -> Architecture {
    Architecture::mlp(inputs, &[8, 8], &[0.0, 0.25]).unwrap()
}

/// The model `train` builds for `architecture` and seed 7.
pub fn model(architecture: &Architecture) -> Sequential<f32> {
    Sequential::new(architecture, &mut rng::stream(7, Stream::Init)).unwrap()
}

/// Settings of a run of `epochs` epochs with batches of 64, seed 7, checkpoints in `dir`.
pub fn config(dir: &Path, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 64,
        adam: AdamConfig::default(),
        seed: 7,
        shuffle: true,
        checkpoint_dir: dir.to_path_buf(),
        val_fraction: 0.2,
        data_source: "data.csv".into(),
        keep_best: None,
    }
}

/// Path of epoch `epoch`'s checkpoint in `dir`.
pub fn ckpt(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(checkpoint::file_name(epoch))
}

/// The names of the files in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
