#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/) for SECONDS each, starting from its seed corpus in
# fuzz/corpus/<target>/ and the inputs that once failed in fuzz/regressions/<target>/ (a missing
# folder is an error), and prints what each run did: inputs executed, coverage (libFuzzer's
# edge and feature counts), corpus size, and the crashes found. Results: docs/reliability.md.
#
#   bench/fuzz.sh [SECONDS]                 # 600 (ten minutes) per target
#   FUZZ_BUILD_DIR=build-fuzz FUZZ_JOBS=1 bench/fuzz.sh 60
#   FUZZ_TARGETS=parse_fuzzer ...           # only these targets
#   FUZZ_COVERAGE=0 ...                     # skip the source coverage report
#   FUZZ_CORPUS_OUT=DIR ...                 # keep what each run found in DIR/<target>/
#
# Afterwards, unless FUZZ_COVERAGE=0, each target's final corpus (seeds and finds) is replayed
# through a clang source-coverage build (FUZZ_BUILD_DIR-coverage) and llvm-cov reports the
# lines and branches it reached in the code under test.
# Builds with clang (-fsanitize=fuzzer,address,undefined) into FUZZ_BUILD_DIR. New inputs
# libFuzzer finds go to a scratch directory, not into the repository; a crash is written to
# FUZZ_BUILD_DIR/fuzz-artifacts/<target>/, and the script exits 1. A crash becomes a regression
# test by copying the file into fuzz/regressions/<target>/ (tests/hardening replays it in every
# build) once the bug is fixed.
source "$(dirname "$0")/common.sh"

SECONDS_EACH=${1:-600}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
case $FUZZ_BUILD_DIR in /*) ;; *) FUZZ_BUILD_DIR=$REPO/$FUZZ_BUILD_DIR ;; esac
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
read -r -a TARGETS <<<"${FUZZ_TARGETS:-parse_fuzzer frame_decoder_fuzzer peer_table_fuzzer}"
need clang++
# Every target has a folder of inputs that once failed; each run starts from them and the seeds.
# A missing folder is an error: a moved or deleted folder would otherwise drop them unnoticed.
for target in "${TARGETS[@]}"; do
  if [[ ! -d $REPO/fuzz/regressions/$target ]]; then
    echo "fuzz/regressions/$target is missing (see fuzz/regressions/README.md)" >&2
    exit 1
  fi
done

CC=clang CXX=clang++ cmake -S "$REPO" -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWGEVENTS_FUZZ=ON -DWGEVENTS_BUILD_TESTS=OFF -DWGEVENTS_BUILD_BENCH=OFF >/dev/null
cmake --build "$FUZZ_BUILD_DIR" --target "${TARGETS[@]}" -j "$FUZZ_JOBS"

machine_report
echo "clang:   $(clang++ --version | head -1)"
echo
verdict=0
for target in "${TARGETS[@]}"; do
  found=$WORK/$target
  artifacts=$FUZZ_BUILD_DIR/fuzz-artifacts/$target
  mkdir -p "$found" "$artifacts"
  log=$WORK/$target.log
  seeds=$(find "$REPO/fuzz/corpus/$target" -type f | wc -l)
  before=$(find "$artifacts" -type f | wc -l)
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: one using 2 GiB is a leak.
  status=0
  "$FUZZ_BUILD_DIR/fuzz/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$found" "$REPO/fuzz/corpus/$target" "$REPO/fuzz/regressions/$target" \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  crashes=$(($(find "$artifacts" -type f | wc -l) - before))
  echo "$target: ${SECONDS_EACH} s, ${runs:-?} inputs (${rate:-?}/s), cov ${cov:-?} edges, ft ${ft:-?} features," \
    "corpus ${corp:-?} (from $seeds seeds), peak RSS ${rss:-?} MB, crashes $crashes, exit status $status"
  if [[ -n ${FUZZ_CORPUS_OUT:-} ]]; then
    mkdir -p "$FUZZ_CORPUS_OUT/$target"
    cp "$found"/* "$FUZZ_CORPUS_OUT/$target/" 2>/dev/null || true
  fi
  if ((status != 0 || crashes > 0)); then
    verdict=1
    grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -20 >&2 || true
    echo "  crash inputs in $artifacts; full log kept in $FUZZ_BUILD_DIR/fuzz-artifacts/$target.log" >&2
    cp "$log" "$FUZZ_BUILD_DIR/fuzz-artifacts/$target.log"
  fi
done

# --- Source coverage of the final corpora ---------------------------------------------------------
if [[ ${FUZZ_COVERAGE:-1} != 0 ]] && command -v llvm-profdata-14 >/dev/null && command -v llvm-cov-14 >/dev/null; then
  coverage_dir=$FUZZ_BUILD_DIR-coverage
  CC=clang CXX=clang++ cmake -S "$REPO" -B "$coverage_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="-fprofile-instr-generate -fcoverage-mapping" -DWGEVENTS_BUILD_BENCH=OFF >/dev/null
  cmake --build "$coverage_dir" --target parse_fuzzer_replay frame_decoder_fuzzer_replay peer_table_fuzzer_replay -j "$FUZZ_JOBS" >/dev/null
  echo
  echo "Source coverage of each final corpus (seeds and finds), lines and branches:"
  for target in "${TARGETS[@]}"; do
    case $target in
      parse_fuzzer) sources=("$REPO/parser/src") ;;
      frame_decoder_fuzzer) sources=("$REPO/exporter/inputs/syslog_frame_decoder.cpp") ;;
      peer_table_fuzzer) sources=("$REPO/exporter/identity/uapi_reply.cpp" "$REPO/exporter/identity/device_dump.cpp") ;;
    esac
    LLVM_PROFILE_FILE=$WORK/$target.profraw "$coverage_dir/tests/hardening/${target}_replay" \
      "$REPO/fuzz/corpus/$target" "$WORK/$target" >/dev/null 2>&1
    llvm-profdata-14 merge -sparse "$WORK/$target.profraw" -o "$WORK/$target.profdata"
    llvm-cov-14 report "$coverage_dir/tests/hardening/${target}_replay" -instr-profile="$WORK/$target.profdata" \
      "${sources[@]}" | awk -v t="$target" '/^TOTAL/ {
        printf "%s: lines %s of %s covered (%s), branches %s of %s (%s)\n", t, $8 - $9, $8, $10, $11 - $12, $11, $13 }'
  done
fi
exit $verdict
