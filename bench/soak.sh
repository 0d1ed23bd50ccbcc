#!/usr/bin/env bash
# Soak: the exporter under a steady UDP load (bench/udp_load, paced) for a long time, scraped
# every second. Records, about once a second (column `second`: seconds since the start), what
# was sent and counted, the exporter's resident
# memory and CPU, and how long the scrape took; prints a summary and one row a minute, and
# checks that every datagram was accounted for and that memory stopped growing.
# Results: docs/reliability.md.
#
#   BUILD_DIR=build-perf bench/soak.sh [SECONDS] [RATE] [PEERS]    # 600 50000 5000
#   SOAK_CSV=soak.csv ...                                          # keep the per-second table
#
# Run as root so the exporter's SO_RCVBUFFORCE gets its buffer whatever net.core.rmem_max
# says (as a service with CAP_NET_ADMIN would). Loopback only; everything it starts is stopped.
source "$(dirname "$0")/common.sh"

DURATION=${1:-600}
RATE=${2:-50000}
PEERS=${3:-5000}
UDP_LOAD=$BUILD_DIR/bench/udp_load/udp_load
need "$EXPORTER" "$CORPUS_TOOL" "$UDP_LOAD" curl
CSV=${SOAK_CSV:-$WORK/soak.csv}
CLK_TCK=$(getconf CLK_TCK)

machine_report
echo "load:    ${RATE} lines/s for ${DURATION} s over UDP, ${PEERS} distinct peers, a scrape every second"
"$CORPUS_TOOL" --lines 1000000 --seed 7 --peers "$PEERS" --lifecycle --out "$WORK/corpus.log" >/dev/null 2>&1

start_exporter --syslog.udp-listen-address=127.0.0.1:0
pid=$EXPORTER_PID

# CPU ticks (user + system) of the exporter so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
page_value() { series_value "$1" <"$WORK/page"; }

"$UDP_LOAD" --file "$WORK/corpus.log" --target "$EXPORTER_UDP" --count $((RATE * DURATION)) --rate "$RATE" \
  >"$WORK/sender.log" 2>&1 &
sender=$!
track_pid "$sender"

echo "second,sent_estimate,received,drops,lines,peers,rss_kib,hwm_kib,cpu_percent,scrape_ms,page_bytes" >"$CSV"
start=$(date +%s.%N)
last_ticks=$(cpu_ticks)
last_time=$start
while kill -0 "$sender" 2>/dev/null; do
  sleep 1
  timing=$(curl -s -o "$WORK/page" -w '%{time_total} %{size_download}' --max-time 10 "http://$EXPORTER_WEB/metrics") || timing="10 0"
  now=$(date +%s.%N)
  second=$(awk -v a="$now" -v b="$start" 'BEGIN { printf "%d", a - b }')
  ticks=$(cpu_ticks)
  cpu=$(awk -v t="$ticks" -v l="$last_ticks" -v a="$now" -v b="$last_time" -v hz="$CLK_TCK" \
    'BEGIN { printf "%.1f", 100 * (t - l) / hz / (a - b) }')
  last_ticks=$ticks
  last_time=$now
  read -r rss hwm < <(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$pid/status")
  received=$(page_value 'wireguard_events_exporter_messages_received_total{transport="udp"}')
  drops=$(page_value 'wireguard_events_exporter_receive_drops_total{transport="udp"}')
  lines=$(awk '/^wireguard_events_exporter_lines_total\{/ { s += $2 } END { printf "%d", s }' "$WORK/page")
  peers=$(awk '/^wireguard_peers\{/ { s += $2 } END { printf "%d", s }' "$WORK/page")
  sent_estimate=$(awk -v a="$now" -v b="$start" -v r="$RATE" 'BEGIN { printf "%d", (a - b) * r }')
  read -r scrape_s bytes <<<"$timing"
  scrape_ms=$(awk -v s="$scrape_s" 'BEGIN { printf "%.1f", s * 1000 }')
  echo "$second,$sent_estimate,$received,$drops,$lines,$peers,$rss,$hwm,$cpu,$scrape_ms,$bytes" >>"$CSV"
  if ((second > DURATION + 120)); then
    echo "the sender did not finish in time" >&2
    exit 1
  fi
done
wait "$sender" || true
summary=$(tail -1 "$WORK/sender.log")
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$summary")

# Let the exporter drain its buffer, then the final accounting.
for _ in $(seq 50); do
  curl -s -o "$WORK/page" --max-time 10 "http://$EXPORTER_WEB/metrics"
  received=$(page_value 'wireguard_events_exporter_messages_received_total{transport="udp"}')
  drops=$(page_value 'wireguard_events_exporter_receive_drops_total{transport="udp"}')
  (( received + drops >= sent )) && break
  sleep 0.2
done
lines=$(awk '/^wireguard_events_exporter_lines_total\{/ { s += $2 } END { printf "%d", s }' "$WORK/page")
cpu_total=$(page_value process_cpu_seconds_total)

echo "sender:  $summary"
echo "counted: received=$received receive_drops_total=$drops lines_total=$lines exporter CPU ${cpu_total} s"
echo
echo "Once a minute (and the last second):"
awk -F, 'NR == 1 { print; next } { last = $0; shown = 0 } ($1 >= next_minute) { print; shown = 1; next_minute = $1 - $1 % 60 + 60 }
  END { if (!shown) print last }' "$CSV" | column -t -s,
echo
# Memory is compared with what it was once warm: after a minute (half the run if shorter).
WARM=$((DURATION >= 120 ? 60 : DURATION / 2))
awk -F, -v warm="$WARM" 'NR > 1 {
    n++; cpu += $9
    if (n == 1 || $7 < rmin) rmin = $7; if ($7 > rmax) rmax = $7; hwm = $8
    if ($1 >= warm && !rwarm) rwarm = $7; rlast = $7
  }
  END {
    printf "summary: %d s, exporter CPU %.1f%% of a core on average; VmRSS %d KiB at %d s, min %d, max %d, last %d; VmHWM %d KiB\n",
      n, cpu / n, rwarm, warm, rmin, rmax, rlast, hwm
  }' "$CSV"
# Scrape time percentiles (nearest rank).
tail -n +2 "$CSV" | cut -d, -f10 | sort -n | awk '{ v[NR] = $1 } END {
    p50 = int(NR * 0.50 + 0.999); p99 = int(NR * 0.99 + 0.999)
    printf "         scrape time p50 %s ms, p99 %s ms, max %s ms\n", v[p50], v[p99], v[NR] }'
echo

verdict=0
if (( received + drops != sent )); then
  echo "NOT every datagram accounted for: received + drops = $((received + drops)), sent $sent"
  verdict=1
fi
if (( lines != received )); then
  echo "lines_total ($lines) != messages_received_total ($received)"
  verdict=1
fi
# Once warm (peers, buffers and page at full size) memory must not keep growing: allow 8 MiB of
# allocator drift over the rest of the run.
growth=$(awk -F, -v warm="$WARM" 'NR > 1 && $1 >= warm && !base { base = $7 } NR > 1 { last = $7 } END { print last - base }' "$CSV")
if (( growth > 8192 )); then
  echo "VmRSS grew by $growth KiB after second $WARM"
  verdict=1
fi
kill -0 "$pid" 2>/dev/null || { echo "the exporter died"; verdict=1; }
((verdict == 0)) && echo "every datagram accounted for; memory flat after second $WARM"
exit $verdict
