#!/usr/bin/env bash
# Checks the systemd units with systemd-analyze: `verify` (syntax, directives, dependencies) for
# both, and `security --offline` for the exporter's, which must keep an exposure level of 2.0
# or less ("OK"): a change that drops a hardening directive fails here.
#
# The units name the paths they have once installed (/usr/bin/wireguard_events_exporter,
# /sbin/modprobe), which `verify` wants to exist: the checked copies point them at the built
# binary, and at /bin/true where the tool is not installed on this machine.
# usage: systemd_units_test.sh UNIT_DIR EXPORTER_BINARY
# Exit status: 0 pass, 1 fail (also when systemd-analyze is missing).
set -euo pipefail
unit_dir=${1:?usage: systemd_units_test.sh UNIT_DIR EXPORTER_BINARY}
exporter_binary=${2:?usage: systemd_units_test.sh UNIT_DIR EXPORTER_BINARY}
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "FAIL: systemd-analyze is not installed (scripts/install-deps.sh --test installs it)"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-systemd.XXXXXX")
trap 'rm -rf "$work"' EXIT

modprobe=/sbin/modprobe
[[ -x $modprobe ]] || modprobe=/bin/true
for unit in wireguard-events-exporter.service wireguard-events-exporter-kmsg.service wireguard-dyndbg.service; do
  sed -e "s#/usr/bin/wireguard_events_exporter#$exporter_binary#" -e "s#/sbin/modprobe#$modprobe#" \
    "$unit_dir/$unit" >"$work/$unit"
done

echo "== each exporter unit reads its own flags variable from /etc/default"
# A flag for one setup (--syslog.udp-listen-address in ARGS) must not reach the other unit,
# where it would be given twice.
default_file=$unit_dir/../default/wireguard-events-exporter
check_args() {
  local unit=$1 variable=$2 other=$3
  grep -q "^ExecStart=.* \\\$$variable\$" "$unit_dir/$unit" || { echo "FAIL: $unit does not end its ExecStart with \$$variable"; exit 1; }
  if grep -q "^ExecStart=.*\\\$$other\\b" "$unit_dir/$unit"; then echo "FAIL: $unit reads \$$other"; exit 1; fi
  # shellcheck disable=SC1090
  (set -u; . "$default_file"; : "${!variable}") || { echo "FAIL: $default_file does not set $variable"; exit 1; }
}
check_args wireguard-events-exporter.service ARGS KMSG_ARGS
check_args wireguard-events-exporter-kmsg.service KMSG_ARGS ARGS

echo "== systemd-analyze verify"
# verify prints problems but may still exit 0 for some of them: any output is a failure.
status=0
systemd-analyze verify --man=no "$work/wireguard-events-exporter.service" "$work/wireguard-events-exporter-kmsg.service" "$work/wireguard-dyndbg.service" \
  >"$work/verify.out" 2>&1 || status=$?
cat "$work/verify.out"
if [[ $status -ne 0 || -s $work/verify.out ]]; then
  echo "FAIL: systemd-analyze verify found problems"
  exit 1
fi

echo "== systemd-analyze security"
if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  echo "(this systemd-analyze has no --offline security check; verify passed)"
  echo "PASS"
  exit 0
fi
status=0
systemd-analyze security --offline=true --threshold=20 --no-pager \
  "$work/wireguard-events-exporter.service" >"$work/security.out" 2>&1 || status=$?
grep -e '✗' -e 'Overall exposure' "$work/security.out" || true
if [[ $status -ne 0 ]]; then
  echo "FAIL: the exporter's unit is exposed above 2.0"
  exit 1
fi
echo "PASS"
