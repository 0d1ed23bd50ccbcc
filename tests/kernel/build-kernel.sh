#!/usr/bin/env bash
# Builds the User-Mode Linux kernel the lab boots, from Debian's linux-source-6.1
# package, and prints the path of the `linux` binary on stdout.
#
# The result is cached outside the checkout, under
#   ${WGEVENTS_KERNEL_CACHE:-/var/cache/wireguard-events-lab}/<key>/linux
# where <key> hashes the source package version, kernel.config and this script:
# a machine builds it once, and again only when one of those changes.
# Build output goes to stderr (and <key>/build.log).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${WGEVENTS_KERNEL_CACHE:-/var/cache/wireguard-events-lab}
source_tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${WGEVENTS_KERNEL_JOBS:-$(nproc)}

if [[ ! -r $source_tarball ]]; then
  echo "build-kernel: $source_tarball missing (install linux-source-6.1: scripts/install-deps.sh --test)" >&2
  exit 1
fi
source_version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$source_version"; cat "$here/kernel.config" "$here/build-kernel.sh"; } | sha256sum | cut -c1-16)
dir=$cache_root/$key
if [[ -x $dir/linux ]]; then
  echo "$dir/linux"
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time per key; a second caller waits and then finds the binary.
exec 9>"$cache_root/$key.lock"
flock 9
if [[ -x $dir/linux ]]; then
  echo "$dir/linux"
  exit 0
fi

work=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "build-kernel: building UML kernel $source_version (key $key) with -j$jobs; takes several minutes" >&2
start=$(date +%s)
{
  tar -xJf "$source_tarball" -C "$work"
  src=$work/linux-source-6.1
  cp "$here/kernel.config" "$work/fragment.config"
  make -C "$src" ARCH=um defconfig
  (cd "$src" && ARCH=um scripts/kconfig/merge_config.sh -m .config "$work/fragment.config")
  make -C "$src" ARCH=um olddefconfig
  # Every wanted option must have survived the merge (a dependency can drop one silently).
  missing=0
  while read -r line; do
    [[ $line == CONFIG_* ]] || continue
    grep -qx "$line" "$src/.config" || { echo "build-kernel: $line did not survive olddefconfig" ; missing=1; }
  done < "$work/fragment.config"
  ((missing == 0))
  make -C "$src" ARCH=um -j"$jobs" linux
} > >(tee "$work/build.log" >&2) 2>&1
mkdir -p "$dir.tmp"
cp "$work/linux-source-6.1/linux" "$dir.tmp/linux"
cp "$work/linux-source-6.1/.config" "$dir.tmp/config"
cp "$work/build.log" "$dir.tmp/build.log"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "build-kernel: built in $(( $(date +%s) - start )) s: $dir/linux" >&2
echo "$dir/linux"
