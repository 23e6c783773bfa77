"""``skiffctl describe`` prints kubectl's pages, events included."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.integration.skiffctl.conftest import Cli, same_text
from tests.integration.skiffctl.manifests import (
    NGINX_DEPLOYMENT,
    NODEPORT_SERVICE,
    REDIS_SLAVE_RC,
    node,
)

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: frontend}
  annotations: {note: hello}
spec:
  containers:
  - name: web
    image: nginx:1.25
    command: [nginx, -g, daemon off;]
    ports: [{containerPort: 80}, {containerPort: 443}]
    env:
    - {name: MODE, value: prod}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: SECRET
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 200m, memory: 128Mi}
    readinessProbe:
      httpGet: {path: /healthz, port: 80}
    volumeMounts: [{name: cache, mountPath: /cache}, {name: conf, mountPath: /etc/conf,
                                                       readOnly: true}]
  - name: sidecar
    image: busybox
  volumes:
  - {name: cache, emptyDir: {}}
  - {name: conf, configMap: {name: settings}}
  tolerations:
  - {key: dedicated, operator: Equal, value: web, effect: NoSchedule}
  nodeSelector: {disk: ssd}
"""


def _event(cli: Cli, kind: str, name: str, reason: str, message: str, count: int = 1) -> None:
    obj = json.loads(cli("get", kind, name, "-o", "json").stdout)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{uuid.uuid4().hex[:10]}"},
        "involvedObject": {"kind": obj["kind"], "name": name, "uid": obj["metadata"]["uid"],
                           "namespace": obj["metadata"].get("namespace", ""),
                           "apiVersion": obj["apiVersion"]},
        "reason": reason, "message": message, "type": "Normal", "count": count,
        "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "skiff-test"},
    }
    cli("apply", "-f", "-", stdin=json.dumps(event))


def _compare(skiffctl: Cli, kubectl: Cli, *args: str) -> str:
    ours = skiffctl("describe", *args).stdout
    same_text(ours, kubectl("describe", *args).stdout)
    return ours


def test_a_pod_with_containers_volumes_and_events(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=POD)
    _event(skiffctl, "pod", "web", "Scheduled", "Successfully assigned web to node-1")
    _event(skiffctl, "pod", "web", "Pulling", "Pulling image \"nginx:1.25\"", count=3)
    page = _compare(skiffctl, kubectl, "pod", "web")
    assert page.startswith(f"Name:             web\nNamespace:        {skiffctl.namespace}\n")
    assert "  Normal  Pulling    " in page and "(x3 over" in page
    assert re.search(r"^QoS Class:\s+Burstable$", page, re.MULTILINE)


def test_workloads_services_and_namespaces(skiffctl: Cli, kubectl: Cli) -> None:
    port = 30000 + int(skiffctl.namespace[-4:], 16) % 2700
    skiffctl("apply", "-f", "-", stdin="---\n".join(
        [NGINX_DEPLOYMENT, REDIS_SLAVE_RC, NODEPORT_SERVICE % port]))
    _event(skiffctl, "rc", "redis-slave", "SuccessfulCreate", "Created pod: redis-slave-abcde")
    _event(skiffctl, "deploy", "nginx-deployment", "ScalingReplicaSet",
           "Scaled up replica set nginx-deployment-6d4cf56db6 to 3")
    for args in (["deploy", "nginx-deployment"], ["rc", "redis-slave"], ["svc", "my-service"],
                 ["deploy"], ["ns", skiffctl.namespace], ["rc,svc"]):
        _compare(skiffctl, kubectl, *args)


def test_config_maps_secrets_and_the_generic_page(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {a: b, c: d}}
data: {mode: demo}  # one key: kubectl prints a map in random order
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data: {password: c2VjcmV0}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: lock}
spec: {holderIdentity: me, leaseDurationSeconds: 15}
""")
    for args in (["cm", "settings"], ["secret", "creds"], ["lease", "lock"]):
        _compare(skiffctl, kubectl, *args)
    generic = skiffctl("describe", "lease", "lock").stdout
    assert "Holder Identity:         me" in generic and "Events:" in generic


def test_describe_matches_names_by_prefix_and_reports_missing_ones(skiffctl: Cli,
                                                                   kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=REDIS_SLAVE_RC)
    _compare(skiffctl, kubectl, "rc", "redis")
    ours, theirs = skiffctl("describe", "rc", "nope", check=False), \
        kubectl("describe", "rc", "nope", check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)


@pytest.fixture
def test_node(skiffctl: Cli) -> Iterator[str]:
    name = f"{skiffctl.namespace}-node"
    skiffctl("apply", "-f", "-", stdin=node(name))
    yield name
    skiffctl("delete", "node", name, "--wait=false")


def test_a_node_with_its_pods_and_allocations(skiffctl: Cli, kubectl: Cli,
                                              test_node: str) -> None:
    skiffctl("apply", "-f", "-", stdin=POD.replace("spec:\n", f"spec:\n  nodeName: {test_node}\n", 1))
    skiffctl("taint", "node", test_node, "dedicated=web:NoSchedule")
    page = _compare(skiffctl, kubectl, "node", test_node)
    assert "Non-terminated Pods:          (1 in total)" in page
    assert re.search(r"^  cpu\s+100m \(5%\)\s+200m \(10%\)$", page, re.MULTILINE)
