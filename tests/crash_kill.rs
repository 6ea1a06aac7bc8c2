//! Crash safety for real: `fraudnet train` is killed with SIGKILL (`Child::kill`) at many
//! moments — at random times, while a checkpoint's temporary file is being written, and just
//! after a checkpoint is renamed into place — and after each kill:
//!
//! - every `fraud_model_at_epoch_*` file present loads and holds its epoch, and they are
//!   epochs `1..=E` with no gap;
//! - every other file is a hidden temporary one (`.fraud_model_….tmp`, which no
//!   `fraud_model_at_epoch_*` pattern matches, and which `checkpoint::latest` never picks);
//! - `--resume DIR` (the newest checkpoint) completes the run, and every checkpoint and the
//!   metrics log (less its seconds) then equal those of a run that was never killed, byte for
//!   byte.
//!
//! The kill moments derive from a fixed seed and the reference run's duration; which instant a
//! kill lands on still depends on the machine's load, so the test prints how many kills landed
//! during a write (a temporary file was left) and before the first checkpoint. Nothing here
//! asserts on time.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fraudnet, small_csv, write};
use fraudnet::checkpoint::{self, epoch_of, is_temporary};

const EPOCHS: usize = 8;

/// A small, deterministic run: 20,000 rows (16,000 training rows, 63 steps of 256), a model
/// of 4,865 parameters with dropout, so both RNG streams matter.
fn command(data: &Path, dir: &Path) -> Command {
    let mut cmd = fraudnet();
    cmd.args(["train", "--epochs", &EPOCHS.to_string()])
        .args([
            "--batch-size",
            "256",
            "--hidden",
            "64,64",
            "--dropout",
            "0,0.25",
        ])
        .args(["--seed", "5", "--threads", "1"])
        .arg("--data")
        .arg(data)
        .arg("--checkpoint-dir")
        .arg(dir)
        .arg("--metrics-log")
        .arg(dir.join("metrics.csv"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn finish(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// When to kill a run.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// After this long.
    After(Duration),
    /// As soon as the temporary file of this epoch's checkpoint is seen.
    DuringWrite(usize),
    /// As soon as this epoch's checkpoint is seen in place.
    AfterRename(usize),
}

/// A 64-bit LCG (Knuth's MMIX constants): the kill moments are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next_unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn names(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Starts the run and kills it at `moment`; returns whether it was still running then.
fn kill_at(mut child: Child, dir: &Path, moment: Moment) -> bool {
    let seen = |wanted: &dyn Fn(&str) -> bool| names(dir).iter().any(|n| wanted(n));
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = match moment {
            Moment::After(delay) => started.elapsed() >= delay,
            Moment::DuringWrite(epoch) => {
                let prefix = format!(".{}.", checkpoint::file_name(epoch));
                seen(&|n| n.starts_with(&prefix))
            }
            Moment::AfterRename(epoch) => seen(&|n| n == checkpoint::file_name(epoch)),
        };
        if now {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return true;
        }
        if let Moment::After(_) = moment {
            std::thread::sleep(Duration::from_micros(200));
        } else {
            std::thread::yield_now();
        }
    }
}

/// What a kill left behind, checked: the epochs of the checkpoints and the temporary files.
fn inspect(dir: &Path) -> Result<(usize, Vec<String>), String> {
    // Killed before the run created its checkpoint directory (a loaded machine can take that
    // long to start): nothing was done, nothing left behind.
    if !dir.exists() {
        return Ok((0, Vec::new()));
    }
    let mut epochs = Vec::new();
    let mut temporaries = Vec::new();
    for name in names(dir) {
        if let Some(epoch) = epoch_of(&name) {
            let loaded = checkpoint::load(&dir.join(&name))
                .map_err(|e| format!("{name} does not load: {e}"))?;
            if loaded.meta.epoch != epoch {
                return Err(format!("{name} holds epoch {}", loaded.meta.epoch));
            }
            epochs.push(epoch);
        } else if name == "metrics.csv" {
        } else if is_temporary(&name) && !name.starts_with("fraud_model_at_epoch_") {
            temporaries.push(name);
        } else {
            return Err(format!("unexpected file {name}"));
        }
    }
    epochs.sort();
    if epochs != (1..=epochs.len()).collect::<Vec<_>>() {
        return Err(format!("checkpoint epochs are not 1..=E: {epochs:?}"));
    }
    let newest = checkpoint::latest(dir).map_err(|e| e.to_string())?;
    if newest.as_ref().map(|(e, _)| *e) != epochs.last().copied() {
        return Err(format!("checkpoint::latest picked {newest:?}"));
    }
    Ok((epochs.len(), temporaries))
}

fn log_without_seconds(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields.remove(1);
            fields.join(",")
        })
        .collect()
}

#[test]
fn sigkill_at_30_or_more_moments_never_leaves_a_bad_checkpoint_and_resume_completes_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = write(tmp.path(), "data.csv", small_csv(20_000, 8, 25));
    let reference = tmp.path().join("reference");
    let started = Instant::now();
    finish(&mut command(&data, &reference), "the reference run");
    let duration = started.elapsed();
    let expected: Vec<Vec<u8>> = (1..=EPOCHS)
        .map(|e| std::fs::read(reference.join(checkpoint::file_name(e))).unwrap())
        .collect();
    let expected_log = log_without_seconds(&reference.join("metrics.csv"));

    let mut rng = Lcg(0x5eed_c0de);
    let mut moment = |trial: usize| match trial % 5 {
        _ if trial >= 30 => Moment::After(duration.mul_f64(rng.next_unit() * 0.9)),
        0 | 1 => Moment::After(duration.mul_f64(rng.next_unit() * 1.1)),
        2 | 3 => Moment::DuringWrite(1 + (rng.next_unit() * EPOCHS as f64) as usize),
        _ => Moment::AfterRename(1 + (rng.next_unit() * EPOCHS as f64) as usize),
    };
    let (mut trials, mut killed, mut mid_write, mut before_first) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    // 30 planned trials, then more random ones (60 at most) until 20 kills found the run going.
    while trials < 30 || (killed < 20 && trials < 60) {
        let moment = moment(trials);
        let dir: PathBuf = tmp.path().join(format!("trial{trials}"));
        let child = command(&data, &dir).spawn().unwrap();
        let was_running = kill_at(child, &dir, moment);
        killed += usize::from(was_running);
        let outcome = inspect(&dir).and_then(|(done, temporaries)| {
            mid_write += usize::from(!temporaries.is_empty());
            before_first += usize::from(was_running && done == 0);
            resume_and_compare(&data, &dir, done, &expected, &expected_log)
        });
        if let Err(e) = outcome {
            failures.push(format!("trial {trials} ({moment:?}): {e}"));
        }
        trials += 1;
    }
    eprintln!(
        "crash test: {trials} trials, {killed} killed while running ({mid_write} during a \
         checkpoint write, {before_first} before the first checkpoint), {} failures; reference \
         run {duration:?}",
        failures.len(),
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        killed >= 20,
        "only {killed} of the kills found the run still going"
    );
}

/// Completes the run in `dir` (`--resume DIR` when it holds a checkpoint, else from scratch)
/// and compares every checkpoint and the metrics log with the reference run's.
fn resume_and_compare(
    data: &Path,
    dir: &Path,
    done: usize,
    expected: &[Vec<u8>],
    expected_log: &[String],
) -> Result<(), String> {
    let mut again = command(data, dir);
    if done > 0 {
        again.arg("--resume").arg(dir);
    } else {
        // Killed after the first epoch's log row but before its checkpoint: with no checkpoint
        // to resume from, the run starts again, and the log row it left needs --overwrite.
        again.arg("--overwrite");
    }
    let out = again.output().unwrap();
    if !out.status.success() {
        return Err(format!(
            "the resumed run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (all, left) = inspect(dir)?;
    if all != EPOCHS || !left.is_empty() {
        return Err(format!("after resuming: {all} checkpoints, left {left:?}"));
    }
    for (e, bytes) in expected.iter().enumerate() {
        if std::fs::read(dir.join(checkpoint::file_name(e + 1))).unwrap() != *bytes {
            return Err(format!("checkpoint {} differs from the reference", e + 1));
        }
    }
    if log_without_seconds(&dir.join("metrics.csv")) != expected_log {
        return Err("the metrics log differs from the reference".into());
    }
    Ok(())
}
