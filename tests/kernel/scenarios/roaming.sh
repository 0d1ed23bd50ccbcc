# lab: time-travel
# Roaming: after a handshake, wg1 moves to another port and sends a datagram; wg0 learns the
# new endpoint from it. ns1 answers the datagram with an ICMP port unreachable, so 10 s later wg1
# sends its passive keepalive, from the new port, and wg0's line about receiving it names the
# new endpoint. The exporter replaces the endpoint series and counts one change.
lab_pair
lab_handshake
sleep 11   # let the first exchange's keepalives pass
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\",endpoint=\"127.0.0.1:10002\"" 1

ip netns exec ns2 wg set wg1 listen-port 10003
lab_udp ns2 10.0.0.1
sleep 11
expect_kmsg 1 "^wireguard: wg0: Receiving keepalive packet from peer $LAB_PEER_ON_WG0 \\(127\\.0\\.0\\.1:10003\\)\$"
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\",endpoint=\"127.0.0.1:10003\"" 1
expect_absent wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\",endpoint=\"127.0.0.1:10002\""
expect wireguard_peer_endpoint_changes_total "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\"" 1
expect_clean_lines
