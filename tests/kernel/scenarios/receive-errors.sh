# lab: time-travel
# What wg0 refuses from a peer that has a session with it: data from a source address outside
# the peer's allowed IPs, a packet whose IP header claims more bytes than arrived, and a data
# packet replayed (its nonce was used already).
lab_pair
lab_handshake
sleep 11

# Unallowed source: wg1 also owns 10.0.0.99, which wg0 does not allow for it.
ip -n ns2 address add 10.0.0.99/32 dev wg1
lab_udp ns2 10.0.0.1 3 10.0.0.99
expect_peer_event wg0 "$LAB_PEER_ON_WG0" unallowed_src_ip 3
expect_kmsg 3 "^wireguard: wg0: Packet has unallowed src IP \\(10\\.0\\.0\\.99\\) from peer $LAB_PEER_ON_WG0 \\(127\\.0\\.0\\.1:10002\\)\$"

# An IPv4 header from 10.0.0.2 to 10.0.0.1 saying 200 bytes, handed to wg1 with no payload:
# wg1 encrypts it as it is, wg0 finds the size dishonest.
header=450000c8000000004011$(printf '0000')0a0000020a000001
ip netns exec ns2 python3 "$LAB_DIR/packets.py" link wg1 0x0800 "$header"
expect_peer_event wg0 "$LAB_PEER_ON_WG0" invalid_packet_size 1

# Replay: the next data packet wg1 sends to wg0, captured on the loopback and sent again.
python3 "$LAB_DIR/packets.py" sniff 10001 data /tmp/lab/data.hex &
sniffer=$!
lab_wait_until "the sniffer" test -e /tmp/lab/data.hex.listening
lab_udp ns2 10.0.0.1
wait $sniffer || lab_fail "no data packet from wg1 captured"
lab_packets resend 10001 /tmp/lab/data.hex 1
expect_interface_event wg0 invalid_nonce 1
expect_kmsg 1 '^wireguard: wg0: Packet has invalid nonce [0-9]+ \(max [0-9]+\)$'
expect_clean_lines
