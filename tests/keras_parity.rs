//! Step-for-step parity with Keras 3 (JAX backend), without Python: `fraudnet train` from
//! Keras's initial weights, on the same rows in the same order, must end within [`TOLERANCE`]
//! of the weights Keras reached.
//!
//! The fixture `tests/fixtures/parity/` was made by `bench/compare/parity.py` (its README names
//! the versions and the command): a 400-row synthetic data set shaped like `creditcard.csv`,
//! Keras's Glorot-uniform initial weights for an 8-16-16-1 model, and the weights after one
//! epoch of `model.fit(batch_size=96, shuffle=False, class_weight=…)` with `Adam(1e-2)` and
//! `binary_crossentropy`: 4 Adam steps, the last on a partial batch of 32 rows. The Python
//! that produced the numbers:
//!
//! ```python
//! keras.utils.set_random_seed(20240)
//! model = keras.Sequential([keras.Input((8,)), Dense(16, "relu"), Dense(16, "relu"), Dense(1, "sigmoid")])
//! save_file(weights(model), "init.safetensors")
//! model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
//! model.fit(train_x, train_y, batch_size=96, epochs=1, shuffle=False, class_weight={0: 1/n0, 1: 1/n1})
//! save_file(weights(model), "keras_after.safetensors")
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::fraudnet;
use safetensors::tensor::{Dtype, SafeTensors};

/// Largest accepted |fraudnet − Keras| for any parameter after the 4 steps.
///
/// Why 2e-6:
/// - Both sides compute in f32 with different summation orders (XLA's dot products against
///   fraudnet's blocked kernels, NumPy's pairwise float32 mean and std against fraudnet's f64
///   sums, Keras's f32 `α` against fraudnet's f64 one), so the runs agree to rounding only.
///   Measured when the fixture was made: max 3.9e-7 over all parameters (0.3–5.1e-7 over six
///   data seeds); PyTorch running Keras's form of Adam lands at the same distance.
/// - One Adam step moves a parameter by up to `lr` = 1e-2: the fixture's last step moved the
///   parameters by a median of 5.9e-3, its first step by up to 1.0e-2. 2e-6 is about 3,000
///   times smaller than a typical step, so a skipped, repeated or mis-scaled step, a wrong
///   batch order, class weight or loss reduction cannot pass
///   ([`tolerance_is_far_below_one_adam_step`]).
/// - PyTorch's form of Adam (ε added to the bias-corrected √v̂ instead of Keras's √v) from the
///   same weights ends 1.9e-2 away: with class weights of 1/count the gradients are small
///   enough for ε to matter, so the test rejects that form with a wide margin
///   ([`tolerance_rejects_pytorch_form_of_adam`]).
const TOLERANCE: f64 = 2e-6;

/// Hidden layers, batch size and step count of the fixture (see its README).
const HIDDEN: &str = "16,16";
const BATCH_SIZE: &str = "96";
const STEPS: usize = 4;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parity")
        .join(name)
}

/// The model parameters (`dense…/kernel`, `dense…/bias`) of a safetensors file as f64, with
/// their shapes; other tensors (Adam's state) are left out.
fn parameters(path: &Path) -> BTreeMap<String, (Vec<usize>, Vec<f64>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tensors = SafeTensors::deserialize(&bytes).unwrap();
    tensors
        .tensors()
        .into_iter()
        .filter(|(name, _)| name.starts_with("dense"))
        .map(|(name, view)| {
            assert_eq!(view.dtype(), Dtype::F32, "{}: {name}", path.display());
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
                .collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect()
}

/// Per parameter tensor, `max |a − b|` over its elements; panics if the names or shapes differ.
fn max_abs_diff(
    a: &BTreeMap<String, (Vec<usize>, Vec<f64>)>,
    b: &BTreeMap<String, (Vec<usize>, Vec<f64>)>,
) -> BTreeMap<String, f64> {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "parameter names differ"
    );
    a.iter()
        .map(|(name, (shape, x))| {
            let (other_shape, y) = &b[name];
            assert_eq!(shape, other_shape, "{name}: shapes differ");
            let diff = x
                .iter()
                .zip(y)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            (name.clone(), diff)
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn fraudnet_matches_keras_step_for_step() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let out = fraudnet()
        .args(["train", "--epochs", "1", "--batch-size", BATCH_SIZE])
        .args([
            "--learning-rate",
            "0.01",
            "--hidden",
            HIDDEN,
            "--dropout",
            "0,0",
        ])
        .arg("--no-shuffle")
        .arg("--data")
        .arg(fixture("data.csv"))
        .arg("--init-weights")
        .arg(fixture("init.safetensors"))
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{STEPS}/{STEPS} - ")),
        "expected {STEPS} steps:\n{stdout}"
    );
    let ours = parameters(&checkpoints.join("fraud_model_at_epoch_1.safetensors"));
    let keras = parameters(&fixture("keras_after.safetensors"));
    assert_eq!(ours.len(), 6, "{:?}", ours.keys());
    let diffs = max_abs_diff(&ours, &keras);
    let outside: Vec<_> = diffs.iter().filter(|(_, d)| **d > TOLERANCE).collect();
    assert!(
        outside.is_empty(),
        "after {STEPS} steps from Keras's weights, fraudnet differs from Keras by more than \
         {TOLERANCE:e} in {outside:?} (all max |Δ|: {diffs:?})"
    );
}

#[test]
fn tolerance_is_far_below_one_adam_step() {
    let before = parameters(&fixture("keras_before_last.safetensors"));
    let after = parameters(&fixture("keras_after.safetensors"));
    let steps: Vec<f64> = after
        .iter()
        .flat_map(|(name, (_, x))| x.iter().zip(&before[name].1).map(|(a, b)| (a - b).abs()))
        .collect();
    let median_step = median(steps);
    // Keras's last step moved every tensor, and the median parameter by ≥ 1000 × TOLERANCE.
    for (name, diff) in max_abs_diff(&after, &before) {
        assert!(
            diff > 100.0 * TOLERANCE,
            "{name}: Keras's last step moved it by only {diff:e}"
        );
    }
    assert!(
        median_step > 1000.0 * TOLERANCE,
        "median one-step change {median_step:e} is not ≫ the tolerance {TOLERANCE:e}"
    );
    // And the whole run moved further than one step: starting weights would fail.
    let init = parameters(&fixture("init.safetensors"));
    let moved = max_abs_diff(&after, &init);
    assert!(moved.values().all(|&d| d > 100.0 * TOLERANCE), "{moved:?}");
}

#[test]
fn tolerance_rejects_pytorch_form_of_adam() {
    // The same 4 steps from the same weights with torch.optim.Adam(eps=1e-7): what fraudnet
    // would compute if its Adam added ε to √v̂ (PyTorch) instead of √v (Keras).
    let torch_form = parameters(&fixture("torch_form_after.safetensors"));
    let keras = parameters(&fixture("keras_after.safetensors"));
    let gap = max_abs_diff(&torch_form, &keras)
        .into_values()
        .fold(0.0, f64::max);
    assert!(
        gap > 100.0 * TOLERANCE,
        "PyTorch's Adam form ends only {gap:e} from Keras's: the tolerance {TOLERANCE:e} \
         would not tell them apart"
    );
}
