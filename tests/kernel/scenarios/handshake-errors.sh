# lab: time-travel
# Handshake messages wg0 refuses, crafted by packets.py and sent from the initial namespace:
# a random initiation and a random response (bad MAC), an initiation and a response with a
# right mac1 but nothing else right, a random cookie reply (unknown index) and a cookie reply
# for wg0's own session that does not decrypt.
lab_pair
python3 "$LAB_DIR/packets.py" sniff 10002 initiation /tmp/lab/initiation.hex &
sniffer=$!
lab_wait_until "the sniffer" test -e /tmp/lab/initiation.hex.listening
lab_handshake
wait $sniffer || lab_fail "no initiation from wg0 captured"
# The sender index of wg0's initiation names its session now: a cookie reply to it is looked up.
index=$(cut -c9-16 /tmp/lab/initiation.hex)

lab_packets message initiation 10001 1
lab_packets message response 10001 1
expect_interface_event wg0 invalid_mac 2
lab_packets message initiation 10001 1 "${LAB_PUB[0]}"
expect_interface_event wg0 invalid_handshake_initiation 1
lab_packets message response 10001 1 "${LAB_PUB[0]}"
expect_interface_event wg0 invalid_handshake_response 1
lab_packets message cookie 10001 1
expect_interface_event wg0 cookie_response_received 1
lab_packets message cookie 10001 1 "" "$index"
expect_interface_event wg0 cookie_response_received 2
expect_interface_event wg0 cookie_decrypt_failed 1
expect_kmsg 2 '^wireguard: wg0: Invalid MAC of handshake, dropping packet from 127\.0\.0\.1:[0-9]+$'
expect_kmsg 1 '^wireguard: wg0: Could not decrypt invalid cookie response$'
expect_clean_lines
