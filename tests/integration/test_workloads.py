"""The workload controllers as a process, against a real etcd and apiserver.

There is no scheduler or kubelet here: :class:`FakeKubelet` binds the pods to bare Node
objects and reports them Running and Ready (or Succeeded/Failed for Jobs), and removes
pods marked for deletion. Everything else a test sees was done by the controllers.
Rollouts are checked on every watch event, not just at the end.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from apimachinery.apps_v1 import DaemonSet, Deployment, ReplicaSet, StatefulSet
from apimachinery.batch_v1 import Job
from apimachinery.core_v1 import Node, NodeCondition, NodeStatus, Pod
from apimachinery.meta import ObjectMeta
from apimachinery.registry import by_kind
from client import Client, WatchEvent, load_config
from tests.fixtures.components import Component, Components
from tests.integration._fake_kubelet import FakeKubelet

T = TypeVar("T")

CM_MODULE = "controller_manager.main"
# Only the workload controllers: these tests' bare nodes renew no Lease, so node
# lifecycle would otherwise evict their pods part-way through.
WORKLOADS = ("daemonset", "deployment", "job", "replicaset", "replicationcontroller",
             "statefulset")
IMAGE = "skiff/busybox:test"


# -- fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
async def api(kubeconfig: Path) -> AsyncIterator[Client]:
    client = Client(load_config(kubeconfig))
    yield client
    await client.aclose()


@pytest.fixture
def cm(components: Components) -> Callable[[], Component]:
    """Start (or restart) the workload controllers as their own process."""
    def start() -> Component:
        return components.start(CM_MODULE, "--leader-elect=false", "--port=0",
                                "--controllers=" + ",".join(sorted(WORKLOADS)),
                                "--job-pod-failure-backoff=100ms")
    return start


@pytest.fixture
async def nodes(api: Client) -> AsyncIterator[Callable[[int], Awaitable[list[str]]]]:
    """Bare Ready nodes labelled for this test only (nodes are cluster-wide)."""
    group = uuid.uuid4().hex[:6]
    made: list[str] = []

    async def make(count: int) -> list[str]:
        names = []
        for _ in range(count):
            name = f"wl-{group}-{len(made)}"
            await api.resource(Node).create(Node(
                metadata=ObjectMeta(name=name, labels={"skiff.test/group": group}),
                status=NodeStatus(conditions=[NodeCondition(type="Ready", status="True")])))
            made.append(name)
            names.append(name)
        return names

    make.group = group  # type: ignore[attr-defined]
    yield make
    for name in made:
        await api.resource(Node).delete(name)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 60,
                     what: str = "condition") -> T:
    """Poll ``check`` with backoff until it returns something truthy."""
    delay = 0.05
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(delay)  # bounded backoff while waiting on a condition
            delay = min(delay * 2, 0.5)
    raise AssertionError(f"{what} never held")


def template(image: str = IMAGE, **labels: str) -> dict[str, Any]:
    return {"metadata": {"labels": labels or {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": image,
                                     "command": ["sleep", "3600"]}],
                     "terminationGracePeriodSeconds": 5}}


def deployment(name: str, replicas: int, *, image: str = IMAGE,
               strategy: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": template(image, app=name),
                     "strategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {
                         "maxSurge": 2, "maxUnavailable": 1}}}}


async def pods_of(api: Client, namespace: str, selector: str) -> list[Pod]:
    return (await api.resource(Pod, namespace).list(label_selector=selector)).items


def ready(pod: Pod) -> bool:
    cond = pod.status.condition("Ready")
    return cond is not None and cond.status == "True"


def image_of(pod: Pod) -> str:
    return pod.spec.containers[0].image or ""


async def rolled_out(api: Client, namespace: str, name: str, replicas: int,
                     image: str) -> Deployment | None:
    """The Deployment once ``kubectl rollout status`` would call it done."""
    d = await api.resource(Deployment, namespace).get(name)
    s = d.status
    done = ((s.observed_generation or 0) >= (d.metadata.generation or 0)
            and (s.updated_replicas or 0) == replicas and (s.replicas or 0) == replicas
            and (s.available_replicas or 0) == replicas)
    pods = [p for p in await pods_of(api, namespace, f"app={name}")
            if p.metadata.deletion_timestamp is None]
    if done and len(pods) == replicas and all(image_of(p) == image and ready(p) for p in pods):
        return d
    return None


class PodWatch:
    """Every pod event of a namespace, in order, with a check run after each one."""

    def __init__(self, api: Client, namespace: str, selector: str | None = None,
                 check: Callable[[dict[str, Pod], WatchEvent[Pod]], None] | None = None
                 ) -> None:
        self.api = api.resource(Pod, namespace)
        self.selector = selector
        self.check = check
        self.resource_version: str | None = None
        self.pods: dict[str, Pod] = {}
        self.events: list[tuple[str, str]] = []
        self.failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PodWatch:
        listed = await self.api.list(label_selector=self.selector)
        self.pods = {p.name: p for p in listed.items}
        self.resource_version = listed.resource_version
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        assert self._task is not None
        if exc_type is None:
            await eventually(self._caught_up, what="the watch catching up")
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self.failure is not None:
            raise self.failure

    async def _caught_up(self) -> bool:
        """The watch has seen everything a fresh list shows (tests end when it has)."""
        listed = await self.api.list(label_selector=self.selector)
        now = {p.name: p.metadata.resource_version for p in listed.items}
        return now == {n: p.metadata.resource_version for n, p in self.pods.items()}

    async def _run(self) -> None:
        stream = self.api.watch(resource_version=self.resource_version,
                                label_selector=self.selector, timeout_seconds=600,
                                allow_bookmarks=False)
        async with stream:
            async for event in stream:
                pod = event.object
                if event.type == "DELETED":
                    self.pods.pop(pod.name, None)
                else:
                    self.pods[pod.name] = pod
                self.events.append((event.type, pod.name))
                if self.check is not None and self.failure is None:
                    try:
                        self.check(self.pods, event)
                    except AssertionError as err:
                        self.failure = err


async def _create(api: Client, namespace: str, manifest: dict[str, Any]) -> None:
    rtype = by_kind(manifest["apiVersion"], manifest["kind"])
    assert rtype is not None
    await api.dynamic(rtype, namespace).create(manifest)


async def _patch(api: Client, model: type[Any], namespace: str, name: str,
                 patch: Any, kind: str = "strategic") -> None:
    await api.resource(model, namespace).patch(name, patch, kind)  # type: ignore[arg-type]


def kubectl(kubeconfig: Path, namespace: str, *args: str) -> str:
    done = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "-n", namespace, *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"kubectl {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None,
                                   reason="kubectl is not installed on this machine")


# -- Deployments -------------------------------------------------------------------------------

async def test_a_deployment_of_five_becomes_five_ready_pods(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(2)
    cm()
    async with FakeKubelet(api, namespace, names):
        await _create(api, namespace, deployment("web", 5))
        d = await eventually(lambda: rolled_out(api, namespace, "web", 5, IMAGE), what="rollout")

    [rs] = (await api.resource(ReplicaSet, namespace).list()).items
    hash_ = rs.metadata.labels["pod-template-hash"]
    assert rs.name == f"web-{hash_}"
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    pods = await pods_of(api, namespace, "app=web")
    assert {p.metadata.labels["pod-template-hash"] for p in pods} == {hash_}
    assert all(p.name.startswith(f"web-{hash_}-") for p in pods)
    conditions = {c.type: (c.status, c.reason) for c in d.status.conditions or ()}
    assert conditions == {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}


def rollout_bounds(replicas: int, surge: int, unavailable: int
                   ) -> Callable[[dict[str, Pod], WatchEvent[Pod]], None]:
    def check(pods: dict[str, Pod], event: WatchEvent[Pod]) -> None:
        alive = [p for p in pods.values() if p.metadata.deletion_timestamp is None]
        available = sum(1 for p in alive if ready(p))
        assert len(alive) <= replicas + surge, (
            f"{len(alive)} pods after {event.type} {event.object.name}: above the surge")
        assert available >= replicas - unavailable, (
            f"{available} available after {event.type} {event.object.name}")
    return check


async def test_rolling_update_keeps_its_bounds_on_every_event_and_rolls_back(
        api: Client, namespace: str, cm: Callable[[], Component], kubeconfig: Path,
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(2)
    cm()
    async with FakeKubelet(api, namespace, names):
        await _create(api, namespace, deployment("web", 5))
        await eventually(lambda: rolled_out(api, namespace, "web", 5, IMAGE))

        async with PodWatch(api, namespace, "app=web", rollout_bounds(5, 2, 1)) as watch:
            await _patch(api, Deployment, namespace, "web", {"spec": {"template": {"spec": {
                "containers": [{"name": "app", "image": "skiff/busybox:v2"}]}}}})
            await eventually(lambda: rolled_out(api, namespace, "web", 5, "skiff/busybox:v2"))
        assert sum(1 for t, _ in watch.events if t == "ADDED") == 5

        sets = (await api.resource(ReplicaSet, namespace).list()).items
        revisions = {rs.spec.template.spec.containers[0].image:
                     rs.metadata.annotations["deployment.kubernetes.io/revision"] for rs in sets}
        assert revisions == {IMAGE: "1", "skiff/busybox:v2": "2"}

        # `kubectl rollout undo` patches the old template back, client-side.
        async with PodWatch(api, namespace, "app=web", rollout_bounds(5, 2, 1)):
            await _undo(api, namespace, "web", kubeconfig)
            await eventually(lambda: rolled_out(api, namespace, "web", 5, IMAGE))
    sets = (await api.resource(ReplicaSet, namespace).list()).items
    assert len(sets) == 2
    revisions = {rs.spec.template.spec.containers[0].image:
                 rs.metadata.annotations["deployment.kubernetes.io/revision"] for rs in sets}
    assert revisions == {IMAGE: "3", "skiff/busybox:v2": "2"}
    d = await api.resource(Deployment, namespace).get("web")
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "3"


async def _undo(api: Client, namespace: str, name: str, kubeconfig: Path) -> None:
    if shutil.which("kubectl") is not None:
        out = kubectl(kubeconfig, namespace, "rollout", "undo", f"deployment/{name}")
        assert "rolled back" in out
        return
    # Without kubectl: the same JSON patch kubectl sends.
    sets = (await api.resource(ReplicaSet, namespace).list()).items
    previous = min(sets, key=lambda rs: int(rs.metadata.annotations[
        "deployment.kubernetes.io/revision"]))
    tpl = previous.spec.template.to_dict()
    tpl["metadata"]["labels"].pop("pod-template-hash")
    await _patch(api, Deployment, namespace, name, [
        {"op": "replace", "path": "/spec/template", "value": tpl}], "json")


@needs_kubectl
async def test_kubectl_rollout_status_history_and_undo_to_revision(
        api: Client, namespace: str, cm: Callable[[], Component], kubeconfig: Path,
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()
    async with FakeKubelet(api, namespace, names):
        await _create(api, namespace, deployment("web", 2))
        out = await asyncio.to_thread(kubectl, kubeconfig, namespace, "rollout", "status",
                                      "deployment/web", "--timeout=60s")
        assert 'deployment "web" successfully rolled out' in out
        for image in ("skiff/busybox:v2", "skiff/busybox:v3"):
            kubectl(kubeconfig, namespace, "set", "image", "deployment/web", f"app={image}")
            await asyncio.to_thread(kubectl, kubeconfig, namespace, "rollout", "status",
                                    "deployment/web", "--timeout=60s")
        history = kubectl(kubeconfig, namespace, "rollout", "history", "deployment/web")
        assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == [
            "1", "2", "3"]
        assert "rolled back" in kubectl(kubeconfig, namespace, "rollout", "undo",
                                        "deployment/web", "--to-revision=1")
        await asyncio.to_thread(kubectl, kubeconfig, namespace, "rollout", "status",
                                "deployment/web", "--timeout=60s")
        history = kubectl(kubeconfig, namespace, "rollout", "history", "deployment/web")
        assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == [
            "2", "3", "4"]
        kubectl(kubeconfig, namespace, "rollout", "restart", "deployment/web")
        await asyncio.to_thread(kubectl, kubeconfig, namespace, "rollout", "status",
                                "deployment/web", "--timeout=60s")
        listing = json.loads(kubectl(kubeconfig, namespace, "get", "deploy", "web", "-o", "json"))
        assert listing["status"]["updatedReplicas"] == 2
        assert len((await api.resource(ReplicaSet, namespace).list()).items) == 4

        # A paused Deployment takes template changes without rolling them out.
        kubectl(kubeconfig, namespace, "rollout", "pause", "deployment/web")
        kubectl(kubeconfig, namespace, "set", "image", "deployment/web", "app=skiff/busybox:v5")

        async def observed_paused() -> Deployment | None:
            d = await api.resource(Deployment, namespace).get("web")
            cond = d.status.condition("Progressing")
            seen = d.status.observed_generation == d.metadata.generation
            return d if seen and cond is not None and cond.reason == "DeploymentPaused" else None
        await eventually(observed_paused)
        assert len((await api.resource(ReplicaSet, namespace).list()).items) == 4
        kubectl(kubeconfig, namespace, "rollout", "resume", "deployment/web")
        await asyncio.to_thread(kubectl, kubeconfig, namespace, "rollout", "status",
                                "deployment/web", "--timeout=60s")
        assert {image_of(p) for p in await pods_of(api, namespace, "app=web")
                if p.metadata.deletion_timestamp is None} == {"skiff/busybox:v5"}


async def test_recreate_removes_every_old_pod_before_the_first_new_one(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()

    def check(pods: dict[str, Pod], event: WatchEvent[Pod]) -> None:
        images = {image_of(p) for p in pods.values()}
        assert len(images) <= 1, f"old and new pods together after {event.object.name}"

    async with FakeKubelet(api, namespace, names):
        await _create(api, namespace, deployment("web", 3, strategy={"type": "Recreate"}))
        await eventually(lambda: rolled_out(api, namespace, "web", 3, IMAGE))
        async with PodWatch(api, namespace, "app=web", check):
            await _patch(api, Deployment, namespace, "web", {"spec": {"template": {"spec": {
                "containers": [{"name": "app", "image": "skiff/busybox:v2"}]}}}})
            await eventually(lambda: rolled_out(api, namespace, "web", 3, "skiff/busybox:v2"))


async def test_scaling_to_zero_leaves_no_pod(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()
    async with FakeKubelet(api, namespace, names):
        await _create(api, namespace, deployment("web", 3))
        await eventually(lambda: rolled_out(api, namespace, "web", 3, IMAGE))
        await api.resource(Deployment, namespace).scale("web", 0)

        async def gone() -> bool:
            d = await api.resource(Deployment, namespace).get("web")
            return (not await pods_of(api, namespace, "app=web")
                    and d.status.observed_generation == d.metadata.generation
                    and not d.status.replicas)
        await eventually(gone, what="no pods")


# -- Jobs ------------------------------------------------------------------------------------------

def job(name: str, *, completions: int | None, parallelism: int, backoff_limit: int = 6
        ) -> dict[str, Any]:
    tpl = template(app=name)
    tpl["spec"]["restartPolicy"] = "Never"
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"completions": completions, "parallelism": parallelism,
                     "backoffLimit": backoff_limit, "template": tpl}}


async def finished_job(api: Client, namespace: str, name: str) -> Job | None:
    j = await api.resource(Job, namespace).get(name)
    return j if any(c.type in ("Complete", "Failed") and c.status == "True"
                    for c in j.status.conditions or ()) else None


async def test_a_job_runs_three_completions_two_at_a_time(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()

    def at_most_two_running(pods: dict[str, Pod], event: WatchEvent[Pod]) -> None:
        active = [p for p in pods.values() if p.status.phase not in ("Succeeded", "Failed")
                  and p.metadata.deletion_timestamp is None]
        assert len(active) <= 2, f"{len(active)} active pods after {event.object.name}"

    async with FakeKubelet(api, namespace, names, outcome=lambda pod: "Succeeded"), \
            PodWatch(api, namespace, None, at_most_two_running):
        await _create(api, namespace, job("pi", completions=3, parallelism=2))
        done = await eventually(lambda: finished_job(api, namespace, "pi"))

    assert [(c.type, c.status) for c in done.status.conditions or ()] == [("Complete", "True")]
    assert (done.status.succeeded, done.status.failed, done.status.active) == (3, None, None)
    assert done.status.start_time and done.status.completion_time
    pods = await pods_of(api, namespace, "job-name=pi")
    assert len(pods) == 3
    assert all(p.status.phase == "Succeeded" and not p.metadata.finalizers for p in pods)
    assert all(p.name.startswith("pi-") for p in pods)


async def test_a_job_whose_pods_fail_stops_at_its_backoff_limit(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()
    async with FakeKubelet(api, namespace, names, outcome=lambda pod: "Failed"):
        await _create(api, namespace, job("crash", completions=1, parallelism=1,
                                          backoff_limit=2))
        done = await eventually(lambda: finished_job(api, namespace, "crash"))

    [failed] = done.status.conditions or []
    assert (failed.type, failed.reason, failed.message) == (
        "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert done.status.failed == 3 and not done.status.succeeded
    pods = await pods_of(api, namespace, "job-name=crash")
    assert len(pods) == 3
    assert all(not p.metadata.finalizers for p in pods)


# -- StatefulSets ---------------------------------------------------------------------------------

async def test_a_stateful_set_starts_in_order_and_scales_down_from_the_top(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(1)
    cm()

    def in_order(pods: dict[str, Pod], event: WatchEvent[Pod]) -> None:
        if event.type != "ADDED":
            return
        ordinal = int(event.object.name.rsplit("-", 1)[1])
        for lower in range(ordinal):
            pod = pods.get(f"db-{lower}")
            assert pod is not None and ready(pod), f"db-{ordinal} before db-{lower} was Ready"

    manifest = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                "spec": {"replicas": 3, "serviceName": "db",
                         "selector": {"matchLabels": {"app": "db"}},
                         "template": template(app="db")}}
    async with FakeKubelet(api, namespace, names):
        async with PodWatch(api, namespace, "app=db", in_order) as watch:
            await _create(api, namespace, manifest)

            async def all_ready() -> StatefulSet | None:
                s = await api.resource(StatefulSet, namespace).get("db")
                return s if (s.status.ready_replicas or 0) == 3 else None
            sts = await eventually(all_ready)
        assert [n for t, n in watch.events if t == "ADDED"] == ["db-0", "db-1", "db-2"]
        pod = (await pods_of(api, namespace, "statefulset.kubernetes.io/pod-name=db-1"))[0]
        assert (pod.spec.hostname, pod.spec.subdomain) == ("db-1", "db")
        assert pod.metadata.labels["controller-revision-hash"] == sts.status.update_revision
        assert sts.status.current_revision == sts.status.update_revision

        async with PodWatch(api, namespace, "app=db") as watch:
            await api.resource(StatefulSet, namespace).scale("db", 1)

            async def one_left() -> bool:
                return [p.name for p in await pods_of(api, namespace, "app=db")] == ["db-0"]
            await eventually(one_left)
        assert [n for t, n in watch.events if t == "DELETED"] == ["db-2", "db-1"]


# -- DaemonSets ------------------------------------------------------------------------------------

async def test_a_daemon_set_puts_one_pod_on_each_node_and_follows_new_nodes(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(2)
    group = nodes.group  # type: ignore[attr-defined]
    cm()
    tpl = template(app="agent")
    tpl["spec"]["nodeSelector"] = {"skiff.test/group": group}
    manifest = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": tpl}}
    async with FakeKubelet(api, namespace, names) as kubelet:
        await _create(api, namespace, manifest)

        async def placed(count: int) -> dict[str, str] | None:
            pods = await pods_of(api, namespace, "app=agent")
            ds = await api.resource(DaemonSet, namespace).get("agent")
            on = {p.spec.node_name: p.name for p in pods if ready(p)}
            ok = (len(pods) == count and len(on) == count
                  and ds.status.number_available == count
                  and ds.status.desired_number_scheduled == count)
            return on if ok else None

        assert set(await eventually(lambda: placed(2))) == set(names)
        [extra] = await nodes(1)
        kubelet.add_node(extra)
        assert set(await eventually(lambda: placed(3))) == {*names, extra}

    pods = await pods_of(api, namespace, "app=agent")
    tolerations = {(t.key, t.effect) for t in pods[0].spec.tolerations or ()}
    assert ("node.kubernetes.io/not-ready", "NoExecute") in tolerations
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in tolerations
    ds = await api.resource(DaemonSet, namespace).get("agent")
    assert (ds.status.current_number_scheduled, ds.status.number_ready,
            ds.status.updated_number_scheduled, ds.status.number_misscheduled,
            ds.status.observed_generation) == (3, 3, 3, 0, 1)


# -- restarts -------------------------------------------------------------------------------------

async def test_a_restarted_controller_manager_leaves_a_steady_state_alone(
        api: Client, namespace: str, cm: Callable[[], Component],
        nodes: Callable[[int], Awaitable[list[str]]]) -> None:
    names = await nodes(2)
    group = nodes.group  # type: ignore[attr-defined]
    first = cm()
    tpl = template(app="agent")
    tpl["spec"]["nodeSelector"] = {"skiff.test/group": group}

    def outcome(pod: Pod) -> str:  # the "done" Job's pod finishes, everything else runs
        return "Succeeded" if (pod.metadata.labels or {}).get("job-name") == "done" else "Running"

    async with FakeKubelet(api, namespace, names, outcome=outcome):
        await _create(api, namespace, deployment("web", 3))
        await _create(api, namespace, {
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 2, "serviceName": "db",
                     "selector": {"matchLabels": {"app": "db"}}, "template": template(app="db")}})
        await _create(api, namespace, {
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": tpl}})
        await _create(api, namespace, job("done", completions=1, parallelism=1))
        await _create(api, namespace, job("busy", completions=1, parallelism=1))
        await eventually(lambda: rolled_out(api, namespace, "web", 3, IMAGE))
        await eventually(lambda: finished_job(api, namespace, "done"))

        async def steady() -> bool:
            pods = await pods_of(api, namespace, "")
            running = [p for p in pods if p.status.phase == "Running"]
            return len(pods) == 3 + 2 + 2 + 2 and len(running) == 8 and all(
                ready(p) for p in running)
        await eventually(steady)
        first.stop()

        async with PodWatch(api, namespace) as watch:
            cm()
            # A new Deployment proves the restarted process is up and working through its
            # queue; everything that existed before was queued ahead of it.
            await _create(api, namespace, deployment("marker", 1))
            await eventually(lambda: rolled_out(api, namespace, "marker", 1, IMAGE))
        # The watch saw the marker's pod come, so it would have seen any other.
        assert ("ADDED", "marker") in [(t, n.rsplit("-", 2)[0]) for t, n in watch.events]
        churn = [(t, n) for t, n in watch.events
                 if t in ("ADDED", "DELETED") and not n.startswith("marker-")]
        assert churn == []
