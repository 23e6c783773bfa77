"""What sync_pod decides to start and kill, from the spec and what the runtime shows."""

from __future__ import annotations

from kubelet.actions import compute_pod_actions
from kubelet.observed import PodObserved
from kubelet.runtime import RuntimeContainer, State
from tests.unit.kubelet.conftest import container, make_pod, sandbox


def observed(*found: RuntimeContainer) -> PodObserved:
    return PodObserved.of("uid-web", found)


def names(specs: list) -> list[str]:
    return [s.name for s in specs]


def test_a_new_pod_gets_a_sandbox_and_all_its_containers() -> None:
    actions = compute_pod_actions(make_pod("a", "b"), observed(), sandbox_ready=False)
    assert actions.create_sandbox and actions.sandbox_attempt == 0
    assert not actions.kill_pod
    assert names(actions.start) == ["a", "b"]


def test_a_running_pod_needs_nothing() -> None:
    pod = make_pod("a", "b")
    actions = compute_pod_actions(pod, observed(sandbox(), container("a", pod=pod),
                                                container("b", pod=pod)), sandbox_ready=True)
    assert actions.idle and not actions.done


def test_a_dead_sandbox_is_replaced_and_everything_restarted_with_the_next_attempt() -> None:
    pod = make_pod("a")
    actions = compute_pod_actions(pod, observed(sandbox(state=State.EXITED),
                                                container("a", pod=pod)), sandbox_ready=False)
    assert actions.kill_pod and actions.create_sandbox and actions.sandbox_attempt == 1
    assert names(actions.start) == ["a"]


def test_a_sandbox_without_its_network_counts_as_broken() -> None:
    pod = make_pod("a")
    actions = compute_pod_actions(pod, observed(sandbox(), container("a", pod=pod)),
                                  sandbox_ready=False)
    assert actions.kill_pod and actions.create_sandbox


def test_under_never_a_pod_whose_containers_ran_is_not_given_a_new_sandbox() -> None:
    pod = make_pod("a", restart="Never")
    actions = compute_pod_actions(pod, observed(sandbox(state=State.EXITED),
                                                container("a", state=State.EXITED, exit_code=0)),
                                  sandbox_ready=False)
    assert actions.done and not actions.create_sandbox


def test_restart_policies_decide_which_exited_containers_start_again() -> None:
    cases = {
        ("Always", 0): True, ("Always", 1): True,
        ("OnFailure", 0): False, ("OnFailure", 1): True,
        ("Never", 0): False, ("Never", 1): False,
    }
    for (policy, code), restarts in cases.items():
        pod = make_pod("a", restart=policy)
        actions = compute_pod_actions(
            pod, observed(sandbox(), container("a", state=State.EXITED, exit_code=code, pod=pod)),
            sandbox_ready=True)
        assert bool(actions.start) is restarts, (policy, code)
        assert actions.done is not restarts, (policy, code)


def test_init_containers_run_one_at_a_time_in_order() -> None:
    pod = make_pod("app", init=("first", "second"))
    fresh = compute_pod_actions(pod, observed(), sandbox_ready=False)
    assert fresh.start_init is not None and fresh.start_init.name == "first"
    assert fresh.start == []

    running_first = compute_pod_actions(pod, observed(sandbox(), container("first", kind="init")),
                                        sandbox_ready=True)
    assert running_first.idle

    first_done = compute_pod_actions(
        pod, observed(sandbox(), container("first", kind="init", state=State.EXITED, exit_code=0)),
        sandbox_ready=True)
    assert first_done.start_init is not None and first_done.start_init.name == "second"

    all_done = compute_pod_actions(pod, observed(
        sandbox(), container("first", kind="init", state=State.EXITED, exit_code=0),
        container("second", kind="init", state=State.EXITED, exit_code=0)), sandbox_ready=True)
    assert all_done.start_init is None and names(all_done.start) == ["app"]


def test_a_failed_init_container_is_retried_except_under_never() -> None:
    failed = container("first", kind="init", state=State.EXITED, exit_code=1)
    retried = compute_pod_actions(make_pod("app", init=("first",)), observed(sandbox(), failed),
                                  sandbox_ready=True)
    assert retried.start_init is not None and retried.start_init.name == "first"
    given_up = compute_pod_actions(make_pod("app", init=("first",), restart="Never"),
                                   observed(sandbox(), failed), sandbox_ready=True)
    assert given_up.done and given_up.start_init is None and given_up.start == []


def test_a_failed_liveness_probe_kills_and_restarts_the_container() -> None:
    pod = make_pod("a")
    live = container("a", pod=pod)
    actions = compute_pod_actions(pod, observed(sandbox(), live), sandbox_ready=True,
                                  must_restart=lambda c: "Liveness" if c.id == live.id else None)
    assert [(c.id, why) for c, why in actions.kill] == [
        (live.id, "Container a failed liveness probe, will be restarted")]
    assert names(actions.start) == ["a"]


def test_a_changed_container_spec_restarts_that_container_only() -> None:
    pod = make_pod("a", "b")
    old = container("a", pod=make_pod("a", "b", name="web"))
    pod.spec.containers[0].image = "skiff/busybox:v2"
    actions = compute_pod_actions(pod, observed(sandbox(), old, container("b", pod=pod)),
                                  sandbox_ready=True)
    assert [c.id for c, _ in actions.kill] == [old.id]
    assert "definition changed" in actions.kill[0][1]
    assert names(actions.start) == ["a"]
