//! The peak probe: how fast this machine runs fraudnet's matrix-product kernel on a large
//! square product, the yardstick for every other speed figure (share of peak, FLOP lower bound
//! of an epoch).

use std::time::Instant;

use ndarray::Array2;
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Uniform;

use crate::linalg::{Epilogue, matmul_into};
use crate::rng::{self, Stream};

/// Times `repeats` products `C = A·B` of `size × size` f32 matrices (after one warm-up) on the
/// current rayon pool and returns each one's rate in GFLOP/s (`2·size³` FLOP per product).
///
/// # Errors
/// [`crate::Error::Config`] (`size`) when the three matrices need more memory than this
/// machine has ([`crate::sizes::peak_bytes`]), before anything is allocated.
pub fn sgemm_gflops(size: usize, repeats: usize) -> crate::Result<Vec<f64>> {
    crate::sizes::check_memory(
        "size",
        &format!("three {size} × {size} f32 matrices"),
        crate::sizes::peak_bytes(size),
    )?;
    let a = Array2::random_using(
        (size, size),
        Uniform::new(-1.0f32, 1.0).expect("valid range"),
        &mut rng::stream(1, Stream::Data),
    );
    let b = Array2::random_using(
        (size, size),
        Uniform::new(-1.0f32, 1.0).expect("valid range"),
        &mut rng::stream(2, Stream::Data),
    );
    let mut c = Array2::<f32>::zeros((size, size));
    matmul_into(a.view(), b.view(), c.view_mut(), Epilogue::None);
    let flop = 2.0 * (size as f64).powi(3);
    Ok((0..repeats)
        .map(|_| {
            let started = Instant::now();
            matmul_into(a.view(), b.view(), c.view_mut(), Epilogue::None);
            flop / started.elapsed().as_secs_f64() / 1e9
        })
        .collect())
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
