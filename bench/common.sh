# shellcheck shell=bash disable=SC2034  # (variables used by the scripts that source this)
# Shared by the bench/*.sh scripts (sourced, not run). Methods and results: docs/performance.md.
#
# Sets REPO and BUILD_DIR (a Release build: BUILD_DIR=build-perf bench/udp_flood.sh), a scratch
# directory WORK removed on exit (KEEP_WORK=1 keeps it), and helpers. Every process a script
# starts is recorded with track_pid and stopped by the exit trap (scripts/lib/daemons.sh), so an
# interrupted run leaves nothing behind.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO/$BUILD_DIR ;; esac
EXPORTER=$BUILD_DIR/wireguard_events_exporter
CORPUS_TOOL=$BUILD_DIR/tests/tools/corpus/wgevents_corpus

# shellcheck source=../scripts/lib/daemons.sh
source "$REPO/scripts/lib/daemons.sh"
daemons_init wgevents-bench
LOG_TAIL_LINES=0

need() {
  local tool
  for tool in "$@"; do
    if [[ ! -x $tool ]] && ! command -v "$tool" >/dev/null 2>&1; then
      echo "missing: $tool (build with: cmake -S $REPO -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD_DIR)" >&2
      exit 1
    fi
  done
}

# The machine and its load, for the record next to each result.
machine_report() {
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) vCPU, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg)"
}

load_now() { cut -d' ' -f1 /proc/loadavg; }

# Starts the exporter with the given flags (its addresses at port 0: the kernel picks free
# ones), waits until it logs where it listens, and sets EXPORTER_PID, EXPORTER_UDP (host:port,
# when the UDP input is on) and EXPORTER_WEB (host:port).
start_exporter() {
  local log=$WORK/exporter.log
  : > "$log"
  "$EXPORTER" --web.listen-address=127.0.0.1:0 --log.level=info "$@" 2>"$log" &
  EXPORTER_PID=$!
  track_pid "$EXPORTER_PID"
  EXPORTER_WEB=""
  for _ in $(seq 100); do
    EXPORTER_WEB=$(sed -n 's/.*msg="serving metrics" address=\([^ ]*\).*/\1/p' "$log" | head -1)
    [[ -n $EXPORTER_WEB ]] && break
    kill -0 "$EXPORTER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $EXPORTER_WEB ]]; then
    echo "the exporter did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  EXPORTER_UDP=$(sed -n 's/.*msg="listening for syslog" transport=udp address=\([^ ]*\).*/\1/p' "$log" | head -1)
}

# Peak and current resident memory of a running process, in KiB.
vm_hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
vm_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
