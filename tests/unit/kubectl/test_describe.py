"""The describe pages' layout, from fixed objects (no server needed)."""

from __future__ import annotations

from kubectl.describe import (
    Writer,
    events_text,
    pod_template_text,
    qos_class,
    smart_label,
    taint_string,
    write_annotations,
    write_containers,
    write_labels,
)


def test_labels_and_annotations_span_lines_like_kubectls() -> None:
    w = Writer()
    write_labels(w, "Labels", {"b": "2", "a": "1"})
    write_annotations(w, "Annotations", {
        "kubectl.kubernetes.io/last-applied-configuration": "{}", "short": "x",
        "long": "y" * 150})
    assert w.text() == ("Labels:       a=1\n"
                        "              b=2\n"
                        "Annotations:  long:\n"
                        f"                {'y' * 138}...\n"
                        "              short: x\n")


def test_containers_show_ports_state_resources_env_and_mounts() -> None:
    w = Writer()
    container = {"name": "web", "image": "nginx", "ports": [{"containerPort": 80},
                                                            {"containerPort": 443}],
                 "resources": {"limits": {"memory": "128Mi", "cpu": "1"}},
                 "env": [{"name": "A", "value": "b"},
                         {"name": "N", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                  "fieldPath": "metadata.name"}}}],
                 "volumeMounts": [{"name": "d", "mountPath": "/d", "readOnly": True}]}
    status = {"name": "web", "containerID": "docker://abc", "imageID": "sha", "ready": True,
              "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    write_containers(w, "Containers", [container], [status], {"metadata": {"name": "p"}})
    assert w.text() == ("Containers:\n"
                        "  web:\n"
                        "    Container ID:   docker://abc\n"
                        "    Image:          nginx\n"
                        "    Image ID:       sha\n"
                        "    Ports:          80/TCP, 443/TCP\n"
                        "    Host Ports:     0/TCP, 0/TCP\n"
                        "    State:          Waiting\n"
                        "      Reason:       CrashLoopBackOff\n"
                        "    Ready:          True\n"
                        "    Restart Count:  2\n"
                        "    Limits:\n"
                        "      cpu:     1\n"
                        "      memory:  128Mi\n"
                        "    Environment:\n"
                        "      A:  b\n"
                        "      N:  p (v1:metadata.name)\n"
                        "    Mounts:\n"
                        "      /d from d (ro)\n")


def test_events_are_aligned_apart_from_the_page_above() -> None:
    w = Writer()
    w.write(0, "A much longer label:\tx\n")
    events_text(w, [{"type": "Normal", "reason": "Pulled", "message": "done ",
                     "source": {"component": "kubelet"}, "count": 1}])
    lines = w.text().splitlines()
    assert lines[0] == "A much longer label:  x"
    assert lines[1:] == ["Events:", "  Type    Reason  Age        From     Message",
                         "  ----    ------  ----       ----     -------",
                         "  Normal  Pulled  <unknown>  kubelet  done"]
    none = Writer()
    events_text(none, [])
    assert none.text() == "Events:  <none>\n"


def test_a_history_template_is_printed_without_alignment() -> None:
    text = pod_template_text({"metadata": {"labels": {"app": "web", "pod-template-hash": "h"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
    assert text.splitlines()[:3] == ["Pod Template:", "  Labels:\tapp=web",
                                     "\tpod-template-hash=h"]


def test_qos_classes() -> None:
    guaranteed = {"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                                                "requests": {"cpu": "1", "memory": "1Gi"}}}]}
    burstable = {"containers": [{"resources": {"requests": {"cpu": "100m"}}}]}
    assert qos_class(guaranteed) == "Guaranteed"
    assert qos_class(burstable) == "Burstable"
    assert qos_class({"containers": [{}]}) == "BestEffort"


def test_field_titles_and_taints() -> None:
    assert smart_label("apiVersion") == "API Version"
    assert smart_label("holderIdentity") == "Holder Identity"
    assert smart_label("podCIDR") == "Pod CIDR"
    assert smart_label("x-y.z") == "x-y.z"
    assert taint_string({"key": "k", "value": "v", "effect": "NoSchedule"}) == "k=v:NoSchedule"
