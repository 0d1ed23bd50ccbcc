#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every test: unit tests,
# end-to-end tests of the binary, and the tests against real rsyslog and Prometheus.
# With CI=true (as .ci/run does) the whole suite runs a second time in an AddressSanitizer +
# UndefinedBehaviorSanitizer build, and each libFuzzer target runs for a minute (clang).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DWGEVENTS_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  # A skipped test is a failed one: every program a test needs is installed above. CTest lists
  # skipped and not-run tests under "The following tests did not run" (a test it could not start
  # also counts as failed).
  local log=$dir/ctest.log
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 --no-tests=error 2>&1 | tee "$log"
  if grep -q -e 'The following tests did not run' -e '\*\*\*Not Run' -e '\*\*\*Skipped' "$log"; then
    echo "FAIL: tests were skipped or not run in $dir (see above); a test that cannot run fails" >&2
    exit 1
  fi
}

# The container image (tests/container) is built and run here too: podman builds the Containerfile
# from a locally imported Debian base (about 5 minutes with warm layer caches, 10 cold).
run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWGEVENTS_TEST_CONTAINER=ON
if [[ "${CI:-}" == "true" || "${WGEVENTS_SANITIZE:-}" == "1" ]]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DWGEVENTS_SANITIZE=ON -DWGEVENTS_BUILD_BENCH=OFF
fi
if [[ "${CI:-}" == "true" ]]; then
  # Each libFuzzer target for 60 s from its seed corpus, built with clang (bench/fuzz.sh; ten
  # minutes each when run by hand).
  FUZZ_BUILD_DIR=build-fuzz FUZZ_JOBS="$jobs" FUZZ_COVERAGE=0 bench/fuzz.sh 60
fi
