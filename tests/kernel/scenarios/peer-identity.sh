# lab: time-travel
# Peer identity against the real kernel's netlink (docs/metrics.md, "Peer identity"). Netlink
# sees only the exporter's own network namespace, so two more exporters run inside ns1, where
# wg0 lives, reading /dev/kmsg (global) and wg0's table:
#   - "order" (:9104 in ns1) from boot on (--kmsg.from-start): it counted every `Peer N created`,
#     so it links ids to keys by creation order;
#   - "endpoint" (:9105 in ns1), started after the peers were created: it links by endpoint only.
# wg0's peers, created in this order: wg1 (key 1, endpoint 127.0.0.1:10002), a silent peer
# (key 2, no endpoint), and two peers behind one endpoint (key 3 and a key made here, both
# 127.0.0.1:10009, where nobody listens): an ambiguous pair. wg1 in ns2 is outside both
# exporters' namespace: its peer stays unresolved and is counted.
# Then wg1 roams, the silent peer is removed and added again (a new id), and wg0 is deleted.
# Expected ids come from the kernel's own `Peer N created` lines.

ID_ORDER=9104
ID_ENDPOINT=9105
KEY_TWIN=$(wg genkey | wg pubkey)

# id_page PORT: the page of the exporter on PORT in ns1, fetched now (also kept in $LAB_OUT).
id_page() {
  ip netns exec ns1 curl -fsS --max-time 5 -o "$LAB_OUT/page-$1.prom" "http://127.0.0.1:$1/metrics" &&
    cat "$LAB_OUT/page-$1.prom"
}

# id_link PORT IFNAME KEY: prints the id linked to KEY on that exporter's page, "unlinked" when
# the key's wireguard_peer_info has no peer label, "absent" when there is no such series.
id_link() {
  local line
  line=$(id_page "$1" | grep -F "wireguard_peer_info{interface=\"$2\"," | grep -F "public_key=\"$3\"") || {
    echo absent
    return
  }
  if [[ $line =~ peer=\"([^\"]*)\" ]]; then echo "${BASH_REMATCH[1]}"; else echo unlinked; fi
}

# expect_link PORT IFNAME KEY WANT: waits until id_link shows WANT.
expect_link() {
  local port=$1 ifname=$2 key=$3 want=$4 got i
  for ((i = 0; i < LAB_WAIT_TRIES; i++)); do
    got=$(id_link "$port" "$ifname" "$key")
    if [[ $got == "$want" ]]; then
      lab_log "ok: exporter :$port links $ifname's $key to: $want"
      return 0
    fi
    sleep 0.2
  done
  lab_fail "exporter :$port: $ifname's peer $key is linked to '$got', expected '$want'"
}

# expect_id_series PORT SERIES: waits until that exact series line (name{labels} value) is on
# the page.
expect_id_series() {
  local i
  for ((i = 0; i < LAB_WAIT_TRIES; i++)); do
    if id_page "$1" >/dev/null && grep -qxF "$2" "$LAB_OUT/page-$1.prom"; then
      lab_log "ok: exporter :$1 shows $2"
      return 0
    fi
    sleep 0.2
  done
  lab_fail "exporter :$1 does not show $2"
}

# created_id IFNAME N: the id of the N-th `Peer X created` line the kernel printed for IFNAME.
created_id() {
  lab_kmsg_lines | sed -nE "s/^wireguard: $1: Peer ([0-9]+) created\$/\\1/p" | sed -n "${2}p"
}

id_exporter() {  # id_exporter NAME PORT [FLAGS...]
  local name=$1 port=$2
  shift 2
  lab_start "exporter-$name" ip netns exec ns1 "$LAB_EXPORTER" --log.level=info --kmsg "$@" \
    --syslog.udp-listen-address= --web.listen-address="127.0.0.1:$port" --wireguard.uapi-dir= \
    --wireguard.config-files=/tmp/wg0.conf --peers.names-file=/tmp/names
  lab_wait_until "exporter $name ready" ip netns exec ns1 curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/-/ready"
}

# Names from both sources: the names file for wg1's key, a wg-quick file's comment for key 2.
printf '%s gateway-b\n' "${LAB_PUB[1]}" > /tmp/names
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# friendly_name = silent-laptop\nPublicKey = %s\nAllowedIPs = 10.0.0.3/32\n' \
  "${LAB_KEY[0]}" "${LAB_PUB[2]}" > /tmp/wg0.conf

lab_netns ns1
lab_netns ns2
id_exporter order "$ID_ORDER" --kmsg.from-start
lab_wg ns1 wg0 0 10001 10.0.0.1/24
lab_wg ns2 wg1 1 10002 10.0.0.2/24
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" endpoint 127.0.0.1:10002 allowed-ips 10.0.0.2/32
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[2]}" allowed-ips 10.0.0.3/32
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[3]}" endpoint 127.0.0.1:10009 allowed-ips 10.0.0.4/32
ip netns exec ns1 wg set wg0 peer "$KEY_TWIN" endpoint 127.0.0.1:10009 allowed-ips 10.0.0.5/32
ip netns exec ns2 wg set wg1 peer "${LAB_PUB[0]}" endpoint 127.0.0.1:10001 allowed-ips 10.0.0.1/32
lab_wait_until "the peers' creation" lab_kernel_printed 5 ': Peer [0-9]+ created$'
id_b=$(created_id wg0 1)
id_silent=$(created_id wg0 2)
id_key3=$(created_id wg0 3)
id_twin=$(created_id wg0 4)
id_on_wg1=$(created_id wg1 1)
lab_log "kernel ids: wg1's key $id_b, silent $id_silent, key 3 $id_key3, twin $id_twin, on wg1 $id_on_wg1"

# Creation order: every id, and the names of both sources.
expect_link "$ID_ORDER" wg0 "${LAB_PUB[1]}" "$id_b"
expect_link "$ID_ORDER" wg0 "${LAB_PUB[2]}" "$id_silent"
expect_link "$ID_ORDER" wg0 "${LAB_PUB[3]}" "$id_key3"
expect_link "$ID_ORDER" wg0 "$KEY_TWIN" "$id_twin"
expect_id_series "$ID_ORDER" "wireguard_peer_info{interface=\"wg0\",peer=\"$id_b\",public_key=\"${LAB_PUB[1]}\",name=\"gateway-b\"} 1"
expect_id_series "$ID_ORDER" "wireguard_peer_info{interface=\"wg0\",peer=\"$id_silent\",public_key=\"${LAB_PUB[2]}\",name=\"silent-laptop\"} 1"
expect_id_series "$ID_ORDER" "wireguard_peer_allowed_ips_info{interface=\"wg0\",public_key=\"${LAB_PUB[2]}\",allowed_ips=\"10.0.0.3/32\"} 1"
expect_id_series "$ID_ORDER" 'wireguard_events_exporter_peers_unresolved{interface="wg0"} 0'
# wg1 is in ns2: its peer is tracked from the log, with no table in ns1.
expect_id_series "$ID_ORDER" 'wireguard_events_exporter_peers_unresolved{interface="wg1"} 1'

# Endpoint only: an exporter that saw no `Peer N created`. The handshake's lines give wg1's
# key its id; the twins' initiations both name 127.0.0.1:10009, which two table peers have.
id_exporter endpoint "$ID_ENDPOINT"
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[1]}" unlinked
lab_handshake
lab_udp ns1 10.0.0.4
lab_udp ns1 10.0.0.5
lab_wait_until "the twins' initiations" lab_kernel_printed 2 "^wireguard: wg0: Sending handshake initiation to peer ($id_key3|$id_twin) \\(127\\.0\\.0\\.1:10009\\)\$"
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[1]}" "$id_b"
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[2]}" unlinked
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[3]}" unlinked
expect_link "$ID_ENDPOINT" wg0 "$KEY_TWIN" unlinked
# Unresolved on wg0: three table peers without an id (silent, key 3, twin) and two ids without a
# table peer (the twins').
expect_id_series "$ID_ENDPOINT" 'wireguard_events_exporter_peers_unresolved{interface="wg0"} 5'
# Creation order still links the twins for the exporter that counted their creation.
expect_link "$ID_ORDER" wg0 "${LAB_PUB[3]}" "$id_key3"
expect_link "$ID_ORDER" wg0 "$KEY_TWIN" "$id_twin"
# Bytes from the table: the handshake moved some both ways.
id_page "$ID_ORDER" >/dev/null
grep -qE "^wireguard_peer_receive_bytes_total\\{interface=\"wg0\",public_key=\"${LAB_PUB[1]//+/\\+}\"\\} [1-9][0-9]*\$" "$LAB_OUT/page-$ID_ORDER.prom" ||
  lab_fail "no received bytes for wg1's key on wg0"

# Roaming: wg1 moves to port 10003; its passive keepalive 10 s later names the new endpoint,
# in the line and in the table, and the endpoint exporter links the id again.
ip netns exec ns2 wg set wg1 listen-port 10003
lab_udp ns2 10.0.0.1
sleep 11
expect_kmsg 1 "^wireguard: wg0: Receiving keepalive packet from peer $id_b \\(127\\.0\\.0\\.1:10003\\)\$"
expect_id_series "$ID_ENDPOINT" "wireguard_peer_endpoint_info{interface=\"wg0\",peer=\"$id_b\",endpoint=\"127.0.0.1:10003\"} 1"
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[1]}" "$id_b"

# Removed and added again: the kernel gives the silent peer a new id, listed last in the table.
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[2]}" remove
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[2]}" allowed-ips 10.0.0.3/32
lab_wait_until "the silent peer's new id" lab_kernel_printed 5 '^wireguard: wg0: Peer [0-9]+ created$'
lab_wait_until "the silent peer's end" lab_kernel_printed 1 "^wireguard: wg0: Peer $id_silent \\(.*\\) destroyed\$"
id_silent_again=$(created_id wg0 5)
[[ -n $id_silent_again && $id_silent_again != "$id_silent" ]] || lab_fail "no new id for the re-added peer"
expect_link "$ID_ORDER" wg0 "${LAB_PUB[2]}" "$id_silent_again"
expect_link "$ID_ORDER" wg0 "${LAB_PUB[1]}" "$id_b"
# The endpoint exporter counted one creation of four table peers: no creation order for it.
expect_link "$ID_ENDPOINT" wg0 "${LAB_PUB[2]}" unlinked

# No private key on any page or in any log.
for port in "$ID_ORDER" "$ID_ENDPOINT"; do
  id_page "$port" >/dev/null || lab_fail "exporter :$port's page could not be fetched"
  ! grep -qF -e "${LAB_KEY[0]}" -e "${LAB_KEY[1]}" "$LAB_OUT/page-$port.prom" || lab_fail "a private key is on exporter :$port's page"
done
! grep -qF -e "${LAB_KEY[0]}" -e "${LAB_KEY[1]}" "$LAB_OUT"/exporter-*.log || lab_fail "a private key is in an exporter's log"

# The interface deleted: its table and every link go.
ip -n ns1 link del wg0
lab_wait_until "wg0's end" lab_kernel_printed 1 '^wireguard: wg0: Interface destroyed$'
for key in "${LAB_PUB[1]}" "${LAB_PUB[2]}" "${LAB_PUB[3]}" "$KEY_TWIN"; do
  expect_link "$ID_ORDER" wg0 "$key" absent
  expect_link "$ID_ENDPOINT" wg0 "$key" absent
done
expect_clean_lines
