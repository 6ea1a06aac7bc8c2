#!/usr/bin/env bash
# The quality study of issue 13: how good is the model a run ends with, on rows nothing in the
# run has seen, and how much does that depend on the seed?
#
# For each seed and each of four configurations, trains on the real data with
# --test-fraction 0.1 (so selection and reporting use different rows), one run at a time:
#
#   plain   the Keras example as it is (the last epoch's raw weights)
#   ema     --ema 0.99 (the last epoch's moving average of the weights, Keras's use_ema)
#   best    --keep-best val_auc_pr (the epoch with the best validation AP)
#   both    --ema 0.99 --keep-best val_auc_pr (the best epoch of the average)
#
# then scores the chosen checkpoint once on the test rows (`fraudnet evaluate --split test`)
# and prints a table of per-seed test average precision, ROC AUC, recall and false positives
# at p > 0.5, with the median and the minimum per configuration. For the first seed it also
# prints the per-epoch validation AP of the raw weights (the run without --ema, which never changes the
# raw weights) beside that of the average (the ema run), and draws both on one chart with
# `fraudnet plot --compare`.
#
# Usage: bench/quality/run.sh [--seeds 10] [--epochs 30] [--data FILE] [--out DIR]
# Seeds are 1..N. Two 30-epoch runs per seed (see the loop), about 1.5 minutes each on 2 cores:
# 10 seeds take about half an hour.
set -euo pipefail

seeds=10
epochs=30
root=$(cd "$(dirname "$0")/../.." && pwd)
data="$root/../shared/data/creditcard.csv.gz"
[ -e "$root/data/creditcard.csv.gz" ] && data="$root/data/creditcard.csv.gz"
out="$root/target/quality"
while [ $# -gt 0 ]; do
    case "$1" in
        --seeds) seeds=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
[ -e "$data" ] || { echo "no data file $data; run scripts/fetch-creditcard.sh" >&2; exit 1; }

(cd "$root" && cargo build --release --quiet)
bin="$root/target/release/fraudnet"
mkdir -p "$out"
configs=(plain ema best both)

results="$out/results.tsv"
printf 'config\tseed\ttest_ap\ttest_roc_auc\trecall\tfp\tepoch\n' > "$results"
{
    echo "command: $0 --seeds $seeds --epochs $epochs --data $data"
    echo "machine: $(nproc) cores, $(uname -srm)"
    echo "started: $(date -u +%FT%TZ)"
} | tee "$out/run.txt"
# --keep-best only chooses which epoch is copied to fraud_model_best.safetensors; the epoch
# checkpoints are byte-identical with and without it (tests/cli_evaluate.rs,
# keep_best_never_changes_what_is_trained). So each seed takes two runs, not four: one with the
# raw weights and one with --ema 0.99, both with --keep-best val_auc_pr; "plain" and "ema" score
# the last epoch's checkpoint of each, "best" and "both" its best file.
run_of() { case "$1" in plain|best) echo raw ;; ema|both) echo ema ;; esac; }
for seed in $(seq 1 "$seeds"); do
    for run in raw ema; do
        dir="$out/$run/seed-$seed"
        mkdir -p "$out/$run"
        flags="--keep-best val_auc_pr"
        [ "$run" = ema ] && flags="$flags --ema 0.99"
        # shellcheck disable=SC2086
        "$bin" train --data "$data" --epochs "$epochs" --seed "$seed" --test-fraction 0.1 \
            $flags --checkpoint-dir "$dir" --metrics-log "$dir.csv" --overwrite > "$dir.log" 2>&1
    done
    for config in "${configs[@]}"; do
        dir="$out/$(run_of "$config")/seed-$seed"
        if [ "$config" = best ] || [ "$config" = both ]; then
            ckpt="$dir/fraud_model_best.safetensors"
        else
            ckpt="$dir/fraud_model_at_epoch_$epochs.safetensors"
        fi
        "$bin" evaluate --checkpoint "$ckpt" --data "$data" --split test > "$dir.$config.test.txt"
        epoch=$(sed -n 's/^Checkpoint .*(epoch \([0-9]*\),.*/\1/p' "$dir.$config.test.txt")
        ap=$(sed -n 's/^Average precision.*: //p' "$dir.$config.test.txt")
        auc=$(sed -n 's/^ROC AUC: //p' "$dir.$config.test.txt")
        recall=$(sed -n 's/^  precision: .*recall: \([0-9.]*\).*/\1/p' "$dir.$config.test.txt")
        fp=$(sed -n 's/^  tp: [0-9]*  fp: \([0-9]*\).*/\1/p' "$dir.$config.test.txt")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$seed" "$ap" "$auc" "$recall" "$fp" \
            "$epoch" | tee -a "$results"
    done
done

echo
echo "Test split (the last 10 % of the file), p > 0.5 for recall and fp:"
python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
configs = ["plain", "ema", "best", "both"]
print(f"{'config':8} {'seed':>4} {'epoch':>5} {'test AP':>8} {'ROC AUC':>8} {'recall':>7} {'fp':>5}")
for c in configs:
    rs = [r for r in rows if r["config"] == c]
    for r in rs:
        print(f"{c:8} {r['seed']:>4} {r['epoch']:>5} {float(r['test_ap']):8.4f} "
              f"{float(r['test_roc_auc']):8.4f} {float(r['recall']):7.4f} {r['fp']:>5}")
print()
print(f"{'config':8} {'runs':>4} {'median AP':>9} {'min AP':>7} {'median AUC':>10} "
      f"{'min AUC':>8} {'median recall':>13} {'median fp':>9}")
for c in configs:
    rs = [r for r in rows if r["config"] == c]
    if not rs:
        continue
    col = lambda k: [float(r[k]) for r in rs]
    print(f"{c:8} {len(rs):>4} {statistics.median(col('test_ap')):9.4f} {min(col('test_ap')):7.4f} "
          f"{statistics.median(col('test_roc_auc')):10.4f} {min(col('test_roc_auc')):8.4f} "
          f"{statistics.median(col('recall')):13.4f} {statistics.median(col('fp')):9.1f}")
PY

echo
echo "Seed 1, validation AP per epoch: raw weights (the run without --ema) and their average (the --ema run):"
python3 - "$out/raw/seed-1.csv" "$out/ema/seed-1.csv" <<'PY'
import csv, sys
raw = {r["epoch"]: r["val_auc_pr"] for r in csv.DictReader(open(sys.argv[1]))}
ema = {r["epoch"]: r["val_auc_pr"] for r in csv.DictReader(open(sys.argv[2]))}
print(f"{'epoch':>5} {'raw':>8} {'EMA':>8}")
for e in sorted(raw, key=int):
    f = lambda v: f"{float(v):8.4f}" if v not in ("", "undefined") else f"{v:>8}"
    print(f"{e:>5} {f(raw[e])} {f(ema.get(e, ''))}")
PY
"$bin" plot --compare "raw weights=$out/raw/seed-1.csv" \
    --compare "EMA 0.99=$out/ema/seed-1.csv" --out-dir "$out/plots" > /dev/null
echo "Curves: $out/plots/val_auc_pr.png and .svg"
echo "finished: $(date -u +%FT%TZ)" | tee -a "$out/run.txt"
