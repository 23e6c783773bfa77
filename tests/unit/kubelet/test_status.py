"""Pod status from observed containers: phase, conditions, container states, restarts."""

from __future__ import annotations

from datetime import UTC, datetime

from apimachinery.core_v1 import Pod
from kubelet.observed import PodObserved
from kubelet.runtime import RuntimeContainer, State
from kubelet.status import StatusInputs, compute_status
from tests.unit.kubelet.conftest import container, make_pod, sandbox

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def status(pod: Pod, *found: RuntimeContainer, **kwargs: object):
    inputs = StatusInputs(pod=pod, observed=PodObserved.of("uid-web", found), host_ip="192.0.2.2",
                          now=NOW, pod_ip="10.244.0.5", sandbox_ready=True, **kwargs)  # type: ignore[arg-type]
    return compute_status(inputs)


def test_running_containers_make_a_running_ready_pod() -> None:
    pod = make_pod("a", "b")
    result = status(pod, sandbox(), container("a"), container("b"))
    assert result.phase == "Running"
    assert [(c.type, c.status) for c in result.conditions or ()][:5] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True")]
    assert result.pod_ip == "10.244.0.5" and result.host_ip == "192.0.2.2"
    a = (result.container_statuses or [])[0]
    assert a.ready and a.started and a.state.running is not None
    assert a.container_id and a.container_id.startswith("docker://")
    assert a.image_id == "docker://sha256:abc"


def test_a_container_not_yet_created_waits_with_container_creating() -> None:
    result = status(make_pod("a"), sandbox())
    assert result.phase == "Pending"
    waiting = (result.container_statuses or [])[0].state.waiting
    assert waiting is not None and waiting.reason == "ContainerCreating"
    ready = next(c for c in result.conditions or () if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == (
        "False", "ContainersNotReady", "containers with unready status: [a]")


def test_a_crash_looping_container_shows_its_last_exit_and_the_back_off() -> None:
    dead = container("a", state=State.EXITED, exit_code=2, attempt=3)
    result = status(make_pod("a"), sandbox(), dead,
                    waiting={"a": ("CrashLoopBackOff", "back-off 40s restarting failed container")})
    a = (result.container_statuses or [])[0]
    assert a.restart_count == 3
    assert a.state.waiting is not None and a.state.waiting.reason == "CrashLoopBackOff"
    assert a.last_state.terminated is not None
    assert (a.last_state.terminated.exit_code, a.last_state.terminated.reason) == (2, "Error")
    assert result.phase == "Running"  # Always: waiting to restart is still running


def test_the_previous_instance_becomes_the_last_state() -> None:
    result = status(make_pod("a"), sandbox(), container("a", attempt=1),
                    container("a", state=State.EXITED, exit_code=137, oom=True, attempt=0))
    a = (result.container_statuses or [])[0]
    assert a.state.running is not None and a.restart_count == 1
    assert a.last_state.terminated is not None and a.last_state.terminated.reason == "OOMKilled"


def test_phases_for_finished_containers_follow_the_restart_policy() -> None:
    cases = [
        ("Never", [0], "Succeeded"), ("Never", [1], "Failed"), ("Never", [0, 1], "Failed"),
        ("OnFailure", [0, 0], "Succeeded"), ("Always", [0], "Running"),
    ]
    for policy, codes, phase in cases:
        names = [f"c{i}" for i in range(len(codes))]
        found = [container(n, state=State.EXITED, exit_code=code)
                 for n, code in zip(names, codes, strict=True)]
        result = status(make_pod(*names, restart=policy), sandbox(state=State.EXITED), *found)
        assert result.phase == phase, (policy, codes)


def test_a_succeeded_pod_is_not_ready_because_it_completed() -> None:
    result = status(make_pod("a", restart="Never"), container("a", state=State.EXITED, exit_code=0))
    ready = next(c for c in result.conditions or () if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "PodCompleted")


def test_init_containers_keep_the_pod_pending_and_uninitialized() -> None:
    pod = make_pod("app", init=("setup",))
    result = status(pod, sandbox(), container("setup", kind="init"))
    assert result.phase == "Pending"
    initialized = next(c for c in result.conditions or () if c.type == "Initialized")
    assert (initialized.status, initialized.message) == (
        "False", "containers with incomplete status: [setup]")
    app = (result.container_statuses or [])[0]
    assert app.state.waiting is not None and app.state.waiting.reason == "PodInitializing"

    failed = status(make_pod("app", init=("setup",), restart="Never"), sandbox(),
                    container("setup", kind="init", state=State.EXITED, exit_code=1))
    assert failed.phase == "Failed"


def test_transition_times_stay_while_a_condition_holds() -> None:
    pod = make_pod("a")
    first = status(pod, sandbox(), container("a"))
    pod.status = first
    later = compute_status(StatusInputs(
        pod=pod, observed=PodObserved.of("uid-web", [sandbox(), container("a")]),
        host_ip="192.0.2.2", now=NOW.replace(hour=13), pod_ip="10.244.0.5", sandbox_ready=True))
    assert [c.last_transition_time for c in later.conditions or ()] == \
        [c.last_transition_time for c in first.conditions or ()]
    assert later.start_time == first.start_time


def test_readiness_comes_from_the_probe_verdict() -> None:
    result = status(make_pod("a"), sandbox(), container("a"), ready=lambda spec, c: False)
    assert (result.container_statuses or [])[0].ready is False
    assert next(c for c in result.conditions or () if c.type == "ContainersReady").status == "False"


def test_a_finished_pod_keeps_its_ip_after_its_sandbox_is_gone() -> None:
    pod = make_pod("a", restart="Never")
    pod.status.phase, pod.status.pod_ip = "Succeeded", "10.244.0.5"
    result = compute_status(StatusInputs(
        pod=pod, observed=PodObserved.of("uid-web", [container("a", state=State.EXITED, exit_code=0)]),
        host_ip="192.0.2.2", now=NOW))
    assert result.phase == "Succeeded" and result.pod_ip == "10.244.0.5"
