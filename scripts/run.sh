#!/usr/bin/env bash
# Quick start: install what is missing, build, and run the exporter with its defaults
# (metrics on :9588, syslog on UDP 127.0.0.1:9999). Extra arguments go to the exporter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWGEVENTS_BUILD_TESTS=OFF -DWGEVENTS_BUILD_BENCH=OFF >/dev/null
cmake --build build --target wireguard_events_exporter
exec build/wireguard_events_exporter "$@"
