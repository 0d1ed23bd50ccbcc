# lab: time-travel
# A routing loop: wg9's peer endpoint (10.9.0.2) lies inside the peer's own allowed IPs, routed
# through wg9 itself. Linux 6.1 prints no routing-loop line (routing_loop_avoided is from older
# modules): each handshake initiation goes back into wg9 as data for the peer, which resets the
# handshake attempts, so the peer retries every 5 s at "try 2" forever and never gives up.
ip link add wg9 type wireguard
wg set wg9 private-key <(echo "${LAB_KEY[0]}") listen-port 10009 \
  peer "${LAB_PUB[1]}" endpoint 10.9.0.2:51820 allowed-ips 10.9.0.0/24
ip address add 10.9.0.1/24 dev wg9
ip link set wg9 up
lab_packets udp 10.9.0.2 1
# Retries come 5 s + up to 1/3 s apart: five of them within 28 s, the sixth after 30 s.
sleep 28
expect_peer_event wg9 1 handshake_retry 5
expect_peer_event wg9 1 handshake_initiation_sent 6
expect wireguard_peer_handshake_attempts 'interface="wg9",peer="1"' 2
expect_kmsg 5 '^wireguard: wg9: Handshake for peer 1 \(10\.9\.0\.2:51820\) did not complete after 5 seconds, retrying \(try 2\)$'
expect_zero wireguard_peer_events_total 'event="handshake_gave_up"'
expect_zero wireguard_interface_events_total 'event="routing_loop_avoided"'
expect_kmsg 0 'routing loop'
expect_clean_lines
