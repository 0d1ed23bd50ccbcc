# shellcheck shell=bash
# Two real wireguard-go interfaces in network namespaces this script makes, and the scenario the
# userspace tests drive through them (sourced, not run; needs root, ip, wg and wireguard-go, and
# scripts/lib/daemons.sh sourced first).
#
#   lab_init                 # names, keys; namespaces A and B joined by a veth pair
#   lab_start_interfaces CMD # starts wireguard-go on both sides, each piping its stdout to CMD
#   lab_run_scenario         # handshakes, keepalives, a silent peer, a removed peer, link down
#   lab_cleanup              # (on exit) stops wireguard-go, deletes the namespaces
#
# wireguard-go's UAPI socket (/var/run/wireguard/<interface>.sock) is not namespaced, so every
# name carries this run's id: two runs at once never share a socket or a namespace.
#
# What the scenario did, for the tests to check against: LAB_PEER_* (the full public keys) and
# the counts in LAB_EXPECT_* below.

LAB_ID=${LAB_ID:-$$}
LAB_NS_A=wgus-a-$LAB_ID
LAB_NS_B=wgus-b-$LAB_ID
LAB_IF_A=wgua$LAB_ID     # at most 4 + 7 digits + 0: under the 15-byte limit
LAB_IF_B=wgub$LAB_ID
LAB_PIDS=()

lab_require_tools() {
  local tool
  for tool in ip wg wireguard-go; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (scripts/install-deps.sh --test installs it)"
  done
  [[ $(id -u) -eq 0 ]] || fail "network namespaces need root"
  [[ -c /dev/net/tun ]] || fail "/dev/net/tun is missing: wireguard-go needs a TUN device"
}

lab_cleanup() {
  local pid
  for pid in "${LAB_PIDS[@]}"; do stop_pid "$pid" 5 || true; done
  LAB_PIDS=()
  ip netns del "$LAB_NS_A" 2>/dev/null || true
  ip netns del "$LAB_NS_B" 2>/dev/null || true
  rm -f "/var/run/wireguard/$LAB_IF_A.sock" "/var/run/wireguard/$LAB_IF_B.sock"
}

# Keys: A's own, B's own, and a third peer of A that nobody runs (its handshakes are never
# answered).
lab_init() {
  lab_require_tools
  LAB_KEY_A=$(wg genkey)
  LAB_KEY_B=$(wg genkey)
  LAB_KEY_SILENT=$(wg genkey)
  LAB_PEER_A=$(wg pubkey <<<"$LAB_KEY_A")
  LAB_PEER_B=$(wg pubkey <<<"$LAB_KEY_B")
  LAB_PEER_SILENT=$(wg pubkey <<<"$LAB_KEY_SILENT")
  printf '%s\n' "$LAB_KEY_A" >"$WORK/a.key"
  printf '%s\n' "$LAB_KEY_B" >"$WORK/b.key"
  ip netns add "$LAB_NS_A"
  ip netns add "$LAB_NS_B"
  ip -n "$LAB_NS_A" link add veth0 type veth peer name veth0 netns "$LAB_NS_B"
  ip -n "$LAB_NS_A" addr add 10.99.0.1/24 dev veth0
  ip -n "$LAB_NS_B" addr add 10.99.0.2/24 dev veth0
  ip -n "$LAB_NS_A" link set veth0 up
  ip -n "$LAB_NS_B" link set veth0 up
  ip -n "$LAB_NS_A" link set lo up
  ip -n "$LAB_NS_B" link set lo up
}

# The abbreviation wireguard-go prints for a public key: the first four and the last four
# base64 characters before the padding, around U+2026.
lab_abbreviation() { printf '%s\xe2\x80\xa6%s' "${1:0:4}" "${1:39:4}"; }

# lab_start_one NS IFNAME SINK: wireguard-go in the foreground, verbose, stdout into SINK (a
# command run with the log on its stdin and wireguard-go's pid as its first argument).
lab_start_one() {
  local ns=$1 ifname=$2 sink=$3
  ip netns exec "$ns" env LOG_LEVEL=verbose WG_PROCESS_FOREGROUND=1 \
    wireguard-go -f "$ifname" > >($sink "$ifname") 2>"$WORK/$ifname.stderr.log" &
  LAB_PIDS+=($!)
  wait_for 10 "the UAPI socket of $ifname" test -S "/var/run/wireguard/$ifname.sock"
}

lab_start_interfaces() {
  local sink=$1
  lab_start_one "$LAB_NS_A" "$LAB_IF_A" "$sink"
  lab_start_one "$LAB_NS_B" "$LAB_IF_B" "$sink"
  wg set "$LAB_IF_A" private-key "$WORK/a.key" listen-port 51820
  wg set "$LAB_IF_B" private-key "$WORK/b.key" listen-port 51820
  ip -n "$LAB_NS_A" addr add 10.98.0.1/24 dev "$LAB_IF_A"
  ip -n "$LAB_NS_B" addr add 10.98.0.2/24 dev "$LAB_IF_B"
  ip -n "$LAB_NS_A" link set "$LAB_IF_A" up
  ip -n "$LAB_NS_B" link set "$LAB_IF_B" up
}

# One UDP datagram from namespace NS to ADDRESS (port 9, discard) through the tunnel.
lab_send_udp() { ip netns exec "$1" bash -c "echo probe >/dev/udp/$2/9" 2>/dev/null || true; }

# Whether interface IFNAME has completed a handshake with PUBLIC_KEY (as `wg show` reports).
lab_handshake_done() {
  local stamp
  stamp=$(wg show "$1" latest-handshakes | awk -v k="$2" '$1 == k { print $2 }')
  [[ -n $stamp && $stamp != 0 ]]
}

# What lab_run_scenario makes each side log, as counts the tests compare the scrape with.
# A initiates the handshake with B (one initiation, B's response), B's persistent keepalive
# (1 s) sends keepalives that A receives, A's pings to the silent peer are retried every 5 s,
# then B is removed from A, and A's link goes down.
lab_run_scenario() {
  # B knows A; A knows B and the silent peer (10.99.0.3 answers nothing: no such host).
  wg set "$LAB_IF_B" peer "$LAB_PEER_A" allowed-ips 10.98.0.1/32 endpoint 10.99.0.1:51820
  wg set "$LAB_IF_A" peer "$LAB_PEER_B" allowed-ips 10.98.0.2/32 endpoint 10.99.0.2:51820
  wg set "$LAB_IF_A" peer "$LAB_PEER_SILENT" allowed-ips 10.98.0.3/32 endpoint 10.99.0.3:51820
  # A's first packet to B starts the handshake: A initiates, B responds.
  lab_send_udp "$LAB_NS_A" 10.98.0.2
  wait_for 10 "the handshake A -> B" lab_handshake_done "$LAB_IF_A" "$LAB_PEER_B"
  # B's persistent keepalive: one keepalive a second once the session is up.
  wg set "$LAB_IF_B" peer "$LAB_PEER_A" persistent-keepalive 1
  # A packet for the silent peer: an initiation every 5 s (REKEY_TIMEOUT), never answered.
  lab_send_udp "$LAB_NS_A" 10.98.0.3
  sleep 12
  wg set "$LAB_IF_B" peer "$LAB_PEER_A" persistent-keepalive 0
  sleep 1.5
  # B is removed from A; then A's link goes down.
  wg set "$LAB_IF_A" peer "$LAB_PEER_B" remove
  ip -n "$LAB_NS_A" link set "$LAB_IF_A" down
  sleep 1
}
