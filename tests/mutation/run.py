#!/usr/bin/env python3
"""Mutation check: do the tests fail when the code is wrong?

Puts each defect of tests/mutation/defects.py into the source, one at a time, rebuilds
incrementally and runs the tests that concern that code (a CTest subset). A defect is
`caught` when a test fails, `survived` when every test passes (a gap in the suite),
`no build` when it does not compile, `stale` when its text is no longer in the file. The
source is put back after each defect, also when the run is interrupted. First, every selected
test must pass on the unchanged source, or nothing is scored.

    tests/mutation/run.py [--build-dir build-mutation] [--jobs 1] [--only REGEX]
    tests/mutation/run.py --check [--build-dir build]

Slow (a rebuild and a test run per defect): not part of CI. Results and the score go in
docs/reliability.md. Exit status 0 when every scored defect was caught, 1 otherwise.

--check changes nothing and builds nothing: it checks that the list is still true to the code
(each defect's text occurs exactly once in its file and its replacement differs; names are
unique) and, when the build directory has tests, that each defect selects at least one CTest
test. CTest runs it in every build (mutation_defects_current), so the list cannot rot.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from defects import DEFECTS  # noqa: E402


def run(command, log, timeout=None):
    """Runs a command in its own process group; on a timeout or an interruption the whole
    group (ninja's compilers, ctest's tests) is killed and reaped before this returns, so no
    compiler writes an object of a changed file after the file has been put back."""
    with open(log, "a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            out.write("timed out\n")
            return 124
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_programs(build_dir):
    """Every CTest test: its name and the file name of the program it runs."""
    shown = subprocess.run(["ctest", "--test-dir", str(build_dir), "--show-only=json-v1"],
                           cwd=REPO, capture_output=True, text=True, check=True)
    tests = []
    for test in json.loads(shown.stdout)["tests"]:
        command = test.get("command") or [""]
        tests.append((test["name"], Path(command[0]).name))
    return tests


def subset(tests, patterns):
    chosen = [name for name, program in tests
              if any(re.search(p, name) or re.search(p, program) for p in patterns)]
    return chosen


def ctest(build_dir, jobs, names, log):
    """Runs exactly the named tests; their exit status."""
    pattern = "|".join("^" + re.escape(name) + "$" for name in names)
    return run(["ctest", "--test-dir", str(build_dir), "-j", str(jobs), "--timeout", "300",
                "-R", pattern], log, timeout=1800)


def check(build_dir):
    """Every problem with the list, as sentences; none when it is true to the code."""
    problems = []
    keys = {"name", "file", "find", "put", "tests"}
    names = set()
    tests = test_programs(build_dir) if (build_dir / "CTestTestfile.cmake").exists() else None
    for defect in DEFECTS:
        name = defect.get("name", "?")
        missing = keys - defect.keys()
        unknown = defect.keys() - keys - {"equivalent"}
        if missing or unknown:
            problems.append(f"{name}: missing {sorted(missing)}, unknown {sorted(unknown)}")
            continue
        if name in names:
            problems.append(f"{name}: two defects have this name")
        names.add(name)
        path = REPO / defect["file"]
        if not path.is_file():
            problems.append(f"{name}: no file {defect['file']}")
            continue
        count = path.read_text().count(defect["find"])
        if count != 1:
            problems.append(f"{name}: its text occurs {count} times in {defect['file']}, not once")
        if defect["find"] == defect["put"]:
            problems.append(f"{name}: the replacement is the original text")
        if tests is not None and not subset(tests, defect["tests"]):
            problems.append(f"{name}: its patterns {defect['tests']} select no CTest test")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build-mutation")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", default="", help="only the defects whose name matches")
    parser.add_argument("--check", action="store_true",
                        help="only check that the list is true to the code; change nothing")
    args = parser.parse_args()
    if args.check:
        problems = check(Path(args.build_dir).resolve())
        for problem in problems:
            print("stale defect: " + problem)
        print(f"{len(DEFECTS)} defects, {len(problems)} problems")
        sys.exit(1 if problems or len(DEFECTS) < 20 else 0)
    # Ctrl-C, SIGTERM and a closed terminal unwind through the `finally` that puts the changed
    # file back (set here, as a shell starting this in the background ignores SIGINT).
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: sys.exit(1))
    build_dir = (REPO / args.build_dir).resolve()
    log = build_dir / "mutation.log"

    configure = ["cmake", "-S", str(REPO), "-B", str(build_dir), "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DWGEVENTS_BUILD_BENCH=OFF"]
    if os.environ.get("CCACHE_DIR"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    build_dir.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    # An existing build directory is used as it is configured.
    if not (build_dir / "CMakeCache.txt").exists() and run(configure, log) != 0:
        sys.exit(f"cmake could not configure {build_dir}: see {log}")
    if run(["cmake", "--build", str(build_dir), "-j", str(args.jobs)], log) != 0:
        sys.exit(f"the unchanged source does not build: see {log}")
    tests = test_programs(build_dir)

    defects = [d for d in DEFECTS if re.search(args.only, d["name"])]
    # Every test the defects select must pass on the unchanged source first: a test failing
    # anyway would count every defect it runs for as caught.
    baseline = sorted({name for d in defects for name in subset(tests, d["tests"])})
    with open(log, "a") as out:
        out.write("\n=== unchanged source\n")
    if baseline and ctest(build_dir, args.jobs, baseline, log) != 0:
        sys.exit(f"a selected test fails on the unchanged source (see {log}): fix it before scoring")
    print(f"unchanged source: the {len(baseline)} selected tests pass", flush=True)
    results = []
    for number, defect in enumerate(defects, 1):
        path = REPO / defect["file"]
        original = path.read_text()
        chosen = subset(tests, defect["tests"])
        started = time.monotonic()
        if original.count(defect["find"]) != 1:
            verdict = "stale"
        elif not chosen:
            verdict = "no tests"
        else:
            try:
                path.write_text(original.replace(defect["find"], defect["put"], 1))
                with open(log, "a") as out:
                    out.write(f"\n=== {defect['name']}\n")
                if run(["cmake", "--build", str(build_dir), "-j", str(args.jobs)], log) != 0:
                    verdict = "no build"
                else:
                    status = ctest(build_dir, args.jobs, chosen, log)
                    verdict = "caught" if status != 0 else "survived"
            finally:
                path.write_text(original)
        if defect.get("equivalent") and verdict in ("caught", "survived"):
            verdict = "equivalent, " + verdict
        seconds = time.monotonic() - started
        results.append((defect, verdict, len(chosen)))
        print(f"{number:2}/{len(defects)} {verdict:10} {seconds:6.0f} s  {len(chosen):3} tests  {defect['name']}",
              flush=True)

    # The source as it was, built again, so the build directory matches it.
    run(["cmake", "--build", str(build_dir), "-j", str(args.jobs)], log)
    scored = [r for r in results if r[1] in ("caught", "survived")]
    caught = sum(1 for r in scored if r[1] == "caught")
    print(f"\nscore: {caught} of {len(scored)} defects caught"
          f" ({len(results) - len(scored)} not scored: stale, no build, no tests or equivalent)")
    for defect, verdict, _ in results:
        if verdict != "caught":
            reason = defect.get("equivalent", "")
            print(f"  {verdict}: {defect['name']}" + (f" ({reason})" if reason else ""))
    sys.exit(0 if scored and caught == len(scored) else 1)


if __name__ == "__main__":
    main()
