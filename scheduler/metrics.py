"""The scheduler's Prometheus metrics, named as kube-scheduler names them.

Each :class:`Metrics` has its own registry, so several schedulers in one test process
do not share counters; ``skiff-scheduler`` serves its registry on ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ERROR", "SCHEDULED", "UNSCHEDULABLE", "Metrics"]

SCHEDULED, UNSCHEDULABLE, ERROR = "scheduled", "unschedulable", "error"
# 1 ms .. ~16 s, doubling: scheduling latencies span that range under load.
LATENCY_BUCKETS = tuple(0.001 * 2**i for i in range(15))


class Metrics:
    def __init__(self, profile: str = "default-scheduler") -> None:
        self.profile = profile
        self.registry = CollectorRegistry()
        self.schedule_attempts = Counter(
            "scheduler_schedule_attempts", "Scheduling attempts by result",
            ["result", "profile"], registry=self.registry)
        self.attempt_duration = Histogram(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling cycle duration (filters and scores), by result",
            ["result", "profile"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.e2e_duration = Histogram(
            "scheduler_e2e_scheduling_duration_seconds",
            "From a pod first entering the queue to its binding, over all attempts",
            ["profile"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.pending_pods = Gauge(
            "scheduler_pending_pods", "Pending pods by queue", ["queue"],
            registry=self.registry)

    def attempt(self, result: str, seconds: float) -> None:
        self.schedule_attempts.labels(result, self.profile).inc()
        self.attempt_duration.labels(result, self.profile).observe(seconds)

    def scheduled(self, e2e_seconds: float) -> None:
        self.e2e_duration.labels(self.profile).observe(e2e_seconds)

    def watch_queue(self, lengths: Callable[[], dict[str, int]]) -> None:
        """Report the queue's lengths, read when scraped."""
        for name in ("active", "backoff", "unschedulable"):
            self.pending_pods.labels(name).set_function(_reader(lengths, name))

    def attempts(self, result: str) -> float:
        """The count of attempts with ``result`` so far (for tests and logs)."""
        value = self.registry.get_sample_value("scheduler_schedule_attempts_total",
                                               {"result": result, "profile": self.profile})
        return value or 0.0

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _reader(lengths: Callable[[], dict[str, int]], name: str) -> Callable[[], float]:
    return lambda: float(lengths()[name])
