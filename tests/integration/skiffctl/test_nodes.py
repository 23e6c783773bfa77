"""cordon, uncordon, taint and drain on Node objects of the test's own."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.integration.skiffctl.conftest import Cli
from tests.integration.skiffctl.manifests import labelled_pod, node


@pytest.fixture
def node_name(skiffctl: Cli) -> Iterator[str]:
    name = f"{skiffctl.namespace}-n1"
    skiffctl("apply", "-f", "-", stdin=node(name))
    yield name
    skiffctl("delete", "node", name, "--wait=false")


def _node(cli: Cli, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cli("get", "node", name, "-o", "json").stdout)


def _both(skiffctl: Cli, kubectl: Cli, undo: list[str], *args: str) -> str:
    """Run ``args`` with skiffctl, undo it, run it with kubectl: same words, same code."""
    mine = skiffctl(*args, check=False)
    if undo:
        skiffctl(*undo, check=False)
    real = kubectl(*args, check=False)
    assert (mine.returncode, mine.stdout, mine.stderr.replace("skiffctl", "kubectl")) == \
        (real.returncode, real.stdout, real.stderr), args
    return mine.stdout


def test_cordon_and_uncordon(skiffctl: Cli, kubectl: Cli, node_name: str) -> None:
    assert _both(skiffctl, kubectl, ["uncordon", node_name], "cordon", node_name) == \
        f"node/{node_name} cordoned\n"
    assert _node(skiffctl, node_name)["spec"]["unschedulable"] is True
    _both(skiffctl, kubectl, [], "cordon", node_name)  # already cordoned, both times
    assert _both(skiffctl, kubectl, ["cordon", node_name], "uncordon", node_name) == \
        f"node/{node_name} uncordoned\n"
    assert not _node(skiffctl, node_name)["spec"].get("unschedulable")


def test_taint_add_overwrite_and_remove(skiffctl: Cli, kubectl: Cli, node_name: str) -> None:
    remove = ["taint", "node", node_name, "dedicated-"]
    assert _both(skiffctl, kubectl, remove, "taint", "node", node_name,
                 "dedicated=web:NoSchedule") == f"node/{node_name} tainted\n"
    _both(skiffctl, kubectl, [], "taint", "node", node_name, "dedicated=db:NoSchedule")
    _both(skiffctl, kubectl, ["taint", "node", node_name, "dedicated=web:NoSchedule",
                              "--overwrite"],
          "taint", "node", node_name, "dedicated=db:NoSchedule", "--overwrite")
    assert _node(skiffctl, node_name)["spec"]["taints"] == [
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    _both(skiffctl, kubectl, ["taint", "node", node_name, "dedicated=db:NoSchedule"],
          "taint", "node", node_name, "dedicated:NoSchedule-")
    for args in (["missing-"], ["a=b:Sometimes"], ["a=b"], ["k:NoExecute", "k-"]):
        _both(skiffctl, kubectl, [], "taint", "node", node_name, *args)
    skiffctl("taint", "node", node_name, "dedicated=web:NoSchedule")
    assert skiffctl("taint", "node", node_name, "dedicated-").stdout == \
        f"node/{node_name} untainted\n"
    assert not _node(skiffctl, node_name)["spec"].get("taints")


def test_drain_refuses_unmanaged_pods_then_evicts_them_with_force(
        skiffctl: Cli, kubectl: Cli, node_name: str) -> None:
    skiffctl("apply", "-f", "-", stdin=labelled_pod("loner", {"app": "x"}, node=node_name))
    ours = skiffctl("drain", node_name, check=False)
    skiffctl("uncordon", node_name)
    theirs = kubectl("drain", node_name, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr)
    assert "cannot delete Pods that declare no controller (use --force to override): " \
        f"{skiffctl.namespace}/loner" in ours.stderr
    skiffctl("uncordon", node_name)
    forced = skiffctl("drain", node_name, "--force", "--grace-period=0", "--timeout=60s")
    assert forced.stdout == (f"node/{node_name} cordoned\nevicting pod {skiffctl.namespace}/loner\n"
                             f"pod/loner evicted\nnode/{node_name} drained\n")
    assert forced.stderr == ("Warning: deleting Pods that declare no controller: "
                             f"{skiffctl.namespace}/loner\n")
    assert skiffctl("get", "pods", "-o", "name").stdout == ""
