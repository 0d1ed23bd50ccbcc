#!/usr/bin/env bash
# One attack at full length (tests/attack/web_slot_attack_test.cpp: "attack: slowloris, 64 requests sent a byte at a time").
source "$(dirname "$0")/attack.sh"
run_attack "attack: slowloris, 64 requests sent a byte at a time"
