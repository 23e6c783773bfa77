"""Field selectors parse, match and validate per kind as on a Kubernetes apiserver."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apimachinery import fields
from apimachinery.errors import BadRequest
from apimachinery.fields import Requirement, Selector

CANONICAL = [
    ("", ""),
    ("metadata.name=x", "metadata.name=x"),
    ("metadata.name=x,spec.nodeName!=,status.phase==Running",
     "metadata.name=x,spec.nodeName!=,status.phase=Running"),
    # Terms are sorted as written, before the operators are read.
    ("status.phase=Running,metadata.name=x", "metadata.name=x,status.phase=Running"),
    ("a=x\\,y", "a=x\\,y"),
    ("a=x\\=y", "a=x\\=y"),
    ("a=x\\\\y", "a=x\\\\y"),
    ("spec.nodeName=", "spec.nodeName="),
    ("a=b,,c=d", "a=b,c=d"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_a_field_selector_prints_its_canonical_form(text: str, canonical: str) -> None:
    assert str(fields.parse(text)) == canonical


def test_the_first_operator_in_a_term_splits_it() -> None:
    (req,) = fields.parse("a==b").requirements
    assert (req.field, req.value, req.equal) == ("a", "b", True)
    (req,) = fields.parse("a!=b").requirements
    assert (req.field, req.value, req.equal) == ("a", "b", False)
    (req,) = fields.parse("a!=b\\=c").requirements
    assert (req.field, req.value, req.equal) == ("a", "b=c", False)


def test_escaped_separators_are_part_of_the_value() -> None:
    (req,) = fields.parse("metadata.name=a\\,b\\=c\\\\d").requirements
    assert req.value == "a,b=c\\d"


@pytest.mark.parametrize(("text", "message"), [
    ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
    ("a=b,cd", "invalid selector: 'a=b,cd'; can't understand 'cd'"),
    ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
    ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ("a=b=c", "invalid field selector: unescaped character in value: 61"),
])
def test_a_malformed_field_selector_is_a_bad_request(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        fields.parse(text)
    assert caught.value.message == message


def test_an_absent_field_reads_as_the_empty_string() -> None:
    unscheduled = fields.parse("spec.nodeName=")
    assert unscheduled.matches({"metadata.name": "p"})
    assert not unscheduled.matches({"spec.nodeName": "node-1"})
    assert fields.parse("spec.nodeName!=").matches({"spec.nodeName": "node-1"})


def test_every_requirement_must_hold() -> None:
    selector = fields.parse("metadata.name=x,status.phase!=Failed")
    assert selector.matches({"metadata.name": "x", "status.phase": "Running"})
    assert not selector.matches({"metadata.name": "x", "status.phase": "Failed"})
    assert not selector.matches({"metadata.name": "y", "status.phase": "Running"})


def test_everything_and_nothing() -> None:
    assert Selector.everything().matches({})
    assert Selector.everything().empty()
    assert not Selector.nothing().matches({})
    assert not Selector.nothing().empty()


def test_exact_matches_are_the_equalities() -> None:
    assert fields.exact_matches("spec.nodeName=n1,status.phase!=Failed,metadata.name=p") == {
        "metadata.name": "p", "spec.nodeName": "n1"}
    selector = fields.parse("spec.nodeName=n1")
    assert selector.requires_exact_match("spec.nodeName") == "n1"
    assert selector.requires_exact_match("status.phase") is None


def test_a_set_becomes_equalities() -> None:
    assert fields.Selector.from_set({"metadata.name": "a"}).matches({"metadata.name": "a"})
    assert fields.Selector.from_set(None) == Selector.everything()


POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
             "serviceAccountName": "default", "hostNetwork": True,
             "containers": [{"name": "web", "image": "nginx"}]},
    "status": {"phase": "Running", "podIP": "10.244.1.5",
               "podIPs": [{"ip": "10.244.1.5"}, {"ip": "fd00::5"}]},
}


def test_a_pod_exposes_the_fields_its_strategy_computes() -> None:
    assert fields.selectable_fields("Pod", POD) == {
        "metadata.name": "web-1",
        "metadata.namespace": "default",
        "spec.nodeName": "node-1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "default",
        "spec.hostNetwork": "true",
        "status.phase": "Running",
        "status.podIP": "10.244.1.5",
        "status.nominatedNodeName": "",
    }


def test_a_fresh_pod_reads_empty_and_false() -> None:
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {}}
    got = fields.selectable_fields("Pod", pod)
    assert got["spec.nodeName"] == ""
    assert got["spec.hostNetwork"] == "false"
    assert got["status.phase"] == ""


@pytest.mark.parametrize(("kind", "obj", "expected"), [
    ("Node", {"metadata": {"name": "n"}, "spec": {"unschedulable": True}},
     {"spec.unschedulable": "true"}),
    ("Node", {"metadata": {"name": "n"}}, {"spec.unschedulable": "false"}),
    ("Namespace", {"metadata": {"name": "ns"}, "status": {"phase": "Terminating"}},
     {"status.phase": "Terminating"}),
    ("Secret", {"metadata": {"name": "s"}, "type": "kubernetes.io/tls"},
     {"type": "kubernetes.io/tls"}),
    ("ReplicationController", {"metadata": {"name": "rc"}, "status": {"replicas": 3}},
     {"status.replicas": "3"}),
    ("ReplicaSet", {"metadata": {"name": "rs"}, "status": {}}, {"status.replicas": "0"}),
    ("Job", {"metadata": {"name": "j"}, "status": {"succeeded": 2}},
     {"status.successful": "2"}),
    ("Service", {"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.10",
                                                     "type": "ClusterIP"}},
     {"spec.clusterIP": "10.96.0.10", "spec.type": "ClusterIP"}),
    ("ConfigMap", {"metadata": {"name": "c", "namespace": "d"}}, {}),
])
def test_each_kind_exposes_its_own_fields(kind: str, obj: dict[str, object],
                                          expected: dict[str, str]) -> None:
    got = fields.selectable_fields(kind, obj)
    assert got["metadata.name"] == obj["metadata"]["name"]  # type: ignore[index]
    assert {k: v for k, v in got.items() if not k.startswith("metadata.")} == expected


def test_an_event_exposes_its_involved_object_and_falls_back_for_its_source() -> None:
    event = {
        "metadata": {"name": "web-1.17", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default",
                           "uid": "u1", "apiVersion": "v1", "resourceVersion": "7",
                           "fieldPath": "spec.containers{web}"},
        "reason": "Pulled", "type": "Normal", "reportingComponent": "kubelet",
    }
    got = fields.selectable_fields("Event", event)
    assert got["involvedObject.name"] == "web-1"
    assert got["involvedObject.fieldPath"] == "spec.containers{web}"
    assert got["reason"] == "Pulled"
    assert got["source"] == "kubelet"
    event["source"] = {"component": "scheduler"}
    assert fields.selectable_fields("Event", event)["source"] == "scheduler"


def test_the_kubelet_selector_finds_its_pods() -> None:
    selector = fields.validate_field_selector("Pod", "spec.nodeName=node-1")
    assert selector.matches(fields.selectable_fields("Pod", POD))


def test_an_old_client_spec_host_means_node_name() -> None:
    assert str(fields.validate_field_selector("Pod", "spec.host=node-1")) == "spec.nodeName=node-1"


@pytest.mark.parametrize(("kind", "selector", "message"), [
    ("Pod", "foo.bar=1", "field label not supported: foo.bar"),
    ("Node", "metadata.namespace=x", "field label not supported: metadata.namespace"),
    ("Namespace", "metadata.namespace=x", "field label not supported: metadata.namespace"),
    ("Service", "spec.ports=1", "field label not supported: spec.ports"),
    ("Job", "status.active=1", 'field label "status.active" not supported for batchv1.Job'),
    ("ReplicaSet", "status.replicas=1",
     '"status.replicas" is not a known field selector: only "metadata.name", '
     '"metadata.namespace"'),
    ("Deployment", "spec.replicas=1",
     '"spec.replicas" is not a known field selector: only "metadata.name", '
     '"metadata.namespace"'),
])
def test_an_unsupported_field_is_rejected_in_the_kinds_own_words(
        kind: str, selector: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        fields.validate_field_selector(kind, selector)
    assert caught.value.message == message


@pytest.mark.parametrize(("kind", "selector"), [
    ("Pod", "status.podIPs=1.2.3.4,spec.hostNetwork=true,status.nominatedNodeName="),
    ("Event", "involvedObject.kind=Pod,reportingComponent=x,source=y,type=Normal"),
    ("Secret", "type=Opaque"),
    ("ReplicationController", "status.replicas=0"),
    ("Job", "status.successful=1"),
    ("ConfigMap", "metadata.name=a,metadata.namespace=b"),
    ("Node", "spec.unschedulable=false"),
])
def test_supported_fields_are_accepted(kind: str, selector: str) -> None:
    assert str(fields.validate_field_selector(kind, selector)) == str(fields.parse(selector))


_texts = st.text(alphabet="ab,=\\!.x", max_size=12)


@given(_texts)
def test_escaping_round_trips(value: str) -> None:
    assert fields.unescape_value(fields.escape_value(value)) == value


@given(st.lists(st.tuples(st.sampled_from(["metadata.name", "spec.nodeName", "a.b"]),
                          _texts, st.booleans()), max_size=3))
def test_printing_and_parsing_back_keeps_the_requirements(
        terms: list[tuple[str, str, bool]]) -> None:
    selector = Selector(tuple(Requirement(f, v, eq) for f, v, eq in terms))
    again = fields.parse(str(selector))
    assert sorted(again.requirements, key=str) == sorted(selector.requirements, key=str)
