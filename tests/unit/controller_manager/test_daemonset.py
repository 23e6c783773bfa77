"""The DaemonSet controller: which nodes, placement by affinity, rolling updates, history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from apimachinery.apps_v1 import (
    ControllerRevision,
    DaemonSet,
    DaemonSetSpec,
    DaemonSetUpdateStrategy,
    RollingUpdateDaemonSet,
)
from apimachinery.core_v1 import (
    Affinity,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Pod,
    Taint,
    Toleration,
)
from apimachinery.defaults import apply_defaults
from controller_manager.daemonset import DaemonSetController, should_run, target_node
from controller_manager.history import compute_hash
from tests.unit.controller_manager.workload_harness import (
    Harness,
    at,
    meta,
    node,
    pod,
    running,
    selector,
    template,
)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with running() as harness:
        yield harness


def daemon_set(image: str = "agent:v1", *, max_unavailable: int | str = 1,
               max_surge: int | str = 0, generation: int = 1, **spec: Any) -> DaemonSet:
    tpl = template(labels={"app": "agent"}, **spec)
    tpl.spec.containers[0].image = image
    ds = DaemonSet(metadata=meta("agent", generation=generation),
                   spec=DaemonSetSpec(selector=selector(app="agent"), template=tpl,
                                      update_strategy=DaemonSetUpdateStrategy(
                                          type="RollingUpdate",
                                          rolling_update=RollingUpdateDaemonSet(
                                              max_unavailable=max_unavailable,
                                              max_surge=max_surge))))
    apply_defaults(ds)
    return ds


def daemon_pod(ds: DaemonSet, name: str, on: str, *, image: str | None = None,
               **kwargs: Any) -> Pod:
    tpl = ds.spec.template.copy_deep()
    if image is not None:
        tpl.spec.containers[0].image = image
    labels = {"app": "agent", "controller-revision-hash": compute_hash(tpl)}
    p = pod(name, owner=ds, labels=labels, node=on, **kwargs)
    p.spec.containers[0].image = tpl.spec.containers[0].image
    return p


def pod_nodes(h: Harness) -> list[str | None]:
    return sorted(target_node(p) or "" for p in h.pods() if not p.metadata.deletion_timestamp)


# -- which nodes ----------------------------------------------------------------------------------

def required(*terms: NodeSelectorTerm) -> Affinity:
    return Affinity(node_affinity=NodeAffinity(
        required_during_scheduling_ignored_during_execution=NodeSelector(
            node_selector_terms=list(terms))))


def expr(key: str, op: str, *values: str) -> NodeSelectorRequirement:
    return NodeSelectorRequirement(key=key, operator=op, values=list(values) or None)


@pytest.mark.parametrize(("case", "spec", "node_kwargs", "expected"), [
    ("a plain node runs it", {}, {}, (True, True)),
    ("a matching nodeSelector", {"node_selector": {"disk": "ssd"}},
     {"labels": {"disk": "ssd"}}, (True, True)),
    ("a nodeSelector the node lacks", {"node_selector": {"disk": "ssd"}}, {}, (False, False)),
    ("required affinity, one term matches",
     {"affinity": required(NodeSelectorTerm(match_expressions=[expr("zone", "In", "a", "b")]),
                           NodeSelectorTerm(match_expressions=[expr("gpu", "Exists")]))},
     {"labels": {"zone": "b"}}, (True, True)),
    ("required affinity on the node name",
     {"affinity": required(NodeSelectorTerm(match_fields=[expr("metadata.name", "NotIn",
                                                               "n1")]))},
     {}, (False, False)),
    ("an untolerated NoSchedule taint: no new pod, the old may stay", {},
     {"taints": [Taint(key="dedicated", value="db", effect="NoSchedule")]}, (False, True)),
    ("an untolerated NoExecute taint: none at all", {},
     {"taints": [Taint(key="dedicated", value="db", effect="NoExecute")]}, (False, False)),
    ("a tolerated taint", {"tolerations": [Toleration(key="dedicated", operator="Equal",
                                                      value="db", effect="NoSchedule")]},
     {"taints": [Taint(key="dedicated", value="db", effect="NoSchedule")]}, (True, True)),
    ("daemon pods tolerate a not-ready node", {},
     {"taints": [Taint(key="node.kubernetes.io/not-ready", effect="NoExecute")]}, (True, True)),
    ("and a cordoned one", {},
     {"taints": [Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")]},
     (True, True)),
    ("PreferNoSchedule is only a preference", {},
     {"taints": [Taint(key="x", effect="PreferNoSchedule")]}, (True, True)),
])
def test_which_nodes_run_a_daemon_pod(case: str, spec: dict[str, Any],
                                      node_kwargs: dict[str, Any],
                                      expected: tuple[bool, bool]) -> None:
    assert should_run(daemon_set(**spec), node("n1", **node_kwargs)) == expected, case


# -- sync -----------------------------------------------------------------------------------------

async def test_one_pod_per_node_pinned_by_node_affinity(h: Harness) -> None:
    ds = daemon_set(node_selector={"role": "worker"})
    h.add(ds, node("n1", labels={"role": "worker"}), node("n2", labels={"role": "worker"}),
          node("master"))
    await h.start(DaemonSetController)

    actions = await h.sync("ns/agent")

    assert actions == ["create controllerrevisions ns", "create pods ns", "create pods ns",
                       "update daemonsets/status ns/agent"]
    hash_ = compute_hash(ds.spec.template)
    [revision] = h.objects(ControllerRevision)
    assert revision.name == f"agent-{hash_}" and revision.revision == 1
    assert revision.metadata.labels["controller-revision-hash"] == hash_
    assert revision.data["spec"]["template"]["$patch"] == "replace"
    assert pod_nodes(h) == ["n1", "n2"]
    for p in h.pods():
        assert p.spec.node_name is None  # the scheduler binds it
        assert p.name.startswith("agent-")
        assert p.metadata.labels["controller-revision-hash"] == hash_
        assert p.metadata.labels["pod-template-generation"] == "1"
        tolerations = {(t.key, t.effect) for t in p.spec.tolerations or ()}
        assert ("node.kubernetes.io/unreachable", "NoExecute") in tolerations
    status = h.get(DaemonSet, "agent").status
    assert (status.desired_number_scheduled, status.current_number_scheduled,
            status.number_misscheduled, status.number_ready) == (2, 0, 0, 0)


async def test_a_node_selector_in_required_affinity_is_replaced_by_the_node_name(
        h: Harness) -> None:
    ds = daemon_set(affinity=required(NodeSelectorTerm(
        match_expressions=[expr("zone", "In", "a")])))
    h.add(ds, node("n1", labels={"zone": "a"}))
    await h.start(DaemonSetController)

    await h.sync("ns/agent")

    [p] = h.pods()
    terms = p.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    assert terms.to_dict() == {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}


async def test_misplaced_duplicate_and_failed_pods_are_deleted(h: Harness) -> None:
    ds = daemon_set(node_selector={"role": "worker"})
    h.add(ds, node("n1", labels={"role": "worker"}), node("n2", labels={"role": "worker"}),
          node("n3"),
          daemon_pod(ds, "agent-old", "n1", created=at(0)),
          daemon_pod(ds, "agent-dup", "n1", created=at(5)),
          daemon_pod(ds, "agent-failed", "n2", phase="Failed", ready=False),
          daemon_pod(ds, "agent-wrong", "n3"))
    await h.start(DaemonSetController)

    actions = await h.sync("ns/agent")

    assert sorted(a for a in actions if a.startswith("delete")) == [
        "delete pods ns/agent-dup", "delete pods ns/agent-failed", "delete pods ns/agent-wrong"]
    assert ("Warning", "FailedDaemonPod",
            "Found failed daemon pod ns/agent-failed on node n2, will try to kill it") in \
        await h.events()
    status = h.get(DaemonSet, "agent").status
    assert (status.desired_number_scheduled, status.current_number_scheduled,
            status.number_misscheduled) == (2, 2, 1)


async def test_a_rolling_update_replaces_at_most_max_unavailable_at_once(h: Harness) -> None:
    ds = daemon_set("agent:v2", max_unavailable=1, generation=2)
    h.add(ds, node("n1"), node("n2"), node("n3"),
          *(daemon_pod(ds, f"agent-{n}", n, image="agent:v1") for n in ("n1", "n2", "n3")))
    await h.start(DaemonSetController)

    actions = await h.sync("ns/agent")

    assert actions[0] == "create controllerrevisions ns"
    assert len([a for a in actions if a.startswith("delete pods")]) == 1
    assert h.get(DaemonSet, "agent").status.updated_number_scheduled is None

    # Until a replacement is up and available, nothing else goes.
    await h.caught_up()
    actions = await h.sync("ns/agent")
    assert "create pods ns" in actions
    assert not [a for a in actions if a.startswith("delete pods")]


async def test_an_unavailable_old_pod_is_replaced_at_no_cost(h: Harness) -> None:
    ds = daemon_set("agent:v2", max_unavailable=1)
    h.add(ds, node("n1"), node("n2"),
          daemon_pod(ds, "agent-n1", "n1", image="agent:v1", ready=False),
          daemon_pod(ds, "agent-n2", "n2", image="agent:v1"))
    await h.start(DaemonSetController)

    actions = await h.sync("ns/agent")

    assert sorted(a for a in actions if a.startswith("delete")) == [
        "delete pods ns/agent-n1", "delete pods ns/agent-n2"]


async def test_with_max_surge_the_new_pod_starts_beside_the_old_one(h: Harness) -> None:
    ds = daemon_set("agent:v2", max_unavailable=0, max_surge=1)
    h.add(ds, node("n1"), node("n2"),
          daemon_pod(ds, "agent-n1", "n1", image="agent:v1"),
          daemon_pod(ds, "agent-n2", "n2", image="agent:v1"))
    await h.start(DaemonSetController)

    actions = await h.sync("ns/agent")

    assert actions.count("create pods ns") == 1
    assert not [a for a in actions if a.startswith("delete")]
    await h.caught_up()
    [new] = [p for p in h.pods() if p.spec.containers[0].image == "agent:v2"]
    replaced = target_node(new)
    # The new pod becomes available: its old neighbour goes, the next node surges.
    ready = daemon_pod(ds, new.name, replaced or "")
    ready.metadata = new.metadata
    h.fake.modify(ready)
    await h.caught_up()
    actions = await h.sync("ns/agent")
    assert f"delete pods ns/agent-{replaced}" in actions
    assert actions.count("create pods ns") == 1


async def test_old_revisions_beyond_the_limit_go_once_no_pod_uses_them(h: Harness) -> None:
    ds = daemon_set("agent:v3")
    ds.spec.revision_history_limit = 0
    h.add(ds, node("n1"), daemon_pod(ds, "agent-n1", "n1"))
    await h.start(DaemonSetController)
    for number, image in ((1, "agent:v1"), (2, "agent:v2")):
        old = daemon_set(image)
        rev = ControllerRevision(
            metadata=meta(f"agent-{compute_hash(old.spec.template)}", owner=ds,
                          labels={"app": "agent",
                                  "controller-revision-hash": compute_hash(old.spec.template)}),
            data={"spec": {"template": {**old.spec.template.to_dict(), "$patch": "replace"}}},
            revision=number)
        h.add(rev)
    await h.caught_up()

    await h.sync("ns/agent")

    assert [r.revision for r in h.objects(ControllerRevision)] == [3]

