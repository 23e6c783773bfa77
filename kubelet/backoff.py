"""Restart and image-pull backoff, as Kubernetes' ``flowcontrol.Backoff`` times them.

A crashing container is restarted at once the first time, then only after 10 s, 20 s,
40 s ... up to 5 min since it last finished (``CrashLoopBackOff`` meanwhile); a container
that ran for 10 minutes (twice the cap) without failing starts over at 10 s. Image pulls
back off the same way per pod and image (``ImagePullBackOff``). Entries live in memory:
a restarted kubelet forgets them, which only means one early retry, as in Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass

from client import Clock

__all__ = ["Backoff"]


@dataclass
class _Entry:
    delay: float
    last_update: float


class Backoff:
    """Per-key exponential delays on an injectable clock (seconds since the epoch)."""

    def __init__(self, clock: Clock, initial: float = 10.0, cap: float = 300.0) -> None:
        self.clock = clock
        self.initial = initial
        self.cap = cap
        self._entries: dict[str, _Entry] = {}

    def _now(self) -> float:
        # Wall-clock seconds: failures are dated by the runtime's finishedAt timestamps.
        return self.clock.now().timestamp()

    def _expired(self, entry: _Entry, at: float) -> bool:
        return at - entry.last_update > 2 * self.cap

    def remaining_since(self, key: str, event_time: float) -> float:
        """Seconds still to wait after a failure at ``event_time`` (0: go ahead)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, event_time):
            return 0.0
        return max(0.0, entry.delay - (self._now() - event_time))

    def remaining_since_update(self, key: str) -> float:
        """Seconds still to wait after the last recorded failure (image pulls)."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, entry.delay - (self._now() - entry.last_update))

    def next(self, key: str, event_time: float | None = None) -> float:
        """Record a failure at ``event_time`` (now by default); returns the new delay."""
        at = self._now() if event_time is None else event_time
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, at):
            entry = _Entry(self.initial, at)
        else:
            entry = _Entry(min(entry.delay * 2, self.cap), at)
        self._entries[key] = entry
        return entry.delay

    def delay(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def forget_prefix(self, prefix: str) -> None:
        """Drop every entry of one pod (keys start with its uid)."""
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]
