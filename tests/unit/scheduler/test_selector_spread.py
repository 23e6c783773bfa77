"""SelectorSpread: the pods of one owner or one Service spread over the nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from apimachinery.core_v1 import Pod, Service
from client import NAMESPACE_INDEX, Store, namespace_index
from tests.unit.scheduler.builders import make_node, make_pod, scores

NODES = [make_node("n1"), make_node("n2"), make_node("n3")]


def services(*selectors: dict[str, str]) -> Store[Service]:
    store: Store[Service] = Store({NAMESPACE_INDEX: namespace_index})
    for i, selector in enumerate(selectors):
        store.set(Service.model_validate({"metadata": {"name": f"svc-{i}", "namespace": "default"},
                                          "spec": {"selector": selector}}))
    return store


@dataclass
class Case:
    name: str
    pod: Pod
    running: list[Pod]
    want: dict[str, int]
    selectors: list[dict[str, str]] = field(default_factory=list)


CASES = [
    Case("nodes with fewer pods of the same owner score higher",
         make_pod(owner_uid="rs-1"),
         [make_pod("a", node="n1", owner_uid="rs-1"), make_pod("b", node="n1", owner_uid="rs-1"),
          make_pod("c", node="n2", owner_uid="rs-1")],
         {"n1": 0, "n2": 50, "n3": 100}),
    Case("pods of other owners do not count",
         make_pod(owner_uid="rs-1"), [make_pod("a", node="n1", owner_uid="rs-2")],
         {"n1": 100, "n2": 100, "n3": 100}),
    Case("pods of the same owner in another namespace do not count",
         make_pod(owner_uid="rs-1"), [make_pod("a", "other", node="n1", owner_uid="rs-1")],
         {"n1": 100, "n2": 100, "n3": 100}),
    Case("pods selected by the same Service count",
         make_pod(labels={"app": "web"}), [make_pod("a", node="n2", labels={"app": "web"})],
         {"n1": 100, "n2": 0, "n3": 100}, [{"app": "web"}]),
    Case("a Service that does not select the pod does not group it",
         make_pod(labels={"app": "web"}), [make_pod("a", node="n2", labels={"app": "db"})],
         {"n1": 0, "n2": 0, "n3": 0}, [{"app": "db"}]),
    Case("a pod without owner or Service is not scored",
         make_pod(), [make_pod("a", node="n1")], {"n1": 0, "n2": 0, "n3": 0}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_selector_spread(case: Case) -> None:
    got = scores("SelectorSpread", case.pod, NODES, running=case.running,
                 services=services(*case.selectors))
    assert got == case.want
