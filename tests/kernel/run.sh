#!/usr/bin/env bash
# Runs the kernel lab: builds (or finds cached) the User-Mode Linux kernel, then boots it once
# per scenario with that scenario as PID 1's work, and says which scenarios failed.
#
#   tests/kernel/run.sh [--exporter PATH] [--results DIR] [SCENARIO...]
#
# SCENARIO is a name from tests/kernel/scenarios/ (without .sh); default: all of them.
# --exporter: the exporter binary (default build/wireguard_events_exporter).
# --results: where each scenario's results go (default: a scratch folder, kept when something
# failed, removed otherwise). Per scenario: init.log (what ran, every check), failures,
# console.log (the kernel's console), kmsg.txt (every /dev/kmsg record), rsyslog-udp.txt and
# rsyslog-tcp.txt (the lines rsyslog forwarded), pages/ (scrapes), wg-dump.txt, exporter logs.
# Exit status: 0 when every scenario passed, 1 otherwise (also when the lab cannot run at all:
# a missing tool or kernel is a failure, never a skip).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
exporter=$repo/build/wireguard_events_exporter
results=
scenarios=()
while (($#)); do
  case $1 in
    --exporter) exporter=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done

fail() { echo "kernel lab: $*" >&2; exit 1; }
for tool in ip wg python3 rsyslogd curl flock; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --test)"
done
[[ -x $exporter ]] || fail "no exporter binary at $exporter (build first, or pass --exporter)"
exporter=$(cd "$(dirname "$exporter")" && pwd)/$(basename "$exporter")

if ((${#scenarios[@]} == 0)); then
  for f in "$here"/scenarios/*.sh; do scenarios+=("$(basename "$f" .sh)"); done
fi
for name in "${scenarios[@]}"; do
  [[ -f $here/scenarios/$name.sh ]] || fail "no scenario $name in $here/scenarios"
done

linux=$("$here/build-kernel.sh") || fail "could not build the kernel"

keep=0
if [[ -z $results ]]; then
  results=$(mktemp -d /tmp/wgevents-kernel-lab.XXXXXX)
else
  mkdir -p "$results"
  results=$(cd "$results" && pwd)
  keep=1
fi

# boot NAME: one boot of the kernel running scenario NAME; its results in $results/NAME.
boot() {
  local name=$1 out=$results/$1 words=()
  rm -rf "$out"
  mkdir -p "$out/uml"
  grep -qx '# lab: time-travel' "$here/scenarios/$name.sh" && words+=(time-travel=inf-cpu)
  # Extra kernel command-line words, for experiments (VAR=value words reach init.sh's environment).
  # shellcheck disable=SC2206
  words+=(${WGEVENTS_LAB_BOOT_WORDS:-})
  # The kernel's memory is a file in /dev/shm (UML's default; TMPDIR would move it); uml_dir
  # holds its control socket. A boot that does not end by itself within the limit is killed (its whole
  # process group: UML runs one host process per address space).
  local limit=${WGEVENTS_LAB_BOOT_TIMEOUT:-480}
  env -u TMPDIR setsid "$linux" mem=768M uml_dir="$out/uml" umid=lab \
    root=/dev/root rootfstype=hostfs rootflags=/ ro init="$here/init.sh" \
    con=null con0=fd:0,fd:1 loglevel=4 log_buf_len=16M "${words[@]}" \
    LAB_DIR="$here" LAB_SCENARIO="$here/scenarios/$name.sh" LAB_OUT="$out" LAB_EXPORTER="$exporter" \
    < /dev/null > "$out/console.log" 2>&1 &
  local pid=$! deadline=$((SECONDS + limit)) timed_out=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      timed_out=1
      kill -KILL -- "-$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  wait "$pid" 2>/dev/null || true
  rm -rf "$out/uml"
  if ((timed_out)); then
    echo "boot did not end within ${limit} s" >> "$out/failures"
    return 1
  fi
  [[ -f $out/status ]] || { echo "the kernel stopped before the scenario reported (see console.log)" >> "$out/failures"; return 1; }
  [[ $(cat "$out/status") == 0 ]]
}

failed=()
for name in "${scenarios[@]}"; do
  start=$SECONDS
  if boot "$name"; then
    echo "PASS $name ($((SECONDS - start)) s)"
  else
    failed+=("$name")
    echo "FAIL $name ($((SECONDS - start)) s): $(head -c 2000 "$results/$name/failures" 2>/dev/null || echo 'no reason recorded')"
    echo "---- $name: last lines of init.log"
    tail -n 30 "$results/$name/init.log" 2>/dev/null || true
    echo "---- $name: last lines of console.log"
    tail -n 15 "$results/$name/console.log" 2>/dev/null || true
  fi
done

if ((${#failed[@]})); then
  echo "kernel lab: ${#failed[@]} of ${#scenarios[@]} scenarios failed: ${failed[*]} (results in $results)"
  exit 1
fi
echo "kernel lab: all ${#scenarios[@]} scenarios passed"
((keep)) || rm -rf "$results"
