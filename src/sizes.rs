//! How much memory a command needs, computed from its sizes before anything is allocated, so
//! that an absurd `--hidden` or `--size` is refused with a sentence ("needs N GB") instead of
//! aborting the process in the allocator.
//!
//! Every count uses checked `u128` arithmetic: `--hidden 4294967296,4294967296` has 2⁶⁴
//! weights in one layer, beyond `u64`, and is still counted (or reported as uncountable)
//! rather than wrapping to a small number.

use crate::error::{Error, Result};
use crate::model::{Architecture, LayerSpec};

/// The parameters of `architecture` (every Dense layer's `d_in·d_out + d_out`), or `None` if
/// the count does not fit in a `u128`.
pub fn param_count(architecture: &Architecture) -> Option<u128> {
    let mut d_in = architecture.inputs as u128;
    let mut total: u128 = 0;
    for spec in &architecture.layers {
        if let LayerSpec::Dense { units, .. } = *spec {
            let units = units as u128;
            total = total.checked_add(d_in.checked_mul(units)?.checked_add(units)?)?;
            d_in = units;
        }
    }
    Some(total)
}

/// The activations of one row: the sum of every Dense layer's width (ReLU and dropout work on
/// those buffers), or `None` on overflow.
fn row_width(architecture: &Architecture) -> Option<u128> {
    architecture
        .layers
        .iter()
        .try_fold(architecture.inputs as u128, |sum, spec| match *spec {
            LayerSpec::Dense { units, .. } => sum.checked_add(units as u128),
            LayerSpec::Dropout { .. } => Some(sum),
        })
}

/// Bytes to hold the model's parameters once, at `bytes_per_value` each (4 for f32).
pub fn model_bytes(architecture: &Architecture, bytes_per_value: u128) -> Option<u128> {
    param_count(architecture)?.checked_mul(bytes_per_value)
}

/// Bytes a training run needs besides its data: the parameters, their gradients and Adam's two
/// moments (4 copies in f32; 5 with the weights' moving average, `with_ema`), plus, for a batch
/// of `batch_size` rows, each layer's output, dropout mask and gradient (3 buffers of f32 per
/// activation).
pub fn training_bytes(
    architecture: &Architecture,
    batch_size: usize,
    with_ema: bool,
) -> Option<u128> {
    let copies = if with_ema { 5 } else { 4 };
    let params = model_bytes(architecture, 4)?.checked_mul(copies)?;
    let activations = row_width(architecture)?
        .checked_mul(batch_size as u128)?
        .checked_mul(3 * 4)?;
    params.checked_add(activations)
}

/// Bytes `gradcheck` needs: the f64 model, its gradients and a perturbed copy (3 copies of 8
/// bytes), plus the f64 activations of `batch` rows, twice (forward and backward).
pub fn gradcheck_bytes(architecture: &Architecture, batch: usize) -> Option<u128> {
    let params = model_bytes(architecture, 8)?.checked_mul(3)?;
    let activations = row_width(architecture)?
        .checked_mul(batch as u128)?
        .checked_mul(2 * 8)?;
    params.checked_add(activations)
}

/// Bytes `peak --size n` needs: three `n × n` f32 matrices (A, B and C).
pub fn peak_bytes(size: usize) -> Option<u128> {
    (size as u128).checked_mul(size as u128)?.checked_mul(3 * 4)
}

/// This machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where it
/// cannot be read.
pub fn physical_memory() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// When the physical memory is unknown, the largest amount a command may ask for: 1 TiB.
pub const FALLBACK_LIMIT: u128 = 1 << 40;

/// `bytes` in GB (10⁹ bytes), rounded up, with thousands separators: `12,000,000`.
pub fn gigabytes(bytes: u128) -> String {
    let gb = bytes.div_ceil(1_000_000_000);
    let digits = gb.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses `bytes` (what `what` needs; `None` when it overflowed even a `u128`) when it exceeds
/// `limit` (pass [`physical_memory`], or [`FALLBACK_LIMIT`] where unknown).
///
/// # Errors
/// [`Error::Config`] naming `flag`: "… needs N GB of memory, more than this machine's M GB".
pub fn check_fits(flag: &'static str, what: &str, bytes: Option<u128>, limit: u128) -> Result<()> {
    match bytes {
        Some(b) if b <= limit => Ok(()),
        Some(b) => Err(Error::Config {
            name: flag,
            message: format!(
                "{what} needs {} GB of memory, more than this machine's {} GB; choose smaller sizes",
                gigabytes(b),
                gigabytes(limit)
            ),
        }),
        None => Err(Error::Config {
            name: flag,
            message: format!(
                "{what} needs more memory than can be counted (over 3.4e29 GB); choose smaller \
                 sizes"
            ),
        }),
    }
}

/// [`check_fits`] against this machine's memory.
///
/// # Errors
/// As [`check_fits`].
pub fn check_memory(flag: &'static str, what: &str, bytes: Option<u128>) -> Result<()> {
    check_fits(
        flag,
        what,
        bytes,
        physical_memory().unwrap_or(FALLBACK_LIMIT),
    )
}
