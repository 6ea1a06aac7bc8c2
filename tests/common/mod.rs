//! Helpers shared by the integration tests.
#![allow(dead_code)]

use fraudnet::rng::{self, Stream};
use ndarray::{Array2, NdFloat};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;

/// A `[rows, cols]` array of uniform values in `[-1, 1)`, from a seeded stream.
pub fn random<F: NdFloat>(rows: usize, cols: usize, seed: u64) -> Array2<F> {
    let mut rng = rng::stream(seed, Stream::Data);
    Array2::<f64>::random_using((rows, cols), Uniform::new(-1.0, 1.0).unwrap(), &mut rng)
        .mapv(|v| F::from(v).unwrap())
}

/// A rayon pool with exactly `threads` threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Bit patterns of an f32 array, for bitwise comparisons.
pub fn bits(a: &Array2<f32>) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// Path of the real data set, or `None` (with the reason printed) when it is absent.
pub fn real_data() -> Option<std::path::PathBuf> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/creditcard.csv.gz");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: the real data set {} is absent", path.display());
        None
    }
}
