#!/usr/bin/env bash
# Replays one generated kernel log through the exporter (`--replay FILE --once`) and through
# mtail with the equivalent program bench/mtail/wireguard.mtail (`--one_shot`), checks that both
# report the counts of the corpus's expected file, then times both with hyperfine and measures
# their peak RSS with GNU time. Method and results: docs/performance.md.
#
#   BUILD_DIR=build-perf bench/replay_vs_mtail.sh [LINES] [RUNS]     # defaults 1000000 and 3
#
# Needs a Release build, mtail, hyperfine, jq and GNU time (/usr/bin/time). Loopback only; every
# run is bounded by `timeout`.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

LINES=${1:-1000000}
RUNS=${2:-3}
need "$EXPORTER" "$CORPUS_TOOL" mtail hyperfine jq /usr/bin/time python3
MTAIL_PROGS=$REPO/bench/mtail
TO_EXPECTED=$REPO/bench/mtail/to_expected.awk
CORPUS=$WORK/corpus.log
EXPECTED=$WORK/corpus.expected
MTAIL_PORT=$(free_loopback_ports tcp)  # one_shot serves nothing, but keep it off the shared default 3903

EXPORTER_CMD=("$EXPORTER" --replay "$CORPUS" --once)
MTAIL_CMD=(mtail --one_shot --one_shot_format prometheus --emit_prog_label=false --logtostderr
           --address 127.0.0.1 --port "$MTAIL_PORT" --progs "$MTAIL_PROGS" --logs "$CORPUS")
# hyperfine takes each command as one string.
printf -v EXPORTER_LINE '%q ' "${EXPORTER_CMD[@]}"
printf -v MTAIL_LINE '%q ' "${MTAIL_CMD[@]}"

machine_report
echo "mtail:   $(mtail --version 2>&1 | head -1)"
"$CORPUS_TOOL" --lines "$LINES" --seed 1 --out "$CORPUS" --expected "$EXPECTED" 2>&1
echo

# --- Same counts? -----------------------------------------------------------------------------
timeout 300 "${EXPORTER_CMD[@]}" > "$WORK/exporter.prom"
timeout 900 "${MTAIL_CMD[@]}" > "$WORK/mtail.prom" 2> "$WORK/mtail.log"
grep -v '^result' "$EXPECTED" > "$WORK/expected.counts"
awk -f "$TO_EXPECTED" "$WORK/exporter.prom" | LC_ALL=C sort > "$WORK/exporter.counts"
awk -f "$TO_EXPECTED" "$WORK/mtail.prom" | LC_ALL=C sort > "$WORK/mtail.counts"

# Sum of one event (or of all of a kind with event "*") over every series of a counts file.
total() {
  awk -F'\t' -v kind="$2" -v event="$3" '
    $1 == kind && kind == "peer_event" && (event == "*" || $4 == event) { s += $5 }
    $1 == kind && kind == "interface_event" && (event == "*" || $3 == event) { s += $4 }
    $1 == kind && kind == "no_route" { s += $5 }
    $1 == kind && kind == "ratelimit_suppressed" { s += $2 }
    END { printf "%d", s }' "$1"
}
printf '%-44s %12s %12s %12s\n' "count" "expected" "exporter" "mtail"
for row in "peer_event keepalive_received" "peer_event handshake_initiation_sent" \
           "peer_event keypair_created" "peer_event *" "interface_event *" "no_route *" \
           "ratelimit_suppressed *"; do
  read -r kind event <<<"$row"
  printf '%-44s %12s %12s %12s\n' "$kind $event" "$(total "$WORK/expected.counts" "$kind" "$event")" \
    "$(total "$WORK/exporter.counts" "$kind" "$event")" "$(total "$WORK/mtail.counts" "$kind" "$event")"
done
printf '%-44s %12s %12s %12s\n' "series (peer, interface, no_route rows)" "$(wc -l < "$WORK/expected.counts")" \
  "$(wc -l < "$WORK/exporter.counts")" "$(wc -l < "$WORK/mtail.counts")"
verdict=0
for who in exporter mtail; do
  if cmp -s "$WORK/expected.counts" "$WORK/$who.counts"; then
    echo "$who: every per-series count equals the expected file"
  else
    echo "$who: $(diff "$WORK/expected.counts" "$WORK/$who.counts" | grep -c '^[<>]') rows differ from the expected file"
    verdict=1
  fi
done
echo

# --- Peak memory and CPU, one run each ------------------------------------------------------
for who in exporter mtail; do
  if [[ $who == exporter ]]; then cmd=("${EXPORTER_CMD[@]}"); else cmd=("${MTAIL_CMD[@]}"); fi
  echo "load before: $(load_now)"
  timeout 900 /usr/bin/time -f "$who: max RSS %M KiB, user %U s, sys %S s, wall %e s" "${cmd[@]}" \
    > /dev/null 2> "$WORK/time.$who"
  grep "^$who:" "$WORK/time.$who"
done
echo

# --- Time ---------------------------------------------------------------------------------------
echo "load before hyperfine: $(load_now)"
timeout 3600 hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$WORK/hyperfine.json" \
  -n exporter "$EXPORTER_LINE" -n mtail "$MTAIL_LINE"
echo "load after hyperfine: $(load_now)"
jq -r '.results[] | "\(.command): wall mean \(.mean * 1000 | floor) ms (min \(.min * 1000 | floor), max \(.max * 1000 | floor)), user \(.user * 1000 | floor) ms, sys \(.system * 1000 | floor) ms"' "$WORK/hyperfine.json"
jq -r '(.results | map({(.command): .}) | add) as $r |
  "mtail / exporter: wall \($r.mtail.mean / $r.exporter.mean * 10 | floor / 10)x, CPU (user+sys) \(($r.mtail.user + $r.mtail.system) / ($r.exporter.user + $r.exporter.system) * 10 | floor / 10)x"' \
  "$WORK/hyperfine.json"
jq -r --argjson lines "$LINES" '.results[] | "\(.command): \($lines / .mean | floor) lines/s wall, \($lines / (.user + .system) | floor) lines/s of CPU time"' "$WORK/hyperfine.json"
exit $verdict
