//! Fuzzes the numeric fields of the checkpoint metadata: the input's bytes, read as f64 bit
//! patterns (NaN, ±inf, subnormals, −0 and every other value), replace the standardisation
//! mean and std, the class weights, `val_fraction`, Adam's settings and the metrics of an
//! otherwise valid checkpoint (`tests/bad_inputs/ckpt_ok.safetensors`). Non-finite values are
//! written as JSON can carry them (`1e999`, `-1e999`, `null`, `NaN`), finite ones in full.
//!
//! Checks: `checkpoint::from_bytes` never panics; what it accepts has a finite mean, a std of 0
//! or a positive normal number (not all 0), finite positive class weights and a
//! `val_fraction` in (0, 1); and scoring a row with it either gives a finite logit or an error
//! naming line 2 — never a panic and never a non-finite score.
#![no_main]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use fraudnet::checkpoint;
use fraudnet::predict::Scorer;
use libfuzzer_sys::fuzz_target;
use safetensors::tensor::{SafeTensors, TensorView};

type Tensors = Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>;

/// The tensors and the metadata JSON of the corpus's accepted checkpoint.
fn accepted() -> &'static (Tensors, String) {
    static ACCEPTED: OnceLock<(Tensors, String)> = OnceLock::new();
    ACCEPTED.get_or_init(|| {
        let bytes = include_bytes!("../../tests/bad_inputs/ckpt_ok.safetensors");
        let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
        let json = header.metadata().as_ref().unwrap()["fraudnet"].clone();
        let tensors = SafeTensors::deserialize(bytes)
            .unwrap()
            .tensors()
            .into_iter()
            .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
            .collect();
        (tensors, json)
    })
}

/// The JSON text of one fuzzed number: its bits as an f64, or, for a non-finite one, one of
/// the spellings a hand-edited file might hold (chosen by the low bits).
fn number(bits: u64) -> String {
    let v = f64::from_bits(bits);
    if v.is_finite() {
        // `{:e}` of an f64 is its shortest round-trip form; some are cast to f32 on parsing.
        format!("{v:e}")
    } else {
        ["1e999", "-1e999", "null", "NaN"][(bits & 3) as usize].to_string()
    }
}

/// The metadata's numeric fields the fuzzer fills, as JSON pointers.
const FIELDS: &[&str] = &[
    "/mean/0",
    "/mean/1",
    "/mean/2",
    "/std/0",
    "/std/1",
    "/std/2",
    "/class_weight/0",
    "/class_weight/1",
    "/val_fraction",
    "/adam/learning_rate",
    "/adam/beta_1",
    "/adam/beta_2",
    "/adam/epsilon",
    "/metrics/loss",
    "/metrics/val_loss",
    "/metrics/val_auc_pr",
];

fuzz_target!(|data: &[u8]| {
    let (tensors, json) = accepted();
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    // A placeholder per field, replaced by the number's text once serialised (serde_json
    // cannot hold NaN or infinity as a value).
    for (k, field) in FIELDS.iter().take(data.len() / 8).enumerate() {
        if let Some(slot) = value.pointer_mut(field) {
            *slot = serde_json::Value::String(format!("@{k}@"));
        }
    }
    let mut text = serde_json::to_string(&value).unwrap();
    for (k, chunk) in data.chunks_exact(8).take(FIELDS.len()).enumerate() {
        let bits = u64::from_le_bytes(chunk.try_into().unwrap());
        text = text.replace(&format!("\"@{k}@\""), &number(bits));
    }
    let views = tensors
        .iter()
        .map(|(n, d, s, b)| (n.as_str(), TensorView::new(*d, s.clone(), b).unwrap()));
    let metadata = HashMap::from([("fraudnet".to_string(), text)]);
    let bytes = safetensors::serialize(views, Some(metadata)).unwrap();
    let Ok(saved) = checkpoint::from_bytes(&bytes, Path::new("fuzz.safetensors")) else {
        return;
    };
    let meta = &saved.meta;
    assert!(meta.mean.iter().all(|m| m.is_finite()), "{meta:?}");
    assert!(
        meta.std.iter().all(|&s| s == 0.0 || (s.is_normal() && s > 0.0)),
        "{meta:?}"
    );
    assert!(meta.std.iter().any(|&s| s != 0.0), "{meta:?}");
    assert!(
        meta.class_weight.iter().all(|w| w.is_finite() && *w > 0.0),
        "{meta:?}"
    );
    assert!(meta.val_fraction > 0.0 && meta.val_fraction < 1.0, "{meta:?}");
    // One row scored: the remaining bytes as its three raw features.
    let rest = &data[(FIELDS.len() * 8).min(data.len())..];
    let mut row = [0.0f32; 3];
    for (x, chunk) in row.iter_mut().zip(rest.chunks_exact(4)) {
        *x = f32::from_le_bytes(chunk.try_into().unwrap());
    }
    if row.iter().any(|x| !x.is_finite()) {
        return; // the readers refuse these before scoring
    }
    let scorer = Scorer::new(saved);
    let x = ndarray::Array2::from_shape_vec((1, 3), row.to_vec()).unwrap();
    match scorer.logits(x.view(), Path::new("fuzz.csv"), 1) {
        Ok(logits) => assert!(logits.iter().all(|z| z.is_finite()), "{logits:?}"),
        Err(fraudnet::Error::Data { line: 2, .. }) => {}
        Err(other) => panic!("unexpected error {other}"),
    }
});
