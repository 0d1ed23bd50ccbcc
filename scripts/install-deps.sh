#!/usr/bin/env bash
# Installs, from Debian 12's archive, what building (and with --test, testing) needs.
# Does nothing when everything is there already; run as root. --test installs every program a
# test runs (systemd for systemd-analyze, dpkg-dev for dpkg-shlibdeps, ...): a test whose
# program is missing fails.
set -euo pipefail

build_packages=(
  g++ cmake ninja-build pkg-config git
  libre2-dev libfmt-dev prometheus-cpp-dev libboost-dev libboost-program-options-dev
  libssl-dev zlib1g-dev libyaml-cpp-dev libcrypt-dev libmnl-dev help2man
)
test_packages=(
  catch2 libbenchmark-dev
  rsyslog rsyslog-openssl openssl prometheus curl python3 python3-yaml procps iproute2
  wireguard-go wireguard-tools bsdutils
  clang libclang-rt-14-dev
  systemd dpkg-dev lintian debootstrap util-linux podman iputils-ping
  # The kernel lab (tests/kernel): a User-Mode Linux kernel built from Debian's source, and the
  # tools its scenarios run inside it.
  linux-source-6.1 make gcc flex bison bc xz-utils libelf-dev
)

packages=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
