//! `--ema`: the weights' moving average, as Keras's `use_ema=True` keeps it
//! (keras/src/optimizers/base_optimizer.py, `_update_model_variables_moving_average`):
//! `average ← m·average + (1 − m)·θ` after every step, with `m = 0` on the first.

mod common;

use std::path::Path;
use std::process::Output;

use common::{architecture, ckpt, config, fraudnet, model, prepared, small_csv, train_ok, write};
use fraudnet::checkpoint::{self, Weights};
use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::Ema;
use fraudnet::train::{self, evaluate_ranked};

/// A model of 2 inputs, one hidden unit and the logit: four small parameters.
fn tiny() -> Sequential<f32> {
    let arch = Architecture::mlp(2, &[1], &[0.0]).unwrap();
    model(&arch)
}

fn fill(model: &mut Sequential<f32>, value: impl Fn(usize, usize) -> f32) {
    for (p, param) in model.parameters_mut().enumerate() {
        let mut v = param.value;
        for (i, x) in v.iter_mut().enumerate() {
            *x = value(p, i);
        }
    }
}

fn values(model: &Sequential<f32>) -> Vec<f32> {
    model
        .parameters()
        .flat_map(|p| p.value.iter().copied().collect::<Vec<_>>())
        .collect()
}

#[test]
fn the_average_equals_a_hand_worked_three_step_example() {
    // Momentum 0.5, every weight 2, then 4, then 0 after steps 1–3:
    //   step 1 (m = 0):   average = 0·(start) + 1·2     = 2
    //   step 2 (m = 0.5): average = 0.5·2 + 0.5·4       = 3
    //   step 3 (m = 0.5): average = 0.5·3 + 0.5·0       = 1.5
    // (every value exact in binary, so the comparison is exact).
    let mut model = tiny();
    fill(&mut model, |_, _| 7.0); // the start, which the first step must forget
    let mut ema = Ema::new(0.5, &model);
    for (step, (weight, want)) in [(2.0, 2.0), (4.0, 3.0), (0.0, 1.5)].into_iter().enumerate() {
        fill(&mut model, |_, _| weight);
        ema.update(&model, step == 0);
        for a in values(&ema.average) {
            assert_eq!(a, want, "after step {}", step + 1);
        }
    }
}

#[test]
fn the_average_follows_keras_formula_including_its_first_step() {
    // Keras: `not_first_step = iterations != 0; momentum = cast(not_first_step) * ema_momentum;
    // average = momentum * average + (1 - momentum) * var`, in the variable's dtype (f32).
    let momentum = 0.99;
    let mut model = tiny();
    let mut ema = Ema::new(momentum, &model);
    let n = values(&model).len();
    let mut reference = vec![0.0f32; n]; // Keras starts the average at zeros
    for iterations in 0..6u32 {
        fill(&mut model, |p, i| {
            ((iterations * 31 + p as u32 * 7 + i as u32 * 3) % 17) as f32 * 0.37 - 2.5
        });
        let m = if iterations == 0 {
            0.0
        } else {
            momentum as f32
        };
        for (r, &w) in reference.iter_mut().zip(&values(&model)) {
            *r = m * *r + (1.0 - m) * w;
        }
        ema.update(&model, iterations == 0);
        let got: Vec<u32> = values(&ema.average).iter().map(|v| v.to_bits()).collect();
        let want: Vec<u32> = reference.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "iterations {iterations}");
        if iterations == 0 {
            assert_eq!(
                values(&ema.average),
                values(&model),
                "the first step copies"
            );
        }
    }
}

#[test]
fn a_run_keeps_the_average_of_its_steps_validates_it_and_never_lets_it_change_training() {
    let dir = tempfile::tempdir().unwrap();
    let data = prepared(dir.path(), 600, 4);
    let arch = architecture(4);
    // One step per epoch (a batch larger than the training rows), so each epoch's checkpoint
    // holds the weights after one step: epoch 1's average is its weights (m = 0), epoch 2's is
    // m·θ₁ + (1 − m)·θ₂.
    let momentum = 0.75;
    let run = |sub: &str, ema: Option<f64>| {
        let out = dir.path().join(sub);
        let mut c = config(&out, 2);
        c.batch_size = 10_000;
        c.ema = ema;
        train::fit(&c, &data, model(&arch), None, &mut std::io::sink()).unwrap();
        out
    };
    let with = run("with", Some(momentum));
    let without = run("without", None);
    let e1 = checkpoint::load(&ckpt(&with, 1)).unwrap();
    let e2 = checkpoint::load(&ckpt(&with, 2)).unwrap();
    assert_eq!(e2.meta.ema_momentum, Some(momentum));
    // The raw weights and Adam's state are those of the run without an average.
    let plain = checkpoint::load(&ckpt(&without, 2)).unwrap();
    assert_eq!((&e2.model, &e2.adam), (&plain.model, &plain.adam));
    assert!(plain.ema.is_none() && plain.meta.ema_momentum.is_none());
    let a1 = e1.ema.as_ref().unwrap();
    assert_eq!(values(&a1.average), values(&e1.model));
    let m = momentum as f32;
    let want: Vec<f32> = values(&e1.model)
        .iter()
        .zip(values(&e2.model))
        .map(|(&t1, t2)| m * t1 + (1.0 - m) * t2)
        .collect();
    let a2 = e2.ema.as_ref().unwrap();
    assert_eq!(values(&a2.average), want);
    assert_ne!(values(&a2.average), values(&e2.model));
    // The epoch's validation metrics are those of the average.
    let of = |model: &Sequential<f32>| {
        evaluate_ranked(model, data.val_x.view(), data.val_y.view()).unwrap()
    };
    assert_eq!(
        e2.meta.metrics.val_loss.to_bits(),
        of(&a2.average).loss.to_bits()
    );
    assert_ne!(
        e2.meta.metrics.val_loss.to_bits(),
        of(&e2.model).loss.to_bits()
    );
    assert_eq!(
        plain.meta.metrics.val_loss.to_bits(),
        of(&plain.model).loss.to_bits()
    );
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "small.csv", small_csv(2000, 5, 20));
    (dir, data)
}

const FLAGS: [&str; 8] = [
    "--batch-size",
    "128",
    "--hidden",
    "16,8",
    "--dropout",
    "0.2,0.3",
    "--seed",
    "11",
];

fn run(args: &[&str]) -> Output {
    fraudnet().args(args).output().unwrap()
}

fn stdout_ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn stderr_refused(out: Output) -> String {
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn resume_with_ema_is_byte_identical_to_the_run_that_never_stopped() {
    let (dir, data) = setup();
    let straight = dir.path().join("straight");
    let stopped = dir.path().join("stopped");
    let ema = ["--ema", "0.9"];
    let epochs = |n: &'static str| [&FLAGS[..], &ema[..], &["--epochs", n]].concat();
    let out = train_ok(&data, &straight, &epochs("4"));
    assert!(out.contains(" - val_weights: ema"), "{out}");
    train_ok(&data, &stopped, &epochs("2"));
    let stopped_2 = ckpt(&stopped, 2);
    let resume = [&epochs("4")[..], &["--resume", s(&stopped_2)]].concat();
    let out = train_ok(&data, &stopped, &resume);
    assert!(out.contains("after epoch 2 of 4"), "{out}");
    for epoch in 3..=4 {
        assert!(
            std::fs::read(ckpt(&straight, epoch)).unwrap()
                == std::fs::read(ckpt(&stopped, epoch)).unwrap(),
            "checkpoint of epoch {epoch} differs between the straight and the resumed run"
        );
    }
    // Resuming without the average, or with another momentum, is refused in the flags' words.
    for (flags, want) in [
        (&[][..], "pass --ema 0.9"),
        (&["--ema", "0.99"][..], "pass --ema 0.9"),
    ] {
        let mut args = vec!["train", "--epochs", "4", "--data", s(&data)];
        args.extend(FLAGS);
        args.extend(flags);
        args.extend(["--checkpoint-dir", s(&stopped), "--resume", s(&stopped_2)]);
        let stderr = stderr_refused(run(&args));
        assert!(stderr.contains(want), "{stderr}");
    }
    // A momentum outside [0, 1) is refused before anything is read.
    let never = dir.path().join("never");
    let mut args = vec!["train", "--ema", "1", "--data", s(&data)];
    args.extend(["--checkpoint-dir", s(&never)]);
    let stderr = stderr_refused(run(&args));
    assert!(stderr.contains("invalid setting --ema"), "{stderr}");
}

#[test]
fn evaluate_and_predict_score_with_the_average_and_weights_raw_with_the_raw_weights() {
    let (dir, data) = setup();
    let with = dir.path().join("with");
    let without = dir.path().join("without");
    let epochs = ["--epochs", "2"];
    train_ok(
        &data,
        &with,
        &[&FLAGS[..], &epochs, &["--ema", "0.9"]].concat(),
    );
    train_ok(&data, &without, &[&FLAGS[..], &epochs].concat());
    let (ema_ckpt, plain_ckpt) = (ckpt(&with, 2), ckpt(&without, 2));

    let evaluate = |c: &Path, extra: &[&str]| {
        let mut args = vec!["evaluate", "--checkpoint", s(c), "--data", s(&data)];
        args.extend(extra);
        stdout_ok(run(&args))
    };
    // The report without its first line, which names the checkpoint and the weights.
    let body = |text: &str| text.lines().skip(1).collect::<Vec<_>>().join("\n");
    let default = evaluate(&ema_ckpt, &[]);
    let ema = evaluate(&ema_ckpt, &["--weights", "ema"]);
    let raw = evaluate(&ema_ckpt, &["--weights", "raw"]);
    let plain = evaluate(&plain_ckpt, &[]);
    assert!(
        default.lines().next().unwrap().contains("EMA weights"),
        "{default}"
    );
    assert!(raw.lines().next().unwrap().contains("raw weights"), "{raw}");
    assert!(
        !plain.lines().next().unwrap().contains("weights"),
        "{plain}"
    );
    assert_eq!(default, ema);
    assert_ne!(body(&default), body(&raw));
    // The raw weights are those of the run without an average.
    assert_eq!(body(&raw), body(&plain));

    let predict = |c: &Path, name: &str, extra: &[&str]| {
        let output = dir.path().join(name);
        let mut args = vec!["predict", "--checkpoint", s(c), "--data", s(&data)];
        args.extend(["--output", s(&output), "--logits"]);
        args.extend(extra);
        stdout_ok(run(&args));
        std::fs::read_to_string(output).unwrap()
    };
    let default = predict(&ema_ckpt, "default.csv", &[]);
    assert_eq!(
        default,
        predict(&ema_ckpt, "ema.csv", &["--weights", "ema"])
    );
    let raw = predict(&ema_ckpt, "raw.csv", &["--weights", "raw"]);
    assert_ne!(default, raw);
    assert_eq!(raw, predict(&plain_ckpt, "plain.csv", &[]));

    // The library's view: the default is the average when there is one.
    let loaded = checkpoint::load(&ema_ckpt).unwrap();
    assert_eq!(loaded.default_weights(), Weights::Ema);
    let (chosen, which) = loaded.clone().with_weights(None, &ema_ckpt).unwrap();
    assert_eq!(which, Weights::Ema);
    assert_eq!(chosen.model, loaded.ema.unwrap().average);

    // No average to choose: refused, naming the flag.
    let mut args = vec![
        "evaluate",
        "--checkpoint",
        s(&plain_ckpt),
        "--data",
        s(&data),
    ];
    args.extend(["--weights", "ema"]);
    let stderr = stderr_refused(run(&args));
    assert!(
        stderr.contains("invalid setting --weights") && stderr.contains("without --ema"),
        "{stderr}"
    );
}

#[test]
fn init_weights_from_an_ema_checkpoint_take_its_raw_weights() {
    let (dir, data) = setup();
    let with = dir.path().join("with");
    train_ok(
        &data,
        &with,
        &[&FLAGS[..], &["--epochs", "1", "--ema", "0.9"]].concat(),
    );
    let saved = checkpoint::load(&ckpt(&with, 1)).unwrap();
    let mut model = saved.model.clone();
    fill(&mut model, |_, _| 0.0);
    checkpoint::load_weights(&ckpt(&with, 1), &mut model).unwrap();
    assert_eq!(model, saved.model);
}
