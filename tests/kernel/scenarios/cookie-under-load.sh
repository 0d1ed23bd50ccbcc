# lab: time-travel
# Handshake load: a flood of initiations with a right mac1 puts wg1 "under load" (512 or more
# queued), so it answers each with a cookie reply instead of a handshake, and drops what no
# longer fits its queue (4096). wg0's own initiation meanwhile gets a cookie reply too; wg0
# retries 5 s later with the cookie and the handshake completes.
flood=6000
lab_pair
# The loopback's backlog holds 1000 packets by default: room for the whole flood, so that it is
# the handshake queue that overflows.
sysctl -qw net.core.netdev_max_backlog=10000
# The sender runs as a real-time task: the handshake worker (an ordinary kernel thread) cannot
# preempt it, so the whole flood is queued before the first message is looked at, and none
# takes time (time travel).
chrt -f 50 python3 "$LAB_DIR/packets.py" message initiation 10002 $flood "${LAB_PUB[1]}"
lab_udp ns1 10.0.0.2
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_initiation_sent 1
lab_wait_until "wg0's cookie reply" lab_kernel_printed 1 '^wireguard: wg0: Receiving cookie response from 127\.0\.0\.1:10002$'
expect_interface_event wg0 cookie_response_received 1
# Every message of the flood, and wg0's initiation, is either answered with a cookie or dropped.
flood_accounted() {
  sent=$(lab_kmsg_count '^wireguard: wg1: Sending cookie response for denied handshake message for 127\.0\.0\.1:[0-9]+$')
  dropped=$(lab_kmsg_count '^wireguard: wg1: Dropping handshake packet from 127\.0\.0\.1:[0-9]+$')
  ((sent + dropped == flood + 1))
}
flood_accounted || lab_wait_until "cookies + dropped = $((flood + 1)) (now $sent + $dropped)" flood_accounted
((dropped > 0)) || lab_fail "the flood of $flood overflowed nothing"
lab_log "cookie replies: $sent, dropped: $dropped"
expect_interface_event wg1 cookie_response_sent "$sent"
expect_interface_event wg1 handshake_dropped "$dropped"

sleep 6
expect_peer_event wg0 "$LAB_PEER_ON_WG0" keypair_created 1
expect_peer_event wg0 "$LAB_PEER_ON_WG0" handshake_initiation_sent 2
expect_clean_lines
