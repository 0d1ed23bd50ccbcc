#!/usr/bin/env bash
# One attack at full length (tests/attack/web_slot_attack_test.cpp: "attack: wrong passwords pipelined on 64 keep-alive connections (bcrypt cost 10)").
source "$(dirname "$0")/attack.sh"
run_attack "attack: wrong passwords pipelined on 64 keep-alive connections (bcrypt cost 10)"
