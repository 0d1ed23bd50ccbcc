#!/usr/bin/env bash
# One attack at full length (tests/attack/attack_test.cpp: "attack: the web configuration swapped for a directory or a FIFO or garbage with SIGHUP").
source "$(dirname "$0")/attack.sh"
run_attack "attack: the web configuration swapped for a directory or a FIFO or garbage with SIGHUP"
