"""A container's environment: Service links, the downward API, ConfigMaps, Secrets, $(VAR)."""

from __future__ import annotations

import base64

import pytest

from apimachinery.core_v1 import ConfigMap, Container, Secret, Service
from kubelet.envvars import EnvError, build_env, expand, service_env
from kubelet.objects import StaticObjects
from tests.unit.kubelet.conftest import make_pod


def service(name: str, ip: str, *ports: tuple[int, str | None, str]) -> Service:
    return Service.model_validate({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"clusterIP": ip, "ports": [{"port": p, "name": n, "protocol": proto}
                                            for p, n, proto in ports]}})


def test_service_links_follow_the_docker_links_names() -> None:
    env = service_env([service("my-db", "10.96.0.20", (5432, "pg", "TCP"), (9187, None, "TCP"))])
    assert env == {
        "MY_DB_SERVICE_HOST": "10.96.0.20",
        "MY_DB_SERVICE_PORT": "5432",
        "MY_DB_SERVICE_PORT_PG": "5432",
        "MY_DB_PORT": "tcp://10.96.0.20:5432",
        "MY_DB_PORT_5432_TCP": "tcp://10.96.0.20:5432",
        "MY_DB_PORT_5432_TCP_PROTO": "tcp",
        "MY_DB_PORT_5432_TCP_PORT": "5432",
        "MY_DB_PORT_5432_TCP_ADDR": "10.96.0.20",
        "MY_DB_PORT_9187_TCP": "tcp://10.96.0.20:9187",
        "MY_DB_PORT_9187_TCP_PROTO": "tcp",
        "MY_DB_PORT_9187_TCP_PORT": "9187",
        "MY_DB_PORT_9187_TCP_ADDR": "10.96.0.20",
    }


def test_headless_services_give_no_variables() -> None:
    assert service_env([service("headless", "None", (80, None, "TCP"))]) == {}


def test_expansion_uses_earlier_variables_and_keeps_unknown_references() -> None:
    env = {"HOST": "db", "PORT": "5432"}
    assert expand("$(HOST):$(PORT)/$(MISSING) costs $$(HOST)", env) == \
        "db:5432/$(MISSING) costs $(HOST)"


async def env_of(pod_spec: dict, objects: StaticObjects | None = None,
                 services: dict[str, str] | None = None) -> dict[str, str]:
    pod = make_pod("c")
    pod.metadata.labels = {"app": "web"}
    pod.status.pod_ip = "10.244.0.9"
    pod.status.host_ip = "192.0.2.2"
    pod.spec.containers[0] = Container.model_validate({"name": "c", "image": "x", **pod_spec})
    return await build_env(pod, pod.spec.containers[0], services=services or {},
                           objects=objects or StaticObjects(), allocatable={"cpu": "2"})


async def test_the_downward_api_gives_the_pods_own_fields() -> None:
    env = await env_of({"env": [
        {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "CPUS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        {"name": "URL", "value": "http://$(IP):80"},
    ]})
    assert env == {"NAME": "web", "NS": "default", "UID": "uid-web", "APP": "web",
                   "IP": "10.244.0.9", "HOST": "192.0.2.2", "NODE": "n1", "CPUS": "2",
                   "URL": "http://10.244.0.9:80"}


async def test_config_maps_and_secrets_by_key_and_as_a_whole() -> None:
    objects = StaticObjects(
        config_maps={"default/cfg": ConfigMap.model_validate(
            {"metadata": {"name": "cfg"}, "data": {"mode": "fast", "bad key": "x"}})},
        secrets={"default/pw": Secret.model_validate(
            {"metadata": {"name": "pw"}, "data": {"password": base64.b64encode(b"s3cret").decode()}})},
    )
    env = await env_of({
        "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "pw", "key": "password"}}},
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}],
    }, objects)
    assert env == {"CFG_mode": "fast", "PASSWORD": "s3cret", "MODE": "fast"}


async def test_a_missing_key_is_an_error_unless_optional() -> None:
    with pytest.raises(EnvError, match='configmap "nope" not found'):
        await env_of({"env": [{"name": "X", "valueFrom": {
            "configMapKeyRef": {"name": "nope", "key": "k"}}}]})
    env = await env_of({"env": [{"name": "X", "valueFrom": {
        "configMapKeyRef": {"name": "nope", "key": "k", "optional": True}}}]})
    assert env == {}


async def test_explicit_variables_win_over_service_links() -> None:
    env = await env_of({"env": [{"name": "DB_SERVICE_HOST", "value": "mine"}]},
                       services={"DB_SERVICE_HOST": "10.96.0.3", "DB_SERVICE_PORT": "5432"})
    assert env == {"DB_SERVICE_HOST": "mine", "DB_SERVICE_PORT": "5432"}
