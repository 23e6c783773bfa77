"""Shared fixtures: a real etcd and a real apiserver per session."""

pytest_plugins = ["tests.fixtures.etcd", "tests.fixtures.apiserver"]
