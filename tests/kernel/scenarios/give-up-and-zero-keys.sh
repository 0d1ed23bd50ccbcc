# lab: time-travel
# A peer that never answers (nothing listens on its endpoint): the first initiation and 19
# retries 5 s apart (tries 2 to 20), the give-up after 20 attempts (about 90 s), and 540 s
# later the keys zeroed. Time travel makes the 10 minutes take seconds.
lab_netns ns1
lab_wg ns1 wg0 0 10001 10.0.0.1/24
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" endpoint 127.0.0.1:10009 allowed-ips 10.0.0.2/32
peer=1
lab_udp ns1 10.0.0.2

sleep 50
expect wireguard_peer_handshake_attempts "interface=\"wg0\",peer=\"$peer\"" 10
sleep 60
expect_peer_event wg0 $peer handshake_initiation_sent 20
expect_peer_event wg0 $peer handshake_retry 19
expect_peer_event wg0 $peer handshake_gave_up 1
expect wireguard_peer_handshake_attempts "interface=\"wg0\",peer=\"$peer\"" 20
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 1 \(127\.0\.0\.1:10009\) did not complete after 5 seconds, retrying \(try 20\)$'
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 1 \(127\.0\.0\.1:10009\) did not complete after 20 attempts, giving up$'
expect_zero wireguard_peer_events_total 'event="keys_zeroed"'

sleep 545
expect_peer_event wg0 $peer keys_zeroed 1
expect_kmsg 1 '^wireguard: wg0: Zeroing out all keys for peer 1 \(127\.0\.0\.1:10009\), since we haven.t received a new one in 540 seconds$'
expect_peer_event wg0 $peer handshake_initiation_sent 20
expect_zero wireguard_peer_events_total 'event="keypair_created"'
expect_clean_lines
