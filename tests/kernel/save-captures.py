#!/usr/bin/env python3
"""Keeps what the lab's kernel printed as test data (tests/data/kernel-6.1/).

  save-captures.py RESULTS_DIR DATA_DIR

RESULTS_DIR is run.sh's --results folder. For every scenario, in name order, it appends that
boot's /dev/kmsg records to DATA_DIR/kmsg.txt, and rsyslog's forwarded lines to
DATA_DIR/rfc3164-udp.txt and DATA_DIR/rfc5424-tcp.txt, each preceded by a comment naming the
scenario. Floods are thinned the same way in all three files: a line whose shape (its text
after `wireguard: ` or after the framing, digits dropped) was kept 20 times already is left
out; kernel lines that are not WireGuard's are kept once per shape.
"""
import collections
import pathlib
import re
import sys

SOURCES = {"kmsg.txt": "kmsg.txt", "rsyslog-udp.txt": "rfc3164-udp.txt",
           "rsyslog-tcp.txt": "rfc5424-tcp.txt"}


def records(path: pathlib.Path):
    """kmsg records may carry continuation lines (starting with a space): keep them together."""
    current = []
    for line in path.read_text(errors="surrogateescape").splitlines():
        if line.startswith(" ") and current:
            current.append(line)
            continue
        if current:
            yield current
        current = [line]
    if current:
        yield current


def shape(text: str) -> tuple:
    at = text.find("wireguard: ")
    if at >= 0:
        return True, re.sub(r"[0-9]+", "", text[at:])
    for marker in (";", " kernel - - - ", " kernel: "):
        at = text.find(marker)
        if at >= 0:
            text = text[at + len(marker):]
            break
    return False, re.sub(r"[0-9]+", "", re.sub(r"^\[[ 0-9.]+\] ", "", text))


def main() -> None:
    results, data = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    data.mkdir(parents=True, exist_ok=True)
    for source, target in SOURCES.items():
        kept = collections.Counter()
        out = [f"# Captured by tests/kernel (save-captures.py) from Linux 6.1's WireGuard module.\n"]
        for scenario in sorted(p for p in results.iterdir() if (p / source).exists()):
            out.append(f"# scenario: {scenario.name}\n")
            for record in records(scenario / source):
                is_wireguard, key = shape(record[0])
                kept[key] += 1
                if kept[key] > (20 if is_wireguard else 1):
                    continue
                out.extend(line + "\n" for line in record)
        (data / target).write_text("".join(out), errors="surrogateescape")


if __name__ == "__main__":
    main()
