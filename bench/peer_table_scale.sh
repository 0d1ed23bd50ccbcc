#!/usr/bin/env bash
# What reading a big peer table costs a scrape: one interface of PEERS peers (default 10,000,
# each with an endpoint, a handshake, byte counts and one allowed IP) served by a fake UAPI
# socket (bench/fake_uapi_server.py), scraped ROUNDS times with the table and ROUNDS times
# without it (--no-wireguard.peer-table). Prints the median scrape time of each, their
# difference, and the exporter's resident memory (peak, VmHWM) after each run. Results:
# docs/performance.md.
#
#   BUILD_DIR=build-perf bench/peer_table_scale.sh [PEERS] [ROUNDS]
source "$(dirname "$0")/common.sh"
PEERS=${1:-10000}
ROUNDS=${2:-20}
EXPORTER=$BUILD_DIR/wireguard_events_exporter
need "$EXPORTER" curl python3

machine_report
mkdir -p "$WORK/uapi"
python3 "$REPO/bench/fake_uapi_server.py" "$WORK/uapi/wgbench0.sock" "$PEERS" >"$WORK/uapi.log" 2>&1 &
track_pid $!
wait_for 10 "the fake UAPI socket" test -S "$WORK/uapi/wgbench0.sock"

run() {  # run LABEL FLAGS...: median scrape seconds and peak RSS
  local label=$1
  shift
  start_exporter --syslog.udp-listen-address= --wireguard.config-files= "$@"
  local times=()
  for _ in $(seq "$ROUNDS"); do
    times+=("$(curl -fsS -o "$WORK/page" -w '%{time_total}' "http://$EXPORTER_WEB/metrics")")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  local hwm
  hwm=$(vm_hwm_kib "$EXPORTER_PID")
  echo "$label: median scrape ${median} s over $ROUNDS scrapes, page $(wc -c <"$WORK/page") bytes," \
    "$(grep -c '^wireguard_peer_info{' "$WORK/page") peer_info series, peak RSS ${hwm} KiB"
  stop_tracked "$EXPORTER_PID"
  eval "${label}_median=$median ${label}_hwm=$hwm"
}
run without --no-wireguard.peer-table
run with --wireguard.uapi-dir="$WORK/uapi"
echo "table of $PEERS peers adds $(awk -v a="$with_median" -v b="$without_median" 'BEGIN { printf "%.1f", (a - b) * 1000 }') ms" \
  "to a scrape and $(( (with_hwm - without_hwm) / 1024 )) MiB to the peak RSS"
PASSED=1
