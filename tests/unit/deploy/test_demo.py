"""The demo's pure parts: settings, the generated nodes, the kubeconfig context, the choice
of the node to fail, and the guestbook front end against a fake Redis."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import socketserver
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from apimachinery.core_v1 import Pod
from client import load_kubeconfig, write_kubeconfig
from deploy.demo.chaos import pick_victim
from deploy.demo.compose import COMPOSE_FILE, Compose
from deploy.demo.kubeconfig import add_context, remove_context
from deploy.demo.settings import DEMO_DIR, DemoSettings, SettingsError
from deploy.run import run

# -- settings ------------------------------------------------------------------------------


def test_the_defaults_are_three_nodes_on_their_own_subnet() -> None:
    settings = DemoSettings.from_env({})
    assert settings.node_names == ["node-1", "node-2", "node-3"]
    assert settings.subnet == "172.31.250.0/24"
    assert (settings.control_plane_ip, settings.registry_ip) == ("172.31.250.10", "172.31.250.5")
    assert [settings.node_ip(n) for n in settings.node_names] == ["172.31.250.11", "172.31.250.12",
                                                                 "172.31.250.13"]


def test_environment_variables_move_every_setting() -> None:
    settings = DemoSettings.from_env({"NODES": "5", "SKIFF_DEMO_NET": "172.31.240",
                                      "SKIFF_DEMO_PROJECT": "other", "SKIFF_DEMO_API_PORT": "1234",
                                      "SKIFF_DEMO_KUBECONFIG": "/tmp/kc"})
    assert settings.nodes == 5 and settings.project == "other" and settings.api_port == 1234
    assert settings.node_ip("node-5") == "172.31.240.15"
    assert settings.kubeconfig == Path("/tmp/kc")
    assert settings.compose_env()["SKIFF_DEMO_NET"] == "172.31.240"


@pytest.mark.parametrize(("environ", "names"), [
    ({"NODES": "0"}, "NODES"),
    ({"NODES": "three"}, "NODES"),
    ({"SKIFF_DEMO_NET": "8.8.8"}, "SKIFF_DEMO_NET"),
    ({"SKIFF_DEMO_NET": "not-an-address"}, "SKIFF_DEMO_NET"),
    ({"SKIFF_DEMO_BRIDGE": "a-bridge-name-too-long"}, "SKIFF_DEMO_BRIDGE"),
    ({"SKIFF_DEMO_PROJECT": "Has Spaces"}, "SKIFF_DEMO_PROJECT"),
])
def test_a_bad_setting_is_refused_naming_its_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        DemoSettings.from_env(environ)


# -- the compose files -----------------------------------------------------------------------


def test_nodes_beyond_the_third_are_generated_from_the_node_template(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    compose = Compose(DemoSettings(nodes=5, project="unit"))
    monkeypatch.setattr(Compose, "work_dir", property(lambda self: tmp_path))
    doc = yaml.safe_load(compose.write_extra_nodes().read_text())
    template = yaml.safe_load(COMPOSE_FILE.read_text())["x-node"]
    assert list(doc["services"]) == ["node-4", "node-5"]
    node5 = doc["services"]["node-5"]
    assert node5["hostname"] == "node-5"
    assert node5["networks"] == {"demo": {"ipv4_address": "172.31.250.15"}}
    assert node5["volumes"] == [*template["volumes"], "node-5-docker:/var/lib/docker"]
    assert node5["cap_add"] == ["ALL"] and node5["image"] == "skiff/node:demo"
    assert list(doc["volumes"]) == ["node-4-docker", "node-5-docker"]


def test_three_nodes_or_fewer_need_no_generated_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = Compose(DemoSettings(nodes=2, project="unit"))
    monkeypatch.setattr(Compose, "work_dir", property(lambda self: tmp_path))
    assert yaml.safe_load(compose.write_extra_nodes().read_text())["services"] == {}
    assert compose.services() == ["control-plane", "registry", "node-1", "node-2"]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_accepts_the_files_with_generated_nodes(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings = DemoSettings(nodes=4, project="unit", net="172.31.123")
    compose = Compose(settings)
    monkeypatch.setattr(Compose, "work_dir", property(lambda self: tmp_path))
    compose.write_extra_nodes()
    config = yaml.safe_load(compose.run("config").output)
    assert sorted(config["services"]) == ["control-plane", "node-1", "node-2", "node-3", "node-4", "registry"]
    assert config["services"]["node-4"]["networks"]["demo"]["ipv4_address"] == "172.31.123.14"
    assert config["networks"]["demo"]["ipam"]["config"][0]["subnet"] == "172.31.123.0/24"


# -- the host's kubeconfig -------------------------------------------------------------------


def test_the_demo_context_comes_and_goes_leaving_the_others(tmp_path: Path) -> None:
    path = tmp_path / "config"
    write_kubeconfig(path, "skiff", server="http://127.0.0.1:8080")
    settings = DemoSettings(kubeconfig=path)
    add_context(settings, b"-----BEGIN CERTIFICATE-----\n")
    config = load_kubeconfig(path).config()
    assert (config.context, config.server) == ("skiff-demo", "https://127.0.0.1:26443")
    assert config.token  # without any credential kubectl would prompt for a password
    assert remove_context(settings)
    kept = load_kubeconfig(path)
    assert kept.names("contexts") == ["skiff"] and kept.current_context is None
    assert not remove_context(settings)


# -- the failure demo ------------------------------------------------------------------------


def _pod(name: str, node: str, role: str) -> Pod:
    return Pod.from_dict({"metadata": {"name": name, "labels": {"app": "guestbook", "role": role}},
                          "spec": {"nodeName": node, "containers": []}})


def test_the_node_to_fail_is_the_busiest_one_without_the_redis_master() -> None:
    pods = [_pod("m", "node-1", "master"), _pod("f1", "node-1", "frontend"),
            _pod("f2", "node-1", "frontend"), _pod("r1", "node-2", "replica"),
            _pod("f3", "node-3", "frontend"), _pod("r2", "node-3", "replica")]
    assert pick_victim(pods, ["node-1", "node-2", "node-3"]) == "node-3"
    assert pick_victim([_pod("m", "node-1", "master")], ["node-1"]) == "node-1"


# -- the guestbook front end -----------------------------------------------------------------


def _load_app() -> ModuleType:
    path = DEMO_DIR / "images" / "guestbook-frontend" / "app.py"
    spec = importlib.util.spec_from_file_location("guestbook_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeRedis(socketserver.ThreadingTCPServer):
    """Just enough Redis for the front end: RPUSH, LTRIM and LRANGE on lists, in RESP."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RedisHandler)
        self.lists: dict[str, list[str]] = {}
        self.commands: list[list[str]] = []


class _RedisHandler(socketserver.StreamRequestHandler):
    server: FakeRedis

    def handle(self) -> None:
        count = int(self.rfile.readline()[1:])
        args = []
        for _ in range(count):
            size = int(self.rfile.readline()[1:])
            args.append(self.rfile.read(size + 2)[:-2].decode())
        self.server.commands.append(args)
        items = self.server.lists.setdefault(args[1], [])
        if args[0] == "RPUSH":
            items.append(args[2])
            self.wfile.write(b":%d\r\n" % len(items))
        elif args[0] == "LTRIM":
            self.wfile.write(b"+OK\r\n")
        else:
            body = b"".join(b"$%d\r\n%s\r\n" % (len(i.encode()), i.encode()) for i in items)
            self.wfile.write(b"*%d\r\n%s" % (len(items), body))


@pytest.fixture
def frontend(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FakeRedis]]:
    """The front end on a free port, its master and replica both the fake Redis."""
    app = _load_app()
    redis = FakeRedis()
    threading.Thread(target=redis.serve_forever, daemon=True).start()
    port = redis.server_address[1]
    real_connect = socket.create_connection

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] in (app.MASTER, app.REPLICA):
            address = ("127.0.0.1", port)  # what cluster DNS and the Service would do
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(app.socket, "create_connection", connect)
    server = app.ThreadingHTTPServer(("127.0.0.1", 0), app.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", redis
    server.shutdown()
    redis.shutdown()


def _request(url: str, data: bytes | None = None, kind: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": kind})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_message_goes_to_the_master_and_comes_from_the_replica(frontend: tuple[str, FakeRedis]) -> None:
    url, redis = frontend
    status, body = _request(f"{url}/api/messages", json.dumps({"message": "hello"}).encode())
    assert status == 201 and json.loads(body)["message"] == "hello"
    status, body = _request(f"{url}/api/messages")
    assert status == 200 and json.loads(body)["messages"] == ["hello"]
    assert redis.commands[0] == ["RPUSH", "guestbook", "hello"]
    assert redis.commands[-1] == ["LRANGE", "guestbook", "0", "-1"]


def test_the_page_escapes_what_visitors_wrote(frontend: tuple[str, FakeRedis]) -> None:
    url, _ = frontend
    status, _ = _request(f"{url}/", b"message=%3Cscript%3Ex%3C%2Fscript%3E",
                         "application/x-www-form-urlencoded")
    assert status == 200  # the redirect to the page, followed
    _, page = _request(f"{url}/")
    assert b"&lt;script&gt;x&lt;/script&gt;" in page and b"<script>" not in page


def test_an_empty_message_or_an_unknown_page_is_refused(frontend: tuple[str, FakeRedis]) -> None:
    url, redis = frontend
    assert _request(f"{url}/api/messages", b"   ", "text/plain")[0] == 400
    assert _request(f"{url}/nope")[0] == 404
    assert redis.commands == []


def test_the_front_end_says_503_when_redis_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _load_app()
    monkeypatch.setattr(app.time, "sleep", lambda seconds: None)  # the retries' backoff
    real_connect = socket.create_connection

    def refused(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] in (app.MASTER, app.REPLICA):
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(app.socket, "create_connection", refused)
    server = app.ThreadingHTTPServer(("127.0.0.1", 0), app.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body = _request(f"http://127.0.0.1:{server.server_address[1]}/api/messages")
    finally:
        server.shutdown()
    assert status == 503 and "Connection refused" in json.loads(body)["error"]


def test_the_entrypoint_scripts_are_valid_shell() -> None:
    for script in sorted((DEMO_DIR / "images").rglob("*.sh")):
        assert run(["bash", "-n", script], check=False).returncode == 0, script
