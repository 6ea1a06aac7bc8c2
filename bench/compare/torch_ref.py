"""The Keras example's job in PyTorch: the reference for the comparison harness.

    python bench/compare/torch_ref.py --data creditcard.csv.gz --epochs 30 --threads 2

Same data preparation (common.py: the example's own code), model (30-256-256-256-1, ReLU,
Dropout 0.3 after the second and third hidden layers, Glorot-uniform kernels and zero biases
as Keras initialises them, not PyTorch's default), loss (class-weighted binary cross-entropy,
Σ wᵢ·ℓᵢ / B, from the logit in the stable form), Adam in Keras's form (see KerasFormAdam),
batch 2048 with the last partial batch, a fresh shuffle each epoch, validation after every
epoch, a checkpoint after every epoch. Prints a Keras-style line per epoch on stderr and one
`RESULT {json}` line on stdout.
"""

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

clock = common.Clock()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


class KerasFormAdam(torch.optim.Adam):
    """torch.optim.Adam made to take Keras's step.

    Keras:   θ ← θ − α·m/(√v + ε),  α = lr·√(1−β2ᵗ)/(1−β1ᵗ)
    PyTorch: θ ← θ − lr·m̂/(√v̂ + ε'), m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ)

    Dividing Keras's numerator and denominator by √(1−β2ᵗ) gives
    lr·m̂/(√v̂ + ε/√(1−β2ᵗ)): Keras with ε is PyTorch with ε' = ε/√(1−β2ᵗ) (31.6·ε at t = 1,
    falling towards ε as t grows). This class sets that ε' before every step, so PyTorch's
    own Adam kernel takes Keras's step (equal in exact arithmetic; rounding differs). With
    `keras_form=False` it is plain torch.optim.Adam with a constant ε."""

    def __init__(self, params, lr, betas, eps, keras_form=True):
        super().__init__(params, lr=lr, betas=betas, eps=eps)
        self.keras_eps = eps
        self.keras_form = keras_form
        self.t = 0

    @torch.no_grad()
    def step(self, closure=None):
        self.t += 1
        if self.keras_form:
            for group in self.param_groups:
                beta_2 = group["betas"][1]
                group["eps"] = self.keras_eps / math.sqrt(1.0 - beta_2**self.t)
        return super().step(closure)


def build_model(inputs, hidden, dropout, seed):
    """Linear+ReLU per hidden layer (Dropout after it where its rate is > 0), then Linear to
    one logit. Kernels Glorot-uniform U(±√(6/(fan_in+fan_out))), biases zero, as Keras's
    Dense defaults."""
    torch.manual_seed(seed)
    layers = []
    d_in = inputs
    for units, rate in zip(hidden, dropout):
        layers += [nn.Linear(d_in, units), nn.ReLU()]
        if rate > 0:
            layers.append(nn.Dropout(rate))
        d_in = units
    layers.append(nn.Linear(d_in, 1))
    model = nn.Sequential(*layers)
    for layer in dense_layers(model):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return model


def dense_layers(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def keras_name(i):
    return "dense" if i == 0 else f"dense_{i}"


def set_keras_weights(model, weights):
    """Loads {"dense/kernel": [d_in, d_out], "dense/bias": [d_out], …} (Keras layout)."""
    with torch.no_grad():
        for i, layer in enumerate(dense_layers(model)):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[f"{keras_name(i)}/kernel"].T)))
            layer.bias.copy_(torch.from_numpy(weights[f"{keras_name(i)}/bias"]))


def keras_weights(model):
    """The parameters under Keras names and in Keras layout, as float32 NumPy arrays."""
    out = {}
    for i, layer in enumerate(dense_layers(model)):
        out[f"{keras_name(i)}/kernel"] = layer.weight.detach().numpy().T.copy()
        out[f"{keras_name(i)}/bias"] = layer.bias.detach().numpy().copy()
    return out


def make_optimizer(model, lr, keras_form=True):
    return KerasFormAdam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-7, keras_form=keras_form)


def sample_weights(y, class_weight):
    """Keras's class_weight → per-row float32 sample weights."""
    return torch.from_numpy(np.where(y.reshape(-1) > 0, class_weight[1], class_weight[0]).astype(np.float32))


def train_step(model, optimizer, x, y, w):
    """One step: loss Σ wᵢ·ℓᵢ / B with ℓ the stable BCE of the logit. Returns (loss, probs)."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(x).reshape(-1)
    loss = (w * F.binary_cross_entropy_with_logits(logits, y, reduction="none")).mean()
    loss.backward()
    optimizer.step()
    return loss.detach(), torch.sigmoid(logits.detach())


def predict(model, x, batch_size):
    model.eval()
    with torch.inference_mode():
        probs = torch.cat([torch.sigmoid(model(x[i : i + batch_size]).reshape(-1)) for i in range(0, len(x), batch_size)])
    model.train()
    return probs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads [default: PyTorch's]")
    ap.add_argument("--batch-size", type=int, default=2048)
    ap.add_argument("--learning-rate", type=float, default=1e-2)
    ap.add_argument("--hidden", default="256,256,256")
    ap.add_argument("--dropout", default="0,0.3,0.3")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--val-fraction", type=float, default=0.2)
    ap.add_argument("--no-shuffle", action="store_true")
    ap.add_argument("--adam", choices=["keras", "torch"], default="keras", help="keras: ε added to √v (the example's); torch: plain torch.optim.Adam(eps=1e-7)")
    ap.add_argument("--checkpoint-dir", default=None, help="torch.save the model and optimizer here after every epoch")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    hidden = [int(h) for h in args.hidden.split(",")]
    dropout = [float(r) for r in args.dropout.split(",")]
    setup_seconds = clock()

    t0 = time.perf_counter()
    features, targets = common.load_example(args.data)
    data = common.prepare_example(features, targets, args.val_fraction)
    del features, targets
    train_x = torch.from_numpy(data["train_x"])
    train_y = torch.from_numpy(data["train_y"].reshape(-1).astype(np.float32))
    train_w = sample_weights(data["train_y"], data["class_weight"])
    val_x = torch.from_numpy(data["val_x"])
    val_y = torch.from_numpy(data["val_y"].reshape(-1).astype(np.float32))
    load_seconds = time.perf_counter() - t0
    n = len(train_x)
    common.log(f"torch: loaded {n} training and {len(val_x)} validation rows in {load_seconds:.2f}s")

    model = build_model(train_x.shape[1], hidden, dropout, args.seed)
    optimizer = make_optimizer(model, args.learning_rate, keras_form=args.adam == "keras")
    generator = torch.Generator().manual_seed(args.seed)
    steps = math.ceil(n / args.batch_size)
    epoch_seconds = []
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        order = torch.arange(n) if args.no_shuffle else torch.randperm(n, generator=generator)
        loss_sum = 0.0
        tp = fp = tn = fn = 0
        for i in range(0, n, args.batch_size):
            rows = order[i : i + args.batch_size]
            y = train_y[rows]
            loss, probs = train_step(model, optimizer, train_x[rows], y, train_w[rows])
            loss_sum += float(loss) * len(rows)
            pred, truth = probs > 0.5, y > 0.5
            tp += int((pred & truth).sum())
            fp += int((pred & ~truth).sum())
            fn += int((~pred & truth).sum())
            tn += int((~pred & ~truth).sum())
        val_probs = predict(model, val_x, args.batch_size)
        val_loss = float(F.binary_cross_entropy(val_probs.clamp(1e-7, 1 - 1e-7), val_y))
        vtp, vfp, vtn, vfn = common.confusion(val_probs.numpy(), val_y.numpy())
        seconds = time.perf_counter() - started
        epoch_seconds.append(seconds)
        common.log(
            f"Epoch {epoch}/{args.epochs} {steps}/{steps} - {seconds:.2f}s - loss: {loss_sum / n:.4e} - "
            f"fn: {fn} - fp: {fp} - tn: {tn} - tp: {tp} - val_loss: {val_loss:.4e} - "
            f"val_fn: {vfn} - val_fp: {vfp} - val_tn: {vtn} - val_tp: {vtp}"
        )
        if args.checkpoint_dir:
            os.makedirs(args.checkpoint_dir, exist_ok=True)
            torch.save(
                {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
                os.path.join(args.checkpoint_dir, f"fraud_model_at_epoch_{epoch}.pt"),
            )

    result = {
        "framework": "PyTorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "adam": args.adam,
        "epochs": args.epochs,
        "steps": steps,
        "n_train": n,
        "n_val": len(val_x),
        "setup_seconds": setup_seconds,
        "load_seconds": load_seconds,
        "epoch_seconds": epoch_seconds,
        "epoch_includes": "training steps, training metrics, validation forward pass and metrics; not the checkpoint",
    }
    result.update(common.final_validation(val_probs.numpy(), val_y.numpy()))
    common.emit(result)


if __name__ == "__main__":
    main()
