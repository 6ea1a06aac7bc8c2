"""Step-for-step parity of fraudnet with Keras 3 (JAX backend) from identical weights.

    bench/compare/.venv/bin/python bench/compare/parity.py                       # compare, in a temporary directory
    bench/compare/.venv/bin/python bench/compare/parity.py --out tests/fixtures/parity   # (re)write the CI fixture

1. Generates a small seeded synthetic data set shaped like creditcard.csv (quoted header,
   `Time`, `V1`…, `Amount`, quoted `"Class"`), both classes in the training split, and writes
   it as `data.csv` (every value written as the exact decimal of a float32, so any reader
   parses the same float32).
2. Prepares it with the Keras example's own code (common.py, float32 NumPy): last 20 % for
   validation, class weights 1/count, standardisation by the training mean and std.
3. Builds the example's model at a small size (`--hidden 16,16 --dropout 0,0`, no dropout
   so the runs are deterministic), Keras's Glorot-uniform initialisation from `--seed`, and
   exports those initial weights as `init.safetensors` under fraudnet's names.
4. Trains one epoch in Keras, `shuffle=False`, batch 96: K = 4 Adam steps (96, 96, 96 and
   the partial 32 rows), with the example's class weights, `Adam(1e-2)` and
   `binary_crossentropy`; saves the weights after step K−1 (`keras_before_last.safetensors`)
   and after step K (`keras_after.safetensors`).
5. From the same initial weights, the same K steps in PyTorch with plain
   `torch.optim.Adam(eps=1e-7)` (ε added to the bias-corrected √v̂, not Keras's √v):
   `torch_form_after.safetensors`, the "wrong optimizer" a parity test must reject; and with
   torch_ref.KerasFormAdam, which must agree with Keras (this checks the harness's PyTorch
   reference).
6. Runs `fraudnet train --init-weights init.safetensors --no-shuffle --dropout 0,0 …` on
   `data.csv` for one epoch and compares every parameter with Keras's, printing max |Δ|
   against the size of one Adam step (|θ_K − θ_{K−1}|). Exits non-zero when fraudnet is
   outside the tolerance or the tolerance does not separate the two Adam forms.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402
import keras_ref  # noqa: E402

# The parity tolerance on every parameter (absolute; the parameters are O(0.1–1)). Kept equal
# to TOLERANCE in tests/keras_parity.rs, which explains it.
TOLERANCE = 2e-6


def generate(rows, features, seed):
    """A credit-card-like table: `Time` (sorted seconds), V1…V{features-2} (zero-mean,
    different scales, positives shifted in some), `Amount` (log-normal, cents); about 9 %
    positives, with at least 8 in each split. Returns (header, float32 [rows, features],
    labels int [rows])."""
    rng = np.random.default_rng(seed)
    n_val = int(rows * 0.2)
    while True:
        labels = (rng.random(rows) < 0.09).astype(int)
        if labels[:-n_val].sum() >= 8 and labels[-n_val:].sum() >= 3:
            break
    v = features - 2
    time_col = np.sort(rng.uniform(0, 172_792, rows)).round()
    scales = rng.uniform(0.3, 3.0, v)
    shifts = np.where(np.arange(v) % 2 == 0, 1.5, -0.8) * scales
    vs = rng.normal(0.0, 1.0, (rows, v)) * scales + labels[:, None] * shifts
    amount = np.exp(rng.normal(3.0, 1.5, rows)).round(2)
    x = np.column_stack([time_col, vs, amount]).astype(np.float32)
    header = ["Time"] + [f"V{i}" for i in range(1, v + 1)] + ["Amount", "Class"]
    return header, x, labels


def write_csv(path, header, x, labels):
    """Quoted header and label like creditcard.csv; each value as the exact decimal of its
    float32 (repr of the float64 holding it), so float32 parsers and float64-then-float32
    parsers read the same number."""
    with open(path, "w") as f:
        f.write(",".join(f'"{h}"' for h in header) + "\n")
        for row, label in zip(x, labels):
            f.write(",".join(repr(float(value)) for value in row) + f',"{label}"\n')


def save(path, tensors, metadata):
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, path, metadata=metadata)


def load(path):
    from safetensors.numpy import load_file

    return load_file(path)


def max_abs(a, b, names):
    return {name: float(np.max(np.abs(a[name].astype(np.float64) - b[name].astype(np.float64)))) for name in names}


def keras_steps(data, init, hidden, batch_size, learning_rate):
    """One epoch of model.fit, shuffle=False, from `init`; returns the weights after every
    step (a callback reads them at each on_train_batch_end) and after fit."""
    import keras

    model = keras_ref.build_model(data["train_x"].shape[1], hidden, [0.0] * len(hidden))
    keras_ref.set_weights(model, init)
    keras_ref.compile_model(model, learning_rate, with_metrics=False)
    snapshots = []

    class Snapshot(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append(keras_ref.get_weights(self.model))

    model.fit(
        data["train_x"],
        data["train_y"],
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
        class_weight=data["class_weight"],
        callbacks=[Snapshot()],
    )
    return snapshots, keras_ref.get_weights(model)


def torch_steps(data, init, hidden, batch_size, learning_rate, keras_form):
    import torch

    import torch_ref

    model = torch_ref.build_model(data["train_x"].shape[1], hidden, [0.0] * len(hidden), seed=0)
    torch_ref.set_keras_weights(model, init)
    optimizer = torch_ref.make_optimizer(model, learning_rate, keras_form=keras_form)
    x = torch.from_numpy(data["train_x"])
    y = torch.from_numpy(data["train_y"].reshape(-1).astype(np.float32))
    w = torch_ref.sample_weights(data["train_y"], data["class_weight"])
    for i in range(0, len(x), batch_size):
        torch_ref.train_step(model, optimizer, x[i : i + batch_size], y[i : i + batch_size], w[i : i + batch_size])
    return torch_ref.keras_weights(model)


def run_fraudnet(binary, out, hidden, batch_size, learning_rate, workdir):
    command = [
        binary,
        "train",
        "--data",
        os.path.join(out, "data.csv"),
        "--epochs",
        "1",
        "--batch-size",
        str(batch_size),
        "--learning-rate",
        repr(learning_rate),
        "--hidden",
        ",".join(map(str, hidden)),
        "--dropout",
        ",".join("0" for _ in hidden),
        "--no-shuffle",
        "--init-weights",
        os.path.join(out, "init.safetensors"),
        "--threads",
        "1",
        "--checkpoint-dir",
        os.path.join(workdir, "checkpoints"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"fraudnet failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return load(os.path.join(workdir, "checkpoints", "fraud_model_at_epoch_1.safetensors")), command


def show(command):
    """The fraudnet command as a reader would type it: `fraudnet`, paths relative to the
    repository, the temporary checkpoint directory as CHECKPOINT_DIR."""
    shown = ["fraudnet"]
    for arg in command[1:]:
        if os.path.isabs(arg) and arg.startswith(tempfile.gettempdir()) and "checkpoints" in arg:
            arg = "CHECKPOINT_DIR"
        elif os.path.isabs(arg):
            arg = os.path.relpath(arg, ROOT)
        shown.append(arg)
    return " ".join(shown)


def write_readme(out, settings, vers, lines, command, data, steps):
    """The fixture's README: what each file is, how it was made, the numbers."""
    shown = show(command) if command else "(not run)"
    text = f"""# Keras parity fixture

Generated by `{settings["script"]}` — do not edit by hand; regenerate with

    bench/compare/run.sh parity --out tests/fixtures/parity
    # or, with the harness's virtual environment already made:
    bench/compare/.venv/bin/python {settings["command"]}

Versions: {", ".join(f"{k} {v}" for k, v in vers.items())}; Keras backend JAX on CPU,
single-threaded XLA.

`tests/keras_parity.rs` trains fraudnet from `init.safetensors` on `data.csv` exactly as
Keras did and checks every parameter against `keras_after.safetensors`.

| file | what it holds |
| --- | --- |
| `data.csv` | {settings["rows"]} synthetic rows (seed {settings["seed"]}): quoted header `Time`, `V1`…, `Amount`, `Class`, like creditcard.csv; no row of the real data set. The last 20 % ({len(data["val_x"])} rows) are validation; the {len(data["train_x"])} training rows hold {int(data["train_y"].sum())} positives |
| `init.safetensors` | Keras's Glorot-uniform initial weights (`keras.utils.set_random_seed({settings["seed"]})`), model {settings["features"]}-{settings["hidden"].replace(",", "-")}-1 with ReLU, no dropout, under fraudnet's names (`dense/kernel` `[d_in, d_out]`, …) |
| `keras_after.safetensors` | after `model.fit(…, batch_size={settings["batch_size"]}, epochs=1, shuffle=False, class_weight=…)`: {steps} Adam steps (`Adam({settings["learning_rate"]})`, `binary_crossentropy`), the last on the partial batch |
| `keras_before_last.safetensors` | after step {steps - 1}: `keras_after − keras_before_last` is one Adam step |
| `torch_form_after.safetensors` | the same {steps} steps from the same weights in PyTorch with plain `torch.optim.Adam(lr, (0.9, 0.999), eps=1e-7)`, whose ε is added to the bias-corrected √v̂ instead of Keras's √v: what a parity test must reject |

The data were prepared with the Keras example's own code (float32 NumPy: class weights
1/count of the training split, standardisation by the training mean and population std).
fraudnet's run (the test runs the same):

    {shown}

Max absolute differences when this fixture was made (tolerance {TOLERANCE:.0e}):

""" + "\n".join(lines) + "\n"
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


def versions():
    import jax
    import keras
    import safetensors
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "jax": jax.__version__,
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="directory for the files [default: a temporary one]")
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--features", type=int, default=8)
    ap.add_argument("--hidden", default="16,16")
    ap.add_argument("--batch-size", type=int, default=96)
    ap.add_argument("--learning-rate", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=20240)
    ap.add_argument("--fraudnet", default=os.path.join(ROOT, "target", "release", "fraudnet"), help="the binary [default: target/release/fraudnet]; 'none' to skip the fraudnet comparison")
    args = ap.parse_args()
    hidden = [int(h) for h in args.hidden.split(",")]
    keras_ref.set_threads(1)

    import keras

    tmp = tempfile.TemporaryDirectory()
    out = os.path.abspath(args.out) if args.out else tmp.name
    os.makedirs(out, exist_ok=True)

    header, x, labels = generate(args.rows, args.features, args.seed)
    write_csv(os.path.join(out, "data.csv"), header, x, labels)
    features, targets = common.load_example(os.path.join(out, "data.csv"))
    assert np.array_equal(features, x), "data.csv does not read back as the generated float32 values"
    data = common.prepare_example(features, targets)
    n_train = len(data["train_x"])
    steps = -(-n_train // args.batch_size)
    print(
        f"data: {args.rows} rows × {args.features} features, {n_train} training rows "
        f"({int(data['train_y'].sum())} positive), {len(data['val_x'])} validation; "
        f"class weights {data['class_weight']}; {steps} steps of {args.batch_size}"
    )

    keras.utils.set_random_seed(args.seed)
    init_model = keras_ref.build_model(x.shape[1], hidden, [0.0] * len(hidden))
    init = keras_ref.get_weights(init_model)
    names = list(init)
    vers = versions()
    settings = {
        "script": "bench/compare/parity.py",
        "command": " ".join(["bench/compare/parity.py"] + sys.argv[1:]),
        "rows": args.rows,
        "features": args.features,
        "hidden": args.hidden,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "steps": steps,
    }
    meta = {"parity": json.dumps({"settings": settings, "versions": vers})}
    save(os.path.join(out, "init.safetensors"), init, meta)

    snapshots, after = keras_steps(data, init, hidden, args.batch_size, args.learning_rate)
    assert len(snapshots) == steps, f"{len(snapshots)} snapshots for {steps} steps"
    assert all(np.array_equal(snapshots[-1][k], after[k]) for k in names), "the last batch-end snapshot is not the final model"
    save(os.path.join(out, "keras_after.safetensors"), after, meta)
    save(os.path.join(out, "keras_before_last.safetensors"), snapshots[-2], meta)
    torch_form = torch_steps(data, init, hidden, args.batch_size, args.learning_rate, keras_form=False)
    save(os.path.join(out, "torch_form_after.safetensors"), torch_form, meta)
    torch_keras_form = torch_steps(data, init, hidden, args.batch_size, args.learning_rate, keras_form=True)

    lines = []

    def row(label, values, overall):
        lines.append(f"| {label} | " + " | ".join(f"{values[k]:.2e}" for k in names) + f" | **{overall:.2e}** |")

    def step_stat(stat, a, b):
        per = {k: float(stat(np.abs(a[k].astype(np.float64) - b[k]))) for k in names}
        every = np.concatenate([np.abs(a[k].astype(np.float64) - b[k]).ravel() for k in names])
        return per, float(stat(every))

    lines.append("| max abs difference | " + " | ".join(f"`{k}`" for k in names) + " | all |")
    lines.append("| --- |" + " ---: |" * (len(names) + 1))
    first_step = max_abs(snapshots[0], init, names)
    row("Keras step 1: max \\|θ1 − θ0\\|", first_step, max(first_step.values()))
    for label, stat in [("max", np.max), ("median", np.median), ("min", np.min)]:
        row(f"Keras step {steps}: {label} \\|θ{steps} − θ{steps - 1}\\| (one Adam step)", *step_stat(stat, after, snapshots[-2]))
    form_gap = max_abs(torch_form, after, names)
    row("PyTorch-form Adam (ε on √v̂) vs Keras", form_gap, max(form_gap.values()))
    torch_gap = max_abs(torch_keras_form, after, names)
    row("torch_ref.py's KerasFormAdam vs Keras", torch_gap, max(torch_gap.values()))
    failures = []
    if max(form_gap.values()) <= 5 * TOLERANCE:
        failures.append("the tolerance does not separate PyTorch's Adam form from Keras's")
    if max(torch_gap.values()) > TOLERANCE:
        failures.append("torch_ref's Keras-form Adam is outside the tolerance")

    command = None
    if args.fraudnet != "none":
        with tempfile.TemporaryDirectory() as work:
            got, command = run_fraudnet(args.fraudnet, out, hidden, args.batch_size, args.learning_rate, work)
        gap = max_abs(got, after, names)
        row("**fraudnet vs Keras**", gap, max(gap.values()))
        if max(gap.values()) > TOLERANCE:
            failures.append("fraudnet is outside the tolerance")
    print(f"tolerance {TOLERANCE:.0e}")
    print("\n".join(lines))
    if command:
        print("fraudnet command: " + show(command))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    if args.out and not failures:
        write_readme(out, settings, vers, lines, command, data, steps)
    if args.out:
        print(f"wrote {', '.join(sorted(os.listdir(out)))} to {out}")
    if failures:
        sys.exit("PARITY FAILED: " + "; ".join(failures))
    print("parity OK")


if __name__ == "__main__":
    main()
