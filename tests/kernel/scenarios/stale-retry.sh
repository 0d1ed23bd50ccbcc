# lab: time-travel
# "We stopped hearing back": after a handshake wg1 goes down, wg0 sends data, and 15 s later
# (keepalive 10 s + rekey 5 s) wg0 retries the handshake.
lab_pair
lab_handshake
sleep 11   # the first exchange's keepalive answers wg0's data
ip -n ns2 link set wg1 down
lab_udp ns1 10.0.0.2
sleep 17
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_stale_retry 1
expect_kmsg 1 '^wireguard: wg0: Retrying handshake with peer 1 \(127\.0\.0\.1:10002\) because we stopped hearing back after 15 seconds$'
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_initiation_sent 2
expect_clean_lines
