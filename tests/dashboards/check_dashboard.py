#!/usr/bin/env python3
"""Checks the Grafana dashboard: its JSON on its own, and every query against a real Prometheus.

    check_dashboard.py json DASHBOARD
    check_dashboard.py queries DASHBOARD --exporter BINARY --prometheus BINARY

`json` checks what Grafana needs and what the dashboard promises (schema version, unique panel
ids, a grid that fits 24 columns without overlaps, the datasource variable on every panel and
target, a description, a unit and legends on every panel that shows numbers), and that
docs/dashboard.md lists every row and every variable with the metrics it reads.

`queries` replays a generated WireGuard kernel log into the exporter (which reads the peer
tables of the log's interfaces from UAPI sockets the test serves), lets a real Prometheus
scrape it every second, substitutes the dashboard's variables the way Grafana does, and runs
every expression (panel targets, variable queries, annotations) through the query API. An
expression fails when Prometheus rejects it, when it names a metric or label the exporter does
not export, when it returns nothing, or when its legend names a label the result lacks.

Exit status: 0 when every check passes, 1 otherwise (each problem printed on its own line).
Standard library only.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import kernel_log
import peer_table
import promql

DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
GRID_COLUMNS = 24
# Panel types that show numbers and therefore need a unit.
NUMERIC_PANELS = {"timeseries", "stat", "gauge", "bargauge", "table", "barchart", "histogram",
                  "piechart", "state-timeline", "status-history", "heatmap"}
# Panel types whose series are named by the targets' legendFormat.
LEGEND_PANELS = {"timeseries", "bargauge", "stat", "gauge", "barchart", "piechart"}
REQUIRED_VARIABLES = ("instance", "host", "interface", "peer")
# Series of these carry `host` in fleet mode, so every selector of them filters on $host.
DOMAIN_METRIC = re.compile(r"\b(wireguard_(?:peer|interface|no_route|peers|handshake)\w*)\{([^}]*)\}")
# ... except the series from the interfaces' own peer tables, which fleet mode never has (its
# lines come from other machines): they have no `host` to filter on.
TABLE_METRICS = {"wireguard_peer_info", "wireguard_peer_receive_bytes_total",
                 "wireguard_peer_transmit_bytes_total", "wireguard_peer_allowed_ips_info"}
# Where the dashboard's links point; a runbook link names a section (anchor) of docs/alerts.md.
DOCS_URL = "https://wireguard-events-exporter.org/docs/"

# Grafana's built-in variables, as a 1 s scrape interval makes them. A [15s] range holds 15
# samples once Prometheus has scraped for 15 s, and at least two (all rate() needs) after
# MIN_SCRAPES scrapes.
BUILTIN_VALUES = {
    "__rate_interval": "15s", "__interval": "15s", "__interval_ms": "15000",
    "__range": "1m", "__range_s": "60", "__range_ms": "60000",
}
MIN_SCRAPES = 5
SCRAPE_JOB = "wireguard_events"
# The alert the test's Prometheus fires at once, so the alert annotation has something to show.
TEST_ALERT = "WireGuardDashboardCheck"
DEADLINE_SECONDS = 55


# --- the JSON on its own ---------------------------------------------------------------------

def all_panels(dashboard):
    """Every panel, rows and the panels inside collapsed rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def check_grid(panels, problems):
    boxes = []
    for panel in panels:
        grid = panel.get("gridPos")
        name = f"panel {panel.get('id')} ({panel.get('title')!r})"
        if not isinstance(grid, dict) or not all(
                isinstance(grid.get(key), int) for key in ("h", "w", "x", "y")):
            problems.append(f"{name}: gridPos needs integer h, w, x and y, has {grid!r}")
            continue
        if grid["w"] < 1 or grid["h"] < 1 or grid["x"] < 0 or grid["y"] < 0:
            problems.append(f"{name}: gridPos {grid} has a negative or empty extent")
        if grid["x"] + grid["w"] > GRID_COLUMNS:
            problems.append(f"{name}: gridPos {grid} ends past column {GRID_COLUMNS}")
        boxes.append((name, grid))
    for index, (name, a) in enumerate(boxes):
        for other, b in boxes[index + 1:]:
            if (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                    and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]):
                problems.append(f"{name} overlaps {other}")


def check_panel(panel, problems):
    name = f"panel {panel.get('id')} ({panel.get('title')!r})"
    kind = panel.get("type")
    if not panel.get("title"):
        problems.append(f"{name}: no title")
    if not str(panel.get("description", "")).strip():
        problems.append(f"{name}: no description")
    if panel.get("datasource") != DATASOURCE_REF:
        problems.append(f"{name}: datasource is {panel.get('datasource')!r}, "
                        f"not the variable {DATASOURCE_REF!r}")
    targets = panel.get("targets", [])
    if not targets:
        problems.append(f"{name}: no queries")
    ref_ids = [target.get("refId") for target in targets]
    if len(set(ref_ids)) != len(ref_ids) or None in ref_ids:
        problems.append(f"{name}: refIds missing or repeated: {ref_ids}")
    for target in targets:
        where = f"{name} query {target.get('refId')}"
        if target.get("datasource") != DATASOURCE_REF:
            problems.append(f"{where}: datasource is {target.get('datasource')!r}, "
                            f"not the variable {DATASOURCE_REF!r}")
        if not str(target.get("expr", "")).strip():
            problems.append(f"{where}: no expression")
        if (kind in LEGEND_PANELS and target.get("format", "time_series") != "table"
                and not str(target.get("legendFormat", "")).strip()):
            problems.append(f"{where}: no legendFormat")
    if kind in NUMERIC_PANELS:
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            problems.append(f"{name}: no unit in fieldConfig.defaults")
    if kind == "timeseries" and not panel.get("options", {}).get("legend", {}).get("showLegend"):
        problems.append(f"{name}: legend hidden")
    for target in targets:
        for metric, matchers in DOMAIN_METRIC.findall(str(target.get("expr", ""))):
            if metric in TABLE_METRICS:
                continue
            if 'host=~"$host"' not in matchers:
                problems.append(f"{name} query {target.get('refId')}: {metric} is not filtered "
                                "on the host variable (host=~\"$host\")")
    if not panel.get("links"):
        problems.append(f"{name}: no link to its runbook or to the docs")


def anchors(markdown_path):
    """GitHub's anchors of the headings of a Markdown file."""
    found = set()
    with open(markdown_path, encoding="utf-8") as source:
        for line in source:
            heading = re.match(r"^#+\s+(.*)$", line)
            if heading:
                text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
                found.add(text.replace(" ", "-"))
    return found


def check_links(dashboard, docs_dir, problems):
    """Every link goes to a page of docs/, and an anchor to a heading of that page."""
    links = [(f"dashboard link {link.get('title')!r}", link) for link in dashboard.get("links", [])]
    for panel in all_panels(dashboard):
        for link in panel.get("links", []):
            links.append((f"panel {panel.get('id')} link {link.get('title')!r}", link))
    if not dashboard.get("links"):
        problems.append("the dashboard has no links to the docs")
    for where, link in links:
        url = link.get("url", "")
        if not url.startswith(DOCS_URL):
            problems.append(f"{where}: {url!r} is not under {DOCS_URL}")
            continue
        page, _, anchor = url[len(DOCS_URL):].partition("#")
        path = os.path.join(docs_dir, page)
        if not os.path.isfile(path):
            problems.append(f"{where}: docs/{page} does not exist")
        elif anchor and anchor not in anchors(path):
            problems.append(f"{where}: docs/{page} has no section #{anchor}")


def check_guide(dashboard, docs_dir, problems):
    """docs/dashboard.md lists every row (`- **Row title**`) and every variable, with the
    metrics its query reads (`| Label | `metric`, ... | meaning |`)."""
    with open(os.path.join(docs_dir, "dashboard.md"), encoding="utf-8") as source:
        guide = source.read()
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row" and f"- **{panel.get('title')}**" not in guide:
            problems.append(f"docs/dashboard.md: no `- **{panel.get('title')}**` for that row")
    documented = {label.strip(): set(re.findall(r"`([a-z_:]+)`", metrics))
                  for label, metrics in re.findall(r"^\| ([^|]+) \| ([^|]+) \|", guide, re.M)}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        label = variable.get("label") or variable.get("name")
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        parsed = promql.label_values_query(text)
        if parsed is not None:
            text = parsed[0] or ""
        else:
            text = re.sub(r"^\s*query_result\(", "(", text)
        try:
            metrics = promql.names(text).metrics
        except ValueError as error:
            problems.append(f"variable {variable.get('name')}: {error}")
            continue
        if label not in documented:
            problems.append(f"docs/dashboard.md: the variables table has no row {label}")
        elif documented[label] != metrics:
            problems.append(f"docs/dashboard.md: variable {label} reads {sorted(metrics)}, "
                            f"the table says {sorted(documented[label])}")


def check_json(dashboard, docs_dir):
    """Returns the problems of the dashboard JSON, an empty list when there are none."""
    problems = []
    check_links(dashboard, docs_dir, problems)
    check_guide(dashboard, docs_dir, problems)
    schema = dashboard.get("schemaVersion")
    if not isinstance(schema, int) or schema < 39:
        problems.append(f"schemaVersion is {schema!r}, needs 39 or later")
    if not any(item.get("type") == "datasource" and item.get("pluginId") == "prometheus"
               for item in dashboard.get("__inputs", [])):
        problems.append("__inputs declares no prometheus datasource for import")
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    datasource = variables.get("datasource", {})
    if datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        problems.append("no datasource variable `datasource` of type prometheus")
    for name in REQUIRED_VARIABLES:
        variable = variables.get(name)
        if not variable or variable.get("type") != "query":
            problems.append(f"no query variable `{name}`")
        elif variable.get("datasource") != DATASOURCE_REF:
            problems.append(f"variable {name}: datasource is not the variable")
    panels = list(all_panels(dashboard))
    ids = [panel.get("id") for panel in panels]
    if not all(isinstance(panel_id, int) for panel_id in ids):
        problems.append(f"panel ids must be integers: {ids}")
    repeated = sorted({panel_id for panel_id in ids if ids.count(panel_id) > 1}, key=str)
    if repeated:
        problems.append(f"panel ids used more than once: {repeated}")
    check_grid(dashboard.get("panels", []), problems)
    for panel in panels:
        if panel.get("type") != "row":
            check_panel(panel, problems)
    alert_annotations = [a for a in dashboard.get("annotations", {}).get("list", [])
                         if "ALERTS" in annotation_expr(a)]
    if not alert_annotations:
        problems.append("no annotation shows firing alerts (ALERTS)")
    for annotation in alert_annotations:
        if annotation.get("datasource") != DATASOURCE_REF:
            problems.append(f"annotation {annotation.get('name')!r}: datasource is not the "
                            "variable")
    return problems


def annotation_expr(annotation):
    """The PromQL of an annotation: Grafana keeps it at the top level or under `target`."""
    return annotation.get("expr") or annotation.get("target", {}).get("expr") or ""


# --- processes --------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():
    """Runs in the child before exec: the kernel kills it when the test process dies."""
    try:
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Processes:
    """The processes the test started; stop() ends each of them (SIGTERM, then SIGKILL)."""

    def __init__(self, directory):
        self.directory = directory
        self.running = []

    def start(self, name, argv):
        log = open(os.path.join(self.directory, f"{name}.log"), "wb")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()
        self.running.append((name, process))
        return process

    def log_tail(self, name, lines=15):
        try:
            with open(os.path.join(self.directory, f"{name}.log"), errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        for _, process in self.running:
            if process.poll() is None:
                process.terminate()
        for _, process in self.running:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running = []


def http_get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def wait_until(what, deadline, condition, process=None, processes=None, name=None):
    """Polls condition() every 0.2 s until it is true; fails at the deadline or if the
    process exits."""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{name} exited with status {process.returncode} while waiting "
                             f"for {what}:\n{processes.log_tail(name)}")
        try:
            if condition():
                return
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    tail = processes.log_tail(name) if processes and name else ""
    raise SystemExit(f"timed out waiting for {what}\n{tail}")


class Prometheus:
    """The query API of the Prometheus the test started."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def _call(self, path, params):
        data = urllib.parse.urlencode(params, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=data)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 400/422 carry the reason as JSON
            return json.loads(error.read() or b"{}") or {"status": "error",
                                                          "error": str(error)}

    def query(self, expr):
        """Returns (result list, error text or None) of an instant query at the current time."""
        answer = self._call("/api/v1/query", {"query": expr})
        if answer.get("status") != "success":
            return None, f"{answer.get('errorType', 'error')}: {answer.get('error')}"
        data = answer["data"]
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}], None
        return data["result"], None

    def series(self, selector):
        answer = self._call("/api/v1/series", {"match[]": selector})
        if answer.get("status") != "success":
            raise SystemExit(f"series query {selector} failed: {answer}")
        return answer["data"]


def exported_metric_names(page):
    """Metric names with samples on an exposition-format page."""
    names = set()
    for line in page.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group())
    return names


# --- the queries against a real Prometheus ----------------------------------------------------

class Substitution:
    """Grafana's variable expansion: ${name}, ${name:format}, $name, [[name]]."""

    _REFERENCE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")

    def __init__(self):
        self.values = dict(BUILTIN_VALUES)
        self.options = {}  # variable name -> [(text, value)], for query_result() variables

    def __call__(self, text, problems, where):
        def replace(match):
            name = match.group(1) or match.group(2) or match.group(3)
            if name.isdigit():
                # `$1` in label_replace(): no variable of that name, so Grafana leaves it.
                return match.group()
            if name not in self.values:
                problems.append(f"{where}: unknown variable ${name} in {text!r}")
                return match.group()
            return self.values[name]
        return self._REFERENCE.sub(replace, text)


def all_value(variable, values):
    """What Grafana puts in a query for the variable's default selection (All)."""
    if variable.get("multi") or variable.get("includeAll"):
        if variable.get("allValue"):
            return variable["allValue"]
        return "(" + "|".join(re.escape(value) for value in values) + ")"
    return values[0]


class ExpressionCheck:
    """Runs expressions through Prometheus and checks the names they use."""

    def __init__(self, prometheus, series_labels, problems):
        self.prometheus = prometheus
        self.series_labels = series_labels  # metric name -> {label name: values scraped}
        self.problems = problems
        self.count = 0

    def _check_matcher(self, where, expr, metric, matcher):
        label, operator, value = matcher
        labels = self.series_labels[metric]
        if label == "__name__":
            return
        if label not in labels:
            self.problems.append(f"{where}: {metric} has no label {label} (in {expr!r})")
            return
        # A misspelt value inside an alternation would only show as one series missing.
        expected = [value] if operator == "=" and value else []
        if operator == "=~":
            expected = promql.literal_alternatives(value) or []
        for literal in expected:
            if literal not in labels[label]:
                self.problems.append(f"{where}: no {metric} series has {label}=\"{literal}\" "
                                     f"(in {expr!r})")

    def run(self, where, expr, legend=None):
        """Checks one expression; returns its result (empty on failure)."""
        self.count += 1
        try:
            found = promql.names(expr)
        except ValueError as error:
            self.problems.append(f"{where}: {error}")
            return []
        unknown = found.metrics - set(self.series_labels)
        for metric in sorted(unknown):
            self.problems.append(f"{where}: metric {metric} is not exported (in {expr!r})")
        known_labels = {"__name__"} | found.made_labels
        for metric, matchers in found.selectors:
            if metric in self.series_labels:
                known_labels |= set(self.series_labels[metric])
                for matcher in matchers:
                    self._check_matcher(where, expr, metric, matcher)
        if not unknown:
            for label in sorted(found.grouping_labels - known_labels):
                self.problems.append(f"{where}: label {label} in a by/on clause is on none of "
                                     f"{sorted(found.metrics)} (in {expr!r})")
        result, error = self.prometheus.query(expr)
        if error:
            self.problems.append(f"{where}: Prometheus rejects {expr!r}: {error}")
            return []
        if not result:
            self.problems.append(f"{where}: no data for {expr!r}")
            return []
        for label in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", legend or ""):
            # `host` exists in fleet mode only: enough that some series has it.
            if all(label not in series["metric"] for series in result) or (
                    label != "host" and any(label not in series["metric"] for series in result)):
                self.problems.append(f"{where}: legend {legend!r} names {label}, which "
                                     f"the result of {expr!r} lacks")
        return result


def series_labels(series_list, metrics=None):
    """metric name -> {label name: set of values} over /api/v1/series answers."""
    labels = {}
    for series in series_list:
        name = series["__name__"]
        if metrics is not None and name not in metrics:
            continue
        by_label = labels.setdefault(name, {})
        for label, value in series.items():
            if label != "__name__":
                by_label.setdefault(label, set()).add(value)
    return labels


def query_result_text(series):
    """A series as Grafana's query_result() variable query writes it, for the variable's regex:
    `name{label="value",...} value timestamp_ms`, labels in the order Prometheus gives them."""
    metric = dict(series["metric"])
    text = metric.pop("__name__", "")
    text += "{" + ",".join(f'{label}="{value}"' for label, value in metric.items()) + "}"
    timestamp, value = series["value"]
    return f"{text} {value} {int(float(timestamp) * 1000)}"


def apply_variable_regex(regex, texts, problems, where):
    """Grafana's variable regex: `/pattern/`; named groups `text` and `value` split what the
    dropdown shows from what the queries get, else the first group (or the match) is both.
    Returns [(text, value)] of the texts that match."""
    if not regex:
        return [(text, text) for text in texts]
    pattern = re.fullmatch(r"/(.*)/([a-z]*)", regex, re.S)
    if not pattern:
        problems.append(f"{where}: regex {regex!r} is not /pattern/")
        return []
    compiled = re.compile(pattern.group(1).replace("(?<", "(?P<"))
    options = []
    for text in texts:
        match = compiled.search(text)
        if not match:
            continue
        groups = match.groupdict()
        if "value" in groups or "text" in groups:
            value = groups.get("value") or groups.get("text")
            options.append((groups.get("text") or value, value))
        else:
            value = match.group(1) if compiled.groups else match.group()
            options.append((value, value))
    return options


def resolve_variables(dashboard, check, substitute, problems):
    """Runs each query variable's query in order (`label_values(selector, label)`, or
    `query_result(expr)` with the variable's regex) and binds its All value."""
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable.get("name")
        if variable.get("type") != "query":
            continue
        where = f"variable {name}"
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        result_query = re.fullmatch(r"\s*query_result\((.*)\)\s*", text, re.S)
        if result_query:
            result = check.run(where, substitute(result_query.group(1), problems, where))
            options = apply_variable_regex(variable.get("regex", ""),
                                           [query_result_text(series) for series in result],
                                           problems, where)
            if result and not options:
                problems.append(f"{where}: regex {variable.get('regex')!r} matches none of "
                                f"{[query_result_text(series) for series in result][:3]}")
            if any(not option_text.strip() or not value for option_text, value in options):
                problems.append(f"{where}: an option has an empty text or value: {options}")
            values = sorted({value for _, value in options})
            substitute.options[name] = options
        else:
            parsed = promql.label_values_query(text)
            if parsed is None or parsed[0] is None:
                problems.append(f"{where}: expected label_values(selector, label) or "
                                f"query_result(expr), has {text!r}")
                continue
            selector, label = parsed
            result = check.run(where, substitute(selector, problems, where))
            values = sorted({series["metric"][label] for series in result
                             if label in series["metric"]})
            if result and not values:
                problems.append(f"{where}: the series of {selector} have no label {label}")
        if values:
            substitute.values[name] = all_value(variable, values)
        else:
            substitute.values[name] = ".*"


def check_identity(table, variable_options, results, problems):
    """The panels that name peers show what the test's peer tables hold."""
    expected = sorted((f"{peer.name or peer.public_key} · peer {peer.peer_id}", str(peer.peer_id))
                      for peer in table if peer.peer_id is not None)
    got = sorted(set(variable_options.get("peer", [])))
    if got != expected:
        problems.append(f"variable peer: options {got}, expected {expected} (the linked "
                        "table peers by name or key)")

    def rows(title, ref_id):
        return results.get((title, ref_id)) or []

    silent = sorted(peer.public_key for peer in table if peer.silent)
    got = sorted(row["metric"].get("public_key") for row in rows("Configured but silent", "silent"))
    if got != silent:
        problems.append(f"Configured but silent: public keys {got}, expected the silent "
                        f"peers {silent}")
    received = {row["metric"].get("display") for row in rows("Bytes received and sent per peer", "A")}
    heard = {peer.name or peer.public_key for peer in table if not peer.silent}
    if not heard <= received:
        problems.append(f"Bytes received and sent per peer: lines for {sorted(received)}, "
                        f"expected at least {sorted(heard)}")
    timed = [peer for peer in table if (peer.interface, peer.peer_id) == kernel_log.TIMED_PEER[:2]][0]
    slow = [row for row in rows("Slowest peers", "rtt")
            if row["metric"].get("peer") == str(timed.peer_id)
            and row["metric"].get("interface") == timed.interface
            and "host" not in row["metric"]]
    if (len(slow) != 1 or slow[0]["metric"].get("name") != timed.name
            or slow[0]["metric"].get("public_key") != timed.public_key
            or abs(float(slow[0]["value"][1]) - kernel_log.TIMED_LAST_RTT) > 0.0005):
        problems.append(f"Slowest peers: expected {timed.name} ({timed.public_key}) with a last "
                        f"round trip of {kernel_log.TIMED_LAST_RTT} s, got {slow}")


def check_queries(dashboard, exporter, prometheus_binary):
    problems = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    with tempfile.TemporaryDirectory(prefix="wgevents-dashboard-") as directory:
        processes = Processes(directory)
        previous = {sig: signal.signal(sig, lambda *_: sys.exit(1))
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        servers = None
        try:
            lines = kernel_log.generate()
            log_path = os.path.join(directory, "wireguard.log")
            with open(log_path, "w") as log:
                log.write("\n".join(lines) + "\n")

            # The interfaces' peer tables, on UAPI sockets of the test's own directory.
            uapi_dir = os.path.join(directory, "uapi")
            os.mkdir(uapi_dir)
            table = peer_table.peers()
            servers = peer_table.UapiServers(uapi_dir, table)
            names_path = os.path.join(directory, "peer-names")
            with open(names_path, "w") as names:
                names.write(peer_table.names_file_text(table))

            exporter_port = free_port()
            exporter_process = processes.start("exporter", [
                exporter, f"--replay={log_path}",
                f"--web.listen-address=127.0.0.1:{exporter_port}",
                "--syslog.udp-listen-address=", "--log.level=warn",
                f"--wireguard.uapi-dir={uapi_dir}", "--wireguard.config-files=",
                f"--peers.names-file={names_path}"])
            # And a collector in fleet mode (host label), the same lines as sent by two hosts:
            # the RFC 5424 lines as they are, with the sender's name; the others in RFC 3164.
            fleet_log_path = os.path.join(directory, "fleet-kernel.log")
            with open(fleet_log_path, "w") as log:
                for host in ("gw1", "gw2"):
                    for line in lines:
                        if line.startswith("<"):
                            log.write(line.replace(" gw1 kernel ", f" {host} kernel ", 1) + "\n")
                        else:
                            log.write(f"<4>Nov 24 10:00:00 {host} kernel: {line}\n")
            fleet_port = free_port()
            fleet_process = processes.start("fleet", [
                exporter, f"--replay={fleet_log_path}", "--syslog.host-label",
                f"--web.listen-address=127.0.0.1:{fleet_port}",
                "--syslog.udp-listen-address=", "--log.level=warn"])
            exported = set()
            for port, count, process, name in ((exporter_port, len(lines), exporter_process, "exporter"),
                                               (fleet_port, 2 * len(lines), fleet_process, "fleet")):
                metrics_url = f"http://127.0.0.1:{port}/metrics"
                replayed = re.compile(r'^wireguard_events_exporter_messages_received_total\{'
                                      r'transport="file"\} ' + str(count) + r"(\.0+)?$", re.M)
                wait_until(f"the {name} exporter to replay the log", deadline,
                           lambda: replayed.search(http_get(metrics_url)[1]), process, processes, name)
                exported |= exported_metric_names(http_get(metrics_url)[1])

            prometheus_port = free_port()
            config = os.path.join(directory, "prometheus.yml")
            rules = os.path.join(directory, "rules.yml")
            with open(rules, "w") as out:
                out.write(f"groups:\n- name: dashboard_check\n  rules:\n"
                          f"  - alert: {TEST_ALERT}\n    expr: vector(1)\n"
                          f"    labels:\n      severity: info\n")
            with open(config, "w") as out:
                out.write(f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                          f"  evaluation_interval: 1s\n"
                          f"rule_files: [{json.dumps(rules)}]\n"
                          f"scrape_configs:\n- job_name: {SCRAPE_JOB}\n  static_configs:\n"
                          f"  - targets: ['127.0.0.1:{exporter_port}', '127.0.0.1:{fleet_port}']\n")
            prometheus_process = processes.start("prometheus", [
                prometheus_binary, f"--config.file={config}",
                f"--storage.tsdb.path={os.path.join(directory, 'tsdb')}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"])
            prometheus = Prometheus(prometheus_port)

            def scraped_enough():
                result, _ = prometheus.query(
                    f'count(count_over_time(up{{job="{SCRAPE_JOB}"}}[1m]) >= {MIN_SCRAPES} '
                    f'and up{{job="{SCRAPE_JOB}"}} == 1) == 2')
                alerts, _ = prometheus.query(f'ALERTS{{alertname="{TEST_ALERT}"}}')
                return bool(result) and bool(alerts)
            wait_until(f"{MIN_SCRAPES} scrapes", deadline, scraped_enough,
                       prometheus_process, processes, "prometheus")

            scraped = series_labels(prometheus.series(f'{{job="{SCRAPE_JOB}"}}'), exported)
            alerts = series_labels(prometheus.series("ALERTS"))

            check = ExpressionCheck(prometheus, scraped, problems)
            substitute = Substitution()
            resolve_variables(dashboard, check, substitute, problems)
            results = {}
            for panel in all_panels(dashboard):
                for target in panel.get("targets", []):
                    where = f"panel {panel.get('id')} ({panel.get('title')!r}) " \
                            f"query {target.get('refId')}"
                    legend = None
                    if target.get("format", "time_series") != "table":
                        legend = target.get("legendFormat")
                    results[(panel.get("title"), target.get("refId"))] = check.run(
                        where, substitute(target.get("expr", ""), problems, where), legend)
            check_identity(table, substitute.options, results, problems)
            annotation_check = ExpressionCheck(prometheus, alerts, problems)
            for annotation in dashboard.get("annotations", {}).get("list", []):
                expr = annotation_expr(annotation)
                if expr:
                    where = f"annotation {annotation.get('name')!r}"
                    annotation_check.run(where, substitute(expr, problems, where),
                                         annotation.get("titleFormat"))
            if exporter_process.poll() is not None:
                problems.append(f"the exporter exited early:\n{processes.log_tail('exporter')}")
            print(f"checked {check.count + annotation_check.count} expressions against "
                  f"Prometheus")
        finally:
            processes.stop()
            if servers is not None:
                servers.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("json", "queries"))
    parser.add_argument("dashboard")
    parser.add_argument("--exporter", help="the wireguard_events_exporter binary")
    parser.add_argument("--prometheus", default="prometheus", help="the prometheus binary")
    args = parser.parse_args()
    with open(args.dashboard) as source:
        dashboard = json.load(source)
    if args.mode == "json":
        docs_dir = os.path.join(os.path.dirname(os.path.abspath(args.dashboard)), "..", "docs")
        problems = check_json(dashboard, docs_dir)
    else:
        if not args.exporter:
            parser.error("queries needs --exporter")
        problems = check_queries(dashboard, args.exporter, args.prometheus)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    print(f"OK {args.mode}: {args.dashboard}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
