# shellcheck shell=bash
# Shared by the test and bench scripts that start daemons (sourced, not run): the exporter,
# rsyslogd, Prometheus, mtail. Every process a script starts is tracked and stopped on exit,
# every wait is bounded, and a failing test shows the tail of each log it wrote.
#
#   source "$REPO/scripts/lib/daemons.sh"
#   daemons_init wgevents-pipeline      # WORK: a scratch directory, removed on exit
#   some_daemon >"$WORK/daemon.log" 2>&1 &
#   track_pid $!
#   wait_for 10 "the daemon to be ready" http_ok "http://127.0.0.1:$port/-/ready"
#   ...
#   PASSED=1                           # else the logs are shown on exit

# Fails (exit 1) unless every tool is on PATH: a test that cannot run fails, it is not skipped.
require_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "FAIL: $tool is not installed (scripts/install-deps.sh --test installs it)"
      exit 1
    fi
  done
}

TRACKED_PIDS=()
PASSED=0
LOG_TAIL_LINES=40  # 0: show no logs on exit (benchmarks print their own results)

track_pid() { TRACKED_PIDS+=("$1"); }

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5: every program here
# stops within a second or two on SIGTERM). Fails when SIGKILL was needed.
stop_pid() {
  local pid=$1 seconds=${2:-5} stopped=1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((seconds * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      stopped=0
      break
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return "$stopped"
}

# stop_tracked PID [SECONDS]: stops one tracked process before the script ends, and forgets it.
# Fails as stop_pid does.
stop_tracked() {
  local gone=$1 pid remaining=() status=0
  stop_pid "$gone" "${2:-5}" || status=1
  for pid in "${TRACKED_PIDS[@]}"; do
    [[ $pid == "$gone" ]] || remaining+=("$pid")
  done
  TRACKED_PIDS=("${remaining[@]}")
  return "$status"
}

# Stops every tracked process: all are asked at once, then each is waited for.
stop_all_tracked() {
  local pid
  for pid in "${TRACKED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${TRACKED_PIDS[@]}"; do stop_pid "$pid" || true; done
  TRACKED_PIDS=()
}

daemons_on_exit() {
  stop_all_tracked
  if [[ $PASSED -eq 0 && $LOG_TAIL_LINES -gt 0 ]]; then
    local log
    for log in "$WORK"/*.log; do
      [[ -f $log ]] || continue
      echo "---- $(basename "$log") (last $LOG_TAIL_LINES lines)"
      tail -n "$LOG_TAIL_LINES" "$log"
    done
  fi
  if [[ -n ${KEEP_WORK:-} ]]; then
    echo "scratch files kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}

# Makes the scratch directory WORK and installs the exit trap that cleans up after the script.
daemons_init() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap daemons_on_exit EXIT
  trap 'exit 130' INT TERM
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s until it succeeds, for at most
# SECONDS, then fails naming WHAT.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# free_loopback_ports tcp udp ...: one free port on 127.0.0.1 for each kind named, all
# different (held open together while they are picked), printed on one line. Chosen at random
# below the kernel's ephemeral range (net.ipv4.ip_local_port_range starts at 32768): a port the
# kernel hands out for port 0 is what every other test's outgoing connection gets too, and one
# could take it between this choice and the daemon's bind.
free_loopback_ports() {
  python3 - "$@" <<'PY'
import random, socket, sys
kinds = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}
sockets = []
for kind in sys.argv[1:]:
    while True:
        s = socket.socket(socket.AF_INET, kinds[kind])
        port = random.randrange(10000, 32000)
        if any(t.getsockname()[1] == port for t in sockets):
            s.close()
            continue
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        sockets.append(s)
        break
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}

# series_value SERIES [ABSENT]: the value of one series (exact text, labels included) of a
# metrics page on stdin; ABSENT (default "absent") when the page lacks it.
series_value() {
  awk -v s="$1" -v absent="${2:-absent}" '$1 == s { print $2; found = 1 } END { if (!found) print absent }'
}
