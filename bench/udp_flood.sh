#!/usr/bin/env bash
# Floods the exporter's UDP syslog input on loopback from one sender (bench/udp_load, flat out)
# and checks that every datagram was counted: messages_received_total{transport="udp"} against
# what was sent, receive_drops_total{transport="udp"} against the kernel's own drop count for
# the socket (/proc/net/udp). Then the same at a stopped exporter, to see the drops counted, and
# at mtail's udp:// input, for comparison.
# Method and results: docs/performance.md.
#
#   BUILD_DIR=build-perf bench/udp_flood.sh [COUNT] [REPEATS] [BATCH]   # 1000000 3 64
#   SKIP_MTAIL=1 ...                                                    # exporter only
#
# Run as root so the exporter's SO_RCVBUFFORCE gets its 8 MiB buffer whatever
# net.core.rmem_max says (as a service with CAP_NET_ADMIN would). Loopback only, bounded.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

COUNT=${1:-1000000}
REPEATS=${2:-3}
BATCH=${3:-64}
UDP_LOAD=$BUILD_DIR/bench/udp_load/udp_load
need "$EXPORTER" "$CORPUS_TOOL" "$UDP_LOAD" curl ss python3
CORPUS=$WORK/corpus.log

# The kernel's drop count of the UDP socket bound to 127.0.0.1:PORT (last field of /proc/net/udp).
socket_drops() {
  local hex
  hex=$(printf '0100007F:%04X' "$1")
  awk -v a="$hex" '$2 == a { print $NF; found = 1 } END { if (!found) print "?" }' /proc/net/udp
}

# Waits until a counter read by the command "$@" stops changing for 2 s (at most 120 s).
wait_settled() {
  local last=-1 now same=0
  for _ in $(seq 240); do
    now=$("$@")
    if [[ $now == "$last" ]]; then
      same=$((same + 1))
      ((same >= 4)) && break
    else
      same=0
    fi
    last=$now
    sleep 0.5
  done
}

machine_report
echo "user:    $(id -un); net.core.rmem_max=$(sysctl -n net.core.rmem_max) rmem_default=$(sysctl -n net.core.rmem_default)"
"$CORPUS_TOOL" --lines 1000000 --seed 1 --out "$CORPUS" 2>&1
echo

# --- The exporter -------------------------------------------------------------------------------
# shellcheck disable=SC2317  # called through wait_settled
exporter_udp_received() {
  curl -s --max-time 5 "http://$EXPORTER_WEB/metrics" |
    series_value 'wireguard_events_exporter_messages_received_total{transport="udp"}'
}
verdict=0
for run in $(seq "$REPEATS"); do
  start_exporter --syslog.udp-listen-address=127.0.0.1:0
  port=${EXPORTER_UDP##*:}
  buffer=$(sed -n 's/.*receive_buffer_bytes=\([0-9]*\).*/\1/p' "$WORK/exporter.log" | head -1)
  load=$(load_now)
  sender=$(timeout 600 "$UDP_LOAD" --file "$CORPUS" --target "$EXPORTER_UDP" --count "$COUNT" --batch "$BATCH")
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$sender")
  wait_settled exporter_udp_received
  page=$(curl -s --max-time 10 "http://$EXPORTER_WEB/metrics")
  received=$(series_value 'wireguard_events_exporter_messages_received_total{transport="udp"}' <<<"$page")
  drops=$(series_value 'wireguard_events_exporter_receive_drops_total{transport="udp"}' <<<"$page")
  cpu=$(series_value 'process_cpu_seconds_total' <<<"$page")
  kernel_drops=$(socket_drops "$port")
  echo "exporter run $run (load $load, receive buffer $buffer bytes, batch $BATCH): $sender"
  echo "  received=$received receive_drops_total=$drops kernel socket drops=$kernel_drops lost=$((sent - received)) exporter CPU ${cpu} s"
  if [[ $received == "$sent" && $drops == 0 ]]; then
    echo "  every datagram counted"
  else
    echo "  NOT every datagram counted"
    verdict=1
  fi
  kill -TERM "$EXPORTER_PID"
  wait "$EXPORTER_PID" 2>/dev/null || true
done
echo

# --- Drops are counted, not hidden ---------------------------------------------------------------
# The same flood at a stopped exporter (SIGSTOP): its buffer fills and the kernel drops the rest.
# After SIGCONT, received + receive_drops_total must equal what was sent, and the drops must
# equal the kernel's own count for the socket. SO_RXQ_OVFL reports the drop count on the next
# datagram queued after the drops, so one more datagram follows the flood.
start_exporter --syslog.udp-listen-address=127.0.0.1:0
port=${EXPORTER_UDP##*:}
kill -STOP "$EXPORTER_PID"
sender=$(timeout 600 "$UDP_LOAD" --file "$CORPUS" --target "$EXPORTER_UDP" --count "$COUNT" --batch "$BATCH")
kill -CONT "$EXPORTER_PID"
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$sender")
wait_settled exporter_udp_received
page=$(curl -s --max-time 10 "http://$EXPORTER_WEB/metrics")
received=$(series_value 'wireguard_events_exporter_messages_received_total{transport="udp"}' <<<"$page")
drops=$(series_value 'wireguard_events_exporter_receive_drops_total{transport="udp"}' <<<"$page")
echo "stopped exporter: $sender"
echo "  before the next datagram: received=$received receive_drops_total=$drops kernel socket drops=$(socket_drops "$port")"
timeout 60 "$UDP_LOAD" --file "$CORPUS" --target "$EXPORTER_UDP" --count 1 > /dev/null
sent=$((sent + 1))
wait_settled exporter_udp_received
page=$(curl -s --max-time 10 "http://$EXPORTER_WEB/metrics")
received=$(series_value 'wireguard_events_exporter_messages_received_total{transport="udp"}' <<<"$page")
drops=$(series_value 'wireguard_events_exporter_receive_drops_total{transport="udp"}' <<<"$page")
echo "  after one more datagram: received=$received receive_drops_total=$drops kernel socket drops=$(socket_drops "$port")" \
  "received+drops=$((received + drops)) of $sent sent"
if [[ $((received + drops)) == "$sent" ]]; then
  echo "  every datagram either counted or reported as dropped"
else
  echo "  received + drops != sent"
  verdict=1
fi
kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID" 2>/dev/null || true
echo

# --- mtail's udp:// input -----------------------------------------------------------------------
if [[ -n ${SKIP_MTAIL:-} ]] || ! command -v mtail >/dev/null; then exit $verdict; fi
echo "mtail:   $(mtail --version 2>&1 | head -1)"
# mtail passes a line on only at a line feed (rsyslog's UDP forwarding sends none), so these
# datagrams end with one; and it reads one datagram per tick of --poll_interval.
for poll in 250ms 1ms; do
  read -r udp_port web_port < <(free_loopback_ports udp tcp)
  mtail --progs "$REPO/bench/mtail" --logs "udp://127.0.0.1:$udp_port" --address 127.0.0.1 \
    --port "$web_port" --poll_interval "$poll" --logtostderr 2> "$WORK/mtail.log" &
  mtail_pid=$!
  track_pid "$mtail_pid"
  for _ in $(seq 100); do
    [[ -n $(ss -Hun "sport = :$udp_port") ]] && break
    sleep 0.1
  done
  # shellcheck disable=SC2317  # called through wait_settled
  mtail_lines() {
    curl -s --max-time 5 "http://127.0.0.1:$web_port/debug/vars" |
      jq -r --arg k "127.0.0.1:$udp_port" '.log_lines_total[$k] // 0'
  }
  load=$(load_now)
  sender=$(timeout 600 "$UDP_LOAD" --file "$CORPUS" --target "127.0.0.1:$udp_port" --count "$COUNT" --batch "$BATCH" --newline)
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$sender")
  wait_settled mtail_lines
  lines=$(mtail_lines)
  events=$(curl -s --max-time 10 "http://127.0.0.1:$web_port/metrics" |
    awk '/^wireguard_(peer|interface)_events_total\{/ { s += $2 } END { printf "%d", s }')
  echo "mtail --poll_interval $poll (load $load): $sender"
  echo "  lines read=$lines events counted=$events kernel socket drops=$(socket_drops "$udp_port") lost=$((sent - lines))"
  kill -TERM "$mtail_pid"
  wait "$mtail_pid" 2>/dev/null || true
done
exit $verdict
