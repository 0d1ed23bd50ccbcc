#!/usr/bin/env bash
# One attack at full length (tests/attack/web_slot_attack_test.cpp: "attack: 64 scrapers that never read a 5 MB page").
source "$(dirname "$0")/attack.sh"
run_attack "attack: 64 scrapers that never read a 5 MB page"
