"""Node pressure from measurements, and the Summary API document's shape."""

from __future__ import annotations

from pathlib import Path

from kubelet.runtime import FakeRuntime
from kubelet.stats import FsUsage, NodeMeasurements, StatsProvider
from tests.unit.kubelet.conftest import make_pod

GIB = 1024**3


def measured(memory_available: int = 8 * GIB, nodefs_free: float = 0.5,
             imagefs_free: float = 0.5, processes: int = 300) -> NodeMeasurements:
    def fs(free: float) -> FsUsage:
        return FsUsage(100 * GIB, int(100 * GIB * free), int(100 * GIB * (1 - free)), 1000, 500)

    return NodeMeasurements(16 * GIB, memory_available, fs(nodefs_free), fs(imagefs_free),
                            32768, processes)


def test_pressure_conditions_follow_the_eviction_thresholds() -> None:
    healthy = measured()
    assert not (healthy.memory_pressure or healthy.disk_pressure or healthy.pid_pressure)
    assert measured(memory_available=50 * 1024 * 1024).memory_pressure
    assert measured(nodefs_free=0.05).disk_pressure
    assert measured(imagefs_free=0.10).disk_pressure
    assert not measured(imagefs_free=0.20).disk_pressure
    assert measured(processes=32000).pid_pressure


async def test_the_summary_has_the_node_and_every_pod(tmp_path: Path) -> None:
    pods = [make_pod("c", name="one"), make_pod("c", name="two")]
    runtime = FakeRuntime()
    provider = StatsProvider("n1", tmp_path, tmp_path, lambda: pods,
                             lambda: runtime.list_containers({}))
    summary = await provider.summary()
    node = summary["node"]
    assert node["nodeName"] == "n1"
    assert node["memory"]["availableBytes"] > 0 and node["fs"]["capacityBytes"] > 0
    assert {"cpu", "network", "runtime", "rlimit"} <= node.keys()
    assert [p["podRef"]["name"] for p in summary["pods"]] == ["one", "two"]
    assert summary["pods"][0]["containers"] == []  # nothing running on a fake runtime
