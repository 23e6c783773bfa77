"""Node IPAM: distinct pod subnets per node, rebuilt at start, freed on delete."""

from __future__ import annotations

from typing import Any

import pytest

from apimachinery.core_v1 import Node
from apimachinery.errors import Conflict
from controller_manager.controller import Options
from controller_manager.nodeipam import CIDRSet, NodeIPAMController
from tests.unit.controller_manager.cluster_harness import Harness


def node(name: str, cidr: str | None = None) -> Node:
    spec: dict[str, Any] = {"podCIDR": cidr, "podCIDRs": [cidr]} if cidr else {}
    return Node.model_validate({"metadata": {"name": name}, "spec": spec})


def cidr_of(h: Harness, name: str) -> str | None:
    stored = h.fake.get(Node, None, name)
    assert stored is not None
    return (stored.get("spec") or {}).get("podCIDR")


# -- the subnet set -------------------------------------------------------------------------

def test_subnets_are_handed_out_in_order_and_never_twice() -> None:
    cidrs = CIDRSet("10.244.0.0/16", 24)
    assert [cidrs.allocate() for _ in range(3)] == [
        "10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]
    assert cidrs.size == 256


def test_a_released_subnet_is_reused_only_after_the_others() -> None:
    cidrs = CIDRSet("10.0.0.0/22", 24)
    first, second = cidrs.allocate(), cidrs.allocate()
    cidrs.release(first or "")
    assert [cidrs.allocate(), cidrs.allocate(), cidrs.allocate()] == [
        "10.0.2.0/24", "10.0.3.0/24", first]
    assert second == "10.0.1.0/24"
    assert cidrs.allocate() is None  # all four are used


def test_occupied_subnets_are_skipped() -> None:
    cidrs = CIDRSet("10.0.0.0/23", 24)
    assert cidrs.occupy("10.0.0.0/24")
    assert cidrs.allocate() == "10.0.1.0/24"
    assert cidrs.allocate() is None


@pytest.mark.parametrize("cidr", ["192.168.0.0/24", "10.0.0.0/25", "not-a-cidr", "fd00::/64"])
def test_a_subnet_outside_the_cluster_cidr_is_not_counted(cidr: str) -> None:
    assert CIDRSet("10.0.0.0/16", 24).occupy(cidr) is False


def test_a_mask_wider_than_the_cluster_cidr_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        CIDRSet("10.0.0.0/16", 8)


def test_other_mask_sizes_work() -> None:
    cidrs = CIDRSet("10.244.0.0/16", 26)
    assert [cidrs.allocate(), cidrs.allocate()] == ["10.244.0.0/26", "10.244.0.64/26"]


# -- the controller ---------------------------------------------------------------------------

async def test_a_new_node_gets_a_free_subnet() -> None:
    async with Harness.start(NodeIPAMController, node("n1", "10.244.0.0/24"), node("n2")) as h:
        await h.controller.sync("n2")
        assert h.writes() == ["patch nodes n2"]
        assert cidr_of(h, "n2") == "10.244.1.0/24"
        stored = h.fake.get(Node, None, "n2")
        assert stored is not None and stored["spec"]["podCIDRs"] == ["10.244.1.0/24"]
        assert h.recorder.events == ["Normal CIDRAssigned Assigned podCIDR 10.244.1.0/24 to node n2"]


async def test_subnets_held_at_start_are_never_handed_out_again() -> None:
    held = [node(f"old{i}", f"10.244.{i}.0/24") for i in (0, 1, 3)]
    async with Harness.start(NodeIPAMController, *held, node("a"), node("b")) as h:
        await h.sync_all()
        assert sorted(str(cidr_of(h, n)) for n in "ab") == ["10.244.2.0/24", "10.244.4.0/24"]


async def test_a_node_given_a_subnet_meanwhile_keeps_it() -> None:
    async with Harness.start(NodeIPAMController, node("n1")) as h:
        h.fake.modify(node("n1", "10.244.7.0/24"))  # another writer, not yet in our cache
        await h.controller.sync("n1")
        assert h.writes() == []
        assert "10.244.7.0/24" in h.controller._by_node.values()


async def test_a_lost_race_releases_the_subnet_and_retries() -> None:
    async with Harness.start(NodeIPAMController, node("n1")) as h:
        h.fake.fail(Conflict.for_resource("nodes", "n1"), verb="patch")
        with pytest.raises(Conflict):
            await h.controller.sync("n1")
        await h.controller.sync("n1")
        assert cidr_of(h, "n1") == "10.244.1.0/24"
        assert len(h.controller.cidrs) == 1  # the first pick was given back


async def test_an_exhausted_range_says_so_and_a_deleted_node_frees_a_subnet() -> None:
    options = Options(cluster_cidr="10.250.0.0/23", node_cidr_mask_size=24)
    async with Harness.start(NodeIPAMController, node("a"), node("b"), node("c"),
                             options=options) as h:
        await h.sync_all()
        assert sorted(filter(None, (cidr_of(h, n) for n in "abc"))) == [
            "10.250.0.0/24", "10.250.1.0/24"]
        starved = next(n for n in "abc" if cidr_of(h, n) is None)
        assert h.recorder.events[-1] == (
            f"Warning CIDRNotAvailable Node {starved} status is now: CIDRNotAvailable")
        freed_node = next(n for n in "abc" if n != starved)
        freed = cidr_of(h, freed_node)
        h.fake.remove(Node, None, freed_node)
        await h.settle()
        await h.sync_all()
        assert cidr_of(h, starved) == freed


async def test_heartbeats_of_a_starved_node_do_not_retry() -> None:
    options = Options(cluster_cidr="10.250.0.0/24", node_cidr_mask_size=24)
    async with Harness.start(NodeIPAMController, node("a", "10.250.0.0/24"), node("b"),
                             options=options) as h:
        await h.sync_all()
        h.fake.actions.clear()
        await h.controller.sync("b")
        assert h.writes() == [] and h.reads() == []
