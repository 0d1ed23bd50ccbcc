#!/usr/bin/env bash
# The whole deployment, run for real on loopback: kernel-facility syslog lines go into rsyslog
# (imudp), rsyslog applies deploy/rsyslog/30-wireguard-events-exporter.conf and forwards the
# WireGuard lines to the exporter, Prometheus scrapes the exporter every second and evaluates
# deploy/prometheus/wireguard-events.rules.yml. The test checks the counters through
# Prometheus's HTTP API, that the handshake give-up and kernel rate-limit alerts fire, and that
# the drop-in leaves every other line to the rest of the configuration. Then it does it again
# with the drop-in's TCP variant (octet-counted framing, disk-assisted queue).
#
# usage: pipeline_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR
# Exit status: 0 pass, 1 fail, 77 skipped (rsyslogd, prometheus, curl or python3 missing).
# Every process it starts is stopped on exit, pass or fail; every wait is bounded.
set -euo pipefail
# Daemons and dpkg tools live in sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

exporter_binary=${1:?usage: pipeline_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR}
deploy_dir=${2:?usage: pipeline_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR}
drop_in=$deploy_dir/rsyslog/30-wireguard-events-exporter.conf
rules=$deploy_dir/prometheus/wireguard-events.rules.yml

for tool in rsyslogd prometheus curl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-pipeline.XXXXXX")
pids=()
failed=1

stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Bounded: each program stops within a second or two on SIGTERM; then SIGKILL.
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

on_exit() {
  stop_all
  if [[ $failed -ne 0 ]]; then
    local log
    for log in "$work"/*.log; do
      [[ -f $log ]] || continue
      echo "---- $(basename "$log") (last 40 lines)"
      tail -n 40 "$log"
    done
  fi
  rm -rf "$work"
}
trap on_exit EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Free loopback ports, held open together so that they differ, then released for the programs.
read -r rsyslog_udp_port exporter_udp_port exporter_tcp_port exporter_http_port prometheus_port < <(
  python3 - <<'EOF'
import socket
kinds = [socket.SOCK_DGRAM, socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_STREAM]
sockets = []
for kind in kinds:
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
)

# Polls COMMAND every 0.2 s until it succeeds, for at most SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      fail "timed out after ${seconds}s waiting for $what"
    fi
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# Prints the instant vector of a PromQL query, one "label=value,... value" line per series, sorted,
# with the labels named in $2 (comma-separated) only.
prom_query() {
  curl -fsS --max-time 2 --get --data-urlencode "query=$1" \
    "http://127.0.0.1:$prometheus_port/api/v1/query" |
    python3 -c '
import json, sys
labels = [name for name in sys.argv[1].split(",") if name]
answer = json.load(sys.stdin)
if answer.get("status") != "success":
    sys.exit(1)
rows = []
for series in answer["data"]["result"]:
    metric = series["metric"]
    key = ",".join("%s=%s" % (name, metric.get(name, "")) for name in labels)
    value = series["value"][1]
    rows.append((key + " " + value).strip())
print("\n".join(sorted(rows)))
' "${2:-}"
}

# Succeeds when the query's output equals the expected text.
prom_equals() {
  local query=$1 labels=$2 expected=$3 actual
  actual=$(prom_query "$query" "$labels") || return 1
  [[ $actual == "$expected" ]]
}

prom_nonempty() {
  local actual
  actual=$(prom_query "$1" "") || return 1
  [[ -n $actual ]]
}

# Waits until the query gives the expected text; on timeout shows both.
expect_prom() {
  local seconds=$1 query=$2 labels=$3 expected=$4
  local deadline=$((SECONDS + seconds))
  until prom_equals "$query" "$labels" "$expected"; do
    if ((SECONDS >= deadline)); then
      echo "query: $query" >&2
      echo "expected:" >&2
      echo "$expected" >&2
      echo "got:" >&2
      prom_query "$query" "$labels" >&2 || true
      fail "Prometheus never returned the expected result"
    fi
    sleep 0.3
  done
}

# The exporter's own page, for readiness checks that do not wait for a scrape.
exporter_value() {
  curl -fsS --max-time 2 "http://127.0.0.1:$exporter_http_port/metrics" |
    awk -v series="$1" '$1 == series { print $2; found = 1 } END { if (!found) print 0 }'
}
exporter_has() { [[ $(exporter_value "$1") != 0 ]]; }

# One syslog datagram into rsyslog's imudp: RFC 3164, as a kernel line arrives from another
# host. PRI is facility*8+severity (kern = 0).
syslog_time=$(LC_ALL=C date '+%b %e %H:%M:%S')
send_syslog() {
  local pri=$1 tag=$2 message=$3
  printf '<%s>%s gw1 %s %s' "$pri" "$syslog_time" "$tag" "$message" >"/dev/udp/127.0.0.1/$rsyslog_udp_port"
}
send_kernel() { send_syslog 7 kernel: "$1"; }

# Sends PROBE_LINE until the exporter has counted it: rsyslog is then up and forwarding. The
# probe lines use an interface of their own, which no assertion looks at.
wait_for_forwarding() {
  local interface=$1
  local deadline=$((SECONDS + 15))
  until exporter_has "wireguard_interface_events_total{interface=\"$interface\",event=\"interface_created\"}"; do
    ((SECONDS < deadline)) || fail "rsyslog never forwarded a line to the exporter ($interface)"
    send_kernel "wireguard: $interface: Interface created"
    sleep 0.3
  done
}

# rsyslogd with OUR drop-in, as generated by sed from the file itself ($1: udp or tcp).
start_rsyslog() {
  local variant=$1
  local conf_dir=$work/rsyslog-$variant
  mkdir -p "$conf_dir/spool"
  if [[ $variant == udp ]]; then
    sed -e "s/port=\"9999\"/port=\"$exporter_udp_port\"/" "$drop_in" >"$conf_dir/drop-in.conf"
  else
    # Comment out the UDP action, uncomment the TCP one: what the drop-in tells the admin to do.
    sed -e "s/port=\"9999\"/port=\"$exporter_tcp_port\"/" \
      -e '/^ *action(name="wireguard-events-exporter-udp"/,/)$/ s/^/#/' \
      -e '/^ *#action(name="wireguard-events-exporter-tcp"/,/)$/ s/^\( *\)#/\1/' \
      "$drop_in" >"$conf_dir/drop-in.conf"
    grep -q '^ *action(name="wireguard-events-exporter-tcp"' "$conf_dir/drop-in.conf" ||
      fail "the drop-in's TCP variant could not be uncommented"
    grep -q 'TCP_Framing="octet-counted"' "$conf_dir/drop-in.conf" ||
      fail "the drop-in's TCP variant does not use octet-counted framing"
  fi
  grep -q "port=\"$exporter_udp_port\"\|port=\"$exporter_tcp_port\"" "$conf_dir/drop-in.conf" ||
    fail "the drop-in has no port=\"9999\" to point at the test's exporter"
  cat >"$conf_dir/rsyslog.conf" <<EOF
global(workDirectory="$conf_dir/spool")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$rsyslog_udp_port")
include(file="$conf_dir/drop-in.conf")
# What a distribution's rules would do with the rest: here, one file.
*.* action(type="omfile" file="$work/other-messages.txt")
EOF
  rsyslogd -n -f "$conf_dir/rsyslog.conf" -i "$conf_dir/rsyslogd.pid" >"$work/rsyslogd-$variant.log" 2>&1 &
  rsyslog_pid=$!
  pids+=("$rsyslog_pid")
}

stop_rsyslog() {
  kill -TERM "$rsyslog_pid"
  local deadline=$((SECONDS + 10))
  while kill -0 "$rsyslog_pid" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "rsyslogd did not stop"
    sleep 0.1
  done
  wait "$rsyslog_pid" 2>/dev/null || true
  local remaining=()
  local pid
  for pid in "${pids[@]}"; do
    [[ $pid == "$rsyslog_pid" ]] || remaining+=("$pid")
  done
  pids=("${remaining[@]}")
}

# --- the exporter -----------------------------------------------------------------------------
"$exporter_binary" \
  --web.listen-address="127.0.0.1:$exporter_http_port" \
  --syslog.udp-listen-address="127.0.0.1:$exporter_udp_port" \
  --syslog.tcp-listen-address="127.0.0.1:$exporter_tcp_port" \
  >"$work/exporter.log" 2>&1 &
pids+=($!)
wait_for 10 "the exporter to be ready" http_ok "http://127.0.0.1:$exporter_http_port/-/ready"

# --- Prometheus with our rules ----------------------------------------------------------------
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: wireguard_events
    static_configs:
      - targets: ['127.0.0.1:$exporter_http_port']
EOF
prometheus \
  --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" \
  --log.level=warn \
  >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for 20 "Prometheus to be ready" http_ok "http://127.0.0.1:$prometheus_port/-/ready"
wait_for 15 "the first scrape" prom_equals 'up{job="wireguard_events"}' "" "1"
# The rate-limit alert needs a sample from before the loss.
wait_for 15 "a scrape of the rate-limit counter" \
  prom_equals 'wireguard_events_exporter_kernel_ratelimit_suppressed_total{job="wireguard_events"}' "" "0"

# --- UDP: rsyslog -> exporter -----------------------------------------------------------------
start_rsyslog udp
wait_for_forwarding probe0

send_kernel "wireguard: wg0: Peer 1 created"
send_kernel "wireguard: wg0: Peer 2 created"
send_kernel "wireguard: wg0: Sending handshake initiation to peer 1 (192.0.2.1:51820)"
send_kernel "wireguard: wg0: Receiving handshake response from peer 1 (192.0.2.1:51820)"
send_kernel "wireguard: wg0: Keypair 10 created for peer 1"
send_kernel "wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)"
send_kernel "wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)"
# A kernel timestamp kept by imklog, and dynamic debug decorations (flags +pmfl), in front.
send_kernel "[ 4242.000001] wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)"
send_kernel "wireguard:wg_packet_send_handshake_initiation:128: wireguard: wg0: Sending handshake initiation to peer 2 (198.51.100.2:51820)"
send_kernel "wireguard: wg0: Handshake for peer 2 (198.51.100.2:51820) did not complete after 20 attempts, giving up"
send_kernel "amneziawg: awg0: Peer 7 created"
send_syslog 4 kernel: "[ 4243.000000] net_ratelimit: 17 callbacks suppressed"
# Lines the drop-in must leave alone.
send_syslog 6 kernel: "wireguard: WireGuard 1.0.0 loaded. See www.wireguard.com for information."
send_syslog 6 kernel: "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex"
send_syslog 13 wg-watch: "wireguard: wg0: Peer 99 created"

expected_udp='event=handshake_gave_up,peer=2 1
event=handshake_initiation_sent,peer=1 1
event=handshake_initiation_sent,peer=2 1
event=handshake_response_received,peer=1 1
event=keepalive_received,peer=1 3
event=keypair_created,peer=1 1
event=peer_created,peer=1 1
event=peer_created,peer=2 1'
expect_prom 15 'wireguard_peer_events_total{job="wireguard_events",interface="wg0"}' event,peer "$expected_udp"
expect_prom 5 'wireguard_peer_events_total{job="wireguard_events",interface="awg0"}' event,peer \
  "event=peer_created,peer=7 1"
expect_prom 5 'wireguard_events_exporter_kernel_ratelimit_suppressed_total{job="wireguard_events"}' "" "17"
expect_prom 10 'ALERTS{alertname="WireGuardKernelRateLimitLosses",alertstate="firing"}' severity \
  "severity=warning 1"

# The kernel gives up again on its next try: the counter steps from 1 to 2 under Prometheus's eyes.
send_kernel "wireguard: wg0: Handshake for peer 2 (198.51.100.2:51820) did not complete after 20 attempts, giving up"
expect_prom 10 'wireguard_peer_events_total{job="wireguard_events",interface="wg0",event="handshake_gave_up"}' \
  event,peer "event=handshake_gave_up,peer=2 2"
expect_prom 10 'ALERTS{alertname="WireGuardHandshakeGaveUp",alertstate="firing"}' interface,peer,severity \
  "interface=wg0,peer=2,severity=warning 1"

# What the drop-in did not take went on to the rest of the configuration; what it took did not.
other=$work/other-messages.txt
wait_for 5 "rsyslog to write the lines it kept" grep -q "NIC Link is Up" "$other"
grep -q "WireGuard 1.0.0 loaded" "$other" || fail "the module banner was not kept in the log"
grep -q "wg-watch: wireguard: wg0: Peer 99 created" "$other" ||
  fail "a non-kernel line that looks like WireGuard's was not kept in the log"
if grep -q -e "Keypair 10 created" -e "giving up" -e "net_ratelimit" -e "Interface created" "$other"; then
  fail "forwarded lines also reached the log files: the drop-in's stop did not apply"
fi
expect_prom 5 'wireguard_peer_events_total{job="wireguard_events",peer="99"}' "" ""

# --- TCP, octet-counted, through the disk-assisted queue -------------------------------------
stop_rsyslog
start_rsyslog tcp
wait_for_forwarding probe1

send_kernel "wireguard: wg1: Peer 3 created"
send_kernel "wireguard: wg1: Receiving handshake initiation from peer 3 ([2001:db8::3]:51820/0%0)"
send_kernel "wireguard: wg1: Sending handshake response to peer 3 ([2001:db8::3]:51820/0%0)"
send_kernel "wireguard: wg1: Keypair 11 created for peer 3"
send_kernel "wireguard: wg1: Receiving keepalive packet from peer 3 ([2001:db8::3]:51820/0%0)"
send_kernel "wireguard: wg1: Handshake for peer 3 ([2001:db8::3]:51820/0%0) did not complete after 20 attempts, giving up"

expected_tcp='event=handshake_gave_up,peer=3 1
event=handshake_initiation_received,peer=3 1
event=handshake_response_sent,peer=3 1
event=keepalive_received,peer=3 1
event=keypair_created,peer=3 1
event=peer_created,peer=3 1'
expect_prom 15 'wireguard_peer_events_total{job="wireguard_events",interface="wg1"}' event,peer "$expected_tcp"
expect_prom 5 'wireguard_peer_endpoint_info{job="wireguard_events",interface="wg1"}' endpoint,peer \
  "endpoint=[2001:db8::3]:51820,peer=3 1"
# Every TCP frame was decoded: none malformed, and the TCP input took in the lines.
expect_prom 5 'wireguard_events_exporter_lines_total{job="wireguard_events",result="malformed"}' "" "0"
wait_for 5 "the TCP input's count of the 6 lines (and the probes)" \
  prom_nonempty 'wireguard_events_exporter_messages_received_total{job="wireguard_events",transport="tcp"} >= 7'
# The UDP phase's counts are untouched by the TCP phase.
expect_prom 5 'wireguard_peer_events_total{job="wireguard_events",interface="wg0",event="keepalive_received"}' \
  event,peer "event=keepalive_received,peer=1 3"

failed=0
echo "PASS: rsyslog -> exporter -> Prometheus over UDP and TCP, alerts fire"
