"""The comparison harness: the Keras example's job in fraudnet, PyTorch, Keras 3 (JAX), burn and
candle, one after another, on the same data, thread count and epochs, and a markdown table of the
results; before them an SGEMM probe of NumPy (OpenBLAS), PyTorch and fraudnet's kernel at 2048³
and at the model's own product shapes.

Run it through bench/compare/run.sh, which makes the virtual environment and builds fraudnet:

    bench/compare/run.sh [--epochs 30] [--threads 2] [--data PATH]

docs/benchmarks.md says what every column means and how it is measured.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402

PEERS = os.path.join(HERE, "rust-peers")
JOBS = ["fraudnet", "torch", "keras", "burn", "candle"]
# Variables that make a current NumPy's OpenBLAS pick an older, slower kernel: removed from the
# NumPy probe's environment (issue 10).
OPENBLAS_OVERRIDES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]

# Where `fraudnet train` looks for the real data without --data, in its order.
DEFAULT_DATA = ["data/creditcard.csv.gz", "data/creditcard.csv", "../shared/data/creditcard.csv.gz"]
# The targets of issue 10 ("Faster than every framework"): fraudnet's s/epoch at most 0.85× the
# fastest framework's; its epoch at most 1.18× the FLOP lower bound of the best probe (whole-epoch
# GFLOP/s ≥ 85 % of it); its kernel ≥ 90 % of the best probe at 2048³ and ≥ 85 % at each training
# shape; peak RSS ≤ 150 MB.
TARGET_VS_FASTEST = 0.85
TARGET_VS_BOUND = 1.18
TARGET_KERNEL_SQUARE = 0.90
TARGET_KERNEL_SHAPE = 0.85
TARGET_RSS_MB = 150


def verdict(met):
    return "met" if met else "**not met**"


class Run:
    """One child process: its output (also written to `log_path`), the seconds from start to
    each line, its wall time and peak resident set size."""

    def __init__(self, name, command, env, log_path, cpus):
        self.name = name
        self.command = command
        self.lines = []  # (seconds since start, text)
        print(f"\n== {name}: {shlex.join(command)}", flush=True)

        def pin():
            if cpus is not None:
                os.sched_setaffinity(0, cpus)

        started = time.perf_counter()
        with open(log_path, "w") as log:
            log.write("$ " + shlex.join(command) + "\n")
            proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True, bufsize=1, preexec_fn=pin
            )
            for line in proc.stdout:
                self.lines.append((time.perf_counter() - started, line.rstrip("\n")))
                log.write(line)
                if re.match(r"(Epoch |peak:|GEMM |RESULT |\d+/\d+ - |\w+: loaded )", line):
                    print("   " + line.rstrip("\n")[:150], flush=True)
            # wait4 reaps the child and reports its own resource usage (ru_maxrss in KiB).
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        self.wall = time.perf_counter() - started
        self.rss_mb = usage.ru_maxrss * 1024 / 1e6
        self.returncode = proc.returncode
        if self.returncode != 0:
            tail = "\n".join(text for _, text in self.lines[-30:])
            sys.exit(f"{name} failed with exit code {self.returncode}; log {log_path}:\n{tail}")

    def first(self, pattern):
        """(seconds, match) of the first line matching `pattern`."""
        for seconds, text in self.lines:
            m = re.search(pattern, text)
            if m:
                return seconds, m
        return None, None

    def result(self):
        """The `RESULT {json}` line of a reference script."""
        _, m = self.first(r"^RESULT (\{.*\})$")
        if not m:
            sys.exit(f"{self.name} printed no RESULT line")
        return json.loads(m.group(1))


def find_data(given):
    if given:
        if not os.path.exists(given):
            sys.exit(f"{given}: data file not found")
        return os.path.abspath(given)
    for candidate in DEFAULT_DATA:
        path = os.path.join(ROOT, candidate)
        if os.path.exists(path):
            return os.path.abspath(path)
    sys.exit(
        "none of " + ", ".join(DEFAULT_DATA) + " exists: the comparison needs the real data "
        "(scripts/fetch-creditcard.sh downloads it), or pass --data FILE"
    )


def output(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
            memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    commit = output(["git", "rev-parse", "--short", "HEAD"])
    dirty = output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "rustc": output(["rustc", "--version"]),
        "python": platform.python_version(),
        "git": commit + (" (with uncommitted changes)" if dirty else ""),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def fraudnet_row(run, metrics_csv, binary, data, checkpoint_dir, env, log_dir, cpus):
    with open(metrics_csv) as f:
        rows = list(csv.DictReader(f))
    last = rows[-1]
    epoch_seconds = [float(r["seconds"]) for r in rows]
    load_seconds, _ = run.first(r"^Epoch 1/")
    ap = last.get("val_auc_pr")
    if ap:
        ap = float(ap)
    else:  # Older builds: score the last checkpoint with `fraudnet evaluate`.
        checkpoint = os.path.join(checkpoint_dir, f"fraud_model_at_epoch_{len(rows)}.safetensors")
        ev = Run("fraudnet evaluate", [binary, "evaluate", "--checkpoint", checkpoint, "--data", data], env, os.path.join(log_dir, "fraudnet-evaluate.log"), cpus)
        _, m = ev.first(r"Average precision[^:]*: ([0-9.eE+-]+)")
        ap = float(m.group(1)) if m else None
    _, sizes = run.first(r"Number of training samples: (\d+)")
    _, val_sizes = run.first(r"Number of validation samples: (\d+)")
    return {
        "framework": "fraudnet",
        "version": "fraudnet " + output(["git", "rev-parse", "--short", "HEAD"]),
        "epochs": len(rows),
        "n_train": int(sizes.group(1)),
        "n_val": int(val_sizes.group(1)),
        "load_seconds": load_seconds,
        "epoch_seconds": epoch_seconds,
        "epoch_includes": "training steps and metrics, validation forward pass, AP and ROC AUC; not the checkpoint",
        "val_tp": int(last["val_tp"]),
        "val_fp": int(last["val_fp"]),
        "val_fn": int(last["val_fn"]),
        "val_precision": float(last["val_precision"]),
        "val_recall": float(last["val_recall"]),
        "val_ap": ap,
    }


def build_peers(packages):
    """`cargo build --release` of `packages` in the rust-peers workspace (its own Cargo.lock and
    target folder; the first build downloads and compiles burn and candle, minutes; later runs
    find it up to date). Returns the folder of the binaries."""
    print(f"\n== cargo build --release -p {' -p '.join(packages)} (bench/compare/rust-peers; the first build takes minutes)", flush=True)
    command = ["cargo", "build", "--release", "--quiet", "--locked"]
    for package in packages:
        command += ["-p", package]
    if subprocess.run(command, cwd=PEERS).returncode != 0:
        sys.exit("building bench/compare/rust-peers failed: " + shlex.join(command))
    return os.path.join(PEERS, "target", "release")


def sgemm_probe(threads, env, run_dir, cpus):
    """The SGEMM probe: NumPy (its own OpenBLAS, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
    removed from its environment), PyTorch and fraudnet's kernel, one after another, at 2048³
    and at each product shape of a training step (common.GEMM_SHAPES)."""
    shapes = common.gemm_shape_args()
    numpy_env = {k: v for k, v in env.items() if k not in OPENBLAS_OVERRIDES}
    removed = [k for k in OPENBLAS_OVERRIDES if k in env]
    probes = {}
    for lib, job_env in [("numpy", numpy_env), ("torch", env)]:
        run = Run(f"sgemm {lib}", [sys.executable, os.path.join(HERE, "sgemm_probe.py"), "--lib", lib, "--threads", str(threads), *shapes], job_env, os.path.join(run_dir, f"sgemm-{lib}.log"), cpus)
        probes[lib] = run.result()
    probes["numpy"]["removed_env"] = removed
    binary = os.path.join(build_peers(["fraudnet-gemm-probe"]), "fraudnet_gemm")
    run = Run("sgemm fraudnet", [binary, "--threads", str(threads), *shapes], env, os.path.join(run_dir, "sgemm-fraudnet.log"), cpus)
    probes["fraudnet"] = run.result()
    probes["fraudnet"]["version"] = "fraudnet " + output(["git", "rev-parse", "--short", "HEAD"])
    best = {}
    for name in (s[0] for s in common.GEMM_SHAPES):
        lib = max(["numpy", "torch"], key=lambda lib: probes[lib]["gflops"][name])
        best[name] = {"lib": lib, "gflops": probes[lib]["gflops"][name]}
    return {"probes": probes, "best": best}


def probe_report(probe, n_train, n_val, threads):
    """The probe's markdown: a row per shape, fraudnet ÷ best, and the two FLOP lower bounds."""
    p, best = probe["probes"], probe["best"]
    lines = [
        f"SGEMM probe ({threads} threads; GFLOP/s, median of 7 samples of ≥ 30 ms each):",
        "",
        f"| product | m×k×n | {p['numpy']['version']} | {p['torch']['version']} | {p['fraudnet']['version']} | fraudnet ÷ best |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, m, k, n, ta, tb, _, _ in common.GEMM_SHAPES:
        dims = f"{m}×{k}×{n}" + (" (Aᵀ)" if ta else "") + (" (Bᵀ)" if tb else "")
        cells = []
        for lib in ["numpy", "torch"]:
            value = f"{p[lib]['gflops'][name]:.1f}"
            cells.append(f"**{value}**" if best[name]["lib"] == lib else value)
        ours = p["fraudnet"]["gflops"][name]
        lines.append(f"| {name} | {dims} | {cells[0]} | {cells[1]} | {ours:.1f} | {100 * ours / best[name]['gflops']:.1f} % |")
    square = best[common.SQUARE_SHAPE]
    flop = common.epoch_flop(n_train, n_val)
    rates = {name: b["gflops"] for name, b in best.items()}
    ours = p["fraudnet"]["gflops"]
    lines += [
        "",
        f"- NumPy's BLAS: {p['numpy']['kernel']}" + (f" (removed from its environment: {', '.join(p['numpy']['removed_env'])})" if p["numpy"]["removed_env"] else " (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE were not set)") + ".",
        f"- PyTorch's: {p['torch']['kernel']}.",
        f"- Best probe at 2048³: **{square['gflops']:.1f} GFLOP/s** ({p[square['lib']]['version']}); fraudnet's kernel reaches **{100 * ours[common.SQUARE_SHAPE] / square['gflops']:.1f} %** of it.",
        f"- FLOP lower bound of an epoch ({flop / 1e9:.1f} GFLOP) at the best 2048³ rate: **{flop / 1e9 / square['gflops']:.3f} s**; at the best rate of each product's own shape: **{common.shape_bound_seconds(n_train, n_val, rates):.3f} s** (fraudnet's kernel on the same shapes: {common.shape_bound_seconds(n_train, n_val, ours):.3f} s).",
    ]
    return "\n".join(lines)


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def table(results, peak):
    header = [
        "job",
        "s/epoch (median)",
        "total wall s",
        "load s",
        "samples/s",
        "GFLOP/s",
        "% of peak",
        "peak RSS MB",
        "val tp",
        "val fp",
        "val fn",
        "precision",
        "recall",
        "AP",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 1 + "---:|" * (len(header) - 1)]
    for r in results:
        lines.append(
            "| "
            + " | ".join(
                [
                    r["label"],
                    fmt(r["median_epoch"], ".3f"),
                    fmt(r["wall"], ".1f"),
                    fmt(r["load_seconds"], ".2f"),
                    fmt(r["samples_per_second"], ",.0f"),
                    fmt(r["gflops"], ".1f"),
                    fmt(100 * r["gflops"] / peak if peak else None, ".1f"),
                    fmt(r["rss_mb"], ".0f"),
                    str(r["val_tp"]),
                    str(r["val_fp"]),
                    str(r["val_fn"]),
                    fmt(r["val_precision"], ".4f"),
                    fmt(r["val_recall"], ".4f"),
                    fmt(r["val_ap"], ".4f"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=None, help="[default: the first of " + ", ".join(DEFAULT_DATA) + "]")
    ap.add_argument("--fraudnet", default=os.path.join(ROOT, "target", "release", "fraudnet"))
    ap.add_argument("--only", default=",".join(JOBS), help="comma-separated subset of " + ",".join(JOBS))
    ap.add_argument("--no-probe", action="store_true", help="skip the SGEMM probe (NumPy, PyTorch, fraudnet's kernel)")
    ap.add_argument("--keep-checkpoints", action="store_true")
    ap.add_argument("--command", default=None, help="the command line to record (run.sh passes its own)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if only - set(JOBS):
        sys.exit(f"--only: unknown job(s) {', '.join(sorted(only - set(JOBS)))}; choose from {','.join(JOBS)}")
    data = find_data(args.data)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = os.path.join(HERE, "results", stamp)
    os.makedirs(run_dir)
    command = args.command or shlex.join(["bench/compare/compare.py", *sys.argv[1:]])

    available = sorted(os.sched_getaffinity(0))
    cpus = set(available[: args.threads]) if args.threads < len(available) else None
    env = dict(os.environ)
    for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS", "MATMUL_NUM_THREADS"]:
        env[var] = str(args.threads)
    env.update({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"})
    python = sys.executable
    print(f"data {data}; {args.epochs} epochs; {args.threads} threads" + (f" (pinned to CPUs {sorted(cpus)})" if cpus else "") + f"; logs in {os.path.relpath(run_dir, ROOT)}")

    peak_run = Run("peak", [args.fraudnet, "peak", "--threads", str(args.threads)], env, os.path.join(run_dir, "peak.log"), cpus)
    _, m = peak_run.first(r"^peak: ([0-9.]+) GFLOP/s")
    peak = float(m.group(1))
    probe = None if args.no_probe else sgemm_probe(args.threads, env, run_dir, cpus)

    results = []
    if "fraudnet" in only:
        checkpoint_dir = os.path.join(run_dir, "fraudnet-checkpoints")
        metrics_csv = os.path.join(run_dir, "fraudnet-metrics.csv")
        run = Run(
            "fraudnet",
            [args.fraudnet, "train", "--data", data, "--epochs", str(args.epochs), "--threads", str(args.threads), "--checkpoint-dir", checkpoint_dir, "--metrics-log", metrics_csv],
            env,
            os.path.join(run_dir, "fraudnet.log"),
            cpus,
        )
        r = fraudnet_row(run, metrics_csv, args.fraudnet, data, checkpoint_dir, env, run_dir, cpus)
        r.update(label=r["version"], wall=run.wall, rss_mb=run.rss_mb)
        results.append(r)
    for key, script in [("torch", "torch_ref.py"), ("keras", "keras_ref.py")]:
        if key not in only:
            continue
        checkpoint_dir = os.path.join(run_dir, f"{key}-checkpoints")
        run = Run(
            key,
            [python, os.path.join(HERE, script), "--data", data, "--epochs", str(args.epochs), "--threads", str(args.threads), "--checkpoint-dir", checkpoint_dir],
            env,
            os.path.join(run_dir, f"{key}.log"),
            cpus,
        )
        r = run.result()
        r.update(label=f"{r['framework']} {r['version']}", wall=run.wall, rss_mb=run.rss_mb)
        results.append(r)
    peers = [(key, binary) for key, binary in [("burn", "burn_ref"), ("candle", "candle_ref")] if key in only]
    if peers:
        bin_dir = build_peers(["rust-peers"])
    for key, binary in peers:
        checkpoint_dir = os.path.join(run_dir, f"{key}-checkpoints")
        run = Run(
            key,
            [os.path.join(bin_dir, binary), "--data", data, "--epochs", str(args.epochs), "--threads", str(args.threads), "--checkpoint-dir", checkpoint_dir],
            env,
            os.path.join(run_dir, f"{key}.log"),
            cpus,
        )
        r = run.result()
        r.update(label=f"{r['framework']} {r['version']}", wall=run.wall, rss_mb=run.rss_mb)
        results.append(r)

    flop = None
    for r in results:
        flop = common.epoch_flop(r["n_train"], r["n_val"])
        train_seconds = sum(r["epoch_seconds"])
        r["median_epoch"] = statistics.median(r["epoch_seconds"])
        r["gflops"] = len(r["epoch_seconds"]) * flop / train_seconds / 1e9
        r["samples_per_second"] = len(r["epoch_seconds"]) * r["n_train"] / train_seconds
        r["epoch_flop"] = flop

    info = machine()
    # The yardstick: the best library's SGEMM at 2048³ when the probe ran (issue 10), else
    # fraudnet's own kernel (`fraudnet peak`).
    if probe:
        square = probe["best"][common.SQUARE_SHAPE]
        yardstick = square["gflops"]
        yardstick_name = f"the best SGEMM probe at 2048³, {probe['probes'][square['lib']]['version']}"
    else:
        yardstick, yardstick_name = peak, f"`fraudnet peak --threads {args.threads}`"
    body = [table(results, yardstick), ""]
    flop = flop or common.epoch_flop(227_846, 56_961)
    bound = flop / 1e9 / yardstick
    body.append(f"- Peak: **{yardstick:.1f} GFLOP/s** ({yardstick_name} in this run; `% of peak` is against it). One epoch is {flop / 1e9:.1f} GFLOP of matrix products, so the FLOP lower bound is **{bound:.3f} s/epoch**.")
    body.append(f"- fraudnet's kernel: **{peak:.1f} GFLOP/s** (`fraudnet peak --threads {args.threads}`, 1024³)" + (f", {probe['probes']['fraudnet']['gflops'][common.SQUARE_SHAPE]:.1f} GFLOP/s at 2048³ in the probe." if probe else "."))
    ours = next((r for r in results if r["framework"] == "fraudnet"), None)
    others = [r for r in results if r["framework"] != "fraudnet"]
    if ours:
        if others:
            fastest = min(others, key=lambda r: r["median_epoch"])
            ratio = ours["median_epoch"] / fastest["median_epoch"]
            body.append(f"- fraudnet s/epoch ÷ fastest framework's ({fastest['label']}): **{ratio:.2f}** (target ≤ {TARGET_VS_FASTEST}: {verdict(ratio <= TARGET_VS_FASTEST)}).")
        vs_bound = ours["median_epoch"] / bound
        body.append(f"- fraudnet s/epoch ÷ FLOP lower bound: **{vs_bound:.2f}**, whole-epoch GFLOP/s {100 / vs_bound:.1f} % of the peak (target ≤ {TARGET_VS_BOUND}, i.e. ≥ 85 %: {verdict(vs_bound <= TARGET_VS_BOUND)}).")
        body.append(f"- fraudnet peak RSS: **{ours['rss_mb']:.0f} MB** (target ≤ {TARGET_RSS_MB} MB, for the 30-epoch job: {verdict(ours['rss_mb'] <= TARGET_RSS_MB)}).")
    if probe:
        kernel = probe["probes"]["fraudnet"]["gflops"]
        shares = {name: kernel[name] / b["gflops"] for name, b in probe["best"].items()}
        square = shares.pop(common.SQUARE_SHAPE)
        worst = min(shares, key=shares.get)
        body.append(f"- fraudnet's kernel ÷ best probe: **{100 * square:.1f} %** at 2048³ (target ≥ {100 * TARGET_KERNEL_SQUARE:.0f} %: {verdict(square >= TARGET_KERNEL_SQUARE)}); lowest at a training shape **{100 * shares[worst]:.1f} %** ({worst}; target ≥ {100 * TARGET_KERNEL_SHAPE:.0f} % at each: {verdict(shares[worst] >= TARGET_KERNEL_SHAPE)}).")
    if probe:
        n_train, n_val = (results[0]["n_train"], results[0]["n_val"]) if results else (227_846, 56_961)
        body += ["", probe_report(probe, n_train, n_val, args.threads)]
    body.append("")
    body.append(f"Command: `{command}` ({args.epochs} epochs, {args.threads} threads, data `{data}`).")
    body.append("")
    body += [f"- {k}: {v}" for k, v in info.items()]
    body += [f"- {r['label']}: per epoch = {r['epoch_includes']}" for r in results]
    text = "\n".join(body) + "\n"

    print("\n" + text)
    report = os.path.join(HERE, "results", f"{stamp}.md")
    with open(report, "w") as f:
        f.write(f"# Comparison run {stamp}\n\n" + text)
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump({"peak_gflops": peak, "yardstick_gflops": yardstick, "sgemm_probe": probe, "machine": info, "command": command, "results": results}, f, indent=1)
    if not args.keep_checkpoints:
        for key in JOBS:
            shutil.rmtree(os.path.join(run_dir, f"{key}-checkpoints"), ignore_errors=True)
    print(f"written to {os.path.relpath(report, ROOT)} (logs and JSON in {os.path.relpath(run_dir, ROOT)})")


if __name__ == "__main__":
    main()
