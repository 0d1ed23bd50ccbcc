# lab: time-travel
# Peers and interfaces going away: a peer removed (its per-peer series go) and added again
# (a new id), an interface deleted, a namespace holding an interface deleted, and the
# namespace an interface was created in deleted while the interface lives on elsewhere.
lab_pair
lab_handshake
expect_peer_event wg0 "$LAB_PEER_ON_WG0" keypair_created 1
expect wireguard_peers 'interface="wg0"' 1

# Peer removed: the kernel prints its keypairs' and its own end; the exporter drops its series.
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" remove
expect wireguard_peers 'interface="wg0"' 0
expect_absent wireguard_peer_events_total "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\""
expect_absent wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\""
expect_kmsg 1 "^wireguard: wg0: Peer $LAB_PEER_ON_WG0 \\(127\\.0\\.0\\.1:10002\\) destroyed\$"

# Added again: the kernel gives it the next id (3), never the old one.
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" endpoint 127.0.0.1:10002 allowed-ips 10.0.0.2/32
expect_peer_event wg0 3 peer_created 1
expect wireguard_peers 'interface="wg0"' 1

# Interface deleted: its peer goes with it; the interface's own series stay.
ip -n ns2 link del wg1
expect_interface_event wg1 interface_destroyed 1
expect wireguard_peers 'interface="wg1"' 0
expect_absent wireguard_peer_events_total "interface=\"wg1\",peer=\"$LAB_PEER_ON_WG1\""
expect_interface_event wg1 interface_created 1

# The namespace that holds wg0 deleted: wg0 is destroyed with it.
ip netns del ns1
expect_interface_event wg0 interface_destroyed 1
expect_absent wireguard_peer_events_total 'interface="wg0",peer="3"'

# An interface created in ns3 and moved to ns4: deleting ns3 (its creating namespace, where
# its socket lived) leaves it in ns4 without a socket.
lab_netns ns3
lab_netns ns4
ip -n ns3 link add wg5 type wireguard
ip -n ns3 link set wg5 netns ns4
ip netns del ns3
expect_interface_event wg5 namespace_exiting 1
expect_zero wireguard_interface_events_total 'interface="wg5",event="interface_destroyed"'
expect_kmsg 1 '^wireguard: wg5: Creating namespace exiting$'
expect_clean_lines
