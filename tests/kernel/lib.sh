# shellcheck shell=bash
# Helpers for the lab's scenarios (sourced by init.sh inside the UML kernel; see README.md).
#
# Before a scenario runs, lab_boot_setup has turned on WireGuard's dynamic debug and started:
#   - exporter "kmsg": --kmsg --kmsg.from-start, page on 127.0.0.1:9101
#   - rsyslogd reading the kernel log (imklog) and forwarding every line to
#     - exporter "udp": RFC 3164 (RSYSLOG_TraditionalForwardFormat) over UDP, page on :9102
#     - exporter "tcp": RFC 5424 (RSYSLOG_SyslogProtocol23Format), octet-counted TCP, page on :9103
#     - with `# lab: syslog-udp-rfc5424`, also exporter "udp5424": RFC 5424 over UDP, page on :9104
#   With `# lab: syslog-udp-no-printk-time`, the UDP paths leave out the printk time that imklog
#   keeps before the text (handshake timing by the header's time and by arrival; README.md).
# Checks (expect, expect_absent) look at all three pages: every kernel line must count the same
# through each path. Expected values are what the scenario did, never read from a page.

LAB_PAGES=(kmsg udp tcp)
declare -A LAB_PORT=([kmsg]=9101 [udp]=9102 [tcp]=9103 [udp5424]=9104)
LAB_SYSLOG_UDP_PORT=5514
LAB_SYSLOG_TCP_PORT=5515
LAB_SYSLOG_UDP5424_PORT=5516
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
  # Options for scenarios that time handshakes: a fourth exporter taking RFC 5424 over UDP, and
  # both UDP paths without the printk time that imklog keeps before the kernel's text
  # (`[   17.930000] `), so that those exporters time lines by the RFC 5424 header's fraction
  # of a second (udp5424) and by their arrival (udp, RFC 3164: whole seconds).
  local udp_template=RSYSLOG_TraditionalForwardFormat udp5424_template=RSYSLOG_SyslogProtocol23Format
  local udp_line_template=TraditionalForwardFormatLine udp5424_line_template=RSYSLOG_SyslogProtocol23Format
  local udp5424_action='' no_printk_time_config=''
  if lab_option syslog-udp-no-printk-time; then
    udp_template=LabTraditionalNoPrintkTime udp5424_template=LabProtocol23NoPrintkTime
    udp_line_template=LabTraditionalNoPrintkTimeLine udp5424_line_template=LabProtocol23NoPrintkTimeLine
    IFS= read -r -d '' no_printk_time_config <<'CONF' || true
# The message without imklog's printk time, for the templates that leave it out.
set $.text = re_extract($msg, "^[[][ 0-9.]+[]] (.*)", 0, 1, $msg);
template(name="LabTraditionalNoPrintkTime" type="string"
         string="<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32% %$.text%")
template(name="LabTraditionalNoPrintkTimeLine" type="string"
         string="<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32% %$.text%\n")
template(name="LabProtocol23NoPrintkTime" type="string"
         string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %$.text%")
template(name="LabProtocol23NoPrintkTimeLine" type="string"
         string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %$.text%\n")
CONF
    LAB_DURATION_TOLERANCE[udp]=$LAB_RECEIPT_TIME_TOLERANCE
    LAB_DURATION_TOLERANCE[udp5424]=$LAB_RSYSLOG_TIME_TOLERANCE
  fi
  if lab_option syslog-udp-rfc5424; then
    LAB_PAGES+=(udp5424)
    lab_start exporter-udp5424 "$LAB_EXPORTER" "${exporter_flags[@]}" --web.listen-address=127.0.0.1:9104 \
      --syslog.udp-listen-address=127.0.0.1:$LAB_SYSLOG_UDP5424_PORT
    udp5424_action="*.* action(type=\"omfwd\" target=\"127.0.0.1\" port=\"$LAB_SYSLOG_UDP5424_PORT\" protocol=\"udp\"
           template=\"$udp5424_template\")
*.* action(type=\"omfile\" file=\"$LAB_OUT/rsyslog-udp5424.txt\" template=\"$udp5424_line_template\")"
  fi
  local kind
  for kind in "${LAB_PAGES[@]}"; do
    lab_wait_until "exporter $kind ready" curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${LAB_PORT[$kind]}/-/ready"
  done

  mkdir -p /tmp/rsyslog
  cat > /tmp/rsyslog.conf <<CONF
global(workDirectory="/tmp/rsyslog" maxMessageSize="64k")
module(load="imklog")
$no_printk_time_config
# The same messages into files, one a line (the forwarding format has no newline of its own).
template(name="TraditionalForwardFormatLine" type="string"
         string="<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%\\n")
*.* action(type="omfwd" target="127.0.0.1" port="$LAB_SYSLOG_UDP_PORT" protocol="udp"
           template="$udp_template")
*.* action(type="omfwd" target="127.0.0.1" port="$LAB_SYSLOG_TCP_PORT" protocol="tcp"
           tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
$udp5424_action
*.* action(type="omfile" file="$LAB_OUT/rsyslog-udp.txt" template="$udp_line_template")
*.* action(type="omfile" file="$LAB_OUT/rsyslog-tcp.txt" template="RSYSLOG_SyslogProtocol23Format")
CONF
  lab_start rsyslogd rsyslogd -n -f /tmp/rsyslog.conf -i /tmp/rsyslog.pid
  # rsyslog reads the boot messages first: once both syslog pages counted some, it forwards.
  lab_wait_until "rsyslog forwarding over UDP" lab_positive udp wireguard_events_exporter_messages_received_total 'transport="udp"'
  lab_wait_until "rsyslog forwarding over TCP" lab_positive tcp wireguard_events_exporter_messages_received_total 'transport="tcp"'
  if [[ -n $udp5424_action ]]; then
    lab_wait_until "rsyslog forwarding RFC 5424 over UDP" lab_positive udp5424 wireguard_events_exporter_messages_received_total 'transport="udp"'
  fi
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

# ---- real paths: veth pairs with netem, for scenarios that measure time -------------------

# lab_wg_in NS IFNAME KEY_INDEX PORT ADDRESS...: like lab_wg, but the interface is created in NS
# itself, so its UDP socket lives there and its packets leave by NS's own devices (a veth pair
# made by lab_veth) instead of the initial namespace's loopback.
lab_wg_in() {
  local ns=$1 ifname=$2 key=$3 port=$4 address
  shift 4
  ip -n "$ns" link add "$ifname" type wireguard
  ip netns exec "$ns" wg set "$ifname" private-key <(echo "${LAB_KEY[$key]}") listen-port "$port"
  for address in "$@"; do ip -n "$ns" address add "$address" dev "$ifname"; done
  ip -n "$ns" link set "$ifname" up
}

# lab_veth NS_A DEV_A ADDRESS_A NS_B DEV_B ADDRESS_B DELAY: a veth pair between two namespaces
# (addresses with their prefix, IPv4), each end with a netem qdisc delaying what it sends by
# DELAY (`40ms`), and permanent neighbour entries both ways, so that no ARP exchange adds a
# round trip to the first packet.
lab_veth() {
  local ns_a=$1 dev_a=$2 address_a=$3 ns_b=$4 dev_b=$5 address_b=$6 delay=$7
  ip link add "$dev_a" netns "$ns_a" type veth peer name "$dev_b" netns "$ns_b"
  ip -n "$ns_a" address add "$address_a" dev "$dev_a"
  ip -n "$ns_b" address add "$address_b" dev "$dev_b"
  ip -n "$ns_a" link set "$dev_a" up
  ip -n "$ns_b" link set "$dev_b" up
  ip -n "$ns_a" neigh replace "${address_b%/*}" lladdr "$(lab_mac "$ns_b" "$dev_b")" dev "$dev_a" nud permanent
  ip -n "$ns_b" neigh replace "${address_a%/*}" lladdr "$(lab_mac "$ns_a" "$dev_a")" dev "$dev_b" nud permanent
  lab_netem "$ns_a" "$dev_a" delay "$delay"
  lab_netem "$ns_b" "$dev_b" delay "$delay"
}

# lab_mac NS DEV: the link-layer address of DEV in NS.
lab_mac() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }

# lab_netem NS DEV NETEM_ARGS...: sets the netem qdisc of DEV (what DEV sends): `delay 40ms`,
# `delay 40ms loss 100%`.
lab_netem() {
  local ns=$1 dev=$2
  shift 2
  ip netns exec "$ns" tc qdisc replace dev "$dev" root netem "$@"
}

# ---- handshake timing -----------------------------------------------------------------------

# How far a duration on each page may lie from the one the kernel's own stamps give
# (lab_kmsg_handshake_times), in seconds. By default every page times lines by the kernel's
# clock: kmsg records by their stamp, syslog lines by the printk time imklog keeps before the
# text, so only the rounding of Unix times held as doubles separates them. Without the printk
# time (`# lab: syslog-udp-no-printk-time`) the RFC 5424 header's time is rsyslog's, taken when
# imklog read the line: a scheduling delay of its own per line, against kernel stamps rounded
# down to UML's 10 ms tick; the arrival time (RFC 3164) adds rsyslog's forwarding and the
# exporter's own wake-up. Measured: up to 50 ms off on a lightly loaded host; allowed 0.5 s.
declare -A LAB_DURATION_TOLERANCE=([kmsg]=0.000002 [tcp]=0.000002 [udp]=0.000002 [udp5424]=0.000002)
LAB_RSYSLOG_TIME_TOLERANCE=${LAB_RSYSLOG_TIME_TOLERANCE:-0.5}
LAB_RECEIPT_TIME_TOLERANCE=${LAB_RECEIPT_TIME_TOLERANCE:-0.5}

# lab_kmsg_handshake_times IFNAME: what the kernel's own lines (kmsg.txt, microsecond stamps)
# say about IFNAME's handshakes, in the kernel's order, one per line:
#   rtt PEER SECONDS              from the last "Sending handshake initiation" to the peer to the
#                                 "Receiving handshake response" that follows it
#   completion PEER SECONDS TRIES from the first initiation of a series (none in flight before
#                                 it) to its "Keypair ... created"; TRIES initiations were sent
#   gave_up PEER TRIES            a series ended by "... giving up"
lab_kmsg_handshake_times() { lab_handshake_times "$1" kmsg "$LAB_OUT/kmsg.txt"; }

# lab_rfc5424_handshake_times IFNAME FILE: the same from the header times of the RFC 5424 lines
# rsyslog wrote to FILE (rsyslog-udp5424.txt: what it forwarded without the printk time).
lab_rfc5424_handshake_times() { lab_handshake_times "$1" rfc5424 "$2"; }

lab_handshake_times() {
  awk -v ifname="$1" -v format="$2" '
    # Unix seconds of an RFC 3339 time (2026-12-01T18:11:48.012615+00:00).
    function unix_time(s,   y, m, d, era, yoe, doy, days, offset) {
      y = substr(s, 1, 4) + 0; m = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
      y -= m <= 2; era = int(y / 400); yoe = y - era * 400
      doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
      days = era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
      offset = 0
      if (match(s, /[+-][0-9][0-9]:[0-9][0-9]$/))
        offset = (substr(s, RSTART + 1, 2) * 3600 + substr(s, RSTART + 4, 2) * 60) * (substr(s, RSTART, 1) == "-" ? -1 : 1)
      return days * 86400 + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18) - offset
    }
    {
      record = $0
      if (format == "kmsg") {
        split(record, header, ",")
        if (!sub(/^[^;]*;/, "", record)) next
        t = header[3] / 1e6
      } else {
        t = unix_time($2)
        if (!sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", record)) next
      }
      n = split(record, w, " ")
      if (w[1] != "wireguard:" || w[2] != ifname ":") next
    }
    w[3] == "Sending" && w[4] == "handshake" && w[5] == "initiation" {
      p = w[8]; started[p] = t; tries[p]++
      if (!(p in first)) first[p] = t
    }
    w[3] == "Receiving" && w[4] == "handshake" && w[5] == "response" && (w[8] in started) {
      p = w[8]; printf "rtt %s %.6f\n", p, t - started[p]; delete started[p]
    }
    w[3] == "Keypair" && w[5] == "created" {
      p = w[8]; delete started[p]
      if (p in first) printf "completion %s %.6f %d\n", p, t - first[p], tries[p]
      delete first[p]; delete tries[p]
    }
    w[3] == "Handshake" && w[4] == "for" && w[n - 1] == "giving" {
      p = w[6]; printf "gave_up %s %d\n", p, tries[p]
      delete started[p]; delete first[p]; delete tries[p]
    }' "$3"
}

# expect_duration NAME LABELS SECONDS: every page, fetched now, shows SECONDS as the sum of the
# matching series, within LAB_DURATION_TOLERANCE of the page's kind. Call after an expect that
# shows the pages caught up. For expectations that hold for some pages only (times read from
# what rsyslog forwarded), set LAB_CHECK_PAGES (`udp5424`) and LAB_CHECK_TOLERANCE for the call.
expect_duration() {
  local name=$1 labels=$2 want=$3 kind checks=() bad seen='' pages
  read -r -a pages <<< "${LAB_CHECK_PAGES:-${LAB_PAGES[*]}}"
  lab_fetch || lab_fail "a page could not be fetched"
  for kind in "${pages[@]}"; do
    lab_sum "$kind" "$name" "$labels"
    checks+=("$kind" "$LAB_SUM" "${LAB_CHECK_TOLERANCE:-${LAB_DURATION_TOLERANCE[$kind]}}")
    seen+=" $kind $LAB_SUM"
  done
  bad=$(awk -v want="$want" 'BEGIN {
    for (i = 1; i + 2 < ARGC; i += 3)
      if (ARGV[i + 1] == "absent" || ARGV[i + 1] - want > ARGV[i + 2] || want - ARGV[i + 1] > ARGV[i + 2])
        printf "%s page: %s; ", ARGV[i], ARGV[i + 1]
  }' "${checks[@]}")
  [[ -z $bad ]] || lab_fail "$name{$labels} expected $want, got (outside the page's tolerance): $bad"
  lab_log "ok: $name{$labels} = $want within each page's tolerance:$seen"
}

# expect_histogram NAME LABELS SECONDS...: every page, fetched now, shows the histogram NAME
# (the series whose labels include LABELS) holding exactly these observations: _count is their
# number; _sum and every bucket agree with them within LAB_DURATION_TOLERANCE of the page's
# kind (an observation within the tolerance of a bucket's bound may lie on either side of it).
# LAB_CHECK_PAGES and LAB_CHECK_TOLERANCE as for expect_duration.
expect_histogram() {
  local name=$1 labels=$2 kind bad='' pages
  shift 2
  read -r -a pages <<< "${LAB_CHECK_PAGES:-${LAB_PAGES[*]}}"
  lab_fetch || lab_fail "a page could not be fetched"
  for kind in "${pages[@]}"; do
    bad+=$(awk -v name="$name" -v want="$labels" -v tol="${LAB_CHECK_TOLERANCE:-${LAB_DURATION_TOLERANCE[$kind]}}" -v kind="$kind" '
      BEGIN {
        for (i = 1; i < ARGC; i++) { seen[i] = ARGV[i]; total += ARGV[i]; delete ARGV[i] }
        n = ARGC - 1; ARGC = 2; ARGV[1] = "/tmp/lab/pages/" kind ".prom"
        pairs = split(want, pair, /",/)
        for (i = 1; i < pairs; i++) pair[i] = pair[i] "\""
      }
      {
        series = $1; value = $2
        brace = index(series, "{"); if (!brace) next
        metric = substr(series, 1, brace - 1)
        if (metric != name "_bucket" && metric != name "_sum" && metric != name "_count") next
        labels = "," substr(series, brace + 1, length(series) - brace - 1) ","
        for (i = 1; i <= pairs; i++) if (!index(labels, "," pair[i] ",")) next
        if (metric == name "_count") { count += value; found = 1; next }
        if (metric == name "_sum") { sum += value; next }
        match(labels, /,le="[^"]*"/); le = substr(labels, RSTART + 5, RLENGTH - 6)
        low = 0; high = 0
        for (i = 1; i <= n; i++) {
          if (le == "+Inf" || seen[i] + tol <= le + 0) low++
          if (le == "+Inf" || seen[i] - tol <= le + 0) high++
        }
        if (value < low || value > high) bad = bad sprintf(" le=%s is %s, expected %d to %d;", le, value, low, high)
      }
      END {
        if (!found) { if (n) printf "%s page: no %s;", kind, name; exit }
        if (count != n) bad = bad sprintf(" _count is %s, expected %d;", count, n)
        if (sum - total > n * tol || total - sum > n * tol) bad = bad sprintf(" _sum is %s, expected %.6f;", sum, total)
        if (bad != "") printf "%s page:%s ", kind, bad
      }' "$@")
  done
  [[ -z $bad ]] || lab_fail "$name{$labels} with observations $*: $bad"
  lab_log "ok: $name{$labels} holds $# observations ($*) on ${pages[*]}"
}

# lab_read_handshake_times IFNAME: reads IFNAME's handshake times into
#   LAB_RTTS, LAB_COMPLETIONS      the round trips and completions, from the kernel's stamps
#   LAB_LAST_RTT[PEER]             the last round trip per peer
#   LAB_PEER_RTTS                  each round trip as PEER:SECONDS
#   LAB_SERIES                     each completed series as PEER:INITIATIONS:SECONDS
#   LAB_GIVE_UPS                   how many series gave up
# and, when exporter udp5424 takes lines without the printk time, LAB_RTTS_5424,
# LAB_COMPLETIONS_5424 and LAB_LAST_RTT_5424 from the header times of what rsyslog forwarded to
# it (once its copy holds every keypair line the kernel printed for IFNAME).
lab_read_handshake_times() {
  local ifname=$1 kind peer seconds tries keypairs
  LAB_RTTS=() LAB_COMPLETIONS=() LAB_SERIES=() LAB_GIVE_UPS=0 LAB_LAST_RTT=() LAB_PEER_RTTS=()
  while read -r kind peer seconds tries; do
    case $kind in
      rtt) LAB_RTTS+=("$seconds"); LAB_LAST_RTT[$peer]=$seconds; LAB_PEER_RTTS+=("$peer:$seconds") ;;
      completion) LAB_COMPLETIONS+=("$seconds"); LAB_SERIES+=("$peer:$tries:$seconds") ;;
      gave_up) LAB_GIVE_UPS=$((LAB_GIVE_UPS + 1)) ;;
    esac
  done < <(lab_kmsg_handshake_times "$ifname")
  lab_log "kernel's stamps: round trips ${LAB_RTTS[*]}; series (peer:initiations:seconds) ${LAB_SERIES[*]}; give-ups $LAB_GIVE_UPS"
  LAB_RTTS_5424=() LAB_COMPLETIONS_5424=() LAB_LAST_RTT_5424=()
  lab_option syslog-udp-rfc5424 && lab_option syslog-udp-no-printk-time || return 0
  keypairs=$(lab_kmsg_count "^wireguard: $ifname: Keypair [0-9]+ created for peer")
  lab_wait_until "rsyslog's copy of $keypairs keypair lines" lab_rsyslog_copy_has "$keypairs" "$ifname"
  while read -r kind peer seconds tries; do
    case $kind in
      rtt) LAB_RTTS_5424+=("$seconds"); LAB_LAST_RTT_5424[$peer]=$seconds ;;
      completion) LAB_COMPLETIONS_5424+=("$seconds") ;;
    esac
  done < <(lab_rfc5424_handshake_times "$ifname" "$LAB_OUT/rsyslog-udp5424.txt")
  lab_log "rsyslog's RFC 5424 times: round trips ${LAB_RTTS_5424[*]}; completions ${LAB_COMPLETIONS_5424[*]}"
  ((${#LAB_RTTS_5424[@]} == ${#LAB_RTTS[@]} && ${#LAB_COMPLETIONS_5424[@]} == ${#LAB_COMPLETIONS[@]})) ||
    lab_fail "rsyslog's copy pairs differently from the kernel's lines"
}
declare -A LAB_LAST_RTT=() LAB_LAST_RTT_5424=()
lab_rsyslog_copy_has() {
  local got
  got=$(grep -c " wireguard: $2: Keypair [0-9]* created for peer" "$LAB_OUT/rsyslog-udp5424.txt")
  ((got >= $1))
}

# expect_handshake_timing IFNAME: every page shows what lab_read_handshake_times read: the last
# round trip of each peer, and both histograms. Exporter udp5424 (when it takes lines without
# the printk time) is held to rsyslog's header times, exactly; the others to the kernel's
# stamps, within LAB_DURATION_TOLERANCE.
expect_handshake_timing() {
  local ifname=$1 peer kernel_pages=${LAB_PAGES[*]}
  if ((${#LAB_RTTS_5424[@]})); then
    kernel_pages=${kernel_pages/udp5424/}
  fi
  for peer in "${!LAB_LAST_RTT[@]}"; do
    LAB_CHECK_PAGES=$kernel_pages expect_duration wireguard_peer_last_handshake_rtt_seconds \
      "interface=\"$ifname\",peer=\"$peer\"" "${LAB_LAST_RTT[$peer]}"
  done
  LAB_CHECK_PAGES=$kernel_pages expect_histogram wireguard_handshake_rtt_seconds "interface=\"$ifname\"" "${LAB_RTTS[@]}"
  LAB_CHECK_PAGES=$kernel_pages expect_histogram wireguard_handshake_completion_seconds "interface=\"$ifname\"" "${LAB_COMPLETIONS[@]}"
  ((${#LAB_RTTS_5424[@]})) || return 0
  local exact=${LAB_DURATION_TOLERANCE[kmsg]}
  for peer in "${!LAB_LAST_RTT_5424[@]}"; do
    LAB_CHECK_PAGES=udp5424 LAB_CHECK_TOLERANCE=$exact expect_duration wireguard_peer_last_handshake_rtt_seconds \
      "interface=\"$ifname\",peer=\"$peer\"" "${LAB_LAST_RTT_5424[$peer]}"
  done
  LAB_CHECK_PAGES=udp5424 LAB_CHECK_TOLERANCE=$exact expect_histogram wireguard_handshake_rtt_seconds \
    "interface=\"$ifname\"" "${LAB_RTTS_5424[@]}"
  LAB_CHECK_PAGES=udp5424 LAB_CHECK_TOLERANCE=$exact expect_histogram wireguard_handshake_completion_seconds \
    "interface=\"$ifname\"" "${LAB_COMPLETIONS_5424[@]}"
}
