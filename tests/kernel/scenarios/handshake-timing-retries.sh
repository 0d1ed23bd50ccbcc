# lab: time-travel
# lab: syslog-udp-rfc5424
# lab: syslog-udp-no-printk-time
# What retries cost, in time travel (the module's 5 s retries and its give-up after 90 s take
# seconds). wg0 (ns1) and wg1 (ns2) over a veth pair delaying 40 ms each way (netem):
#   1. every packet wg0 sends is lost: 20 initiations, then the give-up. A series that gave up
#      is not a completion: nothing observed.
#   2. the path works again: a new series, one initiation, completes: its completion is its
#      own round trip, not the 90 s of the series before.
#   3. wg0 down and up, its first four initiations lost: the fifth completes, four retries later,
#      in the (20, 25] s bucket.
# Expected durations come from the kernel's stamps (lab_kmsg_handshake_times) and from what the
# scenario did (the initiations it let through); the pages as in handshake-timing.
delay_ms=40

lab_netns ns1
lab_netns ns2
lab_veth ns1 link1 192.168.1.1/24 ns2 link0 192.168.1.2/24 "${delay_ms}ms"
lab_wg_in ns1 wg0 0 10001 10.0.0.1/24
ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" endpoint 192.168.1.2:10002 allowed-ips 10.0.0.2/32,10.0.0.11/32
lab_wg_in ns2 wg1 1 10002 10.0.0.2/24
ip netns exec ns2 wg set wg1 peer "${LAB_PUB[0]}" endpoint 192.168.1.1:10001 allowed-ips 10.0.0.1/32
peer=1
# A datagram through the tunnel to an address wg1's side routes to but does not hold: dropped
# there without a word (no forwarding), so wg1 never sends data back (handshake-timing.sh).
send() { ip netns exec ns1 bash -c 'echo > /dev/udp/10.0.0.11/9'; }
initiations_sent() { lab_kmsg_count '^wireguard: wg0: Sending handshake initiation to peer 1 '; }

# in_range VALUE LOW HIGH WHAT: LOW < VALUE <= HIGH, or the scenario fails naming WHAT.
in_range() {
  awk -v v="$1" -v l="$2" -v h="$3" 'BEGIN { exit !(v > l && v <= h) }' || lab_fail "$4 is $1, expected in ($2, $3]"
}

# 1. The give-up: 20 initiations 5 s (and up to 1/3 s, and the timer wheel's rounding) apart,
# then "giving up".
lab_netem ns1 link1 delay "${delay_ms}ms" loss 100%
send
sleep 130
expect_peer_event wg0 "$peer" handshake_gave_up 1
expect_peer_event wg0 "$peer" handshake_initiation_sent 20
lab_read_handshake_times wg0
((LAB_GIVE_UPS == 1 && ${#LAB_RTTS[@]} == 0 && ${#LAB_COMPLETIONS[@]} == 0)) || lab_fail "kernel: expected one give-up and nothing completed"
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 1 \(192\.168\.1\.2:10002\) did not complete after 20 attempts, giving up$'
expect_absent wireguard_handshake_completion_seconds_count 'interface="wg0"'
expect_absent wireguard_handshake_rtt_seconds_count 'interface="wg0"'
expect_absent wireguard_peer_last_handshake_rtt_seconds "interface=\"wg0\",peer=\"$peer\""

# 2. A new series on a working path: one initiation.
lab_netem ns1 link1 delay "${delay_ms}ms"
send
lab_wait_until "the handshake" lab_kernel_printed 1 '^wireguard: wg0: Keypair [0-9]+ created for peer 1$'
lab_read_handshake_times wg0
[[ ${#LAB_SERIES[@]} == 1 && ${LAB_SERIES[0]} == 1:1:* ]] || lab_fail "kernel: expected one series of one initiation"
# 2 x 40 ms, from one 10 ms tick less (UML's printk clock) to 100 ms more.
in_range "${LAB_RTTS[0]}" 0.069 0.18 "the kernel's round trip"
in_range "${LAB_COMPLETIONS[0]}" 0 1 "the kernel's completion of one initiation"
expect wireguard_handshake_completion_seconds_count 'interface="wg0"' 1
expect_handshake_timing wg0

# 3. Four initiations lost, the fifth answered.
ip -n ns1 link set wg0 down
ip -n ns1 link set wg0 up
lab_netem ns1 link1 delay "${delay_ms}ms" loss 100%
before=$(initiations_sent)
send
LAB_WAIT_TRIES=200 lab_wait_until "wg0's fourth initiation" lab_kernel_printed $((before + 4)) '^wireguard: wg0: Sending handshake initiation to peer 1 '
lab_netem ns1 link1 delay "${delay_ms}ms"
LAB_WAIT_TRIES=100 lab_wait_until "the handshake after four retries" lab_kernel_printed 2 '^wireguard: wg0: Keypair [0-9]+ created for peer 1$'
lab_read_handshake_times wg0
[[ ${#LAB_SERIES[@]} == 2 && ${LAB_SERIES[1]} == 1:5:* ]] || lab_fail "kernel: expected the second series to take 5 initiations"
# The series that gave up printed tries 2 to 20; this one 2 to 5.
expect_kmsg 2 '^wireguard: wg0: Handshake for peer 1 \(192\.168\.1\.2:10002\) did not complete after 5 seconds, retrying \(try 5\)$'
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 1 \(192\.168\.1\.2:10002\) did not complete after 5 seconds, retrying \(try 6\)$'
# Each retry 5 s after the one before, plus up to 1/3 s of jitter, plus the kernel timer
# wheel's rounding (up to 0.64 s at UML's 100 Hz): the 5 s bucket of four retries.
in_range "${LAB_COMPLETIONS[1]}" 20 25 "the kernel's completion after four retries"
in_range "${LAB_RTTS[1]}" 0.069 0.18 "the kernel's round trip from the fifth initiation"
expect wireguard_handshake_completion_seconds_count 'interface="wg0"' 2
expect_handshake_timing wg0
expect_absent wireguard_handshake_completion_seconds_count 'interface="wg1"'
expect_clean_lines
