"""sync_pod against the fake runtime and the fake apiserver: what it runs, kills and says.

Each test builds the kubelet's syncer over :class:`FakeRuntime` (containers that start at
once and exit when told to), a fake pod network and an in-memory apiserver, calls
``sync`` the way a pod worker does, and asserts on what the runtime was asked to do and
what status was written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apimachinery.core_v1 import Pod, SecurityContext
from client import Client, FakeClock
from client.testing import FakeApiServer
from kubelet import naming
from kubelet.handlers import ActionRunner
from kubelet.imagepull import ImagePuller
from kubelet.network import FakeNetwork
from kubelet.objects import StaticObjects
from kubelet.probes import ProbeManager
from kubelet.runtime import FakeRuntime, RuntimeContainer
from kubelet.status_manager import StatusManager
from kubelet.sync import PodSyncer, SyncDeps
from kubelet.volumes import NoVolumes
from tests.unit.kubelet.conftest import make_pod


@dataclass
class Kit:
    clock: FakeClock
    fake: FakeApiServer
    client: Client
    runtime: FakeRuntime
    syncer: PodSyncer
    events: list[str] = field(default_factory=list)

    def api_pod(self, pod: Pod) -> Pod:
        return Pod.model_validate(self.fake.get(Pod, "default", pod.name))

    async def sync(self, pod: Pod | None, uid: str = "uid-web") -> float | None:
        api = self.api_pod(pod) if pod is not None and self.fake.get(Pod, "default", pod.name) else None
        return await self.syncer.sync(uid, api or pod, api)

    def containers(self, name: str | None = None) -> list[RuntimeContainer]:
        found = [c for c in self.runtime.containers() if c.type != naming.TYPE_PAUSE]
        return [c for c in found if name is None or c.name == name]

    def status_patches(self) -> list[Any]:
        return [a for a in self.fake.actions if a.verb == "patch" and a.subresource == "status"]


@pytest.fixture
async def kit(clock: FakeClock, tmp_path: Path) -> AsyncIterator[Kit]:
    fake = FakeApiServer(clock=clock)
    client = fake.client()
    runtime = FakeRuntime(now=lambda: clock.now().timestamp(), all_images_present=False)
    runtime.images["skiff/busybox:test"] = await runtime.pull_image("skiff/busybox:test")
    runtime.calls.clear()
    network = FakeNetwork()
    await network.setup_node("10.244.9.0/24")
    events: list[str] = []
    runner = ActionRunner(runtime)
    probes = ProbeManager(runner, clock, lambda uid: None, lambda *a: None, rand=lambda: 0.0)
    syncer = PodSyncer(SyncDeps(
        node="n1", node_ip="192.0.2.2", runtime=runtime, network=network,
        volumes=NoVolumes(tmp_path), objects=StaticObjects(), probes=probes, runner=runner,
        images=ImagePuller(runtime, clock), status=StatusManager(client),
        record=lambda pod, kind, reason, message: events.append(f"{kind} {reason}: {message}"),
        clock=clock))
    yield Kit(clock, fake, client, runtime, syncer, events)
    await probes.close()
    await runner.close()
    await client.aclose()


def add(kit: Kit, pod: Pod) -> Pod:
    kit.fake.add(pod)
    return kit.api_pod(pod)


async def test_a_new_pod_gets_a_sandbox_its_containers_and_a_running_status(kit: Kit) -> None:
    pod = add(kit, make_pod("a", "b"))
    assert await kit.sync(pod) is None
    assert [v for v, _ in kit.runtime.calls] == [
        "run_sandbox", "create_container", "start_container", "create_container", "start_container"]
    assert sorted(c.name for c in kit.containers()) == ["a", "b"]
    written = kit.api_pod(pod).status
    assert written.phase == "Running" and written.pod_ip == "10.244.9.2"
    assert all(s.ready for s in written.container_statuses or ())
    assert "Normal Started: Started container a" in kit.events


async def test_syncing_again_changes_nothing_and_writes_nothing(kit: Kit) -> None:
    pod = add(kit, make_pod("a"))
    await kit.sync(pod)
    calls, patches = list(kit.runtime.calls), len(kit.status_patches())
    await kit.sync(pod)
    await kit.sync(pod)
    assert kit.runtime.calls == calls
    assert len(kit.status_patches()) == patches == 1


async def test_a_crashing_container_restarts_at_once_then_backs_off(kit: Kit) -> None:
    pod = add(kit, make_pod("a"))
    await kit.sync(pod)
    kit.runtime.exit(kit.containers("a")[0].id, 1)
    assert await kit.sync(pod) is None  # the first restart is immediate
    assert [c.attempt for c in kit.containers("a")] == [0, 1]

    kit.runtime.exit(kit.containers("a")[1].id, 1)
    wait = await kit.sync(pod)
    assert wait == pytest.approx(10)
    status = kit.api_pod(pod).status.container_statuses[0]  # type: ignore[index]
    assert status.state.waiting is not None and status.state.waiting.reason == "CrashLoopBackOff"
    assert status.restart_count == 1 and status.last_state.terminated.exit_code == 1  # type: ignore[union-attr]
    assert len(kit.containers("a")) == 2

    await kit.clock.advance(10)
    assert await kit.sync(pod) is None
    assert max(c.attempt for c in kit.containers("a")) == 2
    running = kit.api_pod(pod).status.container_statuses[0]  # type: ignore[index]
    assert running.state.running is not None and running.restart_count == 2


async def test_a_pod_that_finished_stops_its_sandbox_and_keeps_its_containers(kit: Kit) -> None:
    pod = add(kit, make_pod("a", restart="OnFailure"))
    await kit.sync(pod)
    kit.runtime.exit(kit.containers("a")[0].id, 0)
    await kit.sync(pod)
    assert kit.api_pod(pod).status.phase == "Succeeded"
    sandbox = next(c for c in kit.runtime.containers() if c.type == naming.TYPE_PAUSE)
    assert not sandbox.running
    assert len(kit.containers("a")) == 1
    await kit.sync(kit.api_pod(pod))  # a finished pod is never started again
    assert len(kit.containers("a")) == 1


async def test_an_image_that_cannot_be_pulled_waits_with_err_image_pull(kit: Kit) -> None:
    pod = make_pod("a")
    pod.spec.containers[0].image = "skiff/nope:1"
    pod.spec.containers[0].image_pull_policy = "IfNotPresent"
    pod = add(kit, pod)
    kit.runtime.unpullable["skiff/nope:1"] = "pull access denied for skiff/nope"
    assert await kit.sync(pod) == 1.0
    waiting = kit.api_pod(pod).status.container_statuses[0].state.waiting  # type: ignore[index]
    assert waiting is not None and waiting.reason == "ErrImagePull"
    assert "pull access denied for skiff/nope" in (waiting.message or "")
    await kit.clock.advance(1)
    assert await kit.sync(pod) == pytest.approx(9)
    waiting = kit.api_pod(pod).status.container_statuses[0].state.waiting  # type: ignore[index]
    assert waiting is not None and waiting.reason == "ImagePullBackOff"
    assert [v for v, _ in kit.runtime.calls].count("pull") == 1


async def test_a_privileged_container_is_refused_with_a_warning(kit: Kit) -> None:
    pod = make_pod("a")
    pod.spec.containers[0].security_context = SecurityContext(privileged=True)
    pod = add(kit, pod)
    await kit.sync(pod)
    assert kit.containers() == []
    waiting = kit.api_pod(pod).status.container_statuses[0].state.waiting  # type: ignore[index]
    assert waiting is not None and waiting.reason == "CreateContainerConfigError"
    assert any(e.startswith("Warning Failed: Error: privileged containers are refused")
               for e in kit.events)


async def test_a_deleted_pod_is_stopped_then_its_deletion_confirmed(kit: Kit) -> None:
    pod = add(kit, make_pod("a"))
    await kit.sync(pod)
    deleting = kit.api_pod(pod)
    deleting.metadata.deletion_timestamp = "2024-01-01T00:00:30Z"
    deleting.metadata.deletion_grace_period_seconds = 30
    kit.fake.modify(deleting)
    await kit.sync(kit.api_pod(pod))
    assert not any(c.running for c in kit.runtime.containers())
    delete = next(a for a in kit.fake.actions if a.verb == "delete")
    assert delete.body["gracePeriodSeconds"] == 0
    assert delete.body["preconditions"] == {"uid": "uid-web"}


async def test_a_pod_gone_from_the_api_leaves_nothing_behind(kit: Kit) -> None:
    pod = add(kit, make_pod("a", "b"))
    await kit.sync(pod)
    await kit.syncer.sync("uid-web", None, None)
    assert kit.runtime.containers() == []
    assert kit.syncer.d.network.allocations() == {}


async def test_init_containers_run_before_the_app(kit: Kit) -> None:
    pod = add(kit, make_pod("app", init=("setup",)))
    await kit.sync(pod)
    assert [c.name for c in kit.containers()] == ["setup"]
    kit.runtime.exit(kit.containers("setup")[0].id, 0)
    await kit.sync(pod)
    assert sorted(c.name for c in kit.containers()) == ["app", "setup"]
    status = kit.api_pod(pod).status
    assert status.phase == "Running"
    assert status.init_container_statuses[0].state.terminated.reason == "Completed"  # type: ignore[index,union-attr]
