"""Container garbage collection keeps each container's newest dead instances only."""

from __future__ import annotations

from kubelet.gc import dead_to_remove
from kubelet.runtime import State
from tests.unit.kubelet.conftest import container, sandbox


def test_the_newest_instance_and_one_dead_one_are_kept() -> None:
    old = [container("a", state=State.EXITED, exit_code=1, attempt=i) for i in range(4)]
    live = container("a", attempt=4)
    doomed = dead_to_remove([*old, live], max_per_container=1)
    assert [c.attempt for c in doomed] == [0, 1, 2]  # attempt 3 stays: the last state


def test_a_dead_newest_instance_counts_towards_the_limit() -> None:
    old = [container("a", state=State.EXITED, exit_code=1, attempt=i) for i in range(3)]
    assert [c.attempt for c in dead_to_remove(old, max_per_container=1)] == [0, 1]
    assert [c.attempt for c in dead_to_remove(old, max_per_container=2)] == [0]


def test_only_the_newest_sandbox_is_kept() -> None:
    found = [sandbox(state=State.EXITED, attempt=0), sandbox(state=State.EXITED, attempt=1),
             sandbox(attempt=2)]
    assert [c.attempt for c in dead_to_remove(found, max_per_container=5)] == [0, 1]


def test_running_containers_are_never_collected() -> None:
    assert dead_to_remove([container("a"), container("b"), sandbox()], max_per_container=0) == []
