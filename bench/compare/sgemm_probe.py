"""The SGEMM probe: how fast this machine's best libraries multiply f32 matrices, at 2048³ and at
each product of the model's training step.

    python bench/compare/sgemm_probe.py --lib numpy --threads 2 square_2048:2048:2048:2048:0:0 ...
    python bench/compare/sgemm_probe.py --lib torch --threads 2 ...

A SHAPE is `name:m:k:n:ta:tb` (`ta`/`tb` 1 when that operand is used transposed, as in the
backward pass: A stored [k, m], B stored [n, k]; NumPy and PyTorch hand the transposed view to
BLAS without a copy). Per shape: one warm-up product into a preallocated output, the repeat
count doubled until one sample lasts at least --sample-ms, --samples samples, the median.
`target/…/fraudnet_gemm` times fraudnet's kernel the same way. Prints `GEMM name rate` lines
and one `RESULT {json}` line with the library's version, threads and kernel (threadpoolctl's
report: which BLAS, which OpenBLAS core kernel).

compare.py runs the NumPy probe with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
environment: they guard old OpenBLAS builds on some processors and make a current NumPy pick
a slower kernel.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def parse_shape(spec):
    name, m, k, n, ta, tb = spec.split(":")
    return name, int(m), int(k), int(n), ta == "1", tb == "1"


def timed(product, reps):
    started = time.perf_counter()
    for _ in range(reps):
        product()
    return time.perf_counter() - started


def measure(product, flop, samples, sample_ms):
    """Median GFLOP/s over `samples` samples of `reps` products, `reps` doubled from 1 (after a
    warm-up product) until one sample lasts at least `sample_ms`."""
    product()
    reps = 1
    while timed(product, reps) < sample_ms / 1e3:
        reps *= 2
    rates = []
    for _ in range(samples):
        started = time.perf_counter()
        for _ in range(reps):
            product()
        rates.append(flop * reps / (time.perf_counter() - started) / 1e9)
    return statistics.median(rates), reps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", choices=["numpy", "torch"], required=True)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--samples", type=int, default=7)
    ap.add_argument("--sample-ms", type=float, default=30.0)
    ap.add_argument("shapes", nargs="+")
    args = ap.parse_args()

    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(1)
    if args.lib == "numpy":
        version = f"NumPy {np.__version__}"
        if args.threads:
            threadpool_limits(args.threads)

        def make(rows, cols):
            return rng.uniform(-1, 1, (rows, cols)).astype(np.float32)

        def product_of(a, b, c):
            return lambda: np.matmul(a, b, out=c)

        def zeros(m, n):
            return np.zeros((m, n), dtype=np.float32)

        def transpose(x):
            return x.T

    else:
        import torch

        version = f"PyTorch {torch.__version__}"
        if args.threads:
            torch.set_num_threads(args.threads)

        def make(rows, cols):
            return torch.from_numpy(rng.uniform(-1, 1, (rows, cols)).astype(np.float32))

        def product_of(a, b, c):
            return lambda: torch.matmul(a, b, out=c)

        def zeros(m, n):
            return torch.zeros((m, n), dtype=torch.float32)

        def transpose(x):
            return x.t()

    gflops = {}
    for spec in args.shapes:
        name, m, k, n, ta, tb = parse_shape(spec)
        a = transpose(make(k, m)) if ta else make(m, k)
        b = transpose(make(n, k)) if tb else make(k, n)
        rate, reps = measure(product_of(a, b, zeros(m, n)), 2.0 * m * k * n, args.samples, args.sample_ms)
        print(f"GEMM {name} {rate:.1f} GFLOP/s ({m}x{k}x{n}, A{'ᵀ' if ta else ''}·B{'ᵀ' if tb else ''}, {reps} products per sample)", flush=True)
        gflops[name] = rate

    pools = threadpool_info()
    blas = [p for p in pools if p.get("user_api") == "blas"]
    if args.lib == "torch":
        import torch

        import re

        m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
        kernel = f"BLAS_INFO={m.group(1) if m else '?'}; MKL {'yes' if torch.backends.mkl.is_available() else 'no'}, mkldnn {'yes' if torch.backends.mkldnn.is_available() else 'no'}; {torch.get_num_threads()} threads"
    else:
        kernel = "; ".join(
            f"{p.get('internal_api')} {p.get('version')}, core kernel {p.get('architecture')}, {p.get('num_threads')} threads, {p.get('threading_layer')}"
            for p in blas
        ) or "no BLAS found by threadpoolctl"
    env = {var: os.environ.get(var) for var in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]}
    common.emit({"lib": args.lib, "version": version, "threads": args.threads, "kernel": kernel, "threadpools": pools, "env": env, "gflops": gflops})


if __name__ == "__main__":
    main()
