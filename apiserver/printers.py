"""Server-side printing: objects as a meta.k8s.io/v1 Table.

Interim: NAME and AGE for every kind. kubectl's per-kind columns arrive next.
"""

from __future__ import annotations

from typing import Any

from apimachinery.schema import ResourceType
from apimachinery.timeutil import now, parse_time

__all__ = ["column_definitions", "human_age", "table_rows"]


def column_definitions(rt: ResourceType) -> list[dict[str, Any]]:
    return [
        {"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0},
    ]


def table_rows(rt: ResourceType, objects: list[dict[str, Any]]) -> list[list[Any]]:
    return [[o.get("metadata", {}).get("name", ""), human_age(o)] for o in objects]


def human_age(obj: dict[str, Any]) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    seconds = int((now() - parse_time(created)).total_seconds())
    return short_duration(seconds)


def short_duration(seconds: int) -> str:
    """kubectl's HumanDuration: 5s, 3m10s, 2d4h ..."""
    if seconds < 0:
        return "<invalid>"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if days < 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"
