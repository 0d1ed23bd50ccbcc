#!/usr/bin/env bash
# One central exporter in fleet mode (--syslog.host-label) taking the kernel lines of HOSTS
# gateways with PEERS peers each (bench/fleet/fleet_corpus.py: distinct HOSTNAMEs, peer ids
# 1..PEERS on every host), over TCP and TLS from one connection per host, and over UDP. Measures:
#   - TCP: lines/s through 100 octet-counted connections sent flat out (TCP pushes back, so
#     nothing is lost; the rate is what the exporter sustains), first while every series is new,
#     then again once they all exist, then over the TLS input with client certificates;
#   - the steady state: series on the page, resident memory, scrape time and page size, plain
#     and gzip (as Prometheus asks);
#   - UDP: for each rate in RATES, RATE_SECONDS of lines paced at that rate; zero loss when
#     messages_received_total grew by exactly what was sent and receive_drops_total did not grow.
# Method and results: docs/performance.md ("Fleet").
#
#   BUILD_DIR=build-perf bench/fleet/fleet_bench.sh [HOSTS] [PEERS]      # 100 1000
#   RATES="50000 100000 150000" RATE_SECONDS=20 ...                      # the UDP rates tried
#   UDP_LOAD=... TCP_LOAD=...                                            # the load tools, if not in BUILD_DIR
#
# Run as root so the exporter's SO_RCVBUFFORCE gets its UDP buffer whatever net.core.rmem_max
# says (as a service with CAP_NET_ADMIN would). Loopback only; bounded; everything it starts is
# stopped on exit.
source "$(dirname "$0")/../common.sh"

HOSTS=${1:-100}
PEERS=${2:-1000}
RATES=${RATES:-"100000 200000 300000 400000"}
RATE_SECONDS=${RATE_SECONDS:-20}
UDP_LOAD=${UDP_LOAD:-$BUILD_DIR/bench/udp_load/udp_load}
TCP_LOAD=${TCP_LOAD:-$BUILD_DIR/bench/fleet/tcp_load}
need "$EXPORTER" "$UDP_LOAD" "$TCP_LOAD" python3 curl
CORPUS=$WORK/fleet.log

machine_report
echo "user:    $(id -un); exporter $EXPORTER"
python3 "$REPO/bench/fleet/fleet_corpus.py" --hosts "$HOSTS" --peers "$PEERS" --out "$CORPUS"
corpus_lines=$(wc -l <"$CORPUS")
echo

page() { curl -s --max-time 60 "http://$EXPORTER_WEB/metrics"; }
counter() { page | series_value "$1"; }
tcp_received() { counter 'wireguard_events_exporter_messages_received_total{transport="tcp"}'; }
udp_received() { counter 'wireguard_events_exporter_messages_received_total{transport="udp"}'; }
udp_drops() { counter 'wireguard_events_exporter_receive_drops_total{transport="udp"}'; }
cpu_seconds() { awk '{ print ($14 + $15) / 100 }' "/proc/$EXPORTER_PID/stat"; }

# Bytes waiting in the exporter's receive queues: its TCP connections, its UDP socket. A scrape
# of a page this large costs the exporter a third of a second, so completion is watched here,
# and the page is read once at the end.
tcp_backlog() {
  ss -Htn state established "( sport = :${EXPORTER_TCP##*:} )" | awk '{ s += $1 } END { print s + 0 }'
}
udp_backlog() {
  local hex
  hex=$(printf '0100007F:%04X' "${EXPORTER_UDP##*:}")
  local queue
  queue=$(awk -v a="$hex" '$2 == a { split($5, q, ":"); print q[2]; found = 1 } END { if (!found) print 0 }' /proc/net/udp)
  echo $((16#$queue))
}
# Waits (at most 300 s) until the backlog command prints 0 twice in a row, 20 ms apart.
wait_drained() {
  local zeros=0
  for _ in $(seq 15000); do
    if [[ $("$1") == 0 ]]; then
      zeros=$((zeros + 1))
      ((zeros >= 2)) && return
    else
      zeros=0
    fi
    sleep 0.02
  done
}

# Sends COUNT corpus lines over one connection per host flat out and reports the rate at which
# the exporter took them in (from the first write until its receive queues were empty). With
# "tls", over the TLS input with client certificates.
tcp_pass() {
  local label=$1 count=$2 mode=${3:-tcp}
  local before cpu_before start sender seconds cpu received
  local target=$EXPORTER_TCP tls_flags=()
  if [[ $mode == tls ]]; then
    target=$EXPORTER_TLS
    tls_flags=(--tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" --tls-key "$CERTS/client.key")
  fi
  before=$(tcp_received)
  cpu_before=$(cpu_seconds)
  start=$EPOCHREALTIME
  sender=$("$TCP_LOAD" --file "$CORPUS" --target "$target" --count "$count" --connections "$HOSTS" \
    "${tls_flags[@]}" 2>"$WORK/tcp_load.err")
  EXPORTER_TCP=$target wait_drained tcp_backlog
  seconds=$(echo "$EPOCHREALTIME - $start" | bc)
  cpu=$(echo "$(cpu_seconds) - $cpu_before" | bc)
  received=$(($(tcp_received) - before))
  printf '  TCP %-18s %8d lines in %5.2f s = %7.0f lines/s, exporter CPU %5.2f s = %4.2f us/line; received %d, lost %d\n' \
    "$label" "$count" "$seconds" "$(echo "$count / $seconds" | bc -l)" "$cpu" "$(echo "$cpu * 1000000 / $count" | bc -l)" \
    "$received" $((count - received))
  [[ $mode == tls ]] && echo "    $(cat "$WORK/tcp_load.err")"
  return 0
}

steady_state() {
  local pid=$EXPORTER_PID series rss hwm
  series=$(page | grep -vc '^#')
  rss=$(vm_rss_kib "$pid")
  hwm=$(vm_hwm_kib "$pid")
  echo "  series on the page: $series   RSS: $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
  local times=() gz_times=() size gz_size t
  for _ in 1 2 3; do
    read -r t size < <(curl -s -o /dev/null --max-time 60 -w '%{time_total} %{size_download}\n' "http://$EXPORTER_WEB/metrics")
    times+=("$t")
    read -r t gz_size < <(curl -s -o /dev/null --max-time 60 -H 'Accept-Encoding: gzip' \
      -w '%{time_total} %{size_download}\n' "http://$EXPORTER_WEB/metrics")
    gz_times+=("$t")
  done
  echo "  scrape: ${times[*]} s plain ($((size / 1024 / 1024)) MiB); ${gz_times[*]} s gzip ($((gz_size / 1024 / 1024)) MiB)"
  echo "  RSS after the scrapes: $(($(vm_rss_kib "$pid") / 1024)) MiB (peak $(($(vm_hwm_kib "$pid") / 1024)) MiB)"
}

CERTS=$WORK/certs
bash "$REPO/tests/exporter/inputs/make_tls_certificates.sh" "$CERTS"
start_exporter --syslog.udp-listen-address=127.0.0.1:0 --syslog.tcp-listen-address=127.0.0.1:0 \
  --syslog.tls-listen-address=127.0.0.1:0 --syslog.tls-cert-file="$CERTS/server.pem" \
  --syslog.tls-key-file="$CERTS/server.key" --syslog.tls-client-ca-file="$CERTS/ca.pem" \
  --syslog.host-label --hosts.max=$((HOSTS + 16)) --peers.max=$((HOSTS * PEERS * 2)) \
  --syslog.tcp-max-connections=$((HOSTS + 16))
listening() { sed -n "s/.*msg=\"listening for syslog\" transport=$1 address=\([^ ]*\).*/\1/p" "$WORK/exporter.log" | head -1; }
EXPORTER_TCP=$(listening tcp)
EXPORTER_TLS=$(listening tls)  # empty with a build whose main does not start the TLS input
echo "exporter: udp $EXPORTER_UDP, tcp $EXPORTER_TCP, tls ${EXPORTER_TLS:-off}, web $EXPORTER_WEB," \
  "idle RSS $(($(vm_rss_kib "$EXPORTER_PID") / 1024)) MiB"
echo "fleet: $HOSTS hosts x $PEERS peers, corpus $corpus_lines lines ($(($(stat -c %s "$CORPUS") / 1024 / 1024)) MiB)"

echo "first pass (every series new):"
tcp_pass "first pass" "$corpus_lines"
steady_state
echo "steady state (every series exists):"
tcp_pass "steady, 2 passes" $((2 * corpus_lines))
if [[ -n $EXPORTER_TLS ]]; then
  tcp_pass "TLS, 2 passes" $((2 * corpus_lines)) tls
fi

echo "UDP, paced, $RATE_SECONDS s per rate:"
best=0
for rate in $RATES; do
  count=$((rate * RATE_SECONDS))
  before=$(udp_received)
  drops_before=$(udp_drops)
  cpu_before=$(cpu_seconds)
  sender=$("$UDP_LOAD" --file "$CORPUS" --target "$EXPORTER_UDP" --count "$count" --rate "$rate")
  wait_drained udp_backlog
  cpu=$(echo "$(cpu_seconds) - $cpu_before" | bc)
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$sender")
  achieved=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$sender")
  received=$(($(udp_received) - before))
  drops=$(($(udp_drops) - drops_before))
  send_seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$sender")
  verdict="LOSS"
  if ((received == sent && drops == 0)); then
    verdict="zero loss"
    ((achieved > best)) && best=$achieved
  fi
  # The sender shares the machine: what counts is the rate it achieved, not the one asked.
  printf '  UDP %7d lines/s asked, %7d sent: %d sent, %d received, %d drops; exporter CPU %4.2f us/line, %3.0f%% of a core: %s\n' \
    "$rate" "$achieved" "$sent" "$received" "$drops" "$(echo "$cpu * 1000000 / $sent" | bc -l)" \
    "$(echo "$cpu * 100 / $send_seconds" | bc -l)" "$verdict"
done
echo "highest UDP rate sent with zero loss: $best lines/s"
steady_state
