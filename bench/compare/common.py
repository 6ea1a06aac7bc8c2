"""What the reference jobs share: the Keras example's data preparation, the FLOP count,
thread settings and the result line.

The data code is the Keras example's ("Imbalanced classification: credit card fraud
detection", https://keras.io/examples/structured_data/imbalanced_classification/) with two
changes only: it also opens `.csv.gz` files, and the split fraction is a parameter.
"""

import gzip
import json
import os
import sys
import time

import numpy as np

def epoch_flop(n_train, n_val, inputs=30, hidden=(256, 256, 256)):
    """Matrix-product FLOP of one epoch: training forward + backward on n_train rows plus a
    validation forward pass on n_val rows, 2 FLOP per multiply-add (docs/benchmarks.md).

    Per training row: forward 2·Σ d_in·d_out, the kernel gradients as much again, the input
    gradients of every layer but the first 2·Σ_{l>1} d_in·d_out. On the real split with the
    reference model: 227,846 × 818,688 + 56,961 × 278,016 = 202.4 GFLOP."""
    dims = [inputs, *hidden, 1]
    forward = sum(2 * a * b for a, b in zip(dims[:-1], dims[1:]))
    input_grads = sum(2 * a * b for a, b in zip(dims[1:-1], dims[2:]))
    return n_train * (2 * forward + input_grads) + n_val * forward


# The SGEMM probe's shapes (sgemm_probe.py, rust-peers/gemm-probe): the square 2048³ product and
# the products of one training step at batch 2048, as in benches/gemm.rs —
# (name, m, k, n, A transposed, B transposed, per 2048 training rows, per 2048 validation rows).
GEMM_SHAPES = [
    ("square_2048", 2048, 2048, 2048, False, False, 0, 0),
    ("fwd_in_2048x30x256", 2048, 30, 256, False, False, 1, 1),
    ("fwd_hidden_2048x256x256", 2048, 256, 256, False, False, 2, 2),
    ("fwd_out_2048x256x1", 2048, 256, 1, False, False, 1, 1),
    ("dW_hidden_256x2048x256_At", 256, 2048, 256, True, False, 2, 0),
    ("dW_in_30x2048x256_At", 30, 2048, 256, True, False, 1, 0),
    ("dW_out_256x2048x1_At", 256, 2048, 1, True, False, 1, 0),
    ("dx_hidden_2048x256x256_Bt", 2048, 256, 256, False, True, 2, 0),
    ("dx_out_2048x1x256_Bt", 2048, 1, 256, False, True, 1, 0),
]
SQUARE_SHAPE = "square_2048"


def gemm_shape_args():
    """The shapes as the probes' command-line arguments, `name:m:k:n:ta:tb`."""
    return [f"{name}:{m}:{k}:{n}:{int(ta)}:{int(tb)}" for name, m, k, n, ta, tb, _, _ in GEMM_SHAPES]


def shape_bound_seconds(n_train, n_val, rates):
    """Seconds of one epoch's matrix products if each ran at `rates[name]` GFLOP/s: the FLOP
    lower bound at the model's own shapes (the products of epoch_flop, shape by shape)."""
    seconds = 0.0
    for name, m, k, n, _, _, per_train, per_val in GEMM_SHAPES:
        count = per_train * n_train / 2048 + per_val * n_val / 2048
        if count:
            seconds += count * 2.0 * m * k * n / (rates[name] * 1e9)
    return seconds


def open_text(path):
    return gzip.open(path, "rt") if str(path).endswith(".gz") else open(path)


def load_example(path):
    """Reads the CSV exactly as the Keras example does: header skipped, quotes stripped, every
    column but the last a float feature, the last the integer target.

    Returns (features float32 [N, F], targets uint8 [N, 1])."""
    all_features = []
    all_targets = []
    with open_text(path) as f:
        for i, line in enumerate(f):
            if i == 0:
                continue  # Skip header
            fields = line.strip().split(",")
            all_features.append([float(v.replace('"', "")) for v in fields[:-1]])
            all_targets.append([int(fields[-1].replace('"', ""))])
    features = np.array(all_features, dtype="float32")
    targets = np.array(all_targets, dtype="uint8")
    return features, targets


def prepare_example(features, targets, val_fraction=0.2):
    """The example's split, class weights and standardisation, in float32 NumPy.

    Returns a dict: train_x, train_y, val_x, val_y (y as uint8 [n, 1]), class_weight {0: w0,
    1: w1} (Python floats, as the example passes them), mean, std."""
    num_val_samples = int(len(features) * val_fraction)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    counts = np.bincount(train_targets[:, 0])
    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]

    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std
    return {
        "train_x": train_features,
        "train_y": train_targets,
        "val_x": val_features,
        "val_y": val_targets,
        "class_weight": {0: float(weight_for_0), 1: float(weight_for_1)},
        "mean": mean,
        "std": std,
    }


def confusion(probs, targets):
    """tp, fp, tn, fn at Keras's threshold: flagged when p > 0.5."""
    pred = np.asarray(probs).reshape(-1) > 0.5
    y = np.asarray(targets).reshape(-1) > 0.5
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    tn = int(np.sum(~pred & ~y))
    fn = int(np.sum(~pred & y))
    return tp, fp, tn, fn


def ratio(a, b):
    return a / b if b else 0.0


def final_validation(probs, targets):
    """The validation columns of the result: counts at 0.5, precision, recall, average
    precision (scikit-learn's `average_precision_score` on the probabilities)."""
    from sklearn.metrics import average_precision_score

    tp, fp, tn, fn = confusion(probs, targets)
    return {
        "val_tp": tp,
        "val_fp": fp,
        "val_tn": tn,
        "val_fn": fn,
        "val_precision": ratio(tp, tp + fp),
        "val_recall": ratio(tp, tp + fn),
        "val_ap": float(
            average_precision_score(np.asarray(targets).reshape(-1), np.asarray(probs).reshape(-1))
        ),
    }


class Clock:
    """Seconds since the process started timing (the driver adds interpreter start-up from
    outside)."""

    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self):
        return time.perf_counter() - self.start


def emit(result):
    """The one machine-readable line the driver reads: `RESULT {json}` on stdout."""
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)


def log(message):
    print(message, file=sys.stderr, flush=True)


def threads_from_env(default=None):
    value = os.environ.get("FRAUDNET_BENCH_THREADS")
    return int(value) if value else default
