# shellcheck shell=bash
# Helpers for the lab's scenarios (sourced by init.sh inside the UML kernel; see README.md).
#
# Before a scenario runs, lab_boot_setup has turned on WireGuard's dynamic debug and started:
#   - exporter "kmsg": --kmsg --kmsg.from-start, page on 127.0.0.1:9101
#   - rsyslogd reading the kernel log (imklog) and forwarding every line to
#     - exporter "udp": RFC 3164 (RSYSLOG_TraditionalForwardFormat) over UDP, page on :9102
#     - exporter "tcp": RFC 5424 (RSYSLOG_SyslogProtocol23Format), octet-counted TCP, page on :9103
# Checks (expect, expect_absent) look at all three pages: every kernel line must count the same
# through each path. Expected values are what the scenario did, never read from a page.

LAB_PAGES=(kmsg udp tcp)
declare -A LAB_PORT=([kmsg]=9101 [udp]=9102 [tcp]=9103)
LAB_SYSLOG_UDP_PORT=5514
LAB_SYSLOG_TCP_PORT=5515
LAB_WAIT_TRIES=${LAB_WAIT_TRIES:-75}   # 75 x 0.2 s: how long expect waits for a value
LAB_PIDS=()

# Fixed test keys (never used anywhere else): private and public key of each lab interface.
LAB_KEY=(4CRSNOjl7cF+YIFa1KRjNmwXybU1mdx+/Lbkhmg59n0= +O8TTlh+LVNufBVON/x96gjxlM4ANUaBumQ3awIx104=
  eMNgVsJkn0PGQ3Cr7P4oqG68p8V7MjyY0Ze1M6fgm0A= mPMny3+HSvDdXt+tO2YhFye8lZeFdW66J91VoVe8t1Y=)
LAB_PUB=(Q4Q/7b2R6NWx2aBdhNhbJVgzqPR6MCrWT6Zha7Y1ZWw= 6YCq/Q5YTpA9bjseIt0IqHlNO5vInQNdFNUmqvN66Vs=
  Gw3VEHa/VYOi50aexEDfMQd81pArJXfWCpYJRTFQaFw= 4kwFKHWmK0VIKnq2n2sIIam6ixa3MKyoVuj2ig3aAxQ=)

# ---- failing and logging ------------------------------------------------------------------

lab_log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# lab_fail MESSAGE: records why the scenario failed (run.sh prints it) and ends the scenario.
lab_fail() {
  echo "$*" >> "$LAB_OUT/failures"
  lab_log "FAIL: $*"
  exit 1
}

# lab_option NAME: true when the scenario's header has a line `# lab: NAME`.
lab_option() { grep -qx "# lab: $1" "$LAB_SCENARIO"; }

# ---- boot (called by init.sh) ---------------------------------------------------------------

lab_start() {  # lab_start NAME COMMAND...: runs a daemon, its output in $LAB_OUT/NAME.log
  local name=$1; shift
  "$@" > "$LAB_OUT/$name.log" 2>&1 &
  LAB_PIDS+=($!)
}

lab_boot_setup() {
  hostname lab
  ip link set lo up
  echo 'module wireguard +p' > /sys/kernel/debug/dynamic_debug/control
  # Every WireGuard line but a handful is net_ratelimit()ed (10 per 5 s by default); counts are
  # exact only without the limit, as docs/events.md says. Scenarios that study the limit keep it.
  lab_option default-ratelimit || sysctl -qw net.core.message_cost=0
  if lab_option time-travel; then
    # Handshake initiations within 20 ms of boot count as a flood and are refused: with
    # time-travel=inf-cpu the clock stands still while the CPU works, and the whole boot takes
    # less than that. One second of idle time (free in this mode) moves past it.
    sleep ${LAB_BOOT_SLEEP:-1}
  fi

  # Every kernel record of the boot, as /dev/kmsg gives them: the lab's own record of what the
  # kernel printed (expect_kmsg) and the test data kept in tests/data/kernel-6.1/.
  cat /dev/kmsg > "$LAB_OUT/kmsg.txt" &
  LAB_PIDS+=($!)
  local exporter_flags=(--log.level=info)
  lab_start exporter-kmsg "$LAB_EXPORTER" "${exporter_flags[@]}" --web.listen-address=127.0.0.1:9101 \
    --kmsg --kmsg.from-start --syslog.udp-listen-address=
  lab_start exporter-udp "$LAB_EXPORTER" "${exporter_flags[@]}" --web.listen-address=127.0.0.1:9102 \
    --syslog.udp-listen-address=127.0.0.1:$LAB_SYSLOG_UDP_PORT
  lab_start exporter-tcp "$LAB_EXPORTER" "${exporter_flags[@]}" --web.listen-address=127.0.0.1:9103 \
    --syslog.udp-listen-address= --syslog.tcp-listen-address=127.0.0.1:$LAB_SYSLOG_TCP_PORT
  local kind
  for kind in "${LAB_PAGES[@]}"; do
    lab_wait_until "exporter $kind ready" curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${LAB_PORT[$kind]}/-/ready"
  done

  mkdir -p /tmp/rsyslog
  cat > /tmp/rsyslog.conf <<CONF
global(workDirectory="/tmp/rsyslog" maxMessageSize="64k")
module(load="imklog")
*.* action(type="omfwd" target="127.0.0.1" port="$LAB_SYSLOG_UDP_PORT" protocol="udp"
           template="RSYSLOG_TraditionalForwardFormat")
*.* action(type="omfwd" target="127.0.0.1" port="$LAB_SYSLOG_TCP_PORT" protocol="tcp"
           tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
# The same messages into files, one a line (the forwarding format has no newline of its own).
template(name="TraditionalForwardFormatLine" type="string"
         string="<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%\\n")
*.* action(type="omfile" file="$LAB_OUT/rsyslog-udp.txt" template="TraditionalForwardFormatLine")
*.* action(type="omfile" file="$LAB_OUT/rsyslog-tcp.txt" template="RSYSLOG_SyslogProtocol23Format")
CONF
  lab_start rsyslogd rsyslogd -n -f /tmp/rsyslog.conf -i /tmp/rsyslog.pid
  # rsyslog reads the boot messages first: once both syslog pages counted some, it forwards.
  lab_wait_until "rsyslog forwarding over UDP" lab_positive udp wireguard_events_exporter_messages_received_total 'transport="udp"'
  lab_wait_until "rsyslog forwarding over TCP" lab_positive tcp wireguard_events_exporter_messages_received_total 'transport="tcp"'
  lab_log "lab ready"
}

# Called by init.sh after the scenario, whatever its outcome.
lab_collect() {
  local kind ns
  mkdir -p "$LAB_OUT/pages"
  for kind in "${LAB_PAGES[@]}"; do
    lab_page "$kind" > "$LAB_OUT/pages/final-$kind.prom" 2>/dev/null || true
  done
  {
    echo "# namespace: init"
    wg show all dump 2>&1
    for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
      echo "# namespace: $ns"
      ip netns exec "$ns" wg show all dump 2>&1
    done
  } > "$LAB_OUT/wg-dump.txt"
  local pid
  for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${LAB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# ---- waiting and reading pages --------------------------------------------------------------

# lab_wait_until WHAT COMMAND...: polls COMMAND every 0.2 s, LAB_WAIT_TRIES times, then fails.
lab_wait_until() {
  local what=$1 i
  shift
  for ((i = 0; i < LAB_WAIT_TRIES; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  lab_fail "timed out waiting for $what"
}

# Every process started inside UML is expensive (each system call is a ptrace round trip), so
# checks fetch the three pages with one curl and read them with bash builtins only.

# lab_fetch: fetches every page into /tmp/lab/pages/KIND.prom.
lab_fetch() {
  local args=() kind
  mkdir -p /tmp/lab/pages
  for kind in "${LAB_PAGES[@]}"; do
    args+=(-o "/tmp/lab/pages/$kind.prom" "http://127.0.0.1:${LAB_PORT[$kind]}/metrics")
  done
  curl -fsS --max-time 5 "${args[@]}"
}

# lab_page KIND: the metrics page of exporter KIND (kmsg, udp, tcp), fetched now.
lab_page() { lab_fetch && cat "/tmp/lab/pages/$1.prom"; }

# lab_sum KIND NAME [LABELS]: sets LAB_SUM to the sum, on KIND's page as last fetched, of every
# series NAME whose labels include each of LABELS (comma-separated key="value" pairs, any
# order), or to "absent" when there is none.
lab_sum() {
  local kind=$1 name=$2 want=${3:-} line series labels value pair found=0 sum=0 floats=()
  local -a pairs=() lines=()
  [[ -n $want ]] && IFS=$'\x1f' read -r -a pairs <<< "${want//\",/\"$'\x1f'}"
  mapfile -t lines < "/tmp/lab/pages/$kind.prom"
  for line in "${lines[@]}"; do
    [[ $line == "$name{"* || $line == "$name "* ]] || continue
    series=${line% *}
    value=${line##* }
    if [[ $series == *"{"* ]]; then
      labels=",${series#*\{}"
      labels="${labels%\}},"
    else
      labels=",,"
    fi
    for pair in "${pairs[@]}"; do [[ $labels == *",$pair,"* ]] || continue 2; done
    found=1
    if [[ $value =~ ^-?[0-9]+$ ]]; then sum=$((sum + value)); else floats+=("$value"); fi
  done
  if ((!found)); then
    LAB_SUM=absent
  elif ((${#floats[@]})); then
    LAB_SUM=$(awk -v s="$sum" 'BEGIN { for (i = 2; i < ARGC; i++) s += ARGV[i]; printf "%.17g\n", s }' _ "${floats[@]}")
  else
    LAB_SUM=$sum
  fi
}

# lab_value KIND NAME [LABELS]: prints that sum on exporter KIND's page now.
lab_value() {
  lab_fetch && lab_sum "$@" && echo "$LAB_SUM"
}

# lab_positive KIND NAME [LABELS]: the sum on KIND's page now is above 0.
lab_positive() {
  lab_fetch || return 1
  lab_sum "$@"
  [[ $LAB_SUM != absent && $LAB_SUM != 0 && $LAB_SUM != -* ]]
}

# expect NAME LABELS VALUE: waits until every page shows VALUE as the sum of the matching series
# (lab_sum), and fails naming the page, the series and both values when one does not. A counter
# that passed VALUE fails at once.
expect() {
  local name=$1 labels=$2 want=$3 kind i wrong
  for ((i = 0; ; i++)); do
    wrong=
    if lab_fetch; then
      for kind in "${LAB_PAGES[@]}"; do
        lab_sum "$kind" "$name" "$labels"
        [[ $LAB_SUM == "$want" ]] && continue
        wrong="$kind page: $name{$labels} is $LAB_SUM, expected $want"
        if [[ $name == *_total && $LAB_SUM =~ ^[0-9]+$ && $want =~ ^[0-9]+$ ]] && ((LAB_SUM > want)); then
          lab_fail "$wrong"
        fi
        break
      done
    else
      wrong="a page could not be fetched"
    fi
    [[ -z $wrong ]] && break
    ((i < LAB_WAIT_TRIES)) || lab_fail "$wrong"
    sleep 0.2
  done
  lab_log "ok: $name{$labels} = $want on ${LAB_PAGES[*]}"
}

# lab_check_now NAME LABELS ALLOWED...: every page, fetched now, shows one of ALLOWED (a value
# or "absent") as the sum. Call after an expect that shows the pages caught up.
lab_check_now() {
  local name=$1 labels=$2 kind allowed
  shift 2
  lab_fetch || lab_fail "a page could not be fetched"
  for kind in "${LAB_PAGES[@]}"; do
    lab_sum "$kind" "$name" "$labels"
    for allowed in "$@"; do [[ $LAB_SUM == "$allowed" ]] && continue 2; done
    lab_fail "$kind page: $name{$labels} is $LAB_SUM, expected one of: $*"
  done
  lab_log "ok: $name{$labels} is one of $* on ${LAB_PAGES[*]}"
}

# expect_absent NAME LABELS: no matching series on any page.
expect_absent() { lab_check_now "$1" "$2" absent; }

# expect_zero NAME LABELS: every page shows 0 or no such series.
expect_zero() { lab_check_now "$1" "$2" absent 0; }

# expect_kmsg COUNT REGEX: the kernel printed exactly COUNT lines matching REGEX (extended, on
# the text after /dev/kmsg's `;`) so far. Ties a scenario's expectation to the real kernel.
expect_kmsg() {
  local want=$1 regex=$2 got
  got=$(lab_kmsg_count "$regex")
  [[ $got == "$want" ]] || lab_fail "kernel printed $got lines matching /$regex/, expected $want"
  lab_log "ok: kernel printed $want lines matching /$regex/"
}

# lab_kmsg_lines: the message text of every kernel record so far.
lab_kmsg_lines() { cut -d';' -f2- "$LAB_OUT/kmsg.txt"; }

# lab_kmsg_count REGEX: how many kernel records so far have a text matching REGEX.
lab_kmsg_count() {
  local regex=$1
  [[ $regex == ^* ]] && regex="^[0-9]+,[0-9]+,[0-9]+,[^;]*;${regex#^}"
  grep -cE -- "$regex" "$LAB_OUT/kmsg.txt" || true
}

# ---- WireGuard set-ups ---------------------------------------------------------------------

# lab_netns NAME: a namespace with loopback up.
lab_netns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
}

# lab_wg NS IFNAME KEY_INDEX PORT ADDRESS...: a WireGuard interface created in the initial
# namespace (so its UDP socket lives there, on the kernel's loopback) and moved into NS, with
# LAB_KEY[KEY_INDEX], listening on PORT, with the addresses given.
lab_wg() {
  local ns=$1 ifname=$2 key=$3 port=$4 address
  shift 4
  ip link add "$ifname" type wireguard
  wg set "$ifname" private-key <(echo "${LAB_KEY[$key]}") listen-port "$port"
  ip link set "$ifname" netns "$ns"
  for address in "$@"; do ip -n "$ns" address add "$address" dev "$ifname" nodad 2>/dev/null ||
    ip -n "$ns" address add "$address" dev "$ifname"; done
  ip -n "$ns" link set "$ifname" up
}

# lab_pair [ENDPOINT_HOST]: two interfaces that are each other's peer:
#   wg0 in ns1: 10.0.0.1/24 fd00::1/64, port 10001, key 0; its peer (wg1) is kernel peer 1
#   wg1 in ns2: 10.0.0.2/24 fd00::2/64, port 10002, key 1; its peer (wg0) is kernel peer 2
# Endpoints are ENDPOINT_HOST (default 127.0.0.1; `[::1]` for IPv6) and the other's port. The
# peers are created in that order, so on a fresh boot their ids are 1 and 2.
# shellcheck disable=SC2034  # used by the scenarios
LAB_PEER_ON_WG0=1
# shellcheck disable=SC2034
LAB_PEER_ON_WG1=2
lab_pair() {
  local host=${1:-127.0.0.1}
  lab_netns ns1
  lab_netns ns2
  lab_wg ns1 wg0 0 10001 10.0.0.1/24 fd00::1/64
  lab_wg ns2 wg1 1 10002 10.0.0.2/24 fd00::2/64
  ip netns exec ns1 wg set wg0 peer "${LAB_PUB[1]}" endpoint "$host:10002" allowed-ips 10.0.0.2/32,fd00::2/128
  ip netns exec ns2 wg set wg1 peer "${LAB_PUB[0]}" endpoint "$host:10001" allowed-ips 10.0.0.1/32,fd00::1/128
}

# lab_udp NS DESTINATION [COUNT] [SOURCE]: COUNT (default 1) UDP datagrams to DESTINATION port 9
# from NS, from SOURCE when given (an address of NS). Through a tunnel this makes data packets.
lab_udp() { ip netns exec "$1" python3 "$LAB_DIR/packets.py" udp "$2" "${3:-1}" "${4:-}"; }

# lab_packets ARGS...: packets.py in the initial namespace (crafted WireGuard messages).
lab_packets() { python3 "$LAB_DIR/packets.py" "$@"; }

# lab_handshake: wg0 sends one datagram to wg1 and the handshake completes (both pages show a
# keypair for both peers).
lab_handshake() {
  lab_udp ns1 10.0.0.2
  lab_wait_until "the handshake" lab_kernel_printed 2 ': Keypair [0-9]+ created for peer'
}

# lab_kernel_printed COUNT REGEX: the kernel printed at least COUNT such lines.
lab_kernel_printed() {
  local got
  got=$(lab_kmsg_count "$2")
  ((got >= $1))
}

# expect_clean_lines: nothing the real kernel printed was unknown or malformed to any exporter,
# but the module's two banner lines at boot (`WireGuard 1.0.0 loaded. ...`, `Copyright ...`),
# which metrics.md counts as ignored and older builds as unknown.
expect_clean_lines() {
  lab_check_now wireguard_events_exporter_lines_total 'result="unknown"' absent 0 2
  expect_zero wireguard_events_exporter_lines_total 'result="malformed"'
  expect_zero wireguard_events_exporter_lines_total 'result="rejected"'
}

# expect_peer_event IFNAME PEER EVENT COUNT and expect_interface_event IFNAME EVENT COUNT.
expect_peer_event() {
  expect wireguard_peer_events_total "interface=\"$1\",peer=\"$2\",event=\"$3\"" "$4"
}
expect_interface_event() {
  expect wireguard_interface_events_total "interface=\"$1\",event=\"$2\"" "$3"
}

# expect_between NAME LABELS LOW HIGH: every page, fetched now, shows a sum within [LOW, HIGH]
# (decimals allowed: times). Call after an expect that shows the pages caught up.
expect_between() {
  local name=$1 labels=$2 low=$3 high=$4 kind
  lab_fetch || lab_fail "a page could not be fetched"
  for kind in "${LAB_PAGES[@]}"; do
    lab_sum "$kind" "$name" "$labels"
    [[ $LAB_SUM != absent ]] && awk -v v="$LAB_SUM" -v l="$low" -v h="$high" 'BEGIN { exit !(v >= l && v <= h) }' ||
      lab_fail "$kind page: $name{$labels} is $LAB_SUM, expected between $low and $high"
  done
  lab_log "ok: $name{$labels} between $low and $high on ${LAB_PAGES[*]}"
}
