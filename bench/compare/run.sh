#!/usr/bin/env bash
# The comparison harness, one command:
#
#   bench/compare/run.sh [--epochs 30] [--threads 2] [--data PATH]    # fraudnet, PyTorch, Keras, burn, candle: the table
#   bench/compare/run.sh --only burn,candle --epochs 2                 # a subset
#   bench/compare/run.sh parity [--out tests/fixtures/parity]          # step-for-step parity with Keras
#
# Makes (or reuses) the virtual environment bench/compare/.venv with the packages pinned in
# bench/compare/requirements.txt, builds fraudnet in release mode, then runs
# bench/compare/compare.py (or parity.py), passing the other arguments on. compare.py builds
# the Rust peers (bench/compare/rust-peers, its own workspace) in release mode when it needs them. The table is
# printed and written to bench/compare/results/<date>-<time>.md; see docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== virtual environment $venv (pip install -r bench/compare/requirements.txt; a few minutes the first time)"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi

echo "== cargo build --release"
(cd "$root" && cargo build --release --quiet)

if [[ "${1:-}" == "parity" ]]; then
    shift
    exec "$venv/bin/python" "$here/parity.py" --fraudnet "$root/target/release/fraudnet" "$@"
fi
command="bench/compare/run.sh${*:+ $*}"
exec "$venv/bin/python" "$here/compare.py" --fraudnet "$root/target/release/fraudnet" --command "$command" "$@"
