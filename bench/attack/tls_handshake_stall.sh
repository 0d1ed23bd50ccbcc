#!/usr/bin/env bash
# One attack at full length (tests/attack/web_slot_attack_test.cpp: "attack: 64 TLS handshakes that never finish, on a port that requires client certificates").
source "$(dirname "$0")/attack.sh"
run_attack "attack: 64 TLS handshakes that never finish, on a port that requires client certificates"
