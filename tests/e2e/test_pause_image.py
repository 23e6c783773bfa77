"""The pause image against real Docker: it builds, it stops at once, it reaps orphans.

A pod's containers share the pause container's PID namespace when the pod asks for it, so
orphans of any of them are reparented to pause; if it did not reap them they would pile up
as zombies. The last test runs the same orphan under a PID 1 that does not reap, to show
that the scenario really does leave a zombie behind.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from deploy.images import (
    BUSYBOX_IMAGE,
    PAUSE_IMAGE,
    SOURCE_HASH_LABEL,
    build_busybox_image,
    build_pause_image,
)
from deploy.processes import backoff

pytestmark = pytest.mark.e2e

# Leaves the orphan `sleep 2` reparented to the namespace's PID 1, while the shell that
# made it stays alive (its exit would make Docker kill the orphan along with it).
ORPHAN_MAKER = ["sh", "-c", "(sleep 2 &); exec sleep 60"]

RunContainer = Callable[..., Container]


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as err:
        pytest.fail(f"Docker is not reachable ({err}); `make test` starts dockerd")
    return client


@pytest.fixture(scope="module")
def images(client: docker.DockerClient) -> None:
    build_pause_image(client)
    build_busybox_image(client)


@pytest.fixture
def run_container(client: docker.DockerClient, images: None) -> Iterator[RunContainer]:
    """Start detached containers with unique names; remove them all afterwards."""
    started: list[Container] = []

    def run(image: str, command: list[str] | None = None, **kwargs: Any) -> Container:
        name = f"skiff-test-pause-{uuid.uuid4().hex[:8]}"
        container = client.containers.run(image, command, name=name, detach=True, **kwargs)
        started.append(container)
        container.reload()
        return container

    yield run
    for container in reversed(started):
        container.remove(force=True)


def children(pid: int) -> list[tuple[str, str]]:
    """(name, state) of every process whose parent is ``pid``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited while we looked
        name = text[text.index("(") + 1 : text.rindex(")")]
        state, ppid = text[text.rindex(")") + 2 :].split()[:2]
        if int(ppid) == pid:
            found.append((name, state))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    for delay in backoff(first=0.02, cap=0.2):
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)  # /proc offers no event for a process changing parent or state


def test_the_image_is_labelled_with_its_source_and_not_rebuilt_when_unchanged(
    client: docker.DockerClient, images: None
) -> None:
    image = client.images.get(PAUSE_IMAGE)
    assert image.labels[SOURCE_HASH_LABEL]
    messages: list[str] = []
    build_pause_image(client, progress=messages.append)
    assert messages == []  # nothing compiled, nothing built
    assert client.images.get(PAUSE_IMAGE).id == image.id


def test_pause_prints_its_version(client: docker.DockerClient, images: None) -> None:
    output = client.containers.run(PAUSE_IMAGE, ["-v"], remove=True)
    assert output.decode().startswith("pause 3.9")


def test_docker_stop_returns_at_once_because_pause_exits_on_sigterm(
    run_container: RunContainer,
) -> None:
    pod = run_container(PAUSE_IMAGE)
    started = time.monotonic()
    pod.stop(timeout=10)
    elapsed = time.monotonic() - started
    pod.reload()
    assert pod.attrs["State"]["ExitCode"] == 0  # exited by itself, not killed (137)
    assert elapsed < 2, f"docker stop took {elapsed:.1f} s: SIGTERM was ignored"


def test_pause_reaps_the_orphans_of_containers_sharing_its_pid_namespace(
    run_container: RunContainer,
) -> None:
    pod = run_container(PAUSE_IMAGE)
    pause_pid = pod.attrs["State"]["Pid"]
    run_container(BUSYBOX_IMAGE, ORPHAN_MAKER, pid_mode=f"container:{pod.id}")
    wait_for(lambda: ("sleep", "S") in children(pause_pid), 10, "the orphan to reach pause")
    wait_for(lambda: children(pause_pid) == [], 10, "pause to reap the orphan")


def test_under_a_pid_1_that_does_not_reap_the_same_orphan_stays_a_zombie(
    run_container: RunContainer,
) -> None:
    pod = run_container(BUSYBOX_IMAGE, ["sleep", "60"])
    sleeper_pid = pod.attrs["State"]["Pid"]
    run_container(BUSYBOX_IMAGE, ORPHAN_MAKER, pid_mode=f"container:{pod.id}")
    wait_for(lambda: ("sleep", "Z") in children(sleeper_pid), 10, "the orphan to become a zombie")
