"""IPAM: an address is never handed out twice, not even across a kubelet restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelet.ipam import FileStore, Ipam, IpamExhausted, MemoryStore


def test_addresses_skip_the_network_the_gateway_and_the_broadcast() -> None:
    ipam = Ipam("10.244.7.0/29", MemoryStore())
    handed = [ipam.allocate(f"s{i}") for i in range(5)]
    assert ipam.gateway == "10.244.7.1"
    assert handed == ["10.244.7.2", "10.244.7.3", "10.244.7.4", "10.244.7.5", "10.244.7.6"]
    with pytest.raises(IpamExhausted):
        ipam.allocate("one-too-many")


def test_an_owner_asking_again_gets_the_address_it_holds() -> None:
    ipam = Ipam("10.244.7.0/24", MemoryStore())
    first = ipam.allocate("sandbox-a")
    assert ipam.allocate("sandbox-a") == first
    assert ipam.address_of("sandbox-a") == first
    assert ipam.allocations() == {first: "sandbox-a"}


def test_a_released_address_is_not_reused_before_the_others() -> None:
    ipam = Ipam("10.244.7.0/24", MemoryStore())
    a = ipam.allocate("a")
    ipam.allocate("b")
    assert ipam.release("a") == a
    assert ipam.allocate("c") not in (a,)
    assert ipam.release("never-had-one") is None


def test_allocations_survive_a_restart_and_are_not_handed_out_again(tmp_path: Path) -> None:
    first = Ipam("10.244.7.0/24", FileStore(tmp_path))
    held = {first.allocate(f"s{i}") for i in range(3)}
    first.release("s1")

    again = Ipam("10.244.7.0/24", FileStore(tmp_path))  # a new kubelet process
    assert again.address_of("s0") == first.address_of("s0")
    fresh = again.allocate("s9")
    assert fresh not in held
    assert (tmp_path / fresh).read_text() == "s9"
    assert sorted(again.allocations().values()) == ["s0", "s2", "s9"]


def test_two_stores_on_one_directory_never_share_an_address(tmp_path: Path) -> None:
    # The file is the lock: whoever creates it first owns the address.
    one, two = Ipam("10.244.7.0/29", FileStore(tmp_path)), Ipam("10.244.7.0/29", FileStore(tmp_path))
    got = [one.allocate("x"), two.allocate("y"), one.allocate("z")]
    assert len(set(got)) == 3


def test_a_cidr_too_small_for_pods_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4 addresses"):
        Ipam("10.244.7.0/31", MemoryStore())
