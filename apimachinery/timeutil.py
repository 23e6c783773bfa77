"""Kubernetes timestamps: RFC 3339 in UTC, seconds (Time) or microseconds (MicroTime).

Objects carry timestamps as strings exactly as they travel; these helpers are the one
place that formats and parses them.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime, timedelta

__all__ = ["after", "format_micro", "format_time", "now", "parse_time"]


def now() -> datetime:
    return datetime.now(UTC)


def format_time(when: datetime | None = None) -> str:
    """``2024-05-01T12:00:00Z`` (metav1.Time)."""
    if when is None:
        return _format_current_second(int(time.time()))
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=1)
def _format_current_second(seconds: int) -> str:
    # Every create stamps "now" at a resolution of one second; a busy apiserver makes
    # hundreds of objects within the same second, so the text is formatted once per second.
    return format_time(datetime.fromtimestamp(seconds, UTC))


def format_micro(when: datetime | None = None) -> str:
    """``2024-05-01T12:00:00.123456Z`` (metav1.MicroTime, used by Leases and Events)."""
    return (when or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse either form (and offsets other than Z)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def after(seconds: float, when: datetime | None = None) -> datetime:
    return (when or now()) + timedelta(seconds=seconds)
