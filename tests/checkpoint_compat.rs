//! Checkpoints written before this version still load and give the same numbers: a format
//! version 1 checkpoint (written at commit 2d21026, see `tests/fixtures/v1/README.md`) scores
//! the same probabilities and evaluates to the same counts and metrics as it did then.

mod common;

use std::path::Path;

use fraudnet::checkpoint;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_version_1_checkpoint_loads_with_its_architecture() {
    let loaded = checkpoint::load(&fixture("v1/fraud_model_at_epoch_2.safetensors")).unwrap();
    assert_eq!(loaded.meta.format_version, 1);
    assert_eq!(
        loaded.meta.architecture,
        fraudnet::model::Architecture::mlp(8, &[8, 8], &[0.0, 0.3]).unwrap()
    );
    assert_eq!(loaded.adam.t, 10);
    // Version 3's additions read as a run without them: no average, no test split.
    assert_eq!(loaded.meta.test_fraction, 0.0);
    assert_eq!(loaded.meta.ema_momentum, None);
    assert!(loaded.ema.is_none());
    assert_eq!(loaded.default_weights(), checkpoint::Weights::Raw);
}

#[test]
fn a_version_2_checkpoint_without_the_new_fields_loads_as_a_run_without_them() {
    use safetensors::tensor::SafeTensors;
    // Version 2 as written before the average and the test split: the same tensors, the
    // metadata without `test_fraction` and `ema_momentum`.
    let dir = tempfile::tempdir().unwrap();
    let data = common::write(dir.path(), "small.csv", common::small_csv(400, 3, 10));
    let run = dir.path().join("run");
    common::train_ok(&data, &run, &["--epochs", "1", "--hidden", "4"]);
    let bytes = std::fs::read(common::ckpt(&run, 1)).unwrap();
    let tensors = SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&header.metadata().as_ref().unwrap()["fraudnet"]).unwrap();
    let object = meta.as_object_mut().unwrap();
    assert!(object.remove("test_fraction").is_some() && object.remove("ema_momentum").is_some());
    object.insert("format_version".into(), 2.into());
    let v2 = safetensors::serialize(
        tensors.tensors(),
        Some(std::collections::HashMap::from([(
            "fraudnet".to_string(),
            meta.to_string(),
        )])),
    )
    .unwrap();
    let loaded = checkpoint::from_bytes(&v2, Path::new("v2.safetensors")).unwrap();
    let now = checkpoint::from_bytes(&bytes, Path::new("v3.safetensors")).unwrap();
    assert_eq!(loaded.meta.format_version, 2);
    assert_eq!(
        (loaded.meta.test_fraction, loaded.meta.ema_momentum),
        (0.0, None)
    );
    assert_eq!((loaded.model, loaded.adam), (now.model, now.adam));
}

#[test]
fn a_version_1_checkpoint_predicts_the_same_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let status = common::fraudnet()
        .args(["predict", "--checkpoint"])
        .arg(fixture("v1/fraud_model_at_epoch_2.safetensors"))
        .arg("--data")
        .arg(fixture("parity/data.csv"))
        .arg("--output")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let got = std::fs::read_to_string(&out).unwrap();
    let want = std::fs::read_to_string(fixture("v1/predict.csv")).unwrap();
    let column = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split(',').next().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        column(&got),
        column(&want),
        "probabilities differ from version 1's"
    );
}

#[test]
fn a_version_1_checkpoint_evaluates_to_the_same_numbers() {
    let output = common::fraudnet()
        .args(["evaluate", "--checkpoint"])
        .arg(fixture("v1/fraud_model_at_epoch_2.safetensors"))
        .arg("--data")
        .arg(fixture("parity/data.csv"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = String::from_utf8_lossy(&output.stdout);
    let want = std::fs::read_to_string(fixture("v1/evaluate.txt")).unwrap();
    for line in [
        "Rows: 80 (9 frauds, 71 legitimate)",
        "tp: 1  fp: 4  tn: 67  fn: 8",
        "precision: 0.2000  recall: 0.1111  F1: 0.1429",
        "Average precision (area under the precision–recall curve): 0.1678",
        "ROC AUC: 0.5227",
    ] {
        assert!(want.contains(line), "the fixture lacks {line:?}");
        assert!(
            got.contains(line),
            "today's evaluate lacks {line:?}:\n{got}"
        );
    }
}
