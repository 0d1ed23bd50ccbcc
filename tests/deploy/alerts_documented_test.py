#!/usr/bin/env python3
"""docs/alerts.md and the alert rules agree, and every alert has a unit test.

For every alert of deploy/prometheus/wireguard-events.rules.yml: docs/alerts.md has a row in
its table (linking the alert's section, with the rule's severity) and a section `## NAME`; the
rule's runbook_url points at that section; the intro's count of alerts is right; and
wireguard-events.rules.test.yml (or .daily.test.yml) tests the alert at least once firing and
once not. And every
`## ` section of docs/alerts.md that names an alert names one of the rules.

usage: alerts_documented_test.py SOURCE_DIR
"""
import os
import re
import sys

import yaml

RUNBOOK_PREFIX = "https://wireguard-events-exporter.org/docs/alerts.md#"
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
           "eighteen", "nineteen", "twenty"]


def anchor(heading):
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def main(source_dir):
    prometheus_dir = os.path.join(source_dir, "deploy", "prometheus")
    with open(os.path.join(prometheus_dir, "wireguard-events.rules.yml"), encoding="utf-8") as f:
        rules = [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]
                 if "alert" in rule]
    tests = []
    for name in ("wireguard-events.rules.test.yml", "wireguard-events.rules.daily.test.yml"):
        with open(os.path.join(prometheus_dir, name), encoding="utf-8") as f:
            tests += yaml.safe_load(f)["tests"]
    with open(os.path.join(source_dir, "docs", "alerts.md"), encoding="utf-8") as f:
        doc = f.read()

    problems = []
    sections = {anchor(h): h.strip() for h in re.findall(r"^## (.+)$", doc, re.M)}
    rows = dict(re.findall(r"^\| \[(\w+)\]\(#[\w-]+\) \| (\w+) \|", doc, re.M))
    row_links = dict(re.findall(r"^\| \[(\w+)\]\((#[\w-]+)\)", doc, re.M))
    fired, quiet = set(), set()
    for test in tests:
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else quiet).add(case["alertname"])

    names = [rule["alert"] for rule in rules]
    count = re.search(r"holds (\w+)\s+alerts", doc)
    if not count or count.group(1) not in NUMBERS or NUMBERS.index(count.group(1)) != len(names):
        problems.append(f"docs/alerts.md: the intro should say it holds "
                        f"{NUMBERS[len(names)] if len(names) < len(NUMBERS) else len(names)} alerts")
    for rule in rules:
        name = rule["alert"]
        section = anchor(name)
        url = rule.get("annotations", {}).get("runbook_url", "")
        if url != RUNBOOK_PREFIX + section:
            problems.append(f"{name}: runbook_url is {url!r}, not {RUNBOOK_PREFIX + section!r}")
        if section not in sections:
            problems.append(f"{name}: docs/alerts.md has no section `## {name}`")
        if name not in rows:
            problems.append(f"{name}: docs/alerts.md's table has no row for it")
        elif rows[name] != rule.get("labels", {}).get("severity"):
            problems.append(f"{name}: docs/alerts.md says severity {rows[name]}, the rule "
                            f"{rule.get('labels', {}).get('severity')}")
        elif row_links[name] != "#" + section:
            problems.append(f"{name}: its table row links {row_links[name]}, not #{section}")
        if name not in fired:
            problems.append(f"{name}: no unit test expects it to fire")
        if name not in quiet:
            problems.append(f"{name}: no unit test expects it to stay quiet")
    for heading in sections.values():
        if heading.startswith("WireGuard") and heading not in names:
            problems.append(f"docs/alerts.md: section `## {heading}` names no alert of the rules")
    for name in rows:
        if name not in names:
            problems.append(f"docs/alerts.md: the table lists {name}, which is not a rule")

    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    print(f"OK: {len(names)} alerts documented and tested")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
