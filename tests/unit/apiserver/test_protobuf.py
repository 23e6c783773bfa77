"""Protobuf bodies decode to the JSON kubectl would have sent for the same object.

The bodies are built here with a ten-line encoder, field by field, the way Go's
generated marshallers write them (value fields always, even when zero; pointer fields
only when set), plus one body exactly as kubectl 1.32 sent it.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from apimachinery import core_v1
from apimachinery._schema_walk import ListNode, MapNode, ModelNode, Node, child
from apimachinery.errors import BadRequest, UnsupportedMediaType
from apimachinery.meta import DeleteOptions
from apimachinery.policy_v1 import Eviction
from apimachinery.registry import by_kind
from apiserver import protobuf
from apiserver.proto_schema import KINDS, MESSAGES, SPECIAL

# -- a tiny encoder --------------------------------------------------------------------


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative numbers travel as ten-byte two's complement
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def num(field: int, n: int) -> bytes:
    return varint(field << 3) + varint(n)


def msg(field: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return varint(field << 3 | 2) + varint(len(body)) + body


def text(field: int, value: str | bytes) -> bytes:
    return msg(field, value.encode() if isinstance(value, str) else value)


def entry(field: int, key: str, value: bytes) -> bytes:
    """One map entry: key = 1, value = 2 (``value`` is already a field 2)."""
    return msg(field, text(1, key), value)


def envelope(api_version: str, kind: str, *parts: bytes) -> bytes:
    unknown = msg(1, text(1, api_version), text(2, kind)) + msg(2, *parts) + text(3, "") + text(4, "")
    return b"k8s\x00" + unknown


def go_meta(name: str) -> bytes:
    """ObjectMeta as Go writes it: every value string, even empty, and a zero creationTimestamp."""
    return msg(1, text(1, name), text(2, ""), text(3, ""), text(4, ""), text(5, ""), text(6, ""),
               num(7, 0), msg(8))


# -- whole objects ---------------------------------------------------------------------


def test_a_config_map_exactly_as_kubectl_sent_it() -> None:
    # kubectl create configmap x --from-literal=a=b -v=8
    body = bytes.fromhex(
        "6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 12 1b 0a 11 0a 01 78 12 00"
        "1a 00 22 00 2a 00 32 00 38 00 42 00 12 06 0a 01 61 12 01 62 1a 00 22 00"
    )
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": "x"}, "data": {"a": "b"}}


def test_a_deployment_keeps_pointer_zeros_and_drops_value_zeros() -> None:
    container = msg(2, text(1, "nginx"), text(2, "nginx:1.25"), text(5, ""),
                    msg(6, text(1, ""), num(2, 0), num(3, 80), text(4, "TCP"), text(5, "")),
                    msg(8, entry(1, "cpu", msg(2, text(1, "250m"))),
                        entry(2, "memory", msg(2, text(1, "64Mi")))),
                    num(16, 0), num(17, 0), num(18, 0))
    template = msg(3, msg(1, text(1, ""), msg(8), entry(11, "app", text(2, "web"))),
                   msg(2, container, text(3, ""), text(6, ""), num(11, 0)))
    strategy = msg(4, text(1, "RollingUpdate"),
                   msg(2, msg(1, num(1, 0), num(2, 0), text(3, "")),
                       msg(2, num(1, 1), num(2, 0), text(3, "25%"))))
    spec = msg(2, num(1, 0), msg(2, entry(1, "app", text(2, "web"))), template, strategy,
               num(5, 0), num(7, 0))
    body = envelope("apps/v1", "Deployment", go_meta("web"), spec, msg(3))
    assert protobuf.decode(body) == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "nginx", "image": "nginx:1.25",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "250m"}, "requests": {"memory": "64Mi"}},
                }]},
            },
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
        },
    }


def test_secret_bytes_become_base64_and_immutable_false_is_kept() -> None:
    body = envelope("v1", "Secret", go_meta("pw"), num(5, 0),
                    entry(2, "password", text(2, b"hunter2\xff")), text(3, "Opaque"))
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pw"},
                                     "immutable": False, "data": {"password": "aHVudGVyMv8="},
                                     "type": "Opaque"}


def test_embedded_structs_sit_inline_as_in_kubernetes_json() -> None:
    # Probe.ProbeHandler, Volume.VolumeSource, ConfigMapKeySelector.LocalObjectReference
    probe = msg(10, msg(1, msg(2, text(1, "/healthz"), msg(2, num(1, 1), num(2, 0), text(3, "http")))),
                num(2, 3), num(6, -1))
    env = msg(7, text(1, "MODE"), text(2, ""),
              msg(3, msg(3, msg(1, text(1, "settings")), text(2, "mode"), num(3, 1))))
    volume = msg(1, text(1, "cfg"), msg(2, msg(19, msg(1, text(1, "settings")), num(3, 420))))
    pod_spec = msg(2, volume, msg(2, text(1, "app"), env, probe))
    decoded = protobuf._message(memoryview(pod_spec), "PodTemplateSpec")
    assert decoded == {"spec": {
        "volumes": [{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420}}],
        "containers": [{
            "name": "app",
            "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {
                "name": "settings", "key": "mode", "optional": True}}}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                              "initialDelaySeconds": 3, "failureThreshold": -1},
        }],
    }}


def test_timestamps_become_rfc3339_and_micro_timestamps_keep_microseconds() -> None:
    seconds = 1735732800  # 2025-01-01T12:00:00Z
    lease = envelope("coordination.k8s.io/v1", "Lease", go_meta("leader"),
                     msg(2, text(1, "host-a"), num(2, 15), msg(3, num(1, seconds), num(2, 123456789)),
                         num(5, 0)))
    assert protobuf.decode(lease)["spec"] == {
        "holderIdentity": "host-a", "leaseDurationSeconds": 15,
        "acquireTime": "2025-01-01T12:00:00.123456Z", "leaseTransitions": 0,
    }
    meta = msg(1, text(1, "n"), msg(8, num(1, seconds)))
    assert protobuf.decode(envelope("v1", "Namespace", meta))["metadata"] == {
        "name": "n", "creationTimestamp": "2025-01-01T12:00:00Z"}


def test_packed_and_unpacked_repeated_integers_both_decode() -> None:
    packed = msg(14, msg(4, varint(1000) + varint(2000)))
    unpacked = msg(14, num(4, 1000), num(4, 2000))
    for spec in (packed, unpacked):
        assert protobuf._message(memoryview(spec), "PodSpec") == {
            "securityContext": {"supplementalGroups": [1000, 2000]}}


def test_fields_skiff_does_not_model_are_skipped() -> None:
    body = envelope("v1", "ConfigMap", go_meta("cm"), entry(2, "k", text(2, "v")), text(99, "future"),
                    msg(98, num(1, 5)))
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": "cm"}, "data": {"k": "v"}}


def test_an_eviction_carries_its_delete_options() -> None:
    body = envelope("policy/v1", "Eviction", go_meta("web-1"),
                    msg(2, num(1, 0), msg(2, text(1, "uid-1")), text(4, "Background"), text(5, "All")))
    decoded = protobuf.decode(body)
    assert decoded["deleteOptions"] == {"gracePeriodSeconds": 0, "preconditions": {"uid": "uid-1"},
                                        "propagationPolicy": "Background", "dryRun": ["All"]}
    assert Eviction.model_validate(decoded).delete_options == DeleteOptions(
        grace_period_seconds=0, preconditions={"uid": "uid-1"}, propagation_policy="Background",
        dry_run=["All"])


# -- refusals --------------------------------------------------------------------------


def test_a_kind_without_a_table_is_a_415_naming_it() -> None:
    refusal = r"PriorityClass \(scheduling.k8s.io/v1\).*application/json"
    with pytest.raises(UnsupportedMediaType, match=refusal):
        protobuf.decode(envelope("scheduling.k8s.io/v1", "PriorityClass", go_meta("high")))


@pytest.mark.parametrize(("body", "message"), [
    (b'{"kind": "ConfigMap"}', "magic"),
    (b"k8s\x00\x0a\x05\x0a\x02v1", "runs past the end"),
    (envelope("v1", "ConfigMap", b"\x0a\x80"), "truncated varint"),
    (envelope("v1", "ConfigMap", num(1, 5)), "should be length-delimited"),
    (envelope("v1", "ConfigMap", b"\x0b"), "unsupported wire type"),
    (envelope("v1", "ConfigMap", text(1, b"\x0a\x01\xff")), "not UTF-8"),
])
def test_malformed_bodies_are_a_400(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        protobuf.decode(body)


def test_a_compressed_envelope_is_refused() -> None:
    body = b"k8s\x00" + msg(1, text(1, "v1"), text(2, "ConfigMap")) + msg(2) + text(3, "gzip")
    with pytest.raises(UnsupportedMediaType, match="gzip"):
        protobuf.decode(body)


# -- the table agrees with the models --------------------------------------------------


def _check(message: str, node: Node, path: str, problems: list[str]) -> None:
    for number, field in MESSAGES[message].items():
        if field.inline:
            _check(field.type, node, path, problems)
            continue
        at = f"{path}.{field.name}"
        if not isinstance(node, ModelNode) or field.name not in node.fields:
            problems.append(f"{message}.{number} {at}: the model does not declare it")
            continue
        sub, _ = child(node, field.name)
        if field.repeated:
            assert isinstance(sub, ListNode), at
            sub = sub.item
        if field.map_value is not None:
            assert isinstance(sub, MapNode), at
        elif field.type in MESSAGES:
            assert isinstance(sub, ModelNode), at
            _check(field.type, sub, at, problems)


@pytest.mark.parametrize(("api_version", "kind"), sorted(KINDS))
def test_every_decoded_field_is_one_the_model_declares(api_version: str, kind: str) -> None:
    rt = by_kind(api_version, kind)
    bodies: dict[str, type[BaseModel]] = {"Binding": core_v1.Binding, "DeleteOptions": DeleteOptions,
                                          "Eviction": Eviction}
    model = rt.model if rt is not None else bodies[kind]
    problems: list[str] = []
    _check(KINDS[(api_version, kind)], ModelNode(model), kind, problems)
    assert problems == []


def test_every_message_the_table_names_is_defined() -> None:
    named = {f.type for fields in MESSAGES.values() for f in fields.values()} | \
        {f.map_value for fields in MESSAGES.values() for f in fields.values() if f.map_value}
    scalars = {"string", "bytes", "int32", "int64", "bool", "map"}
    assert named - scalars - SPECIAL - set(MESSAGES) == set()


def test_decoded_bodies_validate_into_the_models() -> None:
    body = envelope("v1", "Service", go_meta("web"),
                    msg(2, msg(1, text(1, "http"), text(2, "TCP"), num(3, 80),
                               msg(4, num(1, 0), num(2, 8080), text(3, "")), num(5, 0)),
                        entry(2, "app", text(2, "web")), text(4, "ClusterIP")))
    service = core_v1.Service.model_validate(protobuf.decode(body))
    assert service.spec.ports is not None
    assert service.spec.ports[0].target_port == 8080
    assert service.spec.ports[0].node_port is None
    assert service.spec.type == "ClusterIP"

