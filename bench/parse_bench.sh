#!/usr/bin/env bash
# Parser throughput on one core: bench/parse/parse_bench (Google Benchmark, the 1M-line corpus
# of tests/tools/corpus built in memory) with 5 repetitions, then the instructions per line under
# callgrind, which do not depend on the machine's load. Method and results: docs/performance.md.
#
#   BUILD_DIR=build-perf bench/parse_bench.sh [CALLGRIND_LINES]     # 20000
#   SKIP_CALLGRIND=1 ...
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

CALLGRIND_LINES=${1:-20000}
PARSE_BENCH=$BUILD_DIR/bench/parse/parse_bench
need "$PARSE_BENCH" "$CORPUS_TOOL" jq

machine_report
timeout 600 "$PARSE_BENCH" --benchmark_repetitions=5 --benchmark_out="$WORK/parse.json" \
  --benchmark_out_format=json
echo "load after: $(load_now)"
echo
jq -r '.benchmarks[] | select(.run_type == "aggregate" and .aggregate_name == "median") |
  "\(.run_name) median: \(.items_per_second | floor) lines/s, \(1e10 / .items_per_second | floor / 10) ns/line (CPU time)" +
  if .bytes_per_second then ", \(.bytes_per_second / 1048576 | floor) MiB/s" else "" end' "$WORK/parse.json"

[[ -n ${SKIP_CALLGRIND:-} ]] && exit 0
need valgrind
echo
# Instructions executed inside Parser::parse (callgrind's --toggle-collect), divided by its calls.
"$CORPUS_TOOL" --lines "$CALLGRIND_LINES" --seed 1 --out "$WORK/callgrind.log" 2>&1
WGEVENTS_CORPUS=$WORK/callgrind.log timeout 1200 valgrind --tool=callgrind \
  --callgrind-out-file="$WORK/callgrind.out" --toggle-collect='wgevents::Parser::parse*' \
  "$PARSE_BENCH" --benchmark_filter=BM_ParseMixedCorpus > /dev/null 2> "$WORK/callgrind.err"
instructions=$(sed -n 's/^summary: //p; s/^totals: //p' "$WORK/callgrind.out" | head -1)
# Calls into Parser::parse: the `calls=` lines after each `cfn=` naming it. Callgrind names a
# function once, as `fn=(id) name` or `cfn=(id) name`, and by `(id)` alone after that.
calls=$(awk '
  /^c?fn=\([0-9]+\)/ {
    id = $0; sub(/^c?fn=/, "", id); sub(/\).*/, ")", id)
    if ($0 ~ /Parser::parse\(/) parse_ids[id] = 1
  }
  /^cfn=/ { target = (id in parse_ids); next }
  /^calls=/ && target { split($0, a, /[= ]/); n += a[2]; target = 0 }
  END { print n + 0 }' "$WORK/callgrind.out")
echo "callgrind: $instructions instructions in $calls calls of Parser::parse ($CALLGRIND_LINES-line corpus, seed 1)"
awk -v i="$instructions" -v c="$calls" 'BEGIN { printf "instructions per line: %.0f\n", i / c }'
