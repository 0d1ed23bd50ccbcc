#!/usr/bin/env python3
"""Runs every shell command the documentation shows, as a reader would type it.

Every line of a fenced `sh` block in README.md and docs/*.md (continuation lines joined), and
every command the runbooks (docs/alerts.md, docs/troubleshooting.md) name inline, either runs
here and exits 0 (a placeholder such as `<instance>` filled in with this test's exporter), or is listed in tests/data/docs_commands_skip.tsv with the reason it
cannot (it changes this machine, needs a WireGuard kernel, serves until stopped...). A listed
command that no longer appears in the docs fails the test too, so the list stays true.

The commands run in a network namespace of their own (the caller, CMake, starts this script
with `unshare --net`), from a scratch directory that looks like a checkout (links to the source
tree's top-level entries, `build` to the build directory, a saved log as `kern.log`), with the
built binary on PATH and an exporter running with its default flags, as the docs assume
(metrics on :9588, UDP syslog on 127.0.0.1:9999): the fixed ports are private to the namespace.

usage: docs_commands_test.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request


def doc_commands(source_dir):
    """(file, line number, command) of every command in a fenced sh block."""
    files = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(source_dir, "docs")) if f.endswith(".md"))
    commands = []
    for name in files:
        with open(os.path.join(source_dir, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        in_block = False
        language = ""
        pending = None
        for number, line in enumerate(lines, 1):
            fence = re.match(r"^\s*```(\S*)", line)
            if fence:
                in_block, language = (not in_block), fence.group(1)
                continue
            if not in_block or language not in ("sh", "bash", "shell"):
                continue
            if pending is not None:
                pending = (pending[0], pending[1] + "\n" + line)
            elif line.strip() and not line.strip().startswith("#"):
                pending = (number, line)
            else:
                continue
            if not pending[1].endswith("\\"):
                commands.append((name, pending[0], pending[1]))
                pending = None
    return commands


# The runbooks (docs/alerts.md, docs/troubleshooting.md) name their commands inline, in the
# steps of a list: `ip -6 route`. An inline span counts as a command when it starts with one of
# these tools and has an argument.
RUNBOOKS = ("docs/alerts.md", "docs/troubleshooting.md")
RUNBOOK_TOOLS = {"wg", "ip", "sysctl", "grep", "dmesg", "systemctl", "journalctl", "curl", "nft", "iptables",
                 "rsyslogd", "ss", "ls", "echo", "tc", "promtool"}
# Placeholders the reader fills in, filled here with what this test runs.
PLACEHOLDERS = {"<instance>": "127.0.0.1:9588"}


def runbook_commands(source_dir):
    """(file, line number, command) of every inline command of the runbooks, outside fences."""
    commands = []
    for name in RUNBOOKS:
        with open(os.path.join(source_dir, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        in_block = False
        for number, line in enumerate(lines, 1):
            if re.match(r"^\s*```", line):
                in_block = not in_block
                continue
            if in_block:
                continue
            for span in re.findall(r"`([^`]+)`", line):
                words = span.split()
                if len(words) >= 2 and words[0] in RUNBOOK_TOOLS:
                    commands.append((name, number, span))
    return commands


def filled(command):
    for placeholder, value in PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    return command


def skip_list(source_dir):
    """file <TAB> command (exactly as in the doc, first line) <TAB> reason."""
    skips = {}
    path = os.path.join(source_dir, "tests/data/docs_commands_skip.tsv")
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            columns = line.split("\t")
            if len(columns) != 3 or not columns[2].strip():
                sys.exit(f"FAIL: docs_commands_skip.tsv:{number}: expected file, command, reason")
            skips[(columns[0], columns[1])] = columns[2]
    return skips


def wait_ready(port, process):
    for _ in range(200):
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def main():
    source_dir, build_dir = (os.path.abspath(a) for a in sys.argv[1:3])
    commands = doc_commands(source_dir) + runbook_commands(source_dir)
    skips = skip_list(source_dir)
    failures = []

    seen = {(name, command.split("\n")[0]) for name, _, command in commands}
    for key in skips:
        if key not in seen:
            failures.append(f"docs_commands_skip.tsv lists a command the docs no longer show: {key[0]}: {key[1]}")

    with tempfile.TemporaryDirectory(prefix="wgevents-docs-") as scratch:
        for entry in os.listdir(source_dir):
            if entry not in (".git", "build") and not entry.startswith("build"):
                os.symlink(os.path.join(source_dir, entry), os.path.join(scratch, entry))
        os.symlink(build_dir, os.path.join(scratch, "build"))
        with open(os.path.join(source_dir, "tests/data/sample.log"), "rb") as src, \
                open(os.path.join(scratch, "kern.log"), "wb") as dst:
            dst.write(src.read())
        env = dict(os.environ, PATH=build_dir + ":" + os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

        exporter_log = open(os.path.join(scratch, "exporter.log"), "wb")
        exporter = subprocess.Popen([os.path.join(build_dir, "wireguard_events_exporter")], cwd=scratch,
                                    stdout=exporter_log, stderr=exporter_log, stdin=subprocess.DEVNULL)
        try:
            if not wait_ready(9588, exporter):
                sys.exit("FAIL: the exporter with default flags did not become ready on :9588")
            ran = 0
            for name, number, command in commands:
                key = (name, command.split("\n")[0])
                if key in skips:
                    print(f"not run  {name}:{number}: {key[1]}\n         because: {skips[key]}")
                    continue
                result = subprocess.run(["bash", "-o", "pipefail", "-c", filled(command)], cwd=scratch, env=env,
                                        stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
                ran += 1
                status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
                print(f"{status:8} {name}:{number}: {command}")
                if result.returncode != 0:
                    sys.stdout.write(result.stdout.decode(errors="replace")[-2000:])
                    sys.stdout.write(result.stderr.decode(errors="replace")[-2000:])
                    failures.append(f"{name}:{number}: {command}")
        finally:
            exporter.terminate()
            exporter.wait(timeout=10)
            exporter_log.close()

    print(f"{ran} commands run, {len(commands) - ran} listed as not runnable here")
    if ran == 0:
        failures.append("no command was run")
    for failure in failures:
        print("FAIL:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
