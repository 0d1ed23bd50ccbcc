#!/usr/bin/env bash
# Peer identity against real userspace WireGuard: two wireguard-go instances in network
# namespaces made here, joined by a veth pair, configured with `wg`, with real handshakes
# (ping through the tunnel). The exporter reads their UAPI sockets and must show what this
# script set up: every configured peer (one that never sent a packet included) with its public
# key, its name (from a wg-quick comment and from the names file, the file re-read on SIGHUP),
# non-zero byte counts after traffic, its allowed IPs, the table's handshake merged into the
# linked id's series, and no private or preshared key anywhere in a scrape or the log.
#
#   wireguard_go_test.sh EXPORTER
#
# Needs root (namespaces), wireguard-go, wg, ip, ping. wireguard-go's UAPI socket directory
# (/var/run/wireguard) is not namespaced, so the interface names carry this run's pid.
set -euo pipefail
EXPORTER=$1
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/scripts/lib/daemons.sh"
require_tools wireguard-go wg ip ping curl
[[ $(id -u) -eq 0 ]] || fail "needs root to make network namespaces"

daemons_init wgevents-wggo
TAG=$$
NS_A=wgevents-a-$TAG
NS_B=wgevents-b-$TAG
IF_A=wgida$TAG
IF_B=wgidb$TAG
UAPI=/var/run/wireguard
cleanup() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -f "$UAPI/$IF_A.sock" "$UAPI/$IF_B.sock"
  daemons_on_exit
}
trap cleanup EXIT

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "veth-a$TAG" netns "$NS_A" type veth peer name "veth-b$TAG" netns "$NS_B"
ip -n "$NS_A" addr add 10.99.0.1/24 dev "veth-a$TAG"
ip -n "$NS_B" addr add 10.99.0.2/24 dev "veth-b$TAG"
ip -n "$NS_A" link set "veth-a$TAG" up
ip -n "$NS_B" link set "veth-b$TAG" up
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up

umask 077
for who in a b c; do
  wg genkey >"$WORK/$who.key"
  wg pubkey <"$WORK/$who.key" >"$WORK/$who.pub"
done
wg genpsk >"$WORK/psk"
PUB_A=$(cat "$WORK/a.pub") PUB_B=$(cat "$WORK/b.pub") PUB_C=$(cat "$WORK/c.pub")

# wireguard-go in the foreground, one per namespace.
ip netns exec "$NS_A" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$IF_A" >"$WORK/wireguard-go-a.log" 2>&1 &
track_pid $!
ip netns exec "$NS_B" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$IF_B" >"$WORK/wireguard-go-b.log" 2>&1 &
track_pid $!
wait_for 10 "the UAPI sockets" test -S "$UAPI/$IF_A.sock" -a -S "$UAPI/$IF_B.sock"

# A: B at its endpoint, and C, configured but never up (a silent peer).
ip netns exec "$NS_A" wg set "$IF_A" private-key "$WORK/a.key" listen-port 51820 \
  peer "$PUB_B" preshared-key "$WORK/psk" endpoint 10.99.0.2:51820 allowed-ips 10.100.0.2/32,fd10::2/128 \
  peer "$PUB_C" allowed-ips 10.100.0.3/32
ip netns exec "$NS_B" wg set "$IF_B" private-key "$WORK/b.key" listen-port 51820 \
  peer "$PUB_A" preshared-key "$WORK/psk" endpoint 10.99.0.1:51820 allowed-ips 10.100.0.1/32
ip -n "$NS_A" addr add 10.100.0.1/24 dev "$IF_A"
ip -n "$NS_B" addr add 10.100.0.2/24 dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 10.100.0.2 >"$WORK/ping.log" || fail "no traffic through the tunnel"

# Names: B from a wg-quick comment (a file that also holds a private key, as real ones do),
# C from the names file.
cat >"$WORK/$IF_A.conf" <<CONF
[Interface]
PrivateKey = $(cat "$WORK/a.key")
ListenPort = 51820

[Peer]
# friendly_name = bob
PublicKey = $PUB_B
PresharedKey = $(cat "$WORK/psk")
AllowedIPs = 10.100.0.2/32
CONF
echo "$PUB_C carol" >"$WORK/names"

read -r WEB UDP < <(free_loopback_ports tcp udp)
"$EXPORTER" --web.listen-address="127.0.0.1:$WEB" --syslog.udp-listen-address="127.0.0.1:$UDP" \
  --wireguard.uapi-dir="$UAPI" --wireguard.config-files="$WORK/*.conf" --peers.names-file="$WORK/names" \
  >"$WORK/exporter.log" 2>&1 &
EXPORTER_PID=$!
track_pid $EXPORTER_PID
wait_for 10 "the exporter" http_ok "http://127.0.0.1:$WEB/-/ready"

# A kernel-style line puts peer 7 of IF_A at B's endpoint: the endpoint links 7 to B's key.
# No line says when 7 last completed a handshake: only the table knows, and the merge shows it.
printf '<4>Jan  1 00:00:00 host kernel: [ 1.0] wireguard: %s: Receiving keepalive packet from peer 7 (10.99.0.2:51820)\n' "$IF_A" \
  >/dev/udp/127.0.0.1/"$UDP"
scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$WEB/metrics"; }
linked() { scrape | grep -F >/dev/null "wireguard_peer_info{interface=\"$IF_A\",peer=\"7\",public_key=\"$PUB_B\",name=\"bob\"} 1"; }
wait_for 10 "peer 7 linked to B's key" linked
scrape >"$WORK/scrape.txt"

expect_series() {
  grep -qF "$1" "$WORK/scrape.txt" || fail "missing: $1"
}
expect_series "wireguard_peer_info{interface=\"$IF_A\",public_key=\"$PUB_C\",name=\"carol\"} 1"
expect_series "wireguard_peer_info{interface=\"$IF_B\",public_key=\"$PUB_A\"} 1"
expect_series "wireguard_peer_allowed_ips_info{interface=\"$IF_A\",public_key=\"$PUB_B\",allowed_ips=\"10.100.0.2/32\"} 1"
expect_series "wireguard_peer_allowed_ips_info{interface=\"$IF_A\",public_key=\"$PUB_B\",allowed_ips=\"fd10::2/128\"} 1"
expect_series "wireguard_peer_allowed_ips_info{interface=\"$IF_A\",public_key=\"$PUB_C\",allowed_ips=\"10.100.0.3/32\"} 1"
expect_series "wireguard_events_exporter_peer_table_reads_total{interface=\"$IF_A\",result=\"ok\"}"
# Unresolved on A: C (no id). B is linked to 7.
expect_series "wireguard_events_exporter_peers_unresolved{interface=\"$IF_A\"} 1"

value() { series_value "$1" <"$WORK/scrape.txt"; }
for direction in receive transmit; do
  for pair in "$IF_A $PUB_B" "$IF_B $PUB_A"; do
    read -r ifname key <<<"$pair"
    v=$(value "wireguard_peer_${direction}_bytes_total{interface=\"$ifname\",public_key=\"$key\"}")
    [[ $v != absent && $v -gt 0 ]] || fail "$direction bytes of $key on $ifname: $v, expected > 0 after ping"
  done
  v=$(value "wireguard_peer_${direction}_bytes_total{interface=\"$IF_A\",public_key=\"$PUB_C\"}")
  [[ $v == 0 ]] || fail "$direction bytes of the silent peer: $v, expected 0"
done
# The handshake `wg` reports for B on A, in peer 7's series.
wg_handshake=$(ip netns exec "$NS_A" wg show "$IF_A" latest-handshakes | awk -v k="$PUB_B" '$1 == k { print $2 }')
[[ $wg_handshake -gt 0 ]] || fail "wg shows no handshake with B: $wg_handshake"
ours=$(value "wireguard_peer_last_handshake_timestamp_seconds{interface=\"$IF_A\",peer=\"7\"}")
[[ ${ours%%.*} == "$wg_handshake" ]] || fail "peer 7's last handshake $ours, wg says $wg_handshake"

# SIGHUP reads the names file again.
echo "$PUB_C carol-renamed" >"$WORK/names"
kill -HUP "$EXPORTER_PID"
renamed() { scrape | grep -F >/dev/null "public_key=\"$PUB_C\",name=\"carol-renamed\"} 1"; }
wait_for 10 "the new name after SIGHUP" renamed

# An interface that goes away takes its table with it.
ip -n "$NS_B" link del "$IF_B"
gone() { ! scrape | grep -F "wireguard_peer_info{interface=\"$IF_B\"" >/dev/null; }
wait_for 10 "$IF_B's peers gone with it" gone
scrape >>"$WORK/scrape.txt"

# No private or preshared key, in base64 or hex, in any scrape or the log.
for secret in "$WORK/a.key" "$WORK/b.key" "$WORK/c.key" "$WORK/psk"; do
  b64=$(cat "$secret")
  hex=$(base64 -d <<<"$b64" | od -An -tx1 | tr -d ' \n')
  for text in "$b64" "$hex"; do
    if grep -qiF "$text" "$WORK/scrape.txt" "$WORK/exporter.log"; then fail "a secret key ($(basename "$secret")) leaked"; fi
  done
done
grep -q 'level=warn' "$WORK/exporter.log" && fail "unexpected warning: $(grep 'level=warn' "$WORK/exporter.log")"
PASSED=1
echo "PASS: wireguard-go tables: keys, names, bytes, allowed IPs, handshake merge, SIGHUP, no secrets"
