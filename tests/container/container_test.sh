#!/usr/bin/env bash
# Builds the container image from the Containerfile as a user would, and runs what it holds:
#   - the base, debian:bookworm-slim, is imported locally from the cached debootstrap minbase
#     root (scripts/debian-rootfs.sh) as localhost/debian:bookworm-slim, once per machine;
#   - `podman build --isolation=chroot --pull=never` (no registry is contacted; the build's
#     apt-get fetches Debian packages, and podman's layer cache keeps them between runs);
#   - `podman run` cannot work here (no rlimits to set in this sandbox), so `podman create` +
#     `podman export` unpack the image, and chroot runs its binary as the image's user:
#     --version, and a replay of tests/data/sample.log whose counts must match sample.expected.
# Also checks the image's user is not root, and that the compose files parse and use the image.
# usage: container_test.sh SOURCE_DIR VERSION
# Needs root (podman storage, chroot). Exit status: 0 pass, 1 fail.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
source_dir=${1:?usage: container_test.sh SOURCE_DIR VERSION}
version=${2:?usage: container_test.sh SOURCE_DIR VERSION}
fail() {
  echo "FAIL: $*"
  exit 1
}
[[ $(id -u) -eq 0 ]] || fail "needs root (podman storage and chroot)"
command -v podman >/dev/null || fail "podman is not installed (scripts/install-deps.sh --test installs it)"

base=localhost/debian:bookworm-slim
image=localhost/wireguard-events-exporter:test
work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-container.XXXXXX")
container=""
cleanup() {
  [[ -n $container ]] && podman rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! podman image exists "$base"; then
  cache=$("$source_dir/scripts/debian-rootfs.sh")
  echo "== importing $base from $cache/debian-bookworm-minbase.tar"
  podman import --change 'CMD ["bash"]' "$cache/debian-bookworm-minbase.tar" "$base" >/dev/null
fi

echo "== podman build"
start=$(date +%s)
if ! podman build --isolation=chroot --pull=never --build-arg "DEBIAN_IMAGE=$base" \
  -f "$source_dir/Containerfile" -t "$image" "$source_dir" >"$work/build.log" 2>&1; then
  tail -50 "$work/build.log"
  fail "podman build failed"
fi
echo "built in $(($(date +%s) - start)) s"

user=$(podman image inspect --format '{{.Config.User}}' "$image")
echo "image user: $user"
[[ -n $user && ${user%%:*} != 0 && ${user%%:*} != root ]] || fail "the image runs as root ($user)"
uid=${user%%:*}
gid=${user#*:}
[[ $gid != "$user" ]] || gid=$uid

echo "== podman create + export"
container=$(podman create "$image")
mkdir "$work/root"
podman export "$container" | tar -x -C "$work/root"
binary=/usr/bin/wireguard_events_exporter
[[ -x $work/root$binary ]] || fail "$binary is not in the image"
# Runtime only: no compiler, no headers.
[[ ! -e $work/root/usr/bin/g++ && ! -d $work/root/usr/include/re2 ]] || fail "the image holds build tools or headers"

run_in_image() { chroot --userspec="$uid:$gid" "$work/root" "$@"; }
output=$(run_in_image "$binary" --version) || fail "--version does not run in the image (missing libraries?)"
echo "--version: $output"
[[ $output == "wireguard_events_exporter $version" ]] || fail "--version says '$output', expected version $version"

echo "== replay in the image"
cp "$source_dir/tests/data/sample.log" "$work/root/tmp/sample.log"
chmod 644 "$work/root/tmp/sample.log"
run_in_image "$binary" --replay=/tmp/sample.log --once >"$work/page" 2>"$work/replay.err" ||
  { cat "$work/replay.err"; fail "the replay failed"; }
# sample.expected: interface_event|peer_event <TAB> interface <TAB> [peer <TAB>] event <TAB> count.
checked=0
while IFS=$'\t' read -r kind interface a b c; do
  [[ -z $kind || $kind == \#* ]] && continue
  if [[ $kind == interface_event ]]; then
    series="wireguard_interface_events_total{interface=\"$interface\",event=\"$a\"} $b"
  elif [[ $kind == peer_event ]]; then
    series="wireguard_peer_events_total{interface=\"$interface\",peer=\"$a\",event=\"$b\"} $c"
  else
    continue
  fi
  grep -qxF "$series" "$work/page" || fail "the replay in the image lacks: $series"
  checked=$((checked + 1))
done <"$source_dir/tests/data/sample.expected"
((checked > 0)) || fail "sample.expected gave nothing to check"
echo "$checked series as expected"

echo "== compose files"
for compose in "$source_dir"/deploy/container/compose.*.yml; do
  python3 - "$compose" <<'PY' || fail "$compose does not parse or does not use the image"
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
service = compose["services"]["wireguard-events-exporter"]
assert service["image"].startswith("localhost/wireguard-events-exporter"), service["image"]
assert service["build"]["dockerfile"] == "Containerfile"
PY
done
echo "PASS"
