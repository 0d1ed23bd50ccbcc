# lab: default-ratelimit
# The kernel's own rate limit with the default net.core.message_cost (5 s) and message_burst
# (10), in normal time: a flood of random initiations makes as many "Invalid MAC" callbacks;
# net_ratelimit lets the burst through and counts the rest, and after the interval the next
# message reports them ("net_ratelimit: N callbacks suppressed"). Every callback is either a
# printed line or in N, and kernel_ratelimit_suppressed_total carries N.
flood=2000
[[ $(sysctl -n net.core.message_cost) == 5 && $(sysctl -n net.core.message_burst) == 10 ]] ||
  lab_fail "not the default rate limit: cost $(sysctl -n net.core.message_cost) burst $(sysctl -n net.core.message_burst)"
lab_pair
sleep 6   # an interval without messages: the flood starts a fresh one
start=$(date +%s.%N)
lab_packets message initiation 10001 $flood
lab_log "flood of $flood sent in $(echo "$(date +%s.%N) - $start" | bc) s"
sleep 6
lab_packets message initiation 10001 1   # the next callback reports the suppressed ones
lab_wait_until "the suppression report" lab_kernel_printed 1 '^net_ratelimit: [0-9]+ callbacks suppressed$'
printed=$(lab_kmsg_count '^wireguard: wg0: Invalid MAC of handshake')
suppressed=$(lab_kmsg_lines | sed -nE 's/^net_ratelimit: ([0-9]+) callbacks suppressed$/\1/p' | paste -sd+ | bc)
lab_log "measured: flood $flood + 1, printed $printed, suppressed $suppressed"
echo "flood=$flood printed=$printed suppressed=$suppressed" > "$LAB_OUT/ratelimit.txt"
((printed + suppressed == flood + 1)) || lab_fail "printed $printed + suppressed $suppressed != $((flood + 1)) callbacks"
expect wireguard_events_exporter_kernel_ratelimit_suppressed_total '' "$suppressed"
expect_interface_event wg0 invalid_mac "$printed"
expect_clean_lines
