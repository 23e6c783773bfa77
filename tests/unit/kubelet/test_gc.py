"""Container garbage collection keeps each container's newest dead instances only."""

from __future__ import annotations

from pathlib import Path

from kubelet.gc import ImageGC, dead_to_remove
from kubelet.runtime import ContainerConfig, FakeRuntime, ImageInfo, SandboxConfig, State
from kubelet.stats import FsUsage
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


async def test_image_gc_frees_unused_images_oldest_first_only_above_the_threshold() -> None:
    gib = 1024**3
    runtime = FakeRuntime(all_images_present=False)
    runtime.images = {
        "old:1": ImageInfo("sha256:old", ("old:1",), 6 * gib, 1.0),
        "used:1": ImageInfo("sha256:used", ("used:1",), 6 * gib, 0.5),
        "newer:1": ImageInfo("sha256:newer", ("newer:1",), 6 * gib, 2.0),
        "newest:1": ImageInfo("sha256:newest", ("newest:1",), 6 * gib, 3.0),
        "skiff/pause:3.9": ImageInfo("sha256:pause", ("skiff/pause:3.9",), 1, 0.1),
    }
    sandbox = await runtime.run_sandbox(SandboxConfig("POD", {}, "h"))
    await runtime.create_container(sandbox, ContainerConfig("c", "used:1", {}))
    used = {"bytes": 90 * gib}

    def usage(path: Path) -> FsUsage:
        return FsUsage(100 * gib, 100 * gib - used["bytes"], used["bytes"], 100, 50)

    gc = ImageGC(runtime, Path("/unused"), "skiff/pause:3.9", usage=usage)
    # 90 % full, the low mark is 80 %: 10 GiB to free, two 6 GiB images, oldest first.
    assert await gc.collect() == ["sha256:old", "sha256:newer"]
    used["bytes"] = 50 * gib
    assert await gc.collect() == []  # below the high mark: nothing goes
