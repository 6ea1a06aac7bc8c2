//! Seeded random-number streams.
//!
//! One `--seed` derives independent streams for weight initialisation, dropout masks and
//! shuffling, so that changing how often one is drawn from never changes the others. Each stream
//! is a ChaCha8 generator seeded with the run's seed and set to its own stream number
//! (ChaCha's 64-bit stream id), so the streams never overlap.
//!
//! ChaCha8 is portable and its output is fixed by its specification, so a seed gives the same
//! numbers on every machine and in every version of this crate.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The purpose a random stream serves; its discriminant is the ChaCha stream id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Glorot-uniform kernel initialisation.
    Init = 1,
    /// Dropout masks during training.
    Dropout = 2,
    /// The per-epoch shuffle of the training rows.
    Shuffle = 3,
    /// Synthetic data generation and test inputs.
    Data = 4,
}

/// The random generator used throughout fraudnet.
pub type Rng = ChaCha8Rng;

/// Returns the generator for `stream` derived from `seed`.
pub fn stream(seed: u64, stream: Stream) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}
