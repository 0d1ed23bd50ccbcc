#!/usr/bin/env bash
# Records what real wireguard-go writes to stdout through the scenario of wireguard_go_lab.sh,
# one file per interface, into OUT_DIR (tests/data/wireguard-go/ keeps a recording): the
# parser's table tests and the replay test read these files. Needs root.
#
# usage: capture_logs.sh OUT_DIR
set -euo pipefail
out_dir=${1:?usage: capture_logs.sh OUT_DIR}
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=../../scripts/lib/daemons.sh
source "$here/../../scripts/lib/daemons.sh"
# shellcheck source=wireguard_go_lab.sh
source "$here/wireguard_go_lab.sh"
daemons_init wgevents-capture
trap 'lab_cleanup; daemons_on_exit' EXIT

capture_sink() { cat >"$WORK/$1.out"; }

lab_init
lab_start_interfaces capture_sink
lab_run_scenario
lab_cleanup
sleep 0.5
mkdir -p "$out_dir"
wireguard-go --version | head -n 1 >"$out_dir/VERSION"
cp "$WORK/$LAB_IF_A.out" "$out_dir/initiator.log"
cp "$WORK/$LAB_IF_B.out" "$out_dir/responder.log"
{
  echo "initiator_interface $LAB_IF_A"
  echo "responder_interface $LAB_IF_B"
  echo "initiator_public_key $LAB_PEER_A"
  echo "responder_public_key $LAB_PEER_B"
  echo "silent_public_key $LAB_PEER_SILENT"
} >"$out_dir/keys.txt"
PASSED=1
echo "recorded $(cat "$out_dir"/*.log | wc -l) lines into $out_dir"
