#!/usr/bin/env bash
# Side by side across commits: alternates two criterion bench binaries (OLD and NEW, built from
# two commits, e.g. in two `git worktree`s with `cargo bench --no-run`) on one bench id, round
# by round (which one goes first alternates too), and prints each round's estimate (criterion's
# point estimate, ms), each side's median and old/new. On a shared, noisy machine a ratio from
# one process pair run alternately is far more trustworthy than two runs minutes apart.
#
# usage: bench/ab/run.sh OLD NEW FILTER ROUNDS [extra criterion args]
#   OLD, NEW: a bench binary (target/release/deps/training-…), or a command such as
#             "env RAYON_NUM_THREADS=1 target/release/deps/training-…" (word-split)
#   e.g. bench/ab/run.sh /tmp/old/target/release/deps/training-HASH \
#            target/release/deps/training-HASH step_2048 10
old=$1 new=$2 filter=$3 rounds=$4; shift 4
o=(); n=()
est() { local cmd=$1; shift; $cmd --bench "$filter" --warm-up-time 1 --measurement-time 3 --noplot "$@" 2>/dev/null | awk '/time:/{for(i=1;i<=NF;i++) if($i ~ /^\[/){v=$(i+2); u=$(i+3); if(u=="µs") v/=1000; if(u=="s") v*=1000; print v; exit}}'; }
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then a=$(est "$old" "$@"); b=$(est "$new" "$@"); else b=$(est "$new" "$@"); a=$(est "$old" "$@"); fi
  o+=("$a"); n+=("$b"); echo "round $r: old $a ms, new $b ms"
done
python3 - "${o[*]}" "${n[*]}" <<'PY'
import statistics, sys
o=[float(x) for x in sys.argv[1].split()]; n=[float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(o), statistics.median(n)
print(f"median old {mo:.3f} ms, new {mn:.3f} ms, old/new {mo/mn:.3f}")
PY
