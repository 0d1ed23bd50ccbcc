# lab: time-travel
# What wg_xmit and the UDP send refuse: a peer whose endpoint has no route (IPv4 and IPv6: this
# kernel has no network device at all, so error -101), a peer with no endpoint, destinations no
# peer's allowed IPs match (IPv4 and IPv6), and a packet that is not IP. Checked before the
# first retry (5 s; time travel keeps the clock still while the checks work).
lab_netns ns1
lab_wg ns1 wg0 0 10001 10.0.0.1/24 fd00::1/64
ip netns exec ns1 wg set wg0 \
  peer "${LAB_PUB[1]}" endpoint 203.0.113.7:51820 allowed-ips 10.0.0.2/32 \
  peer "${LAB_PUB[2]}" endpoint '[2001:db8::7]:51820' allowed-ips 10.0.0.3/32 \
  peer "${LAB_PUB[3]}" allowed-ips 10.0.0.4/32
unroutable4=1 unroutable6=2 no_endpoint=3

lab_udp ns1 10.0.0.2
lab_udp ns1 10.0.0.3
lab_udp ns1 10.0.0.4
lab_udp ns1 10.0.0.77
lab_udp ns1 fd00::77
# An ARP frame handed to wg0: neither IPv4 nor IPv6.
ip netns exec ns1 python3 "$LAB_DIR/packets.py" link wg0 0x0806 0001080006040001000000000000

expect_peer_event wg0 $unroutable4 handshake_initiation_sent 1
expect_peer_event wg0 $unroutable6 handshake_initiation_sent 1
expect wireguard_no_route_errors_total 'interface="wg0",family="ipv4",error="ENETUNREACH"' 1
expect wireguard_no_route_errors_total 'interface="wg0",family="ipv6",error="ENETUNREACH"' 1
expect_interface_event wg0 no_route 2
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$unroutable4\",endpoint=\"203.0.113.7:51820\"" 1
expect wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$unroutable6\",endpoint=\"[2001:db8::7]:51820\"" 1
expect_peer_event wg0 $no_endpoint no_endpoint 1
expect_absent wireguard_peer_endpoint_info "interface=\"wg0\",peer=\"$no_endpoint\""
expect_interface_event wg0 no_allowed_ips_match 2
expect_interface_event wg0 invalid_ip_packet 1
expect_kmsg 1 '^wireguard: wg0: No route to 203\.0\.113\.7:51820, error -101$'
expect_kmsg 1 '^wireguard: wg0: No route to \[2001:db8::7\]:51820/0%0, error -101$'
expect_kmsg 1 '^wireguard: wg0: No peer has allowed IPs matching fd00:0000:0000:0000:0000:0000:0000:0077$'
expect_zero wireguard_peer_events_total 'event="handshake_retry"'
expect_clean_lines
