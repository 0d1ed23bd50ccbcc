"""Just enough PromQL reading to tell which metrics and labels an expression names.

Prometheus itself decides whether an expression parses (the test sends every one to it); this
module only finds the names in it: metric names of vector selectors, label names in matchers,
and label names in by / without / on / ignoring / group_left / group_right clauses. It does not
build a syntax tree: a token that is an identifier is a metric name unless it is a keyword, a
function or aggregation (followed by `(`), or a label name inside a matcher or a clause.
"""

import json
import re

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<duration>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<identifier>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<operator>=~|!~|!=|==|>=|<=|[-+*/%^(){},=<>@])
""", re.VERBOSE)

# Words that are never metric names: binary operators, modifiers, numbers, and the aggregation
# operators (which may be followed by `by (...)` rather than by their argument).
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end",
             "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
             "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
# Clauses whose parenthesised list holds label names.
_LABEL_LIST_CLAUSES = {"by", "without", "on", "ignoring", "group_left", "group_right"}


class Names:
    """What an expression names.

    selectors: (metric name or None, [(label, operator, value)]) per vector selector.
    grouping_labels: label names in by/without/on/ignoring/group_left/group_right clauses.
    made_labels: labels that label_replace() and label_join() write (their second argument).
    """

    def __init__(self):
        self.selectors = []
        self.grouping_labels = set()
        self.made_labels = set()

    @property
    def metrics(self):
        return {metric for metric, _ in self.selectors if metric}


def tokenize(expr):
    """Returns (kind, text) pairs without whitespace; raises ValueError on a stray character."""
    tokens = []
    position = 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if not match:
            raise ValueError(f"unexpected character {expr[position]!r} at {position} in {expr!r}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        position = match.end()
    return tokens


def _string_value(token):
    kind, text = token
    if kind != "string":
        return text
    if text[0] == "`":
        return text[1:-1]
    try:
        return json.loads('"' + text[1:-1].replace("\\'", "'") + '"')
    except ValueError:
        return text[1:-1]


def _matchers(tokens, start):
    """Reads `{name op "value", ...}` from tokens[start] == '{'.

    Returns ([(label, operator, value)], index after the closing brace).
    """
    matchers = []
    index = start + 1
    while index < len(tokens) and tokens[index][1] != "}":
        kind, text = tokens[index]
        if (kind == "identifier" and index + 2 < len(tokens)
                and tokens[index + 1][1] in ("=", "!=", "=~", "!~")):
            matchers.append((text, tokens[index + 1][1], _string_value(tokens[index + 2])))
            index += 3
        else:
            index += 1
    return matchers, index + 1


def _made_label(tokens, start):
    """The destination label of label_replace( / label_join( at tokens[start]: the string after
    the first comma at the call's own depth."""
    depth = 0
    for index in range(start + 1, len(tokens)):
        text = tokens[index][1]
        if text in ("(", "{"):
            depth += 1
        elif text in (")", "}"):
            depth -= 1
            if depth == 0:
                return None
        elif text == "," and depth == 1 and index + 1 < len(tokens):
            return _string_value(tokens[index + 1])
    return None


def names(expr):
    """Returns the Names of a PromQL expression."""
    tokens = tokenize(expr)
    found = Names()
    for index, (kind, text) in enumerate(tokens):
        if (kind == "identifier" and text in ("label_replace", "label_join")
                and index + 1 < len(tokens) and tokens[index + 1][1] == "("):
            made = _made_label(tokens, index)
            if made:
                found.made_labels.add(made)
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else None
        if kind == "identifier" and text in _LABEL_LIST_CLAUSES and following == "(":
            index += 2
            while index < len(tokens) and tokens[index][1] != ")":
                if tokens[index][0] == "identifier":
                    found.grouping_labels.add(tokens[index][1])
                index += 1
            index += 1
        elif kind == "identifier" and following == "(":
            index += 1  # a function or aggregation
        elif kind == "identifier" and text.lower() in _KEYWORDS:
            index += 1
        elif kind == "identifier":
            matchers = []
            index += 1
            if following == "{":
                matchers, index = _matchers(tokens, index)
            found.selectors.append((text, matchers))
        elif text == "{":
            matchers, index = _matchers(tokens, index)
            found.selectors.append((None, matchers))
        else:
            index += 1
    return found


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.+)\s*,\s*)?"
                           r"(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.DOTALL)


def label_values_query(query):
    """Splits Grafana's `label_values(selector, label)` (or `label_values(label)`).

    Returns (selector or None, label), or None when the query has another form.
    """
    match = _LABEL_VALUES.match(query)
    if not match:
        return None
    return match.group("selector"), match.group("label")


def literal_alternatives(pattern):
    """Expands a regex made only of words, `|` and groups into the strings it matches.

    `handshake_(initiation|response)_sent|keys_zeroed` gives three strings. Returns None for a
    pattern with any other regex syntax (`.*`, classes, repetition), whose matches are open.
    """
    if not re.fullmatch(r"[A-Za-z0-9_:\-|()]*", pattern):
        return None
    position = 0

    def alternation():
        nonlocal position
        options = sequence()
        while position < len(pattern) and pattern[position] == "|":
            position += 1
            options += sequence()
        return options

    def sequence():
        nonlocal position
        results = [""]
        while position < len(pattern) and pattern[position] not in "|)":
            if pattern[position] == "(":
                position += 1
                inner = alternation()
                if position >= len(pattern) or pattern[position] != ")":
                    raise ValueError(f"unbalanced parenthesis in {pattern!r}")
                position += 1
            else:
                start = position
                while position < len(pattern) and pattern[position] not in "|()":
                    position += 1
                inner = [pattern[start:position]]
            results = [result + part for result in results for part in inner]
        return results

    try:
        options = alternation()
    except ValueError:
        return None
    return options if position == len(pattern) else None
