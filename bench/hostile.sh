#!/usr/bin/env bash
# The hardening tests (tests/hardening) at full size: 1,000,000 hostile datagrams, 1,000,000
# distinct peer ids and 10,000 interface names against the default caps, 100,000 hostnames in
# fleet mode, TCP abuse with a
# 1,000,000-line flood and scrapers that never read, and the 5-minute wait for the TCP idle
# timeout. Each test prints its numbers (counts, VmRSS/VmHWM, scrape size and time).
# Results: docs/reliability.md.
#
#   BUILD_DIR=build-perf bench/hostile.sh          # a build with tests (the default) in Release
#   SKIP_IDLE=1 ...                                 # without the 5-minute idle-timeout test
#
# Run as root so the exporter's SO_RCVBUFFORCE gets its buffer whatever net.core.rmem_max says.
# Loopback only; every exporter the tests start is stopped by them.
source "$(dirname "$0")/common.sh"

TESTS=$BUILD_DIR/tests/hardening/wgevents_hardening_test
need "$EXPORTER" "$TESTS"

machine_report
export WGEVENTS_HOSTILE_DATAGRAMS=${WGEVENTS_HOSTILE_DATAGRAMS:-1000000}
export WGEVENTS_FLOOD_PEERS=${WGEVENTS_FLOOD_PEERS:-1000000}
export WGEVENTS_FLOOD_INTERFACES=${WGEVENTS_FLOOD_INTERFACES:-10000}
export WGEVENTS_FLOOD_HOSTS=${WGEVENTS_FLOOD_HOSTS:-100000}
export WGEVENTS_TCP_FLOOD_LINES=${WGEVENTS_TCP_FLOOD_LINES:-1000000}
echo "sizes:   hostile datagrams $WGEVENTS_HOSTILE_DATAGRAMS, distinct peers $WGEVENTS_FLOOD_PEERS," \
  "interface names $WGEVENTS_FLOOD_INTERFACES, fleet hostnames $WGEVENTS_FLOOD_HOSTS, TCP flood lines $WGEVENTS_TCP_FLOOD_LINES"
echo

verdict=0
"$TESTS" --durations yes || verdict=1
if [[ -z ${SKIP_IDLE:-} ]]; then
  echo
  "$TESTS" --durations yes "[full]" || verdict=1
fi
exit $verdict
