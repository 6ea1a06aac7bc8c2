//! The NaN guard: a non-finite loss, gradient, parameter, optimizer moment or validation loss
//! stops training with an error naming the epoch, the step and the likely cause, and the last
//! good checkpoint stays as it was.

mod common;

use common::{architecture, ckpt, config, file_names, fraudnet, model, prepared, small_csv, write};
use fraudnet::Error;
use fraudnet::checkpoint;
use fraudnet::train::{self, FitOutcome, Prepared, TrainConfig, TrainState};

/// The error of a run that must stop, as `(epoch, step, what, cause)`.
fn stopped(result: fraudnet::Result<FitOutcome>) -> (usize, usize, String, String) {
    match result {
        Err(Error::NonFinite {
            epoch,
            step,
            what,
            cause,
        }) => (epoch, step, what, cause),
        Err(other) => panic!("expected Error::NonFinite, got {other}"),
        Ok(_) => panic!("expected Error::NonFinite, the run succeeded"),
    }
}

fn fit_fresh(config: &TrainConfig, data: &Prepared) -> fraudnet::Result<FitOutcome> {
    let arch = architecture(data.feature_names.len());
    train::fit(config, data, model(&arch), None, &mut std::io::sink())
}

#[test]
fn a_huge_learning_rate_on_the_command_line_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    let ckpt_dir = dir.path().join("ckpt");
    let out = fraudnet()
        .args(["train", "--epochs", "2", "--batch-size", "128"])
        .args(["--hidden", "16,16", "--dropout", "0,0"])
        .args(["--learning-rate", "1e30"])
        .arg("--data")
        .arg(&data)
        .arg("--checkpoint-dir")
        .arg(&ckpt_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for part in [
        "error: training stopped at epoch 1, step ",
        "is not finite",
        "likely cause: the learning rate 1e30 is too large",
        "--learning-rate",
    ] {
        assert!(stderr.contains(part), "expected {part:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    // No checkpoint, and no empty directory: the failed run created it and removed it again.
    assert!(!ckpt_dir.exists(), "{:?}", file_names(&ckpt_dir));
}

#[test]
fn divergence_after_a_good_epoch_leaves_its_checkpoint_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let ckpt_dir = dir.path().join("ckpt");
    fit_fresh(&config(&ckpt_dir, 1), &data).unwrap();
    let good = std::fs::read(ckpt(&ckpt_dir, 1)).unwrap();
    // Resume through the API with a learning rate that makes epoch 2 overflow.
    let mut huge = config(&ckpt_dir, 3);
    huge.adam.learning_rate = 1e30;
    let state = TrainState::resume(
        checkpoint::load(&ckpt(&ckpt_dir, 1)).unwrap(),
        &ckpt(&ckpt_dir, 1),
        &huge,
        &architecture(4),
        &data,
    )
    .unwrap();
    let result = train::fit_from(
        &huge,
        &data,
        state,
        None,
        &mut std::io::sink(),
        &mut checkpoint::write_atomically,
    );
    let (epoch, step, _, cause) = stopped(result);
    assert_eq!(epoch, 2);
    assert!(step >= 1, "step {step}");
    assert!(cause.contains("learning rate 1e30"), "{cause}");
    assert_eq!(file_names(&ckpt_dir), [checkpoint::file_name(1)]);
    assert!(std::fs::read(ckpt(&ckpt_dir, 1)).unwrap() == good);
    assert!(checkpoint::load(&ckpt(&ckpt_dir, 1)).is_ok());
}

#[test]
fn a_non_finite_input_value_is_named_with_its_row_and_feature_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = prepared(dir.path(), 1200, 4);
    data.train_x[[3 * 64 + 5, 2]] = f32::NAN;
    let ckpt_dir = dir.path().join("ckpt");
    let (epoch, step, what, cause) = stopped(fit_fresh(&config(&ckpt_dir, 2), &data));
    assert_eq!((epoch, step), (1, 0));
    assert_eq!(
        what,
        "the standardised input of training row 198 (data row 198), feature \"f2\""
    );
    assert!(cause.contains("input values"), "{cause}");
    assert!(file_names(&ckpt_dir).is_empty());
}

#[test]
fn an_infinite_validation_value_is_named_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = prepared(dir.path(), 1200, 4);
    data.val_x[[17, 0]] = f32::INFINITY;
    let ckpt_dir = dir.path().join("ckpt");
    let (epoch, step, what, _) = stopped(fit_fresh(&config(&ckpt_dir, 2), &data));
    assert_eq!((epoch, step), (1, 0));
    assert_eq!(
        what,
        "the standardised input of validation row 18 (data row 978), feature \"f0\""
    );
    assert!(file_names(&ckpt_dir).is_empty());
}

#[test]
fn a_non_finite_parameter_or_moment_in_the_starting_state_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let ckpt_dir = dir.path().join("ckpt");
    let cfg = config(&ckpt_dir, 1);
    let mut bad = model(&architecture(4));
    if let Some(p) = bad.parameters_mut().find(|p| p.name == "dense_1/kernel") {
        let mut kernel = p.value;
        kernel[[1, 3]] = f32::NAN;
    }
    let result = train::fit(&cfg, &data, bad, None, &mut std::io::sink());
    let (epoch, step, what, cause) = stopped(result);
    assert_eq!((epoch, step), (1, 0));
    assert_eq!(what, "parameter dense_1/kernel");
    assert!(cause.contains("starting weights"), "{cause}");

    let mut state = TrainState::fresh(model(&architecture(4)), &cfg);
    state.adam.slots[1].v[[0]] = f32::INFINITY;
    let result = train::fit_from(
        &cfg,
        &data,
        state,
        None,
        &mut std::io::sink(),
        &mut checkpoint::write_atomically,
    );
    assert_eq!(stopped(result).2, "Adam's moment optimizer/v/dense/bias");
    assert!(file_names(&ckpt_dir).is_empty());
}

#[test]
fn finite_training_passes_the_guard() {
    // The guard must not fire on a healthy run (a guard that always fails would pass the
    // tests above).
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 1200, 4);
    let ckpt_dir = dir.path().join("ckpt");
    let outcome = fit_fresh(&config(&ckpt_dir, 2), &data).unwrap();
    assert_eq!(outcome.history.len(), 2);
    assert_eq!(file_names(&ckpt_dir).len(), 2);
}
