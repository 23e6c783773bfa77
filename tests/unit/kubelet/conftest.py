"""Builders for the kubelet's unit tests: pods, runtime containers, a fake clock."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from apimachinery.core_v1 import Pod
from apimachinery.defaults import apply_defaults
from client import FakeClock
from kubelet import naming
from kubelet.runtime import RuntimeContainer, State

_ids = itertools.count(1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_pod(*containers: str, name: str = "web", init: tuple[str, ...] = (),
             restart: str = "Always", **spec: Any) -> Pod:
    """A defaulted pod bound to node ``n1``; containers run ``sleep``."""
    pod = Pod.model_validate({
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {
            "nodeName": "n1", "restartPolicy": restart,
            "containers": [{"name": c, "image": "skiff/busybox:test", "command": ["sleep", "1"]}
                           for c in containers or ("c",)],
            "initContainers": [{"name": c, "image": "skiff/busybox:test"} for c in init] or None,
            **spec,
        },
    })
    apply_defaults(pod)
    return pod


def container(name: str, *, state: State = State.RUNNING, attempt: int = 0,
              exit_code: int | None = None, kind: str = naming.TYPE_APP, uid: str = "uid-web",
              pod: Pod | None = None, oom: bool = False, finished: float | None = None,
              labels: dict[str, str] | None = None) -> RuntimeContainer:
    """A runtime container as Docker would report it."""
    spec_hash = ""
    if pod is not None:
        spec = next((c for c in pod.spec.all_containers() if c.name == name), None)
        spec_hash = naming.container_hash(spec) if spec is not None else ""
    n = next(_ids)
    return RuntimeContainer(
        id=f"{n:064x}", name=name, pod_uid=uid, type=kind, attempt=attempt, state=state,
        image="skiff/busybox:test", image_id="sha256:abc", created_at=1000.0 + n,
        started_at=1000.0 + n, finished_at=finished if finished is not None else
        (1001.0 + n if state is State.EXITED else None),
        exit_code=exit_code if state is State.EXITED else None, oom_killed=oom,
        hash=spec_hash, labels=labels or {naming.HOST_NETWORK: "False"},
    )


def sandbox(*, state: State = State.RUNNING, attempt: int = 0, uid: str = "uid-web") -> RuntimeContainer:
    return container(naming.PAUSE_NAME, state=state, attempt=attempt, kind=naming.TYPE_PAUSE,
                     uid=uid, exit_code=0 if state is State.EXITED else None)
