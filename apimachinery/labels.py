"""Interim label selectors (equality only) until the full parser lands from the algo branch."""

from __future__ import annotations

from collections.abc import Mapping


class Selector:
    def __init__(self, pairs: list[tuple[str, str, str]]) -> None:
        self.pairs = pairs

    def empty(self) -> bool:
        return not self.pairs

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        for key, op, value in self.pairs:
            if op == "=" and labels.get(key) != value:
                return False
            if op == "!=" and labels.get(key) == value:
                return False
        return True

    def exact_matches(self) -> list[tuple[str, str]]:
        return [(k, v) for k, op, v in self.pairs if op == "="]


def parse(text: str) -> Selector:
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in part:
            k, v = part.split("!=", 1)
            pairs.append((k.strip(), "!=", v.strip()))
        else:
            k, v = part.replace("==", "=").split("=", 1)
            pairs.append((k.strip(), "=", v.strip()))
    return Selector(pairs)


def selector_string(selector: object) -> str:
    match = getattr(selector, "match_labels", None)
    if match is None and isinstance(selector, dict):
        match = selector
    return ",".join(f"{k}={v}" for k, v in sorted((match or {}).items()))
