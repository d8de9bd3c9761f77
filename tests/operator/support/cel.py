"""Python twins of the CRD's CEL validation rules.

The API server evaluates the CEL rules; nothing here can. Each rule of the
CRD has a twin below, keyed by the rule's exact text, that says the same
thing in Python, so the tests can check sample objects against the rules'
intent and the emulator can refuse what a real server would. A test fails
if a rule has no twin, so the two cannot drift apart silently; whether a
twin matches its CEL exactly is a matter of review, and the kind workflow
applies the CRD to a real API server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Twin = Callable[[Any, Any], bool]
"""(self, oldSelf) -> the rule holds; oldSelf is None for non-transition rules."""

_SETTING = re.compile(r"^ECHO_[A-Z0-9_]+$")


def _grace_covers_drain(nodes: Any, _: Any) -> bool:
    grace = nodes.get("terminationGracePeriodSeconds")
    return grace is None or grace >= nodes["drainTimeoutSeconds"]


def _exchanges_kept(new: Any, old: Any) -> bool:
    return all(any(n["name"] == o["name"] and n["type"] == o["type"] for n in new) for o in old)


TWINS: dict[str, Twin] = {
    "size(self.metadata.name) <= 40": lambda obj, _: len(obj["metadata"]["name"]) <= 40,
    (
        "!has(self.terminationGracePeriodSeconds) || "
        "self.terminationGracePeriodSeconds >= self.drainTimeoutSeconds"
    ): _grace_covers_drain,
    "self.minReplicas <= self.maxReplicas": lambda s, _: s["minReplicas"] <= s["maxReplicas"],
    "!has(self.tlsSecretName) || has(self.host)": lambda s, _: (
        "tlsSecretName" not in s or "host" in s
    ),
    "self.type != 'zookeeper' || has(self.zookeeper)": lambda s, _: (
        s.get("type") != "zookeeper" or "zookeeper" in s
    ),
    (
        "oldSelf.all(old, self.exists(new, new.name == old.name && new.type == old.type))"
    ): _exchanges_kept,
    "oldSelf.all(b, b in self)": lambda new, old: all(b in new for b in old),
    "self.all(k, k.matches('^ECHO_[A-Z0-9_]+$'))": lambda s, _: all(_SETTING.match(k) for k in s),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*')|(?P<number>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[<>!.,()\[\]+\-*/%?:]))"
)
KNOWN_FUNCTIONS = {"has", "size", "all", "exists", "exists_one", "map", "filter", "matches"}
KNOWN_WORDS = {"self", "oldSelf", "in", "true", "false", "null"}


def plausible(rule: str) -> list[str]:
    """Why ``rule`` does not look like valid CEL (an empty list if it does).

    A lexical check only: known tokens, balanced brackets, calls only of
    CEL's functions and macros, and no operand without an operator between.
    """
    problems = []
    position, depth, previous = 0, 0, ""
    while position < len(rule):
        match = _TOKEN.match(rule, position)
        if match is None or match.end() == position:
            return [f"unexpected text at {position}: {rule[position : position + 10]!r}"]
        position = match.end()
        token = match.group().strip()
        if token in "([":
            depth += 1
        elif token in ")]":
            depth -= 1
            if depth < 0:
                problems.append("a closing bracket without an opening one")
        known = KNOWN_FUNCTIONS | KNOWN_WORDS
        if token == "(" and previous.isidentifier() and previous not in known:
            problems.append(f"call of unknown function {previous!r}")
        operand = match.lastgroup in ("string", "number", "name") and token != "in"
        if (
            operand
            and previous
            and (previous[0].isalnum() or previous[0] in "'_")
            and previous != "in"
        ):
            problems.append(f"two operands in a row: {previous!r} {token!r}")
        previous = token
    if depth != 0:
        problems.append("unbalanced brackets")
    return problems
