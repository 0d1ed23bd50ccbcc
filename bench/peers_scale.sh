#!/usr/bin/env bash
# Memory and scrape cost at the peer cap: PEERS peers (default 10000, the --peers.max default)
# on one interface, each with every peer event of docs/events.md and two endpoints (one change).
# Feeds them with --replay (the exporter keeps serving), then reads its peak RSS (VmHWM) and
# times 10 scrapes of /metrics with and without gzip. Method and results: docs/performance.md.
#
#   BUILD_DIR=build-perf bench/peers_scale.sh [PEERS] [SCRAPES]     # 10000 10
#
# Each peer's lines start with `peer_destroyed`: the exporter counts it and drops the peer's
# series (docs/metrics.md), and the 18 events after it bring the peer back, so the page ends
# with every peer and 18 event series each. Loopback only, bounded.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

PEERS=${1:-10000}
SCRAPES=${2:-10}
need "$EXPORTER" curl
LOG=$WORK/peers.log

# One RFC 3164 line (as rsyslog forwards) per peer and event. Even peers have IPv4 endpoints,
# odd ones IPv6; the endpoint changes halfway through each peer's events.
awk -v peers="$PEERS" 'BEGIN {
  for (p = 1; p <= peers; p++) {
    if (p % 2 == 0) {
      e1 = sprintf("198.51.%d.%d:%d", int(p / 256) % 256, p % 256, 40000 + p % 20000)
      e2 = sprintf("203.0.%d.%d:51820", int(p / 256) % 256, p % 256)
    } else {
      e1 = sprintf("[2001:db8::%x:%x]:%d/0%%0", int(p / 65536), p % 65536, 40000 + p % 20000)
      e2 = sprintf("[2001:db8:1::%x:%x]:51820/0%%0", int(p / 65536), p % 65536)
    }
    k = 2 * p
    n = 0
    body[++n] = sprintf("Peer %d (%s) destroyed", p, e1)
    body[++n] = sprintf("Peer %d created", p)
    body[++n] = sprintf("No valid endpoint has been configured or discovered for peer %d", p)
    body[++n] = sprintf("Sending handshake initiation to peer %d (%s)", p, e1)
    body[++n] = sprintf("Handshake for peer %d (%s) did not complete after 5 seconds, retrying (try 2)", p, e1)
    body[++n] = sprintf("Handshake for peer %d (%s) did not complete after 20 attempts, giving up", p, e1)
    body[++n] = sprintf("Receiving handshake initiation from peer %d (%s)", p, e1)
    body[++n] = sprintf("Sending handshake response to peer %d (%s)", p, e1)
    body[++n] = sprintf("Keypair %d created for peer %d", k, p)
    body[++n] = sprintf("Receiving handshake response from peer %d (%s)", p, e2)
    body[++n] = sprintf("Receiving keepalive packet from peer %d (%s)", p, e2)
    body[++n] = sprintf("Sending keepalive packet to peer %d (%s)", p, e2)
    body[++n] = sprintf("Packet has unallowed src IP (10.%d.%d.9) from peer %d (%s)", int(p / 256) % 256, p % 256, p, e2)
    body[++n] = sprintf("Packet is neither ipv4 nor ipv6 from peer %d (%s)", p, e2)
    body[++n] = sprintf("Packet has incorrect size from peer %d (%s)", p, e2)
    body[++n] = sprintf("Failed to give packet to userspace from peer %d (%s)", p, e2)
    body[++n] = sprintf("Retrying handshake with peer %d (%s) because we stopped hearing back after 15 seconds", p, e2)
    body[++n] = sprintf("Zeroing out all keys for peer %d (%s), since we haven'"'"'t received a new one in 540 seconds", p, e2)
    body[++n] = sprintf("Keypair %d destroyed for peer %d", k, p)
    for (i = 1; i <= n; i++) printf "<7>Nov 27 10:00:00 gw1 kernel: wireguard: wg0: %s\n", body[i]
  }
}' > "$LOG"
LINES=$(wc -l < "$LOG")

machine_report
echo "input:   $PEERS peers x 19 peer events = $LINES lines, $(wc -c < "$LOG") bytes"

started=$(date +%s.%N)
start_exporter --syslog.udp-listen-address= --replay="$LOG"
file_received() {
  curl -s --max-time 5 "http://$EXPORTER_WEB/metrics" |
    series_value 'wireguard_events_exporter_messages_received_total{transport="file"}'
}
for _ in $(seq 600); do
  [[ $(file_received) == "$LINES" ]] && break
  sleep 0.1
done
if [[ $(file_received) != "$LINES" ]]; then
  echo "the replay did not finish within a minute" >&2
  exit 1
fi
echo "replayed in about $(echo "$(date +%s.%N) - $started" | bc) s (including start-up and polling)"
echo "after replay: VmHWM $(vm_hwm_kib "$EXPORTER_PID") KiB, VmRSS $(vm_rss_kib "$EXPORTER_PID") KiB"

# User plus system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Scrape timings: curl's time_total over loopback, one new connection per scrape (as Prometheus
# with keep-alive off; with keep-alive only the first scrape pays the TCP handshake).
scrape() {
  local what=$1
  shift
  local times=() sizes=() i out cpu_before
  echo "load before $what scrapes: $(load_now)"
  cpu_before=$(cpu_ticks "$EXPORTER_PID")
  for i in $(seq "$SCRAPES"); do
    out=$(curl -s --max-time 30 "$@" -o "$WORK/page.$what" -w '%{time_total} %{size_download} %{http_code}' "http://$EXPORTER_WEB/metrics")
    read -r t s code <<<"$out"
    if [[ $code != 200 ]]; then
      echo "scrape $i: HTTP $code" >&2
      exit 1
    fi
    times+=("$t")
    sizes+=("$s")
  done
  echo "$what: exporter CPU per scrape $(( ($(cpu_ticks "$EXPORTER_PID") - cpu_before) * 1000 / $(getconf CLK_TCK) / SCRAPES )) ms (user+sys, /proc/PID/stat)"
  printf '%s\n' "${times[@]}" | sort -g | awk -v what="$what" -v bytes="${sizes[-1]}" '
    { t[NR] = $1 * 1000; sum += $1 * 1000 }
    END { printf "%s: %d scrapes, %d bytes each; time ms: min %.1f, median %.1f, mean %.1f, max %.1f\n",
          what, NR, bytes, t[1], (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), sum / NR, t[NR] }'
}
scrape plain
scrape gzip -H 'Accept-Encoding: gzip'

page=$WORK/page.plain
gzip -t < "$WORK/page.gzip" || { echo "the gzip page does not decompress" >&2; exit 1; }
echo "page: $(wc -c < "$page") bytes, $(grep -vc '^#' "$page") series," \
  "$(grep -c '^wireguard_peer_events_total{' "$page") of them wireguard_peer_events_total;" \
  "gzip $(wc -c < "$WORK/page.gzip") bytes"
awk '!/^#/ { sub(/\{.*/, "", $1); n[$1]++ } END { for (m in n) printf "  %-60s %7d\n", m, n[m] }' "$page" | sort
echo "after scrapes: VmHWM $(vm_hwm_kib "$EXPORTER_PID") KiB, VmRSS $(vm_rss_kib "$EXPORTER_PID") KiB"
if command -v promtool >/dev/null; then
  if promtool check metrics < "$page" > "$WORK/promtool.out" 2>&1; then
    echo "promtool check metrics: no problems"
  else
    echo "promtool check metrics: $(wc -l < "$WORK/promtool.out") lines of problems"
  fi
fi
