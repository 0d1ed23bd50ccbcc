#!/usr/bin/env bash
# One attack at full length (tests/attack/attack_test.cpp: "attack: peer churn past --peers.max (no series twice in one scrape)").
source "$(dirname "$0")/attack.sh"
run_attack "attack: peer churn past --peers.max (no series twice in one scrape)"
