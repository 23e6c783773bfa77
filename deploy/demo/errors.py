"""The demo's own error: what stops it, said in one line with what to do about it."""

from __future__ import annotations

__all__ = ["DemoError"]


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why and what to do."""
