#!/usr/bin/env bash
# Instructions per call of benchmark rows, counted by callgrind (see benches/propagator.rs).
#   benches/callgrind.sh <bench> <group/carrier/row>...
# Builds the bench binary (profile.bench keeps debug info), runs each row under callgrind
# with TCTX_BENCH_ITERS=1000 and 11000 and prints (difference of totals) / 10000.
# CALLGRIND_KEEP=dir keeps the larger run's output file in dir for callgrind_annotate.
set -euo pipefail
bench=$1
shift
target=${CARGO_TARGET_DIR:-target}
cargo bench --bench "$bench" --no-run --message-format=json 2>/dev/null >/tmp/callgrind-build.$$ || {
  cargo bench --bench "$bench" --no-run
  exit 1
}
bin=$(grep -o '"executable":"[^"]*'"$bench"'-[^"]*"' /tmp/callgrind-build.$$ | tail -1 | cut -d'"' -f4)
rm -f /tmp/callgrind-build.$$
[ -x "$bin" ] || { echo "no binary for $bench under $target" >&2; exit 1; }
small=1000 large=11000
for row in "$@"; do
  # The last count is the bench process: criterion probes for gnuplot in a child first.
  total() {
    local out=${CALLGRIND_KEEP:-/tmp}/cg.$(echo "$row" | tr '/' '_').$1
    TCTX_BENCH_ROW=$row TCTX_BENCH_ITERS=$1 valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$bin" 2>&1 | sed -n "s/.*Collected : *\([0-9]*\).*/\1/p" | tail -1
    [ -n "${CALLGRIND_KEEP:-}" ] || rm -f "$out"
  }
  a=$(total $small)
  b=$(total $large)
  echo "$row $(( (b - a) / (large - small) ))"
done
