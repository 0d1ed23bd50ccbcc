#!/usr/bin/env bash
# Real wireguard-go, end to end. Two wireguard-go interfaces in network namespaces this test
# makes complete a handshake, send keepalives, retry a peer that never answers, remove a peer and
# shut down (wireguard_go_lab.sh). Their stdout goes, line by line, through `logger` into a real
# rsyslogd with the project's drop-in (deploy/rsyslog/), which forwards it to the exporter; the
# same stdout, saved, is replayed with --replay. Each scrape is checked against what wireguard-go
# said it did (the saved stdout) and what the test did (one handshake, one removed peer, the key
# abbreviations of the keys it generated, each linked in wireguard_peer_info to its key through
# the interfaces' UAPI sockets).
#
# usage: wireguard_go_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR
# Needs root, ip, wg, wireguard-go, rsyslogd, logger and curl: without them it fails.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
exporter_binary=${1:?usage: wireguard_go_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR}
deploy_dir=${2:?usage: wireguard_go_e2e_test.sh EXPORTER_BINARY DEPLOY_DIR}
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=../../scripts/lib/daemons.sh
source "$here/../../scripts/lib/daemons.sh"
# shellcheck source=wireguard_go_lab.sh
source "$here/wireguard_go_lab.sh"
for tool in rsyslogd logger curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (scripts/install-deps.sh --test installs it)"
done
daemons_init wgevents-userspace
trap 'lab_cleanup; daemons_on_exit' EXIT

read -r rsyslog_port exporter_udp_port exporter_http_port < <(free_loopback_ports udp udp tcp)

# --- the exporter, and rsyslog with the drop-in -----------------------------------------------
# The exporter reads the two interfaces' peer tables from their UAPI sockets. wireguard-go puts
# them in /var/run/wireguard, shared with any other wireguard-go on the machine: a directory of
# this test's own links to them keeps the others out.
mkdir "$WORK/uapi"
ln -s "/var/run/wireguard/$LAB_IF_A.sock" "/var/run/wireguard/$LAB_IF_B.sock" "$WORK/uapi/"
"$exporter_binary" \
  --web.listen-address="127.0.0.1:$exporter_http_port" \
  --syslog.udp-listen-address="127.0.0.1:$exporter_udp_port" \
  --wireguard.uapi-dir="$WORK/uapi" --wireguard.config-files= \
  >"$WORK/exporter.log" 2>&1 &
track_pid $!
wait_for 30 "the exporter to be ready" http_ok "http://127.0.0.1:$exporter_http_port/-/ready"

mkdir -p "$WORK/spool"
sed -e "s/port=\"9999\"/port=\"$exporter_udp_port\"/" "$deploy_dir/rsyslog/30-wireguard-events-exporter.conf" \
  >"$WORK/drop-in.conf"
cat >"$WORK/rsyslog.conf" <<EOF
global(workDirectory="$WORK/spool")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$rsyslog_port")
include(file="$WORK/drop-in.conf")
*.* action(type="omfile" file="$WORK/other-messages.txt")
EOF
rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" >"$WORK/rsyslogd.log" 2>&1 &
track_pid $!

page() { curl -fsS --max-time 2 "http://127.0.0.1:$exporter_http_port/metrics"; }
value() { page | series_value "$1" 0; }

# wireguard-go's stdout, each line saved and sent to rsyslog as the journal would pass it on:
# program `wireguard-go`, its pid, RFC 3164 for one interface and RFC 5424 for the other.
syslog_sink() {
  local ifname=$1 format=--rfc3164
  [[ $ifname == "$LAB_IF_B" ]] && format=--rfc5424
  tee "$WORK/$ifname.out" | logger "$format" -d -n 127.0.0.1 -P "$rsyslog_port" -t wireguard-go --id=$$ -p daemon.debug
}

# rsyslog forwards a probe line of wireguard-go's shape: it is up.
wait_for_forwarding() {
  local deadline=$((SECONDS + 15))
  until [[ $(value 'wireguard_interface_events_total{interface="probe0",event="interface_created"}') != 0 ]]; do
    ((SECONDS < deadline)) || fail "rsyslog never forwarded a wireguard-go line to the exporter"
    logger --rfc3164 -d -n 127.0.0.1 -P "$rsyslog_port" -t wireguard-go --id=1 \
      "DEBUG: (probe0) $(date '+%Y/%m/%d %H:%M:%S') Device started"
    sleep 0.3
  done
}
wait_for_forwarding

# count FILE TEXT: lines of a saved stdout that contain TEXT.
count() { grep -cF -- "$2" "$1" || true; }

# The scrape's count of each event for (IFNAME, PEER) equals what wireguard-go logged for it.
expected_counts() {
  local log=$1 peer=$2 p="peer($2) - "
  echo "handshake_initiation_sent $(count "$log" "${p}Sending handshake initiation")"
  echo "handshake_initiation_received $(count "$log" "${p}Received handshake initiation")"
  echo "handshake_response_sent $(count "$log" "${p}Sending handshake response")"
  echo "handshake_response_received $(count "$log" "${p}Received handshake response")"
  echo "keypair_created $(($(count "$log" "${p}Sending handshake response") + $(count "$log" "${p}Received handshake response")))"
  echo "keepalive_sent $(count "$log" "${p}Sending keepalive packet")"
  echo "keepalive_received $(count "$log" "${p}Receiving keepalive packet")"
  echo "handshake_retry $(count "$log" "${p}Handshake did not complete after")"
  echo "peer_created $(count "$log" "${p}UAPI: Created")"
}
scraped_counts() {
  local ifname=$1 peer=$2 event text
  text=$(page)
  while read -r event _; do
    echo "$event $(series_value "wireguard_peer_events_total{interface=\"$ifname\",peer=\"$peer\",event=\"$event\"}" 0 <<<"$text")"
  done < <(expected_counts /dev/null "$peer")
}
counts_match() {
  [[ "$(expected_counts "$WORK/$1.out" "$2")" == "$(scraped_counts "$1" "$2")" ]]
}
# Polls: lines keep coming (keepalives every second), and the scrape catches up within ms.
expect_counts() {
  local ifname=$1 peer=$2
  local deadline=$((SECONDS + 15))
  until counts_match "$ifname" "$peer"; do
    if ((SECONDS >= deadline)); then
      echo "wireguard-go logged:" >&2
      expected_counts "$WORK/$ifname.out" "$peer" >&2
      echo "the exporter counted:" >&2
      scraped_counts "$ifname" "$peer" >&2
      fail "the counts for $ifname peer $peer never matched wireguard-go's log"
    fi
    sleep 0.3
  done
}

# --- the scenario, live -----------------------------------------------------------------------
lab_init
peer_a=$(lab_abbreviation "$LAB_PEER_A")
peer_b=$(lab_abbreviation "$LAB_PEER_B")
peer_silent=$(lab_abbreviation "$LAB_PEER_SILENT")
started=$(date +%s)
lab_start_interfaces syslog_sink

# Phase 1: the handshake A -> B, B's keepalives, and A's retries to the silent peer.
wg set "$LAB_IF_B" peer "$LAB_PEER_A" allowed-ips 10.98.0.1/32 endpoint 10.99.0.1:51820
wg set "$LAB_IF_A" peer "$LAB_PEER_B" allowed-ips 10.98.0.2/32 endpoint 10.99.0.2:51820
wg set "$LAB_IF_A" peer "$LAB_PEER_SILENT" allowed-ips 10.98.0.3/32 endpoint 10.99.0.3:51820
lab_send_udp "$LAB_NS_A" 10.98.0.2
wait_for 10 "the handshake A -> B" lab_handshake_done "$LAB_IF_A" "$LAB_PEER_B"
wg set "$LAB_IF_B" peer "$LAB_PEER_A" persistent-keepalive 1
lab_send_udp "$LAB_NS_A" 10.98.0.3
# Two retries to the silent peer (one every 5 s) and a few keepalives.
wait_for 20 "two retries to the silent peer" \
  grep -qF "peer($peer_silent) - Handshake did not complete after 5 seconds, retrying (try 3)" "$WORK/$LAB_IF_A.out"

# What the test did: one handshake, A initiating; B's keepalives reach A.
expect_counts "$LAB_IF_A" "$peer_b"
expect_counts "$LAB_IF_B" "$peer_a"
expect_counts "$LAB_IF_A" "$peer_silent"
page >"$WORK/phase1.prom"
[[ $(series_value "wireguard_peer_events_total{interface=\"$LAB_IF_A\",peer=\"$peer_b\",event=\"handshake_response_received\"}" <"$WORK/phase1.prom") == 1 ]] ||
  fail "A did not count exactly one handshake response from B"
[[ $(series_value "wireguard_peer_events_total{interface=\"$LAB_IF_B\",peer=\"$peer_a\",event=\"handshake_initiation_received\"}" <"$WORK/phase1.prom") == 1 ]] ||
  fail "B did not count exactly one handshake initiation from A"
[[ $(series_value "wireguard_peer_events_total{interface=\"$LAB_IF_B\",peer=\"$peer_a\",event=\"keepalive_sent\"}" 0 <"$WORK/phase1.prom") -ge 2 ]] ||
  fail "B's persistent keepalives were not counted"
# The last handshake is from this run, on both sides; the silent peer has none.
for series in "wireguard_peer_last_handshake_timestamp_seconds{interface=\"$LAB_IF_A\",peer=\"$peer_b\"}" \
  "wireguard_peer_last_handshake_timestamp_seconds{interface=\"$LAB_IF_B\",peer=\"$peer_a\"}"; do
  stamp=$(series_value "$series" <"$WORK/phase1.prom")
  [[ $stamp != absent ]] || fail "no $series"
  python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if $started - 1 <= s <= $(date +%s) + 1 else 1)" "$stamp" ||
    fail "$series is $stamp, not within this run"
done
[[ $(series_value "wireguard_peer_last_handshake_timestamp_seconds{interface=\"$LAB_IF_A\",peer=\"$peer_silent\"}" <"$WORK/phase1.prom") == absent ]] ||
  fail "the silent peer has a last handshake"
[[ $(series_value "wireguard_peer_handshake_attempts{interface=\"$LAB_IF_A\",peer=\"$peer_silent\"}" <"$WORK/phase1.prom") -ge 3 ]] ||
  fail "the silent peer's handshake attempts are not counted"
[[ $(series_value "wireguard_peers{interface=\"$LAB_IF_A\"}" <"$WORK/phase1.prom") == 2 ]] || fail "A should track 2 peers"
# Each key abbreviation of the log is linked to the key the test generated, through the
# interface's own peer table (its UAPI socket): wireguard_peer_info joins on (interface, peer).
linked() {
  local ifname=$1 peer=$2 key=$3
  grep '^wireguard_peer_info{' "$WORK/phase1.prom" | grep -F "interface=\"$ifname\"" | grep -F "peer=\"$peer\"" |
    grep -F "public_key=\"$key\"" | grep -q ' 1$'
}
linked "$LAB_IF_A" "$peer_b" "$LAB_PEER_B" || fail "A's peer $peer_b is not linked to B's public key"
linked "$LAB_IF_A" "$peer_silent" "$LAB_PEER_SILENT" || fail "A's silent peer is not linked to its public key"
linked "$LAB_IF_B" "$peer_a" "$LAB_PEER_A" || fail "B's peer $peer_a is not linked to A's public key"
[[ $(grep -c "^wireguard_peer_info{interface=\"$LAB_IF_A\"" "$WORK/phase1.prom") == 2 ]] ||
  fail "A's table should give exactly its 2 peers"
[[ $(series_value "wireguard_events_exporter_peers_unresolved{interface=\"$LAB_IF_A\"}" <"$WORK/phase1.prom") == 0 ]] ||
  fail "A has unresolved peers"
[[ $(series_value "wireguard_interface_events_total{interface=\"$LAB_IF_A\",event=\"interface_created\"}" <"$WORK/phase1.prom") == 1 ]] ||
  fail "A's start (Device started) was not counted"

# Phase 2: B is removed from A: its series on A go, the silent peer's stay.
wg set "$LAB_IF_B" peer "$LAB_PEER_A" persistent-keepalive 0
wg set "$LAB_IF_A" peer "$LAB_PEER_B" remove
wait_for 10 "A to track only the silent peer" \
  test "$(value "wireguard_peers{interface=\"$LAB_IF_A\"}")" = 1
page >"$WORK/phase2.prom"
if grep -qF "peer=\"$peer_b\"" "$WORK/phase2.prom"; then
  fail "the removed peer's series are still on the page"
fi
grep -qF "wireguard_peer_events_total{interface=\"$LAB_IF_A\",peer=\"$peer_silent\",event=\"handshake_retry\"}" "$WORK/phase2.prom" ||
  fail "the silent peer's series went with the removed peer"

# Phase 3: both interfaces shut down (Device closed): every peer series goes.
ip -n "$LAB_NS_A" link set "$LAB_IF_A" down
lab_cleanup
wait_for 10 "both shutdowns to be counted" \
  test "$(value "wireguard_interface_events_total{interface=\"$LAB_IF_B\",event=\"interface_destroyed\"}")" = 1
wait_for 5 "A's shutdown to be counted" \
  test "$(value "wireguard_interface_events_total{interface=\"$LAB_IF_A\",event=\"interface_destroyed\"}")" = 1
page >"$WORK/phase3.prom"
[[ $(series_value "wireguard_peers{interface=\"$LAB_IF_A\"}" <"$WORK/phase3.prom") == 0 ]] || fail "A still tracks peers"
for result in unknown malformed rejected; do
  [[ $(series_value "wireguard_events_exporter_lines_total{result=\"$result\"}" 0 <"$WORK/phase3.prom") == 0 ]] ||
    fail "wireguard-go's lines were counted as $result"
done
# The drop-in kept wireguard-go's lines out of the other log files.
if [[ -f $WORK/other-messages.txt ]] && grep -qF "($LAB_IF_A)" "$WORK/other-messages.txt"; then
  fail "forwarded wireguard-go lines also reached the log files"
fi

# --- the same stdout, replayed ----------------------------------------------------------------
# Up to the removal of B or the shutdown, so that the peers' series are still there at the end.
for ifname in "$LAB_IF_A" "$LAB_IF_B"; do
  awk '/ - UAPI: Removing$/ || / Device closing$/ { exit } { print }' "$WORK/$ifname.out" >"$WORK/$ifname.replay.log"
done
cat "$WORK/$LAB_IF_A.replay.log" "$WORK/$LAB_IF_B.replay.log" >"$WORK/replay.log"
"$exporter_binary" --replay="$WORK/replay.log" --once --web.listen-address=127.0.0.1:0 >"$WORK/replay.prom" 2>"$WORK/replay.stderr.log" ||
  fail "the replay failed"
replay_counts() {
  local ifname=$1 peer=$2 event
  while read -r event _; do
    echo "$event $(series_value "wireguard_peer_events_total{interface=\"$ifname\",peer=\"$peer\",event=\"$event\"}" 0 <"$WORK/replay.prom")"
  done < <(expected_counts /dev/null "$peer")
}
for pair in "$LAB_IF_A $peer_b" "$LAB_IF_B $peer_a" "$LAB_IF_A $peer_silent"; do
  read -r ifname peer <<<"$pair"
  expected=$(expected_counts "$WORK/$ifname.replay.log" "$peer")
  actual=$(replay_counts "$ifname" "$peer")
  [[ $expected == "$actual" ]] || fail "replay of $ifname, peer $peer: expected
$expected
got
$actual"
done
# The replay stamps events with Go's own time: the last handshake is the logged one.
logged=$(grep -F "peer($peer_b) - Received handshake response" "$WORK/$LAB_IF_A.replay.log" | tail -n 1 | awk '{ print $3, $4 }')
logged_unix=$(date -d "${logged//\//-}" +%s)
[[ $(series_value "wireguard_peer_last_handshake_timestamp_seconds{interface=\"$LAB_IF_A\",peer=\"$peer_b\"}" <"$WORK/replay.prom") == "$logged_unix" ]] ||
  fail "the replayed last handshake is not the logged time $logged ($logged_unix)"
for result in unknown malformed; do
  [[ $(series_value "wireguard_events_exporter_lines_total{result=\"$result\"}" 0 <"$WORK/replay.prom") == 0 ]] ||
    fail "replayed lines were counted as $result"
done

PASSED=1
echo "PASS: wireguard-go -> logger -> rsyslog -> exporter, and --replay, match what wireguard-go did"
