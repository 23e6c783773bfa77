"""Kubeconfig: kubectl's merge rules, contexts, credentials, writing, in-cluster config."""

from __future__ import annotations

import base64
import ssl
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from client import (
    Config,
    ConfigError,
    in_cluster_config,
    load_config,
    load_kubeconfig,
    write_kubeconfig,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig(current: str | None, clusters: dict[str, dict[str, Any]],
               users: dict[str, dict[str, Any]],
               contexts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [{"name": n, "context": c} for n, c in contexts.items()],
    }
    if current:
        doc["current-context"] = current
    return doc


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def test_the_current_context_gives_server_credentials_and_namespace(tmp_path: Path) -> None:
    path = write(tmp_path / "config", kubeconfig(
        "dev",
        {"c1": {"server": "https://10.0.0.1:6443/", "certificate-authority-data": b64(b"CA")}},
        {"u1": {"token": "t0ken"}},
        {"dev": {"cluster": "c1", "user": "u1", "namespace": "team"}}))
    config = load_kubeconfig(path).config()
    assert (config.server, config.token, config.namespace) == (
        "https://10.0.0.1:6443", "t0ken", "team")
    assert config.ca_data == b"CA" and config.context == "dev"
    assert config.auth_headers() == {"Authorization": "Bearer t0ken"}


def test_a_named_context_is_used_and_an_unknown_one_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "config", kubeconfig(
        "a", {"c": {"server": "http://127.0.0.1:8080"}}, {"u": {}},
        {"a": {"cluster": "c", "user": "u"}, "b": {"cluster": "c"}}))
    loaded = load_kubeconfig(path)
    assert loaded.config("b").namespace == "default"
    assert sorted(loaded.names("contexts")) == ["a", "b"]
    with pytest.raises(ConfigError, match='context "nope" not found'):
        loaded.config("nope")


def test_kubeconfig_files_merge_first_one_wins(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "one", kubeconfig(
        None, {"c": {"server": "http://first"}}, {}, {"x": {"cluster": "c"}}))
    second = write(tmp_path / "two", kubeconfig(
        "y", {"c": {"server": "http://second"}, "d": {"server": "http://d"}}, {},
        {"x": {"cluster": "d"}, "y": {"cluster": "d"}}))
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    merged = load_kubeconfig()
    assert merged.current_context == "y"  # the first file that sets one
    assert merged.config("x").server == "http://first"  # context x and cluster c: file one
    assert merged.config("y").server == "http://d"
    assert load_config().server == "http://d"


def test_relative_certificate_paths_resolve_against_their_file(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    path = write(tmp_path / "config", kubeconfig(
        "k", {"c": {"server": "https://h", "certificate-authority": "certs/ca.crt"}},
        {"u": {"client-certificate": "certs/me.crt", "client-key": "/abs/me.key"}},
        {"k": {"cluster": "c", "user": "u"}}))
    config = load_kubeconfig(path).config()
    assert config.ca_file == str(tmp_path / "certs/ca.crt")
    assert config.cert_file == str(tmp_path / "certs/me.crt")
    assert config.key_file == "/abs/me.key"


def test_an_explicit_missing_file_and_no_config_at_all_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_kubeconfig(tmp_path / "nope")
    with pytest.raises(ConfigError, match="not running in a cluster"):
        load_config()


def test_write_kubeconfig_adds_its_context_and_keeps_the_others(tmp_path: Path) -> None:
    path = write(tmp_path / "config", kubeconfig(
        "prod", {"prod": {"server": "https://prod"}}, {"prod": {"token": "p"}},
        {"prod": {"cluster": "prod", "user": "prod"}}))
    write_kubeconfig(path, "skiff", server="http://127.0.0.1:8080")
    write_kubeconfig(path, "skiff-demo", server="http://127.0.0.1:18080", token="demo",
                     namespace="demo", set_current=False)
    loaded = load_kubeconfig(path)
    assert loaded.current_context == "skiff"
    assert loaded.config("prod").server == "https://prod"
    assert loaded.config("prod").token == "p"
    assert loaded.config().server == "http://127.0.0.1:8080"
    demo = loaded.config("skiff-demo")
    assert (demo.server, demo.token, demo.namespace) == (
        "http://127.0.0.1:18080", "demo", "demo")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rewriting_a_context_replaces_it_in_place(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config"
    write_kubeconfig(path, "skiff", server="http://old", token="t1")
    write_kubeconfig(path, "skiff", server="http://new",
                     certificate_authority_data=b"PEM")
    doc = yaml.safe_load(path.read_text())
    assert [c["name"] for c in doc["clusters"]] == ["skiff"]
    config = load_kubeconfig(path).config()
    assert (config.server, config.token, config.ca_data) == ("http://new", None, b"PEM")


def test_the_default_path_is_the_first_kubeconfig_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a"
    monkeypatch.setenv("KUBECONFIG", f"{target}:{tmp_path / 'b'}")
    assert write_kubeconfig(None, server="http://x") == target
    monkeypatch.delenv("KUBECONFIG")
    written = write_kubeconfig(None, server="http://y")
    assert written == tmp_path / "home" / ".kube" / "config"


def test_the_official_kubernetes_client_reads_what_we_write(tmp_path: Path) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    path = write_kubeconfig(tmp_path / "config", "skiff", server="http://127.0.0.1:8080",
                            token="abc", namespace="ns1")
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(path), context="skiff",
                                       client_configuration=configuration)
    assert configuration.host == "http://127.0.0.1:8080"
    assert "Bearer abc" in configuration.api_key.values()
    _, active = kubernetes.config.list_kube_config_contexts(str(path))
    assert active["context"]["namespace"] == "ns1"


def test_in_cluster_config_reads_the_service_account(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("kube-system")
    (tmp_path / "ca.crt").write_text("PEM")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    config = in_cluster_config(tmp_path)
    assert (config.server, config.token, config.namespace) == (
        "https://10.96.0.1:443", "sa-token", "kube-system")
    assert config.ca_file == str(tmp_path / "ca.crt")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert in_cluster_config(tmp_path).server == "https://[fd00::1]:443"


def test_tls_settings_follow_the_config() -> None:
    insecure = Config(server="https://h", insecure_skip_tls_verify=True).ssl_context()
    assert insecure.verify_mode == ssl.CERT_NONE and not insecure.check_hostname
    strict = Config(server="https://h").ssl_context()
    assert strict.verify_mode == ssl.CERT_REQUIRED
    basic = Config(server="https://h", username="admin", password="pw").auth_headers()
    assert basic == {"Authorization": "Basic " + b64(b"admin:pw")}
