"""The component table: start order, availability and the flags each component gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.components import COMPONENTS, ClusterConfig, Component, _default_route_interface, plan


def test_the_table_starts_etcd_then_the_apiserver_then_the_rest() -> None:
    assert [c.name for c in COMPONENTS] == [
        "etcd", "apiserver", "scheduler", "controller-manager", "kubelet", "proxy", "dns",
    ]  # fmt: skip


def test_only_the_control_plane_starts_before_the_kubeconfig_exists() -> None:
    assert [c.name for c in COMPONENTS if not c.needs_kubeconfig] == ["etcd", "apiserver"]


def test_etcd_listens_and_advertises_on_loopback_only(tmp_path: Path) -> None:
    config = ClusterConfig(data_dir=tmp_path, etcd_port=12379, etcd_peer_port=12380)
    args = COMPONENTS[0].args(config)
    urls = [args[i + 1] for i, arg in enumerate(args) if arg.endswith("-urls")]
    assert urls and all(url.startswith("http://127.0.0.1:") for url in urls)
    assert "http://127.0.0.1:12379" in urls and "http://127.0.0.1:12380" in urls
    assert args[args.index("--data-dir") + 1] == str(tmp_path / "etcd")


def test_the_apiserver_gets_etcd_and_its_ports() -> None:
    config = ClusterConfig(etcd_port=12379, apiserver_port=18080, secure_port=0)
    args = COMPONENTS[1].args(config)
    flags = dict(zip(args[::2], args[1::2], strict=True))
    assert flags == {
        "--etcd-servers": "http://127.0.0.1:12379",
        "--insecure-bind-address": "127.0.0.1",
        "--insecure-port": "18080",
        "--secure-port": "0",
        "--service-cluster-ip-range": "10.96.0.0/12",
        "--service-node-port-range": "30000-32767",
    }
    assert COMPONENTS[1].health_url(config) == "http://127.0.0.1:18080/readyz"


def test_every_other_component_gets_the_components_kubeconfig(tmp_path: Path) -> None:
    config = ClusterConfig(data_dir=tmp_path, node_name="node-a", node_ip="192.0.2.7")
    for component in COMPONENTS[2:]:
        args = component.args(config)
        assert args[args.index("--kubeconfig") + 1] == str(tmp_path / "kubeconfig")
    kubelet = next(c for c in COMPONENTS if c.name == "kubelet").args(config)
    assert kubelet[kubelet.index("--hostname-override") + 1] == "node-a"
    assert kubelet[kubelet.index("--node-ip") + 1] == "192.0.2.7"


def test_a_component_whose_module_does_not_exist_is_not_available() -> None:
    ghost = Component("ghost", "skiff-ghost", lambda config: [], module="no_such_pkg.main")
    assert not ghost.available()
    with pytest.raises(FileNotFoundError, match="ghost"):
        ghost.argv(ClusterConfig())


def test_plan_keeps_table_order_whatever_order_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Component, "available", lambda self: True)
    to_start, skipped = plan(["dns", "etcd", "kubelet"])
    assert [c.name for c in to_start] == ["etcd", "kubelet", "dns"]
    assert skipped == []


def test_plan_skips_what_is_not_installed_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Component, "available", lambda self: self.name in ("etcd", "apiserver"))
    to_start, skipped = plan(None)
    assert [c.name for c in to_start] == ["etcd", "apiserver"]
    assert [c.name for c in skipped] == [c.name for c in COMPONENTS[2:]]


def test_plan_rejects_unknown_component_names() -> None:
    with pytest.raises(ValueError, match="etcdd"):
        plan(["etcdd"])


def test_settings_saved_by_up_are_what_down_loads(tmp_path: Path) -> None:
    config = ClusterConfig(
        data_dir=tmp_path / "d",
        run_dir=tmp_path / "r",
        log_dir=tmp_path / "l",
        etcd_port=1,
        apiserver_port=2,
        kubeconfig=tmp_path / "k",
    )
    config.save()
    assert ClusterConfig.load(tmp_path / "r") == config


def test_loading_from_a_run_dir_without_settings_gives_defaults_there(tmp_path: Path) -> None:
    loaded = ClusterConfig.load(tmp_path)
    assert loaded.run_dir == tmp_path and loaded.etcd_port == 2379
    assert loaded.pid_file("etcd") == tmp_path / "etcd.pid"


def test_the_default_route_interface_is_read_from_the_routing_table(tmp_path: Path) -> None:
    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway\tFlags\n"
        "skiff0\t0000F40A\t00000000\t0001\n"
        "eth0\t00000000\t0100000A\t0003\n"
    )
    assert _default_route_interface(table) == "eth0"
    table.write_text("Iface\tDestination\tGateway\tFlags\nlo\t0000007F\t00000000\t0001\n")
    assert _default_route_interface(table) is None
