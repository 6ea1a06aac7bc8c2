"""The comparison harness: the Keras example's job in fraudnet, PyTorch and Keras 3 (JAX), one
after another, on the same data, thread count and epochs, and a markdown table of the results.

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

# Where `fraudnet train` looks for the real data without --data, in its order.
DEFAULT_DATA = ["data/creditcard.csv.gz", "data/creditcard.csv", "../shared/data/creditcard.csv.gz"]
# The lead's targets (issue 4).
TARGET_VS_FASTEST = 0.5
TARGET_VS_BOUND = 1.2
TARGET_RSS_MB = 150


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
                if re.match(r"(Epoch |peak:|RESULT |\d+/\d+ - |\w+: loaded )", line):
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
    ap.add_argument("--only", default="fraudnet,torch,keras", help="comma-separated subset of fraudnet,torch,keras")
    ap.add_argument("--keep-checkpoints", action="store_true")
    ap.add_argument("--command", default=None, help="the command line to record (run.sh passes its own)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    data = find_data(args.data)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = os.path.join(HERE, "results", stamp)
    os.makedirs(run_dir)
    command = args.command or shlex.join(["bench/compare/compare.py", *sys.argv[1:]])

    available = sorted(os.sched_getaffinity(0))
    cpus = set(available[: args.threads]) if args.threads < len(available) else None
    env = dict(os.environ)
    for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"]:
        env[var] = str(args.threads)
    env.update({"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"})
    python = sys.executable
    print(f"data {data}; {args.epochs} epochs; {args.threads} threads" + (f" (pinned to CPUs {sorted(cpus)})" if cpus else "") + f"; logs in {os.path.relpath(run_dir, ROOT)}")

    peak_run = Run("peak", [args.fraudnet, "peak", "--threads", str(args.threads)], env, os.path.join(run_dir, "peak.log"), cpus)
    _, m = peak_run.first(r"^peak: ([0-9.]+) GFLOP/s")
    peak = float(m.group(1))

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

    flop = None
    for r in results:
        flop = common.epoch_flop(r["n_train"], r["n_val"])
        train_seconds = sum(r["epoch_seconds"])
        r["median_epoch"] = statistics.median(r["epoch_seconds"])
        r["gflops"] = len(r["epoch_seconds"]) * flop / train_seconds / 1e9
        r["samples_per_second"] = len(r["epoch_seconds"]) * r["n_train"] / train_seconds
        r["epoch_flop"] = flop

    info = machine()
    body = [table(results, peak), ""]
    bound = flop / 1e9 / peak if flop else None
    body.append(f"- Peak: **{peak:.1f} GFLOP/s** (`fraudnet peak --threads {args.threads}` in this run). One epoch is {flop / 1e9:.1f} GFLOP of matrix products, so the FLOP lower bound is **{bound:.3f} s/epoch**.")
    ours = next((r for r in results if r["framework"] == "fraudnet"), None)
    others = [r for r in results if r["framework"] != "fraudnet"]
    if ours:
        if others:
            fastest = min(others, key=lambda r: r["median_epoch"])
            ratio = ours["median_epoch"] / fastest["median_epoch"]
            body.append(f"- fraudnet s/epoch ÷ fastest framework's ({fastest['label']}): **{ratio:.2f}** (target ≤ {TARGET_VS_FASTEST}).")
        body.append(f"- fraudnet s/epoch ÷ FLOP lower bound: **{ours['median_epoch'] / bound:.2f}** (target ≤ {TARGET_VS_BOUND}).")
        body.append(f"- fraudnet peak RSS: **{ours['rss_mb']:.0f} MB** (target ≤ {TARGET_RSS_MB} MB; the target applies to the 30-epoch job).")
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
        json.dump({"peak_gflops": peak, "machine": info, "command": command, "results": results}, f, indent=1)
    if not args.keep_checkpoints:
        for key in ["fraudnet", "torch", "keras"]:
            shutil.rmtree(os.path.join(run_dir, f"{key}-checkpoints"), ignore_errors=True)
    print(f"written to {os.path.relpath(report, ROOT)} (logs and JSON in {os.path.relpath(run_dir, ROOT)})")


if __name__ == "__main__":
    main()
