#!/usr/bin/env bash
# Installs the package the way an admin does, in a throwaway Debian 12 root (debootstrap
# minbase, cached by scripts/debian-rootfs.sh) entered with chroot: install, upgrade over
# itself, remove, purge. Checks what the maintainer scripts promise (units enabled on install,
# an admin's disable and conffile edits kept on upgrade, units masked on remove) and that purge
# leaves the root as it was before the install, file for file.
# No systemd runs in the root, so nothing is started; the start and stop paths of the
# scripts are not exercised here (docs/deploy.md says what they do).
# usage: package_install_test.sh PACKAGE_DIR ROOTFS_SCRIPT
# Needs root (chroot). Exit status: 0 pass, 1 fail.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
usage="usage: package_install_test.sh PACKAGE_DIR ROOTFS_SCRIPT"
package_dir=${1:?$usage}
rootfs_script=${2:?$usage}
fail() {
  echo "FAIL: $*"
  exit 1
}
[[ $(id -u) -eq 0 ]] || fail "needs root (chroot into a Debian root)"
shopt -s nullglob
packages=("$package_dir"/wireguard-events-exporter_*.deb)
[[ ${#packages[@]} -eq 1 ]] || fail "expected one package in $package_dir (made by deploy.package), found ${#packages[@]}"
package=${packages[0]}

cache=$("$rootfs_script")
work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir "$root"
tar -xf "$cache/debian-bookworm-minbase.tar" -C "$root"
mkdir -p "$root/tmp/debs"
cp "$cache"/runtime-debs/*.deb "$root/tmp/debs/"
cp "$package" "$root/tmp/package.deb"
in_root() { chroot "$root" "$@" </dev/null; }
status_of() { in_root dpkg-query -W -f='${db:Status-Abbrev}' wireguard-events-exporter 2>/dev/null || true; }

echo "== the libraries the package depends on"
in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$work/deps.log" 2>&1 || { cat "$work/deps.log"; fail "could not install the libraries"; }

# Every file, link and directory of the root with its type, target and mode, apart from dpkg's
# own records of what it did.
snapshot() {
  (cd "$root" && find . -xdev \
    -path ./tmp -prune -o -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o \
    -path ./var/cache/debconf -prune -o -path ./proc -prune -o \
    -printf '%y %m %p -> %l\n') | sort
}
snapshot >"$work/before"

echo "== install"
in_root dpkg -i /tmp/package.deb >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i failed"; }
[[ $(status_of) == "ii " ]] || fail "not installed after dpkg -i: $(status_of)"
version=$(in_root /usr/bin/wireguard_events_exporter --version) || fail "the installed binary does not run (missing libraries?)"
echo "$version"
wants=$root/etc/systemd/system/multi-user.target.wants
for unit in wireguard-events-exporter.service wireguard-dyndbg.service; do
  [[ -L $wants/$unit ]] || fail "$unit is not enabled after install"
done
[[ ! -e $wants/wireguard-events-exporter-kmsg.service ]] || fail "the kmsg unit is enabled as well as the syslog one"

echo "== upgrade over itself, with a local edit and a disabled unit"
echo 'ARGS="--no-endpoint-label"' >>"$root/etc/default/wireguard-events-exporter"
# What `systemctl disable` does (no systemd in the root): remove the enablement link.
rm "$wants/wireguard-dyndbg.service"
# Standard input is closed: a conffile prompt would fail the upgrade.
in_root dpkg -i /tmp/package.deb >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "the upgrade failed"; }
[[ $(status_of) == "ii " ]] || fail "not installed after the upgrade: $(status_of)"
grep -q -- '--no-endpoint-label' "$root/etc/default/wireguard-events-exporter" || fail "the upgrade lost the local edit"
[[ -L $wants/wireguard-events-exporter.service ]] || fail "the upgrade disabled the exporter"
[[ ! -e $wants/wireguard-dyndbg.service ]] || fail "the upgrade enabled a unit the admin had disabled"

echo "== remove"
in_root dpkg -r wireguard-events-exporter >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r failed"; }
[[ $(status_of) == "rc " ]] || fail "expected only config files left after remove: $(status_of)"
[[ ! -e $root/usr/bin/wireguard_events_exporter ]] || fail "the binary is still there after remove"
[[ -f $root/etc/default/wireguard-events-exporter ]] || fail "remove deleted a conffile"
[[ $(readlink "$root/etc/systemd/system/wireguard-events-exporter.service") == /dev/null ]] ||
  fail "the exporter's unit is not masked after remove"

echo "== purge"
in_root dpkg -P wireguard-events-exporter >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P failed"; }
[[ -z $(status_of) || $(status_of) == "un " ]] || fail "still known to dpkg after purge: $(status_of)"
snapshot >"$work/after"
if ! diff -u "$work/before" "$work/after"; then
  fail "purge left the root different from before the install (diff above)"
fi
echo "PASS"
