"""Go duration strings (``30s``, ``1m30s``, ``500ms``), as kubectl's --timeout takes them."""

from __future__ import annotations

import re

from kubectl.errors import CommandError

__all__ = ["parse_duration"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str, flag: str = "--timeout") -> float:
    """Seconds in ``text``; a bare number counts as seconds, as kubectl accepts ``0``."""
    value = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or not body:
        raise CommandError(f'invalid argument "{text}" for "{flag}" flag: time: invalid '
                           f'duration "{text}"')
    return sign * total
