#!/bin/bash
# PID 1 of the lab's User-Mode Linux kernel (run.sh boots it with init=this file).
#
# The host's root is the read-only root file system (hostfs), so the host's own ip, wg,
# python3, rsyslogd, curl and the exporter binary from the build directory run here
# unchanged. run.sh passes, as kernel command-line words that arrive as environment:
#   LAB_DIR       tests/kernel of the checkout (lib.sh, scenarios/)
#   LAB_SCENARIO  the scenario file to run
#   LAB_OUT       a host folder for every result; mounted writable at /mnt (so that it may be
#                 under the host's /tmp, which the tmpfs below hides), and LAB_OUT says /mnt
#   LAB_EXPORTER  the exporter binary
# The scenario runs in a subshell with `set -euo pipefail`; its exit status lands in
# $LAB_OUT/status, and the kernel powers off. PID 1 itself never exits with an error (the kernel
# would panic instead of reporting).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
# The host's /tmp and /run must not be seen (nor written) from inside.
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# A checkout or build folder under the host's /tmp or /run (a CI clone, say) is hidden by those
# tmpfs: show just those folders again, read-only, from the host.
for shown in "$LAB_DIR" "$(dirname "$LAB_SCENARIO")" "$(dirname "$LAB_EXPORTER")"; do
  case $shown in
    /tmp/* | /run/*)
      [[ -e $shown ]] && continue
      mkdir -p "$shown" && mount -r -t hostfs hostfs "$shown" -o "$shown" ;;
  esac
done
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug
mount -t hostfs hostfs /mnt -o "$LAB_OUT"
export LAB_OUT=/mnt
mkdir -p /run/netns /tmp/lab

{
  echo "boot: $(uname -r) $(cat /proc/cmdline)"
  # shellcheck source=lib.sh
  source "$LAB_DIR/lib.sh"
  lab_boot_setup
  (
    set -Eeuo pipefail
    # A failing command fails the scenario and says where.
    trap 'lab_fail "status $? from \`$BASH_COMMAND\` at $(basename "${BASH_SOURCE[0]}"):$LINENO"' ERR
    cd /tmp/lab
    # shellcheck disable=SC1090
    source "$LAB_SCENARIO"
  )
  status=$?
  echo "scenario exit status: $status"
  lab_collect
  echo "$status" > "$LAB_OUT/status"
} > "$LAB_OUT/init.log" 2>&1

sync
poweroff -f
