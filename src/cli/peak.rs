//! `fraudnet peak`: the machine's rate on fraudnet's own SGEMM kernel.

use anyhow::{Context, bail};
use clap::Args;
use fraudnet::peak::{median, sgemm_gflops};

#[derive(Args, Debug)]
pub struct PeakArgs {
    /// Side of the square f32 matrices multiplied.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Timed products (after one warm-up); the median is reported.
    #[arg(long, default_value_t = 20)]
    repeats: usize,
    /// Threads [default: one per CPU core].
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: PeakArgs) -> anyhow::Result<()> {
    if args.size == 0 || args.repeats == 0 {
        bail!("--size and --repeats must be at least 1");
    }
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let rates = sgemm_gflops(args.size, args.repeats)?;
    println!(
        "peak: {:.1} GFLOP/s (median of {} SGEMM {n}x{n}x{n} through fraudnet's kernel, {} threads, AVX2+FMA kernel: {})",
        median(&rates),
        rates.len(),
        rayon::current_num_threads(),
        fraudnet::linalg::fma_available(),
        n = args.size,
    );
    Ok(())
}
