#!/usr/bin/env bash
# Builds the Debian package with CPack from the build tree (the binary must be built), then,
# without installing it on this machine: checks its control fields (Depends from
# dpkg-shlibdeps names libre2 and libprometheus-cpp-core; section net; conffiles), unpacks it
# with `dpkg -x` into a scratch root, checks every deployment file is where the docs say, and
# runs the unpacked binary with --version; and runs lintian on it, which must report no error and
# no warning. When PACKAGE_OUT is given, the package is also copied there (for the install test).
# usage: package_test.sh BUILD_DIR VERSION PACKAGING_CONFIGURED(1 or 0) [PACKAGE_OUT]
# Exit status: 0 pass, 1 fail (also when packaging is not configured or a tool is missing).
set -euo pipefail
# Daemons and dpkg tools live in sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
usage="usage: package_test.sh BUILD_DIR VERSION PACKAGING_CONFIGURED"
build_dir=${1:?$usage}
version=${2:?$usage}
configured=${3:?$usage}
package_out=${4:-}

if [[ $configured != 1 || ! -f $build_dir/CPackConfig.cmake ]]; then
  echo "FAIL: packaging is not configured (cmake/packaging.cmake not included)"
  exit 1
fi
for tool in lintian; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: $tool is not installed (scripts/install-deps.sh --test installs it)"
    exit 1
  fi
done
for tool in cpack dpkg-deb dpkg dpkg-shlibdeps; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: $tool is not installed (scripts/install-deps.sh --test installs it)"
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wgevents-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

# -B keeps CPack's staging tree and the package out of the build directory.
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"
  fail "cpack could not build the package"
fi
shopt -s nullglob
packages=("$work"/out/wireguard-events-exporter_*.deb)
[[ ${#packages[@]} -eq 1 ]] || { cat "$work/cpack.log"; fail "expected one .deb, found ${#packages[@]}"; }
package=${packages[0]}
echo "package: $(basename "$package")"

field() { dpkg-deb -f "$package" "$1"; }
depends=$(field Depends)
echo "Depends: $depends"
[[ $depends == *libre2* ]] || fail "Depends does not name libre2"
[[ $depends == *libprometheus-cpp-core* ]] || fail "Depends does not name libprometheus-cpp-core"
[[ $(field Package) == wireguard-events-exporter ]] || fail "Package is $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version is $(field Version), expected $version"
[[ $(field Section) == net ]] || fail "Section is $(field Section)"
[[ -n $(field Maintainer) ]] || fail "no Maintainer"
[[ -n $(field Description) ]] || fail "no Description"
info=$(dpkg-deb -I "$package")
grep -q 'conffiles' <<<"$info" || fail "the package has no conffiles"

mkdir -p "$work/control"
dpkg-deb -e "$package" "$work/control"
for conffile in /etc/rsyslog.d/30-wireguard-events-exporter.conf /etc/default/wireguard-events-exporter; do
  grep -qx "$conffile" "$work/control/conffiles" || fail "$conffile is not a conffile"
done

root=$work/root
dpkg -x "$package" "$root"
for file in \
  usr/bin/wireguard_events_exporter \
  usr/lib/systemd/system/wireguard-events-exporter.service \
  usr/lib/systemd/system/wireguard-dyndbg.service \
  usr/lib/sysctl.d/60-wireguard-events-exporter.conf \
  etc/rsyslog.d/30-wireguard-events-exporter.conf \
  etc/default/wireguard-events-exporter \
  usr/share/wireguard-events-exporter/prometheus/wireguard-events.rules.yml \
  usr/share/wireguard-events-exporter/prometheus/wireguard-events.rules.test.yml \
  usr/share/wireguard-events-exporter/prometheus/wireguard-events.rules.daily.test.yml \
  usr/share/wireguard-events-exporter/prometheus/prometheus.example.yml \
  usr/share/doc/wireguard-events-exporter/examples/modprobe.d/wireguard-dyndbg.conf \
  usr/share/doc/wireguard-events-exporter/deploy.md; do
  [[ -e $root/$file ]] || fail "/$file is not in the package"
done
# The unit starts the binary where the package puts it.
grep -q '^ExecStart=/usr/bin/wireguard_events_exporter ' \
  "$root/usr/lib/systemd/system/wireguard-events-exporter.service" ||
  fail "the unit's ExecStart does not name /usr/bin/wireguard_events_exporter"

for file in \
  usr/share/man/man1/wireguard_events_exporter.1.gz \
  usr/share/doc/wireguard-events-exporter/copyright \
  usr/share/doc/wireguard-events-exporter/changelog.gz; do
  [[ -e $root/$file ]] || fail "/$file is not in the package"
done
for script in postinst prerm postrm; do
  [[ -x $work/control/$script ]] || fail "the package has no $script"
done
# The man page documents every flag --help lists.
man_text=$(zcat "$root/usr/share/man/man1/wireguard_events_exporter.1.gz" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g')
for flag in $("$root/usr/bin/wireguard_events_exporter" --help | grep -o -- '--[a-z][a-z.-]*' | sort -u); do
  grep -qF -- "$flag" <<<"$man_text" || fail "the man page does not mention $flag"
done
# The changelog's latest entry is this version.
changelog_version=$(zcat "$root/usr/share/doc/wireguard-events-exporter/changelog.gz" | sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p')
[[ $changelog_version == "$version" ]] || fail "the changelog's latest entry is $changelog_version, the package $version"

echo "== lintian"
# --fail-on error,warning: any error or warning is a failure; info tags are listed only.
status=0
lintian --fail-on error,warning --info --display-level '>=info' "$package" >"$work/lintian.out" 2>&1 || status=$?
cat "$work/lintian.out"
[[ $status -eq 0 ]] || fail "lintian reports errors or warnings (status $status)"
if grep -qE '^[EW]: ' "$work/lintian.out"; then fail "lintian reports errors or warnings"; fi

if [[ -n $package_out ]]; then
  rm -rf "$package_out"
  mkdir -p "$package_out"
  cp "$package" "$package_out/"
fi

output=$("$root/usr/bin/wireguard_events_exporter" --version)
echo "--version: $output"
[[ $output == *"$version"* ]] || fail "--version of the unpacked binary does not say $version"
echo "PASS"
