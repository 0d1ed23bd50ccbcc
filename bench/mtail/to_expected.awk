# Turns a Prometheus text page (the exporter's or mtail's) into the lines of a corpus's expected
# file (docs/corpus.md) for the metrics both count: peer_event, interface_event, no_route and
# ratelimit_suppressed. Label order does not matter; the output is unsorted (pipe to
# `LC_ALL=C sort`). Zero counts are left out, as in the expected file.
#
#   awk -f bench/mtail/to_expected.awk page.prom | LC_ALL=C sort
/^#/ { next }
{
  series = $1; value = $2
  name = series; sub(/\{.*/, "", name)
  delete label
  if (index(series, "{") > 0) {
    body = series; sub(/^[^{]*\{/, "", body); sub(/\}$/, "", body)
    # Label values here never hold `,` or `"`: interface names, ids and event names.
    n = split(body, pairs, ",")
    for (i = 1; i <= n; i++) {
      eq = index(pairs[i], "=")
      key = substr(pairs[i], 1, eq - 1)
      val = substr(pairs[i], eq + 1); gsub(/^"|"$/, "", val)
      label[key] = val
    }
  }
  if (value + 0 == 0) next
  if (name == "wireguard_peer_events_total")
    printf "peer_event\t%s\t%s\t%s\t%d\n", label["interface"], label["peer"], label["event"], value
  else if (name == "wireguard_interface_events_total")
    printf "interface_event\t%s\t%s\t%d\n", label["interface"], label["event"], value
  else if (name == "wireguard_no_route_errors_total")
    printf "no_route\t%s\t%s\t%s\t%d\n", label["interface"], label["family"], label["error"], value
  else if (name == "wireguard_events_exporter_kernel_ratelimit_suppressed_total")
    printf "ratelimit_suppressed\t%d\n", value
}
