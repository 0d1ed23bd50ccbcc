#!/usr/bin/env bash
# Fleet mode for real: rsyslog forwards to one exporter over TLS (RFC 5425) with client
# certificates, and the exporter counts every line under the host that sent it.
#
#   - The test makes a CA, the exporter's certificate (localhost) and client certificates: one
#     signed by the CA, one signed by another CA.
#   - The exporter listens with --syslog.tls-listen-address, --syslog.tls-client-ca-file and
#     --syslog.host-label (its UDP input off).
#   - A relay rsyslogd (imudp on loopback) forwards with omfwd over rsyslog's TLS driver
#     (StreamDriverMode=1, the exporter's certificate checked by name), octet-counted, in the
#     RFC 5424 format. A second one forwards newline-framed in the traditional format. Lines go
#     in with the HOSTNAMEs of several gateways; the test checks the exact count of every
#     host's series, that equal peer ids on different hosts stay apart, and that nothing was
#     malformed or refused.
#   - An rsyslogd with the other CA's certificate, then one with no certificate, forward lines
#     for other hosts: their connections are refused and counted
#     (connections_refused_total{transport="tls"}), and none of their lines is counted.
#
# usage: rsyslog_tls_test.sh EXPORTER_BINARY MAKE_CERTIFICATES_SCRIPT
# Exit status: 0 pass, 1 fail (also when rsyslogd or its TLS driver, openssl, curl or python3
# is missing). Loopback only; every process it starts is stopped on exit; every wait is bounded.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin

exporter_binary=${1:?usage: rsyslog_tls_test.sh EXPORTER_BINARY MAKE_CERTIFICATES_SCRIPT}
make_certificates=${2:?usage: rsyslog_tls_test.sh EXPORTER_BINARY MAKE_CERTIFICATES_SCRIPT}

# shellcheck source=../../scripts/lib/daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/daemons.sh"
require_tools rsyslogd openssl curl python3
# rsyslog's TLS network stream drivers: OpenSSL (Debian rsyslog-openssl) or GnuTLS
# (rsyslog-gnutls). Either speaks RFC 5425; the configuration is the same but for the name.
driver=""
for candidate in ossl gtls; do
  if compgen -G "/usr/lib/*/rsyslog/lmnsd_$candidate.so" >/dev/null ||
    compgen -G "/usr/lib*/rsyslog/lmnsd_$candidate.so" >/dev/null; then
    driver=$candidate
    break
  fi
done
if [[ -z $driver ]]; then
  echo "FAIL: no rsyslog TLS driver (install rsyslog-openssl or rsyslog-gnutls)"
  exit 1
fi

daemons_init wgevents-fleet
LOG_TAIL_LINES=30

# The exporter's TLS and HTTP ports, and the imudp port of each rsyslogd.
read -r tls_port http_port relay_port relay_lf_port rogue_port anonymous_port < <(
  free_loopback_ports tcp tcp udp udp udp udp)

certs=$WORK/certs
bash "$make_certificates" "$certs" >"$WORK/certificates.log" 2>&1 || fail "could not make the certificates"

# --- the exporter ------------------------------------------------------------------------------
"$exporter_binary" \
  --web.listen-address="127.0.0.1:$http_port" \
  --syslog.udp-listen-address= \
  --syslog.tls-listen-address="127.0.0.1:$tls_port" \
  --syslog.tls-cert-file="$certs/server.pem" \
  --syslog.tls-key-file="$certs/server.key" \
  --syslog.tls-client-ca-file="$certs/ca.pem" \
  --syslog.host-label \
  >"$WORK/exporter.log" 2>&1 &
track_pid $!
wait_for 10 "the exporter to be ready" http_ok "http://127.0.0.1:$http_port/-/ready"
grep -q "transport=tls address=127.0.0.1:$tls_port .*client_certificates=required" "$WORK/exporter.log" ||
  fail "the exporter did not report its TLS input listening with client certificates required"

# The value of one series of the exporter's page (exact text, labels included), 0 when absent.
scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
value() { scrape | series_value "$1" 0; }
refused() { value 'wireguard_events_exporter_connections_refused_total{transport="tls"}'; }

# Waits until the series has the value; on timeout shows what it has.
expect_value() {
  local seconds=$1 series=$2 expected=$3
  local deadline=$((SECONDS + seconds)) actual
  while :; do
    actual=$(value "$series")
    [[ $actual == "$expected" ]] && return 0
    ((SECONDS < deadline)) || fail "$series is $actual, expected $expected"
    sleep 0.2
  done
}

# --- rsyslog -----------------------------------------------------------------------------------
# start_rsyslog NAME IMUDP_PORT CERTIFICATE FRAMING TEMPLATE: an rsyslogd that takes datagrams on
# loopback and forwards every one to the exporter over TLS. CERTIFICATE is "client",
# "rogue-client" or "" (none). Sets rsyslog_pid.
start_rsyslog() {
  local name=$1 port=$2 certificate=$3 framing=$4 template=$5
  local dir=$WORK/rsyslog-$name
  mkdir -p "$dir/spool"
  local identity=""
  if [[ -n $certificate ]]; then
    identity="DefaultNetstreamDriverCertFile=\"$certs/$certificate.pem\"
       DefaultNetstreamDriverKeyFile=\"$certs/$certificate.key\""
  fi
  cat >"$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir/spool"
       DefaultNetstreamDriver="$driver"
       DefaultNetstreamDriverCAFile="$certs/ca.pem"
       $identity)
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$port")
# The forwarding action of docs/deploy.md ("Central collection"), but for the address, the
# names, the framing and template under test, and a retry every second instead of five.
kern.* action(name="wireguard-events-exporter-tls"
              type="omfwd" target="127.0.0.1" port="$tls_port" protocol="tcp"
              StreamDriver="$driver" StreamDriverMode="1"
              StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"
              TCP_Framing="$framing"
              template="$template"
              queue.type="LinkedList" queue.filename="wireguard-events-exporter"
              queue.size="100000" queue.maxDiskSpace="256m" queue.saveOnShutdown="on"
              action.resumeRetryCount="-1" action.resumeInterval="1")
EOF
  rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" >"$WORK/rsyslogd-$name.log" 2>&1 &
  rsyslog_pid=$!
  track_pid "$rsyslog_pid"
}

# send PORT HOST MESSAGE: one kernel-facility datagram into an rsyslogd's imudp, in RFC 3164
# form with HOST as the HOSTNAME, as a gateway's rsyslog would forward it.
syslog_time=$(LC_ALL=C date '+%b %e %H:%M:%S')
send() {
  printf '<7>%s %s kernel: %s' "$syslog_time" "$2" "$3" >"/dev/udp/127.0.0.1/$1"
}

# Sends a probe line for HOST until the exporter has counted it: the relay is up, connected and
# forwarding. The probes use an interface of their own, which no other assertion looks at.
wait_for_forwarding() {
  local port=$1 host=$2
  local deadline=$((SECONDS + 30))
  until [[ $(value "wireguard_interface_events_total{host=\"$host\",interface=\"probe0\",event=\"interface_created\"}") != 0 ]]; do
    ((SECONDS < deadline)) || fail "rsyslog never forwarded a line over TLS for $host"
    send "$port" "$host" "wireguard: probe0: Interface created"
    sleep 0.5
  done
}

# --- trusted senders: exact counts per host ----------------------------------------------------
start_rsyslog relay "$relay_port" client octet-counted RSYSLOG_SyslogProtocol23Format
start_rsyslog relay-lf "$relay_lf_port" client traditional RSYSLOG_TraditionalForwardFormat
wait_for_forwarding "$relay_port" gw1
wait_for_forwarding "$relay_lf_port" gw3

# gw1 and gw2 through the octet-counted relay, gw3 through the newline-framed one. Peer 1 exists
# on every host: three peers, not one.
declare -A keepalives=([gw1]=40 [gw2]=25 [gw3]=15)
for host in gw1 gw2 gw3; do
  port=$relay_port
  [[ $host == gw3 ]] && port=$relay_lf_port
  send "$port" "$host" "wireguard: wg0: Peer 1 created"
  send "$port" "$host" "wireguard: wg0: Receiving handshake initiation from peer 1 (192.0.2.1:51820)"
  send "$port" "$host" "wireguard: wg0: Keypair 5 created for peer 1"
  for ((i = 0; i < ${keepalives[$host]}; i++)); do
    send "$port" "$host" "wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)"
  done
done
send "$relay_port" gw2 "wireguard: wg0: Handshake for peer 1 (192.0.2.1:51820) did not complete after 20 attempts, giving up"

for host in gw1 gw2 gw3; do
  base="host=\"$host\",interface=\"wg0\",peer=\"1\""
  expect_value 20 "wireguard_peer_events_total{$base,event=\"keepalive_received\"}" "${keepalives[$host]}"
  expect_value 5 "wireguard_peer_events_total{$base,event=\"peer_created\"}" 1
  expect_value 5 "wireguard_peer_events_total{$base,event=\"handshake_initiation_received\"}" 1
  expect_value 5 "wireguard_peer_events_total{$base,event=\"keypair_created\"}" 1
  expect_value 5 "wireguard_peers{host=\"$host\",interface=\"wg0\"}" 1
done
expect_value 5 'wireguard_peer_events_total{host="gw2",interface="wg0",peer="1",event="handshake_gave_up"}' 1
expect_value 5 'wireguard_peer_events_total{host="gw1",interface="wg0",peer="1",event="handshake_gave_up"}' 0
expect_value 5 'wireguard_events_exporter_hosts' 3
# Every frame was whole, every connection trusted: the two relays connected once each.
expect_value 5 'wireguard_events_exporter_lines_total{result="malformed"}' 0
expect_value 5 'wireguard_events_exporter_lines_total{result="rejected"}' 0
expect_value 5 'wireguard_events_exporter_connections_refused_total{transport="tls"}' 0
events=$(value 'wireguard_events_exporter_lines_total{result="event"}')
received=$(value 'wireguard_events_exporter_messages_received_total{transport="tls"}')
[[ $events == "$received" ]] || fail "messages received over TLS ($received) differ from events counted ($events)"
# 3 x (3 + keepalives) + 1 give-up, plus the probes.
((events >= 3 * 3 + 40 + 25 + 15 + 1 + 2)) || fail "only $events events counted"
echo "ok: exact counts for gw1, gw2 (octet-counted, RFC 5424) and gw3 (newline-framed, RFC 3164)"

# --- untrusted senders: refused, counted, and none of their lines counted ----------------------
# rsyslog retries a refused connection every second (action.resumeInterval), so the count only
# needs to rise.
for sender in rogue-client:"$rogue_port":rogue ":$anonymous_port:anonymous"; do
  IFS=: read -r certificate port host <<<"$sender"
  before=$(refused)
  start_rsyslog "$host" "$port" "$certificate" octet-counted RSYSLOG_SyslogProtocol23Format
  untrusted_pid=$rsyslog_pid
  deadline=$((SECONDS + 30))
  while (($(refused) <= before)); do
    ((SECONDS < deadline)) || fail "the $host sender's connection was not refused"
    send "$port" "$host" "wireguard: wg0: Peer 9 created"
    sleep 0.5
  done
  stop_tracked "$untrusted_pid" || true
  echo "ok: a sender with ${certificate:-no} certificate is refused and counted (refused total $(refused))"
done
page=$(scrape)
if grep -q -e 'host="rogue"' -e 'host="anonymous"' <<<"$page"; then
  fail "lines from a refused sender were counted"
fi
expect_value 5 'wireguard_events_exporter_hosts' 3
expect_value 5 'wireguard_events_exporter_lines_total{result="malformed"}' 0

# The trusted relays were not disturbed: their connection still carries lines.
send "$relay_port" gw1 "wireguard: wg0: Receiving keepalive packet from peer 1 (192.0.2.1:51820)"
expect_value 20 'wireguard_peer_events_total{host="gw1",interface="wg0",peer="1",event="keepalive_received"}' 41

PASSED=1
echo "PASS: rsyslog ($driver driver) -> exporter over mutual TLS, per-host counts exact, untrusted senders refused"
