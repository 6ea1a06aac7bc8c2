//! A checkpoint written by fraudnet loads in Python's `safetensors` package with the right
//! names, shapes, values and metadata. Skipped, saying why, where Python lacks the package
//! (`.ci/run` installs it).

mod common;

use std::process::Command;

use fraudnet::checkpoint::{self, CheckpointMeta};
use fraudnet::metrics::EpochMetrics;
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::{Adam, AdamConfig};
use fraudnet::rng::{self, Stream};

fn python_has_safetensors() -> bool {
    Command::new("python3")
        .args(["-c", "import safetensors.numpy, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn python_safetensors_loads_a_checkpoint() {
    if !python_has_safetensors() {
        // CI installs the packages and sets FRAUDNET_REQUIRE_PYTHON, so there a missing
        // package fails the test instead of skipping it.
        assert!(
            std::env::var_os("FRAUDNET_REQUIRE_PYTHON").is_none(),
            "FRAUDNET_REQUIRE_PYTHON is set but python3 lacks safetensors/numpy"
        );
        eprintln!("skipping: python3 with the safetensors and numpy packages is not available");
        return;
    }
    let arch = Architecture::reference();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(3, Stream::Init)).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), &model);
    adam.t = 112;
    let meta = CheckpointMeta {
        format: checkpoint::FORMAT.into(),
        format_version: checkpoint::FORMAT_VERSION,
        epoch: 1,
        epochs: 30,
        seed: 3,
        architecture: arch,
        adam: AdamConfig::default(),
        batch_size: 2048,
        val_fraction: 0.2,
        test_fraction: 0.0,
        ema_momentum: None,
        shuffle: true,
        feature_names: (0..30).map(|i| format!("V{i}")).collect(),
        label_name: "Class".into(),
        mean: vec![0.5; 30],
        std: vec![2.0; 30],
        class_weight: [1.0 / 227_429.0, 1.0 / 417.0],
        data_source: "test".into(),
        metrics: EpochMetrics::default(),
        dropout_rng_position: "0".into(),
        shuffle_rng_position: "0".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(checkpoint::file_name(1));
    checkpoint::save(&path, &model, &adam, None, &meta).unwrap();
    let script = r#"
import json, sys
from safetensors.numpy import load_file
from safetensors import safe_open
w = load_file(sys.argv[1])
with safe_open(sys.argv[1], "np") as f:
    meta = json.loads(f.metadata()["fraudnet"])
print(w["dense/kernel"].shape, w["dense/kernel"].dtype, w["dense_3/bias"].shape, int(w["optimizer/iterations"]))
print(repr(float(w["dense_1/kernel"][2, 3])))
print(meta["format"], meta["epoch"], meta["architecture"]["inputs"], len(w))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "(30, 256) float32 (1,) 112");
    let value: f32 = model.parameter("dense_1/kernel").unwrap()[[2, 3]];
    assert_eq!(
        lines[1].parse::<f64>().unwrap(),
        value as f64,
        "dense_1/kernel[2, 3]"
    );
    // 8 parameters + 8 first moments + 8 second moments + the step count.
    assert_eq!(lines[2], "fraudnet-checkpoint 1 30 25");
}
