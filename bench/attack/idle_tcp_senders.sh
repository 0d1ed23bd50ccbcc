#!/usr/bin/env bash
# One attack at full length (tests/attack/syslog_slot_attack_test.cpp: "attack: idle TCP syslog connections at the cap that reconnect when let go").
source "$(dirname "$0")/attack.sh"
run_attack "attack: idle TCP syslog connections at the cap that reconnect when let go"
