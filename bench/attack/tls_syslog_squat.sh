#!/usr/bin/env bash
# One attack at full length (tests/attack/syslog_slot_attack_test.cpp: "attack: TLS syslog handshakes that never finish keep no certified sender out").
source "$(dirname "$0")/attack.sh"
run_attack "attack: TLS syslog handshakes that never finish keep no certified sender out"
