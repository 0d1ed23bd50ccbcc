# lab: syslog-udp-rfc5424
# lab: syslog-udp-no-printk-time
# Handshake timing in real time. wg0 (ns1) has three peers, each in its own namespace behind
# its own veth pair whose two ends delay what they send by 0, 40 and 200 ms (netem). wg0
# initiates three rounds of handshakes with all three (brought down and up in between, which
# clears its sessions), then two series with retries: the responses of peer 1 lost once (one
# retry), the initiations to peer 2 lost twice (two retries).
#
# Expected durations are the kernel's own: each round trip and each series' completion from the
# microsecond stamps of its printed lines (lab_read_handshake_times), checked against what the
# scenario did (the delays; the retries it caused); then every page against them
# (expect_handshake_timing). The four exporters time lines by four clocks:
#   kmsg     the /dev/kmsg record's stamp: exact
#   tcp      RFC 5424 as rsyslog forwards kernel lines by default: the printk time kept before
#            the text (`[   17.930000] `), the kernel's clock again: exact
#   udp5424  RFC 5424 without the printk time: the header's time, with microseconds, rsyslog's
#            own: exactly the times in rsyslog's copy of what it sent (rsyslog-udp5424.txt)
#   udp      RFC 3164 without the printk time: whole seconds, so the time each line arrived:
#            the kernel's times within LAB_RECEIPT_TIME_TOLERANCE
delays_ms=(0 40 200)   # each way, on the path to peer 1, 2, 3
# A round trip is 2 x delay, plus the responder's work and the kernel's scheduling, as seen
# through UML's printk clock, which moves in 10 ms ticks (so down to one tick less). Scheduling
# on a loaded host can add much more to one of them (a 40 ms leg once took 110 ms here), so
# each round trip may be up to a second longer, and only the shortest of each path's (three or
# four) is held to within rtt_slack of 2 x delay.
rtt_slack=${LAB_RTT_SLACK:-0.1}

lab_netns ns1
lab_wg_in ns1 wg0 0 10001 10.0.0.1/24
for i in 1 2 3; do
  lab_netns "ns$((i + 1))"
  lab_veth ns1 "link$i" "192.168.$i.1/24" "ns$((i + 1))" link0 "192.168.$i.2/24" "${delays_ms[i - 1]}ms"
done
# Peers of wg0 first (kernel ids 1, 2, 3), then each responder's peer (4, 5, 6).
for i in 1 2 3; do
  ip netns exec ns1 wg set wg0 peer "${LAB_PUB[i]}" endpoint "192.168.$i.2:$((10001 + i))" \
    allowed-ips "10.0.0.$((i + 1))/32,10.0.0.$((i + 10))/32"
done
for i in 1 2 3; do
  lab_wg_in "ns$((i + 1))" "wg$i" "$i" "$((10001 + i))" "10.0.0.$((i + 1))/24"
  ip netns exec "ns$((i + 1))" wg set "wg$i" peer "${LAB_PUB[0]}" endpoint "192.168.$i.1:10001" allowed-ips 10.0.0.1/32
done

# send_to PEER...: one datagram from ns1 through the tunnel to each peer (one process). It goes
# to 10.0.0.(10 + PEER), an address the peer routes to but does not hold: without forwarding
# its kernel drops it without a word, so no responder ever sends data back (an ICMP error
# would arm its own "stopped hearing back" retry once wg0's session is cleared, and the peer
# would start handshakes of its own).
send_to() {
  local script='' peer
  for peer in "$@"; do script+="echo > /dev/udp/10.0.0.$((peer + 10))/9; "; done
  ip netns exec ns1 bash -c "$script"
}
keypairs=0   # wg0's "Keypair ... created" lines so far
# expect_rtt_for_delay PEER [RTT SLACK]: RTT (default: the kernel's last round trip to PEER) fits
# PEER's path delay, with SLACK seconds (default 1) above 2 x delay.
expect_rtt_for_delay() {
  local peer=$1 delay=${delays_ms[$1 - 1]} rtt=${2:-${LAB_LAST_RTT[$1]}} slack=${3:-1}
  awk -v rtt="$rtt" -v d="$delay" -v slack="$slack" \
    'BEGIN { exit !(rtt >= 2 * d / 1000 - 0.011 && rtt <= 2 * d / 1000 + slack) }' ||
    lab_fail "kernel round trip to peer $peer is $rtt s, path delay ${delay} ms each way (slack $slack s)"
  lab_log "ok: kernel round trip to peer $peer $rtt s fits ${delay} ms each way"
}

# Three rounds: a datagram to each peer makes wg0 initiate with each; down and up clears wg0's
# sessions (and resets its initiation rate limit), so the next datagram initiates again.
for round in 1 2 3; do
  ((round == 1)) || { ip -n ns1 link set wg0 down && ip -n ns1 link set wg0 up; }
  send_to 1 2 3
  keypairs=$((keypairs + 3))
  lab_wait_until "round $round of handshakes" lab_kernel_printed "$keypairs" '^wireguard: wg0: Keypair [0-9]+ created for peer'
  lab_read_handshake_times wg0
  ((${#LAB_RTTS[@]} == 3 * round && ${#LAB_COMPLETIONS[@]} == 3 * round && LAB_GIVE_UPS == 0)) ||
    lab_fail "kernel: ${#LAB_RTTS[@]} round trips and ${#LAB_COMPLETIONS[@]} series after round $round, expected $((3 * round)) each"
  for peer in 1 2 3; do expect_rtt_for_delay "$peer"; done
  expect wireguard_handshake_rtt_seconds_count 'interface="wg0"' "${#LAB_RTTS[@]}"
  ((round < 3)) || expect_handshake_timing wg0   # every check costs a second or two in UML
done
expect_kmsg 9 '^wireguard: wg0: Sending handshake initiation to peer [123] '
# The responders only answered: they time nothing.
lab_fetch
for kind in "${LAB_PAGES[@]}"; do
  for ifname in wg1 wg2 wg3; do
    for name in wireguard_peer_last_handshake_rtt_seconds wireguard_handshake_rtt_seconds_count \
      wireguard_handshake_completion_seconds_count; do
      lab_sum "$kind" "$name" "interface=\"$ifname\""
      [[ $LAB_SUM == absent ]] || lab_fail "$kind page: $name{interface=\"$ifname\"} is $LAB_SUM, expected absent"
    done
  done
done
lab_log "ok: no handshake timing for the responders wg1, wg2, wg3 on ${LAB_PAGES[*]}"

# Retries. Peer 1's first response is lost (the loss is lifted once wg1 printed it), so wg0's
# retry 5 s later completes the handshake: its round trip runs from the retry. The first two
# initiations to peer 2 are lost (lifted once wg0 printed the second), so the third completes.
ip -n ns1 link set wg0 down
ip -n ns1 link set wg0 up
lab_netem ns2 link0 delay "${delays_ms[0]}ms" loss 100%
lab_netem ns1 link2 delay "${delays_ms[1]}ms" loss 100%
responses=$(lab_kmsg_count '^wireguard: wg1: Sending handshake response to peer 4 ')
initiations=$(lab_kmsg_count '^wireguard: wg0: Sending handshake initiation to peer 2 ')
send_to 1 2
lab_wait_until "wg1's response" lab_kernel_printed $((responses + 1)) '^wireguard: wg1: Sending handshake response to peer 4 '
lab_netem ns2 link0 delay "${delays_ms[0]}ms"
lab_wait_until "wg0's first retry to peer 2" \
  lab_kernel_printed $((initiations + 2)) '^wireguard: wg0: Sending handshake initiation to peer 2 '
lab_netem ns1 link2 delay "${delays_ms[1]}ms"
keypairs=$((keypairs + 2))
lab_wait_until "the handshakes after retries" lab_kernel_printed "$keypairs" '^wireguard: wg0: Keypair [0-9]+ created for peer'
lab_read_handshake_times wg0
((${#LAB_RTTS[@]} == 11 && ${#LAB_COMPLETIONS[@]} == 11 && LAB_GIVE_UPS == 0)) ||
  lab_fail "kernel: ${#LAB_RTTS[@]} round trips and ${#LAB_COMPLETIONS[@]} series, expected 11 each"
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 1 \(192\.168\.1\.2:10002\) did not complete after 5 seconds, retrying \(try 2\)$'
expect_kmsg 1 '^wireguard: wg0: Handshake for peer 2 \(192\.168\.2\.2:10003\) did not complete after 5 seconds, retrying \(try 3\)$'
expect_peer_event wg0 1 handshake_retry 1
expect_peer_event wg0 2 handshake_retry 2
# The kernel's own record of the two series: 2 and 3 initiations, each retry 5 s (+ up to 1/3 s
# of jitter and the timer wheel's rounding) after the one before.
for want in "1:2:5:10" "2:3:10:15"; do
  IFS=: read -r peer tries low high <<< "$want"
  entry=${LAB_SERIES[-1]}
  [[ ${LAB_SERIES[-2]} == "$peer:"* ]] && entry=${LAB_SERIES[-2]}
  [[ $entry == "$peer:$tries:"* ]] || lab_fail "kernel: series to peer $peer was $entry (peer:initiations:seconds), expected $tries initiations"
  awk -v s="${entry##*:}" -v l="$low" -v h="$high" 'BEGIN { exit !(s > l && s <= h) }' ||
    lab_fail "kernel: series to peer $peer took ${entry##*:} s, expected in ($low, $high]"
done
# Each round trip from the initiation that was answered: as short as its path allows.
for peer in 1 2; do expect_rtt_for_delay "$peer"; done
# The shortest round trip of each path: its delay, give or take a tick and the responder's work.
paths=0
while read -r peer rtt; do
  expect_rtt_for_delay "$peer" "$rtt" "$rtt_slack"
  paths=$((paths + 1))
done < <(printf '%s\n' "${LAB_PEER_RTTS[@]}" | awk -F: '!($1 in min) || $2 + 0 < min[$1] { min[$1] = $2 + 0 } END { for (p in min) printf "%s %.6f\n", p, min[p] }')
((paths == 3)) || lab_fail "kernel: round trips on $paths paths, expected 3"
expect wireguard_handshake_rtt_seconds_count 'interface="wg0"' 11
expect_handshake_timing wg0
expect_clean_lines
