#!/usr/bin/env bash
# Every attack at full length, one after the other; the result lines are gathered at the end.
#
#   BUILD_DIR=build-rel ATTACK_SECONDS=60 bench/attack/all.sh
source "$(dirname "$0")/attack.sh"
export WGEVENTS_ATTACK_REPORT=$WORK/report.txt
: > "$WGEVENTS_ATTACK_REPORT"
machine_report
export WGEVENTS_ATTACK_SECONDS=${ATTACK_SECONDS:-60}
verdict=0
"$ATTACK_TESTS" "[attack]" || verdict=1
echo
cat "$WGEVENTS_ATTACK_REPORT"
exit $verdict
