//! Fuzzes the checkpoint metadata: the input is the `fraudnet` metadata JSON of an otherwise
//! valid checkpoint (a 3-input `--hidden 4 --dropout 0.5` model's tensors), so the fuzzer
//! reaches the architecture, size and consistency checks behind the safetensors parser.
#![no_main]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use fraudnet::checkpoint;
use libfuzzer_sys::fuzz_target;
use safetensors::tensor::{SafeTensors, TensorView};

/// The tensors of the corpus's accepted checkpoint, as `(name, dtype, shape, bytes)`.
fn tensors() -> &'static Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> {
    static TENSORS: OnceLock<Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>> =
        OnceLock::new();
    TENSORS.get_or_init(|| {
        let bytes = include_bytes!("../../tests/bad_inputs/ckpt_ok.safetensors");
        SafeTensors::deserialize(bytes)
            .unwrap()
            .tensors()
            .into_iter()
            .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let views = tensors()
        .iter()
        .map(|(n, d, s, b)| (n.as_str(), TensorView::new(*d, s.clone(), b).unwrap()));
    let metadata = HashMap::from([("fraudnet".to_string(), json.to_string())]);
    let bytes = safetensors::serialize(views, Some(metadata)).unwrap();
    let _ = checkpoint::from_bytes(&bytes, Path::new("fuzz.safetensors"));
});
