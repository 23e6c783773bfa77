"""The launcher adds its context to a kubeconfig without disturbing anyone else's."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy._kubeconfig import default_kubeconfig_path, merge_entry, write_kubeconfig

SERVER = "http://127.0.0.1:8080"

OTHER: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Config",
    "preferences": {"colors": True},
    "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example:6443"}}],
    "users": [{"name": "admin", "user": {"token": "secret"}}],
    "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "admin"}}],
    "current-context": "prod",
    "extensions": [{"name": "x", "extension": {"a": 1}}],
}


def names(config: dict[str, Any], section: str) -> list[str]:
    return [entry["name"] for entry in config[section]]


def test_merging_into_nothing_makes_a_complete_config() -> None:
    config = merge_entry(None, "skiff", SERVER)
    assert config["apiVersion"] == "v1" and config["kind"] == "Config"
    assert config["clusters"] == [{"name": "skiff", "cluster": {"server": SERVER}}]
    assert config["contexts"] == [{"name": "skiff", "context": {"cluster": "skiff", "user": "skiff"}}]
    assert names(config, "users") == ["skiff"]
    assert config["current-context"] == "skiff"


def test_merging_keeps_other_clusters_users_contexts_and_keys() -> None:
    config = merge_entry(OTHER, "skiff", SERVER)
    for section in ("clusters", "users", "contexts"):
        assert config[section][0] == OTHER[section][0]
    assert names(config, "clusters") == ["prod", "skiff"]
    assert config["preferences"] == {"colors": True}
    assert config["extensions"] == OTHER["extensions"]


def test_merging_does_not_mutate_its_input() -> None:
    before = yaml.safe_dump(OTHER)
    merge_entry(OTHER, "skiff", SERVER)
    assert yaml.safe_dump(OTHER) == before


def test_merging_again_replaces_the_entry_in_place() -> None:
    once = merge_entry(OTHER, "skiff", "http://127.0.0.1:1111")
    once["clusters"].append({"name": "later", "cluster": {"server": "https://later:6443"}})
    twice = merge_entry(once, "skiff", SERVER)
    assert names(twice, "clusters") == ["prod", "skiff", "later"]
    assert twice["clusters"][1]["cluster"]["server"] == SERVER


def test_sections_that_are_null_in_the_file_are_treated_as_empty() -> None:
    config = merge_entry({"clusters": None, "users": None, "contexts": None}, "skiff", SERVER)
    assert names(config, "clusters") == ["skiff"]


def test_writing_merges_into_the_file_and_keeps_it_private(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "config"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(OTHER))
    write_kubeconfig(path, "skiff", server=SERVER)
    written = yaml.safe_load(path.read_text())
    assert names(written, "contexts") == ["prod", "skiff"]
    assert written["users"][0]["user"] == {"token": "secret"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_writing_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "config"
    write_kubeconfig(path, "skiff", server=SERVER)
    assert yaml.safe_load(path.read_text())["current-context"] == "skiff"


def test_the_default_path_is_the_first_file_in_kubeconfig(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/one:{tmp_path}/two")
    assert default_kubeconfig_path() == tmp_path / "one"
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_kubeconfig_path() == tmp_path / ".kube" / "config"
