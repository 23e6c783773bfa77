"""Real kubectl 1.32 against skiff, as a user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None,
                                reason="kubectl is not installed on this machine")

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx, suite: kubectl}
spec:
  replicas: 2
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels: {app: nginx, suite: kubectl}
spec:
  selector: {app: nginx}
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {suite: kubectl}
data:
  mode: demo
"""


class Kubectl:
    def __init__(self, server: str, namespace: str, home: Path) -> None:
        self.base = ["kubectl", "--server", server, "--namespace", namespace,
                     "--cache-dir", str(home / "cache")]

    def __call__(self, *args: str, check: bool = True, timeout: float = 60,
                 stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True,
                              timeout=timeout, input=stdin)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done


@pytest.fixture
def kubectl(apiserver: str, tmp_path: Path) -> Kubectl:
    namespace = f"kc-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{apiserver}/api/v1/namespaces", json={"metadata": {"name": namespace}})
    assert created.status_code == 201, created.text
    return Kubectl(apiserver, namespace, tmp_path)


def test_apply_a_multi_document_file_and_read_it_back(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST)
    out = kubectl("apply", "-f", str(path)).stdout
    assert "deployment.apps/nginx created" in out
    assert "service/nginx created" in out
    assert "configmap/settings created" in out

    again = kubectl("apply", "-f", str(path)).stdout
    assert "deployment.apps/nginx unchanged" in again

    as_json = json.loads(kubectl("get", "deployment", "nginx", "-o", "json").stdout)
    assert as_json["spec"]["replicas"] == 2
    assert as_json["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    as_yaml = yaml.safe_load(kubectl("get", "configmap", "settings", "-o", "yaml").stdout)
    assert as_yaml["data"] == {"mode": "demo"}
    wide = kubectl("get", "deployments", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert "CONTAINERS" in wide[0] and "nginx:1.25" in wide[1]


def test_apply_removes_a_field_dropped_from_the_file(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: trimmed, labels: {keep: "yes", drop: "yes"}}
        data: {a: "1", b: "2"}
    """))
    kubectl("apply", "-f", str(path))
    path.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: trimmed, labels: {keep: "yes"}}
        data: {a: "1"}
    """))
    assert "configured" in kubectl("apply", "-f", str(path)).stdout
    live = json.loads(kubectl("get", "cm", "trimmed", "-o", "json").stdout)
    assert live["data"] == {"a": "1"}
    assert live["metadata"]["labels"] == {"keep": "yes"}


def test_label_annotate_and_scale(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST)
    kubectl("apply", "-f", str(path))
    kubectl("label", "deployment", "nginx", "tier=web")
    kubectl("annotate", "deployment", "nginx", "owner=team-a")
    kubectl("label", "deployment", "nginx", "tier=edge", "--overwrite")
    kubectl("annotate", "deployment", "nginx", "owner-")
    meta = json.loads(kubectl("get", "deploy", "nginx", "-o", "json").stdout)["metadata"]
    assert meta["labels"]["tier"] == "edge"
    assert "owner" not in (meta.get("annotations") or {})

    assert "scaled" in kubectl("scale", "deployment", "nginx", "--replicas=4").stdout
    scaled = json.loads(kubectl("get", "deploy", "nginx", "-o", "json").stdout)
    assert scaled["spec"]["replicas"] == 4
    assert scaled["metadata"]["generation"] == 2


def test_delete_by_label(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST)
    kubectl("apply", "-f", str(path))
    out = kubectl("delete", "deployment,service,configmap", "-l", "suite=kubectl").stdout
    assert 'deployment.apps "nginx" deleted' in out
    assert 'service "nginx" deleted' in out
    left = kubectl("get", "deployment,service,configmap", "-l", "suite=kubectl", "-o", "name").stdout
    assert left.strip() == ""


def test_get_watch_prints_changes(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: '1'}\n")
    watcher = subprocess.Popen([*kubectl.base, "get", "configmaps", "--watch", "--request-timeout=8s",
                                "--field-selector", "metadata.name=watched"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    header = watcher.stdout.readline()
    first = watcher.stdout.readline()
    assert header.split()[:2] == ["NAME", "DATA"]
    assert first.split()[0] == "watched"
    kubectl("label", "configmap", "watched", "changed=yes")
    changed = watcher.stdout.readline()
    assert changed.split()[0] == "watched"
    watcher.terminate()
    watcher.wait(10)
