# shellcheck shell=bash
# Sourced by the scripts in bench/attack/: runs one attack of tests/attack/attack_test.cpp against
# a fresh exporter for ATTACK_SECONDS (default 60) and prints its result line: scrapes that
# succeeded under attack, VmRSS before and under attack, VmHWM, and how long SIGTERM took.
# Loopback only; the exporter and every attacker stop when the attack ends (the test binary
# owns them). Results: docs/reliability.md, "Attacks".
#
#   BUILD_DIR=build-rel ATTACK_SECONDS=60 bench/attack/peer_churn.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

ATTACK_TESTS=$BUILD_DIR/tests/attack/wgevents_attack_test
need "$EXPORTER" "$ATTACK_TESTS"

# run_attack "<test case name, as in attack_test.cpp>"
run_attack() {
  machine_report
  export WGEVENTS_ATTACK_SECONDS=${ATTACK_SECONDS:-60}
  echo "attack:  $1, ${WGEVENTS_ATTACK_SECONDS} s"
  "$ATTACK_TESTS" "$1"
}
