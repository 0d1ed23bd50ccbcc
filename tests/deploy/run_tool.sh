#!/usr/bin/env bash
# Runs TOOL with its arguments; fails the test (exit 1) when TOOL is not installed.
# usage: run_tool.sh TOOL [ARGUMENT...]
set -euo pipefail
# Daemons and dpkg tools live in sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
tool=${1:?usage: run_tool.sh TOOL [ARGUMENT...]}
shift
if ! command -v "$tool" >/dev/null 2>&1; then
  echo "FAIL: $tool is not installed (scripts/install-deps.sh --test installs it)"
  exit 1
fi
exec "$tool" "$@"
