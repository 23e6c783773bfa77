"""Interim unknown-field detection (the full module lands from the algo branch)."""

from typing import Any


def unknown_fields(model: Any, data: Any) -> list[str]:
    return []
