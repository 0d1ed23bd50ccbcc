#!/usr/bin/env bash
# One attack at full length (tests/attack/attack_test.cpp: "attack: label flood (a new errno and interface and peer id in every line)").
source "$(dirname "$0")/attack.sh"
run_attack "attack: label flood (a new errno and interface and peer id in every line)"
