# A handshake over IPv6 endpoints ([::1]), in normal time. The kernel prints an IPv6 endpoint
# as [::1]:port/flowinfo%scope; the exporter's endpoint label drops the zero flowinfo and scope.
lab_pair '[::1]'
lab_handshake

expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_initiation_sent 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" handshake_initiation_received 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" handshake_response_sent 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_response_received 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" keypair_created 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" keypair_created 1
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\",endpoint=\"[::1]:10002\"" 1
expect wireguard_peer_endpoint_info "interface=\"wg1\",peer=\"$LAB_PEER_ON_WG1\",endpoint=\"[::1]:10001\"" 1
expect_kmsg 1 '^wireguard: wg0: Sending handshake initiation to peer 1 \(\[::1\]:10002/0%0\)$'
expect_kmsg 1 '^wireguard: wg1: Receiving handshake initiation from peer 2 \(\[::1\]:10001/0%0\)$'
expect_clean_lines
