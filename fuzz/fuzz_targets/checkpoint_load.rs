//! Fuzzes the checkpoint loader on arbitrary bytes: `checkpoint::from_bytes` must return a
//! checkpoint or an error, never panic, and never allocate more than the input justifies
//! (libFuzzer's `-rss_limit_mb` and `-malloc_limit_mb` catch that).
#![no_main]

use std::path::Path;

use fraudnet::checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = checkpoint::from_bytes(data, Path::new("fuzz.safetensors")) {
        // What loads must be what a run can use: finite, and shaped as its architecture.
        assert!(
            c.model
                .parameters()
                .all(|p| p.value.iter().all(|v| v.is_finite()))
        );
        assert_eq!(c.meta.mean.len(), c.model.inputs());
        assert_eq!(c.adam.slots.len(), c.model.parameters().count());
    }
});
