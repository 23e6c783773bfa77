"""Resource usage of the node, its pods and their containers: the kubelet's Summary API.

Everything is read straight from the kernel, with no cAdvisor: the node from /proc
(``stat``, ``meminfo``, ``vmstat``, ``net/dev``) and ``statvfs`` of the kubelet's and
the runtime's directories; each container from its cgroup v1 files (Docker here uses
the cgroupfs driver), found through ``/proc/<pid>/cgroup``; a pod's network from its
pause process's ``/proc/<pid>/net/dev``. CPU rates (``usageNanoCores``) need two
readings, so the provider keeps the previous one per cgroup.

The result has the shape of Kubernetes' ``/stats/summary`` (``node`` and ``pods``), and
the same numbers decide the node's MemoryPressure, DiskPressure and PIDPressure.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apimachinery.core_v1 import Pod
from kubelet import naming
from kubelet.runtime import RuntimeContainer

__all__ = ["NodeMeasurements", "StatsProvider", "measure_node"]

USER_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Eviction-style thresholds (Kubernetes' defaults for the first two).
MEMORY_AVAILABLE_MIN = 100 * 1024 * 1024
NODEFS_AVAILABLE_MIN = 0.10
IMAGEFS_AVAILABLE_MIN = 0.15
PIDS_AVAILABLE_MIN = 0.05

Json = dict[str, Any]
ListContainers = Callable[[], Awaitable[list[RuntimeContainer]]]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(path: str | Path) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _int(path: str | Path) -> int | None:
    text = _read(path).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _key_values(text: str) -> dict[str, int]:
    values = {}
    for line in text.splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values


@dataclass(frozen=True)
class FsUsage:
    capacity: int
    available: int
    used: int
    inodes: int
    inodes_free: int

    def to_json(self) -> Json:
        return {"time": _now(), "availableBytes": self.available, "capacityBytes": self.capacity,
                "usedBytes": self.used, "inodesFree": self.inodes_free, "inodes": self.inodes,
                "inodesUsed": self.inodes - self.inodes_free}

    @property
    def available_fraction(self) -> float:
        return self.available / self.capacity if self.capacity else 1.0


def fs_usage(path: Path) -> FsUsage:
    st = os.statvfs(path if path.exists() else "/")
    return FsUsage(st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize,
                   (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_files, st.f_ffree)


@dataclass(frozen=True)
class NodeMeasurements:
    """What node conditions are decided on."""

    memory_total: int
    memory_available: int
    nodefs: FsUsage
    imagefs: FsUsage
    pid_max: int
    processes: int

    @property
    def memory_pressure(self) -> bool:
        return self.memory_available < MEMORY_AVAILABLE_MIN

    @property
    def disk_pressure(self) -> bool:
        return (self.nodefs.available_fraction < NODEFS_AVAILABLE_MIN
                or self.imagefs.available_fraction < IMAGEFS_AVAILABLE_MIN)

    @property
    def pid_pressure(self) -> bool:
        return (self.pid_max - self.processes) < self.pid_max * PIDS_AVAILABLE_MIN


def _processes() -> int:
    fields = _read("/proc/loadavg").split()
    if len(fields) >= 4 and "/" in fields[3]:
        return int(fields[3].split("/")[1])
    return 0


def measure_node(root_dir: Path, image_dir: Path) -> NodeMeasurements:
    meminfo = _key_values(_read("/proc/meminfo"))
    return NodeMeasurements(
        memory_total=meminfo.get("MemTotal", 0) * 1024,
        memory_available=meminfo.get("MemAvailable", 0) * 1024,
        nodefs=fs_usage(root_dir),
        imagefs=fs_usage(image_dir),
        pid_max=_int("/proc/sys/kernel/pid_max") or 32768,
        processes=_processes(),
    )


def _net_dev(pid: int | None = None) -> dict[str, tuple[int, int, int, int]]:
    """interface -> (rx bytes, rx errors, tx bytes, tx errors)."""
    text = _read(f"/proc/{pid}/net/dev" if pid else "/proc/net/dev")
    found = {}
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        numbers = rest.split()
        if len(numbers) >= 11:
            found[name.strip()] = (int(numbers[0]), int(numbers[2]), int(numbers[8]),
                                   int(numbers[10]))
    return found


def _network(interfaces: dict[str, tuple[int, int, int, int]], default: str) -> Json:
    entries = [{"name": name, "rxBytes": v[0], "rxErrors": v[1], "txBytes": v[2], "txErrors": v[3]}
               for name, v in sorted(interfaces.items()) if name != "lo"]
    main = next((e for e in entries if e["name"] == default), entries[0] if entries else {})
    return {"time": _now(), **main, "interfaces": entries}


def _cgroup_dirs(pid: int, root: Path) -> dict[str, Path]:
    """controller -> cgroup directory of a process (cgroup v1)."""
    dirs = {}
    for line in _read(f"/proc/{pid}/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                dirs[controller] = root / controller / parts[2].lstrip("/")
    return dirs


def _dir_size(path: Path, limit: int = 20000) -> int:
    total = 0
    seen = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            seen += 1
            if seen > limit:
                return total
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


@dataclass
class StatsProvider:
    node: str
    root_dir: Path
    image_dir: Path
    pods: Callable[[], list[Pod]]
    containers: ListContainers
    cgroup_root: Path = Path("/sys/fs/cgroup")
    log_path: Callable[[str], str | None] = lambda container_id: None
    start_time: str = field(default_factory=_now)
    _cpu: dict[str, tuple[float, int]] = field(default_factory=dict)

    def _rate(self, key: str, usage_ns: int) -> int:
        now = time.monotonic()
        previous = self._cpu.get(key)
        self._cpu[key] = (now, usage_ns)
        if previous is None or now <= previous[0]:
            return 0
        return max(0, int((usage_ns - previous[1]) / (now - previous[0])))

    def _cpu_json(self, key: str, usage_ns: int) -> Json:
        return {"time": _now(), "usageNanoCores": self._rate(key, usage_ns),
                "usageCoreNanoSeconds": usage_ns}

    async def summary(self) -> Json:
        """The Summary API document; the file reads run off the event loop."""
        containers = await self.containers()
        return await asyncio.to_thread(self._summary, containers)

    def _summary(self, containers: list[RuntimeContainer]) -> Json:
        return {"node": self._node(), "pods": self._pods(containers)}

    def _node(self) -> Json:
        measured = measure_node(self.root_dir, self.image_dir)
        stat = _read("/proc/stat").splitlines()
        jiffies = [int(x) for x in stat[0].split()[1:]] if stat else []
        busy = sum(jiffies) - sum(jiffies[3:5]) if len(jiffies) >= 5 else 0
        vmstat = _key_values(_read("/proc/vmstat"))
        meminfo = _key_values(_read("/proc/meminfo"))
        used = measured.memory_total - meminfo.get("MemFree", 0) * 1024
        return {
            "nodeName": self.node,
            "startTime": self.start_time,
            "cpu": self._cpu_json("node", busy * (1_000_000_000 // USER_HZ)),
            "memory": {"time": _now(), "availableBytes": measured.memory_available,
                       "usageBytes": used,
                       "workingSetBytes": measured.memory_total - measured.memory_available,
                       "rssBytes": (meminfo.get("AnonPages", 0)) * 1024,
                       "pageFaults": vmstat.get("pgfault", 0),
                       "majorPageFaults": vmstat.get("pgmajfault", 0)},
            "network": _network(_net_dev(), _default_interface()),
            "fs": measured.nodefs.to_json(),
            "runtime": {"imageFs": measured.imagefs.to_json()},
            "rlimit": {"time": _now(), "maxpid": measured.pid_max, "curproc": measured.processes},
        }

    def _pods(self, containers: list[RuntimeContainer]) -> list[Json]:
        by_uid: dict[str, list[RuntimeContainer]] = {}
        for container in containers:
            if container.running:
                by_uid.setdefault(container.pod_uid, []).append(container)
        out = []
        for pod in self.pods():
            uid = pod.metadata.uid or ""
            running = by_uid.get(uid, [])
            out.append(self._pod(pod, running))
        return out

    def _pod(self, pod: Pod, running: list[RuntimeContainer]) -> Json:
        uid = pod.metadata.uid or ""
        apps = [c for c in running if c.type != naming.TYPE_PAUSE]
        sandbox = next((c for c in running if c.type == naming.TYPE_PAUSE), None)
        stats = [self._container(c) for c in apps]
        cpu = sum(s["cpu"]["usageCoreNanoSeconds"] for s in stats)
        memory = sum(s["memory"]["workingSetBytes"] for s in stats)
        volumes = self._volumes(uid)
        logs = sum(s["logs"]["usedBytes"] for s in stats)
        entry: Json = {
            "podRef": {"name": pod.name, "namespace": pod.metadata.namespace, "uid": uid},
            "startTime": pod.status.start_time or self.start_time,
            "containers": stats,
            "cpu": self._cpu_json(f"pod/{uid}", cpu),
            "memory": {"time": _now(), "workingSetBytes": memory,
                       "usageBytes": sum(s["memory"]["usageBytes"] for s in stats),
                       "rssBytes": sum(s["memory"]["rssBytes"] for s in stats)},
            "volume": volumes,
            "ephemeral-storage": {"time": _now(),
                                  "usedBytes": logs + sum(v["usedBytes"] for v in volumes)},
            "process_stats": {"process_count": len(apps)},
        }
        if sandbox is not None and sandbox.pid and not pod.spec.host_network:
            entry["network"] = _network(_net_dev(sandbox.pid), "eth0")
        return entry

    def _container(self, container: RuntimeContainer) -> Json:
        dirs = _cgroup_dirs(container.pid, self.cgroup_root) if container.pid else {}
        cpuacct = dirs.get("cpuacct")
        memory = dirs.get("memory")
        usage = _int(cpuacct / "cpuacct.usage") if cpuacct else None
        mem_usage = (_int(memory / "memory.usage_in_bytes") if memory else None) or 0
        mem_stat = _key_values(_read(memory / "memory.stat")) if memory else {}
        inactive = mem_stat.get("total_inactive_file", 0)
        log_file = self.log_path(container.id)
        log_bytes = os.path.getsize(log_file) if log_file and os.path.exists(log_file) else 0
        return {
            "name": container.name,
            "startTime": datetime.fromtimestamp(container.started_at or 0, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "cpu": self._cpu_json(container.id, usage or 0),
            "memory": {"time": _now(), "usageBytes": mem_usage,
                       "workingSetBytes": max(0, mem_usage - inactive),
                       "rssBytes": mem_stat.get("total_rss", 0),
                       "pageFaults": mem_stat.get("total_pgfault", 0),
                       "majorPageFaults": mem_stat.get("total_pgmajfault", 0)},
            "rootfs": {"time": _now(), "usedBytes": 0},
            "logs": {"time": _now(), "usedBytes": log_bytes},
        }

    def _volumes(self, uid: str) -> list[Json]:
        base = self.root_dir / "pods" / uid / "volumes"
        out: list[Json] = []
        if not base.is_dir():
            return out
        for kind in base.iterdir():
            for volume in kind.iterdir() if kind.is_dir() else ():
                out.append({"time": _now(), "name": volume.name, "usedBytes": _dir_size(volume)})
        return out


def _default_interface() -> str:
    for line in _read("/proc/net/route").splitlines()[1:]:
        fields = line.split()
        if len(fields) > 1 and fields[1] == "00000000":
            return fields[0]
    return "eth0"
