# lab: time-travel
# A handshake over IPv4 endpoints on the kernel's loopback: wg0 sends one datagram to wg1, the
# handshake completes and the datagram goes through. Nothing listens on its port in ns2, so
# ns2 answers with an ICMP port unreachable, through wg1 to wg0; wg0, having received data and
# sent none, sends its passive keepalive 10 s later. Time travel makes those 10 s free and exact.
lab_pair 127.0.0.1
before=$(date +%s.%N)
lab_handshake
after=$(date +%s.%N)

for ifname in wg0 wg1; do expect_interface_event "$ifname" interface_created 1; done
expect_peer_event wg0 "$LAB_PEER_ON_WG0" peer_created 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" peer_created 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_initiation_sent 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" handshake_initiation_received 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" handshake_response_sent 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_response_received 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" keypair_created 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" keypair_created 1
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\",endpoint=\"127.0.0.1:10002\"" 1
expect wireguard_peer_endpoint_info "interface=\"wg1\",peer=\"$LAB_PEER_ON_WG1\",endpoint=\"127.0.0.1:10001\"" 1
expect wireguard_peer_handshake_attempts "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\"" 0
expect wireguard_peers 'interface="wg0"' 1
expect wireguard_peers 'interface="wg1"' 1
# The handshake time is when the kernel printed the keypair line: between the scenario's clock
# readings around it. Allowed 0.1 s early: the kmsg exporter turns the record's time since boot
# into wall time, and this kernel's printk clock advances in coarser steps than its wall clock
# (kmsg gave ...604.600063 for a line printed after the reading ...604.601677). Allowed 1 s
# late for the syslog paths.
low=$(echo "$before - 0.1" | bc)
high=$(echo "$after + 1" | bc)
expect_between wireguard_peer_last_handshake_timestamp_seconds "interface=\"wg0\",peer=\"$LAB_PEER_ON_WG0\"" "$low" "$high"
expect_between wireguard_peer_last_handshake_timestamp_seconds "interface=\"wg1\",peer=\"$LAB_PEER_ON_WG1\"" "$low" "$high"
# The initiator had a datagram queued, so it sent that instead of a confirming keepalive.
expect_zero wireguard_peer_events_total 'event="keepalive_sent"'

sleep 11
expect_peer_event wg0 "$LAB_PEER_ON_WG0" keepalive_sent 1
expect_peer_event wg1 "$LAB_PEER_ON_WG1" keepalive_received 1
expect_kmsg 1 '^wireguard: wg0: Sending keepalive packet to peer 1 \(127\.0\.0\.1:10002\)$'
expect_clean_lines
