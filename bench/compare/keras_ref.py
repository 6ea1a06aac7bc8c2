"""The Keras example's job in Keras 3 (JAX backend): the reference for the comparison harness.

    python bench/compare/keras_ref.py --data creditcard.csv.gz --epochs 30 --threads 2

The example's code (https://keras.io/examples/structured_data/imbalanced_classification/):
its data preparation (common.py), model, `Adam(1e-2)`, `binary_crossentropy`, its six
metrics, `class_weight`, batch 2048, a `ModelCheckpoint` after every epoch. Differences:
`verbose=2` lines go to stdout as usual but the last line is `RESULT {json}`; the epoch count,
seed and thread count are parameters.

Threads: XLA's CPU backend has no single thread-count knob. `--threads 1` sets
XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"; any other count
leaves XLA's default (one thread per CPU this process may run on; the harness restricts the
process's CPU affinity to --threads CPUs when the machine has more).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SINGLE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def set_threads(threads):
    """Must run before JAX is imported."""
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " " + SINGLE_THREAD_XLA_FLAGS).strip()


def keras_name(i):
    return "dense" if i == 0 else f"dense_{i}"


def build_model(inputs, hidden, dropout):
    """The example's Sequential model for any --hidden/--dropout: Dense(units, relu) per hidden
    layer, Dropout(rate) after it where rate > 0, Dense(1, sigmoid). Keras's default
    initialisers: Glorot-uniform kernels, zero biases."""
    import keras

    layers = [keras.Input(shape=(inputs,))]
    for units, rate in zip(hidden, dropout):
        layers.append(keras.layers.Dense(units, activation="relu"))
        if rate > 0:
            layers.append(keras.layers.Dropout(rate))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(layers)


def compile_model(model, learning_rate, with_metrics=True):
    import keras

    metrics = (
        [
            keras.metrics.FalseNegatives(name="fn"),
            keras.metrics.FalsePositives(name="fp"),
            keras.metrics.TrueNegatives(name="tn"),
            keras.metrics.TruePositives(name="tp"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
        ]
        if with_metrics
        else []
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=metrics)


def dense_layers(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def get_weights(model):
    """The parameters under fraudnet's (Keras-style) names: `dense/kernel` [d_in, d_out], …"""
    out = {}
    for i, layer in enumerate(dense_layers(model)):
        kernel, bias = layer.get_weights()
        out[f"{keras_name(i)}/kernel"] = kernel
        out[f"{keras_name(i)}/bias"] = bias
    return out


def set_weights(model, weights):
    for i, layer in enumerate(dense_layers(model)):
        layer.set_weights([weights[f"{keras_name(i)}/kernel"], weights[f"{keras_name(i)}/bias"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=2048)
    ap.add_argument("--learning-rate", type=float, default=1e-2)
    ap.add_argument("--hidden", default="256,256,256")
    ap.add_argument("--dropout", default="0,0.3,0.3")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--val-fraction", type=float, default=0.2)
    ap.add_argument("--no-shuffle", action="store_true")
    ap.add_argument("--checkpoint-dir", default=None, help="ModelCheckpoint('fraud_model_at_epoch_{epoch}.keras') here, as the example")
    args = ap.parse_args()
    set_threads(args.threads)
    clock = common.Clock()

    import jax
    import keras

    keras.utils.set_random_seed(args.seed)
    hidden = [int(h) for h in args.hidden.split(",")]
    dropout = [float(r) for r in args.dropout.split(",")]
    setup_seconds = clock()

    t0 = time.perf_counter()
    features, targets = common.load_example(args.data)
    data = common.prepare_example(features, targets, args.val_fraction)
    del features, targets
    load_seconds = time.perf_counter() - t0
    n = len(data["train_x"])
    common.log(f"keras: loaded {n} training and {len(data['val_x'])} validation rows in {load_seconds:.2f}s")

    model = build_model(data["train_x"].shape[1], hidden, dropout)
    compile_model(model, args.learning_rate)

    epoch_seconds = []

    class EpochTimer(keras.callbacks.Callback):
        """From the start of an epoch to its end, validation included (Keras evaluates the
        validation data before on_epoch_end). First in the callback list, so the checkpoint
        written by ModelCheckpoint's on_epoch_end is not counted. Epoch 1 also holds the XLA
        compilation of the training and evaluation steps."""

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.started)

    callbacks = [EpochTimer()]
    if args.checkpoint_dir:
        os.makedirs(args.checkpoint_dir, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(os.path.join(args.checkpoint_dir, "fraud_model_at_epoch_{epoch}.keras")))
    model.fit(
        data["train_x"],
        data["train_y"],
        batch_size=args.batch_size,
        epochs=args.epochs,
        verbose=2,
        callbacks=callbacks,
        validation_data=(data["val_x"], data["val_y"]),
        class_weight=data["class_weight"],
        shuffle=not args.no_shuffle,
    )
    val_probs = model.predict(data["val_x"], batch_size=args.batch_size, verbose=0)

    result = {
        "framework": "Keras",
        "version": f"{keras.__version__} (JAX {jax.__version__})",
        "threads": args.threads,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "epochs": args.epochs,
        "steps": -(-n // args.batch_size),
        "n_train": n,
        "n_val": len(data["val_x"]),
        "setup_seconds": setup_seconds,
        "load_seconds": load_seconds,
        "epoch_seconds": epoch_seconds,
        "epoch_includes": "training steps and metrics, validation evaluation; epoch 1 also XLA compilation; not the checkpoint",
    }
    result.update(common.final_validation(val_probs, data["val_y"]))
    common.emit(result)


if __name__ == "__main__":
    main()
