#!/usr/bin/env bash
# Prints the directory of a cached Debian 12 base, making it first when it is not there:
#   debian-bookworm-minbase.tar  `debootstrap --variant=minbase bookworm`, the root file system
#                                that the package test installs into and that the container
#                                image build imports as localhost/debian:bookworm-slim;
#   runtime-debs/                the .deb files of the libraries the exporter links (with what
#                                they need beyond minbase), so that the package test can install
#                                the package in that root without reaching the network.
#
# The cache is kept outside the checkout (WGEVENTS_ROOTFS_CACHE, default
# /var/cache/wireguard-events-exporter), so a machine makes it once (about two minutes, from
# WGEVENTS_DEBIAN_MIRROR). Run as root.
set -euo pipefail

cache=${WGEVENTS_ROOTFS_CACHE:-/var/cache/wireguard-events-exporter}
mirror=${WGEVENTS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/debian-bookworm-minbase.tar
debs=$cache/runtime-debs
# What dpkg-shlibdeps finds in the exporter's Depends, beyond minbase.
runtime_libraries=(libre2-9 libfmt9 libprometheus-cpp-core1.0 libboost-program-options1.74.0 libssl3 libyaml-cpp0.7 libmnl0)

# Packages.done holds the list the debs were downloaded for: a changed list downloads again.
made() { [[ -s $tarball && -e $debs/Packages.done && $(cat "$debs/Packages.done") == "${runtime_libraries[*]}" ]]; }

if ! made; then
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  if ! made; then
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
    echo "debootstrap: making $tarball (once per machine)" >&2
    debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
    # As the official slim image: no package lists, no downloaded packages.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar --numeric-owner --xattrs -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"

    # The libraries, resolved against minbase by the root's own apt.
    echo "apt-get: downloading ${runtime_libraries[*]} into $debs" >&2
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    chroot "$root" apt-get update -q >&2
    chroot "$root" apt-get install -y -q --download-only --no-install-recommends "${runtime_libraries[@]}" >&2
    umount "$root/proc"
    rm -rf "$debs"
    mkdir -p "$debs"
    cp "$root"/var/cache/apt/archives/*.deb "$debs/"
    echo "${runtime_libraries[*]}" >"$debs/Packages.done"
  fi
fi
echo "$cache"
