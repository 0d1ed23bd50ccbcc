#!/usr/bin/env bash
# `rsyslogd -N1` (full config validation, no message processed) on a configuration that includes
# the rsyslog drop-in: as shipped (UDP), and with its TCP variant uncommented the way the
# drop-in's comments tell the admin to.
# usage: rsyslog_syntax_test.sh DROP_IN
# Exit status: 0 pass, 1 fail (also when rsyslogd is missing).
set -euo pipefail
# Daemons and dpkg tools live in sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
drop_in=${1:?usage: rsyslog_syntax_test.sh DROP_IN}
if ! command -v rsyslogd >/dev/null 2>&1; then
  echo "FAIL: rsyslogd is not installed (scripts/install-deps.sh --test installs it)"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-rsyslog.XXXXXX")
trap 'rm -rf "$work"' EXIT

check() {
  local name=$1 conf_in=$2
  cat >"$work/$name.conf" <<CONF
global(workDirectory="$work")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="0")
include(file="$conf_in")
*.* action(type="omfile" file="$work/messages")
CONF
  echo "== $name"
  # rsyslogd -N1 reports some errors but still exits 0: fail on any error line too.
  if ! rsyslogd -N1 -f "$work/$name.conf" >"$work/$name.out" 2>&1; then
    cat "$work/$name.out"
    echo "FAIL: rsyslogd rejects the $name configuration"
    exit 1
  fi
  cat "$work/$name.out"
  if grep -qi "error" "$work/$name.out"; then
    echo "FAIL: rsyslogd reports an error in the $name configuration"
    exit 1
  fi
}

check udp "$drop_in"

sed -e '/^ *action(name="wireguard-events-exporter-udp"/,/)$/ s/^/#/' \
  -e '/^ *#action(name="wireguard-events-exporter-tcp"/,/)$/ s/^\( *\)#/\1/' \
  "$drop_in" >"$work/drop-in-tcp.conf"
grep -q '^ *action(name="wireguard-events-exporter-tcp"' "$work/drop-in-tcp.conf" || {
  echo "FAIL: the drop-in's TCP variant could not be uncommented"
  exit 1
}
check tcp "$work/drop-in-tcp.conf"
echo "PASS"
