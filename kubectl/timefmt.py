"""Times and quantities as kubectl shows them: ages, RFC 1123 dates, sortable numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from kubectl.printing import human_duration

__all__ = ["age", "age_seconds", "parse_time", "quantity_or_none", "rfc1123z"]


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age_seconds(text: str | None, now: datetime | None = None) -> float:
    when = parse_time(text)
    if when is None:
        return 0.0
    return ((now or datetime.now(UTC)) - when).total_seconds()


def age(text: str | None, now: datetime | None = None) -> str:
    """``5m`` since ``text``, or ``<unknown>`` when there is no time."""
    if not parse_time(text):
        return "<unknown>"
    return human_duration(age_seconds(text, now))


def rfc1123z(text: str | None) -> str:
    """Go's ``time.RFC1123Z`` in local time: ``Mon, 02 Jan 2006 15:04:05 -0700``."""
    when = parse_time(text)
    if when is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return when.astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")


def quantity_or_none(text: str) -> Fraction | None:
    """A resource quantity's value (``100m``, ``1Gi``), for sorting; ``None`` if not one."""
    from apimachinery.quantity import parse_quantity

    try:
        return parse_quantity(text)
    except (ValueError, ArithmeticError):
        return None
