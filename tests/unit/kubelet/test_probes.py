"""Probes: thresholds, initial delays, startup gating, and who gets woken up."""

from __future__ import annotations

from apimachinery.core_v1 import Pod, Probe
from client import FakeClock
from client.clock import settle
from kubelet import naming
from kubelet.handlers import ActionRunner
from kubelet.probes import Kind, ProbeManager, ProbeState, Result
from kubelet.runtime import ContainerConfig, ExecResult, FakeRuntime, RuntimeContainer, SandboxConfig
from tests.unit.kubelet.conftest import make_pod


def test_a_result_changes_only_after_enough_outcomes_in_a_row() -> None:
    state = ProbeState(Kind.READINESS, success_threshold=2, failure_threshold=3)
    assert state.result is Result.FAILURE  # not ready until proven otherwise
    assert [state.observe(ok) for ok in (True, False, True, True)] == [False, False, False, True]
    assert state.result is Result.SUCCESS
    assert [state.observe(ok) for ok in (False, False, True, False, False, False)] == \
        [False, False, False, False, False, True]
    assert state.result is Result.FAILURE


def test_liveness_starts_alive_and_startup_unknown() -> None:
    assert ProbeState(Kind.LIVENESS).result is Result.SUCCESS
    assert ProbeState(Kind.STARTUP).result is Result.UNKNOWN


class Rig:
    """A pod's container on the fake runtime, and a probe manager watching it."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.runtime = FakeRuntime(now=lambda: clock.now().timestamp())
        self.woken: list[str] = []
        self.events: list[str] = []
        self.probes = ProbeManager(ActionRunner(self.runtime), clock, self.woken.append,
                                   lambda pod, kind, reason, msg: self.events.append(f"{reason}: {msg}"),
                                   rand=lambda: 0.0)

    async def start(self, pod: Pod) -> RuntimeContainer:
        labels = {naming.POD_UID: pod.metadata.uid or "", naming.CONTAINER_NAME: "c"}
        sandbox = await self.runtime.run_sandbox(SandboxConfig("POD", labels, "web"))
        cid = await self.runtime.create_container(sandbox, ContainerConfig("c", "img", labels))
        await self.runtime.start_container(cid)
        container = await self.runtime.inspect_container(cid)
        self.probes.update(pod, "10.244.0.5", {"c": container})
        await settle()
        return container

    def probed(self) -> int:
        return sum(1 for verb, _ in self.runtime.calls if verb == "exec")


def pod_with(**probes: dict) -> Pod:
    pod = make_pod("c")
    for field, probe in probes.items():
        setattr(pod.spec.containers[0], field, Probe.model_validate(probe))
    return pod


async def test_a_failing_liveness_probe_asks_for_a_restart_after_the_threshold(
        clock: FakeClock) -> None:
    rig = Rig(clock)
    rig.runtime.exec_results["check"] = ExecResult(1, b"not well")
    container = await rig.start(pod_with(liveness_probe={
        "exec": {"command": ["check"]}, "initialDelaySeconds": 5, "periodSeconds": 2,
        "failureThreshold": 3}))
    for _ in range(2):
        await clock.advance(2)
    assert rig.probed() == 0  # still within the initial delay
    await clock.advance(2)  # 6 s: the first probe fails, which alone is not enough
    await clock.advance(2)
    assert rig.probed() == 2 and rig.probes.must_restart(container) is None and rig.woken == []
    await clock.advance(2)  # the third failure in a row
    assert rig.probes.must_restart(container) is Kind.LIVENESS
    assert rig.woken == ["uid-web"]
    assert rig.events[0] == "Unhealthy: Liveness probe failed: command ['check'] exited with 1: not well"
    await clock.advance(20)
    assert rig.probed() == 3  # on hold until the kubelet replaces the container
    await rig.probes.close()


async def test_readiness_flips_both_ways_and_wakes_the_pod_each_time(clock: FakeClock) -> None:
    rig = Rig(clock)
    pod = pod_with(readiness_probe={"exec": {"command": ["ready"]}, "periodSeconds": 1,
                                    "failureThreshold": 1, "successThreshold": 1})
    container = await rig.start(pod)
    spec = pod.spec.containers[0]
    assert rig.probes.is_ready(pod, spec, container) is False
    await clock.advance(1)
    assert rig.probes.is_ready(pod, spec, container) is True
    rig.runtime.exec_results["ready"] = ExecResult(1, b"")
    await clock.advance(1)
    assert rig.probes.is_ready(pod, spec, container) is False
    assert rig.woken == ["uid-web", "uid-web"]
    assert rig.probes.must_restart(container) is None  # readiness never restarts
    await rig.probes.close()


async def test_liveness_waits_for_the_startup_probe(clock: FakeClock) -> None:
    rig = Rig(clock)
    rig.runtime.exec_results["started"] = ExecResult(1, b"")
    pod = pod_with(startup_probe={"exec": {"command": ["started"]}, "periodSeconds": 1,
                                  "failureThreshold": 30},
                   liveness_probe={"exec": {"command": ["alive"]}, "periodSeconds": 1})
    container = await rig.start(pod)
    await clock.advance(3)
    assert all(cmd == "started" for verb, cmd in rig.runtime.calls if verb == "exec")
    assert rig.probes.is_started(pod.spec.containers[0], container) is False
    del rig.runtime.exec_results["started"]
    await clock.advance(1)
    assert rig.probes.is_started(pod.spec.containers[0], container) is True
    await clock.advance(2)
    assert ("exec", "alive") in rig.runtime.calls
    await rig.probes.close()
