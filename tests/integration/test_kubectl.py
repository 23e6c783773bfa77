"""Real kubectl 1.32 against skiff, as a user types it.

Column headers are compared with what kubectl prints against Kubernetes 1.32; pod
rows with statuses written through the status subresource, the way a kubelet writes
them.
"""

from __future__ import annotations

import http.server
import json
import re
import shlex
import shutil
import subprocess
import textwrap
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apiserver import protobuf

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
        self.server = server
        self.namespace = namespace
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


def suffix() -> str:
    return uuid.uuid4().hex[:6]


def table(output: str) -> list[list[str]]:
    """kubectl's columns: cells are separated by at least two spaces (tabwriter pads three)."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.strip().splitlines()]


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
    kubectl("apply", "-f", "-",
            stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: '1'}\n")
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


# -- kubectl create: typed clients that send protobuf ----------------------------------


class Recorder:
    """A throwaway HTTP proxy in front of the apiserver that keeps every protobuf body.

    kubectl talks to it exactly as it talks to skiff, so the bytes it keeps are the bytes
    kubectl 1.32 really sends, captured without storing any fixture.
    """

    def __init__(self, upstream: str) -> None:
        self.bodies: list[bytes] = []
        recorder, client = self, httpx.Client(base_url=upstream, timeout=30)

        class Handler(http.server.BaseHTTPRequestHandler):
            def forward(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(size) if size else b""
                if self.headers.get("content-type") == protobuf.CONTENT_TYPE:
                    recorder.bodies.append(body)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "accept-encoding")}
                answer = client.request(self.command, self.path, content=body, headers=headers)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                           "content-encoding"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

            def log_message(self, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.client = client

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


@pytest.fixture
def recorder(apiserver: str) -> Iterator[Recorder]:
    with Recorder(apiserver) as rec:
        yield rec


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


CREATE = [
    "namespace ns-{id}",
    "configmap settings --from-literal=mode=demo --from-literal=empty=",
    "secret generic creds --from-literal=password=hunter2",
    "secret docker-registry pull --docker-server=registry.local --docker-username=u --docker-password=p",
    "deployment web --image=nginx:1.25 --replicas=0 --port=80",
    "deployment pair --image=nginx --image=redis:7",
    "service clusterip api --tcp=80:8080 --tcp=443",
    "service nodeport edge --tcp=80:8080",
    "service externalname ext --external-name=db.example.com",
    "job once --image=busybox -- sh -c 'echo hi'",
    "role reader --verb=get,list,watch --resource=pods,deployments.apps --resource-name=web",
    "rolebinding read --role=reader --user=alice --group=devs --serviceaccount={ns}:default",
    "clusterrole health-{id} --verb=get --non-resource-url=/healthz",
    "clusterrolebinding health-{id} --clusterrole=health-{id} --user=bob",
    "serviceaccount builder",
    "quota compute --hard=cpu=2,memory=1Gi,pods=10 --scopes=NotBestEffort",
]


@pytest.mark.parametrize("command", CREATE, ids=[c.split()[0] + ":" + c.split()[1] for c in CREATE])
def test_kubectl_create_sends_protobuf_that_skiff_reads_as_kubectl_meant(
        kubectl: Kubectl, recorder: Recorder, command: str) -> None:
    args = shlex.split(command.format(id=suffix(), ns=kubectl.namespace))
    via_proxy = Kubectl(recorder.url, kubectl.namespace, Path(kubectl.base[-1]).parent)
    done = via_proxy("create", *args)
    assert " created" in done.stdout
    assert len(recorder.bodies) == 1, "kubectl create should have sent one protobuf body"

    # What kubectl would have sent as JSON for the same command.
    intended = json.loads(kubectl("create", *args[:2], "--dry-run=client", "-o", "json",
                                  *args[2:]).stdout)
    intended.pop("status", None)
    assert protobuf.decode(recorder.bodies[0]) == without_nulls(intended)


def test_created_objects_read_back_as_kubectl_wrote_them(kubectl: Kubectl) -> None:
    kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=0", "--port=80")
    kubectl("create", "secret", "generic", "creds", "--from-literal=password=hunter2")
    kubectl("create", "job", "once", "--image=busybox", "--", "echo", "hi")
    kubectl("create", "rolebinding", "read", "--clusterrole=view", "--user=alice")
    deployment = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)
    assert deployment["spec"]["replicas"] == 0  # a pointer zero survives protobuf
    assert deployment["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}]
    secret = json.loads(kubectl("get", "secret", "creds", "-o", "json").stdout)
    assert secret["data"] == {"password": "aHVudGVyMg=="}
    job = json.loads(kubectl("get", "job", "once", "-o", "json").stdout)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    binding = json.loads(kubectl("get", "rolebinding", "read", "-o", "json").stdout)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "view"}


def test_drain_evicts_with_a_protobuf_eviction_and_cordons(kubectl: Kubectl) -> None:
    node = f"drain-{suffix()}"
    api = httpx.Client(base_url=kubectl.server, timeout=30)
    assert api.post("/api/v1/nodes", json={"metadata": {"name": node}}).status_code == 201
    pod = {"metadata": {"name": "victim"},
           "spec": {"nodeName": node, "containers": [{"name": "app", "image": "busybox"}]}}
    assert api.post(f"/api/v1/namespaces/{kubectl.namespace}/pods", json=pod).status_code == 201
    try:
        out = kubectl("drain", node, "--force", "--grace-period=0", "--timeout=30s").stdout
        assert f"node/{node} cordoned" in out
        assert "pod/victim evicted" in out
        assert kubectl("get", "pods", "-o", "name").stdout.strip() == ""
        rows = table(kubectl("get", "node", node).stdout)
        assert rows[1][:2] == [node, "Unknown,SchedulingDisabled"]
    finally:
        api.delete(f"/api/v1/nodes/{node}")
        api.close()


# -- server-side printing --------------------------------------------------------------


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def waiting(reason: str, name: str = "app", **extra: Any) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": {"waiting": {"reason": reason}}, **extra}


def running(name: str = "app", ready: bool = True, **extra: Any) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": {"running": {"startedAt": ago(minutes=30)}}, **extra}


def terminated(reason: str, code: int, name: str = "app") -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": {"terminated": {"exitCode": code, "reason": reason, "finishedAt": ago(minutes=1)}}}


def pod_states() -> dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]]:
    """name: (extra pod spec, status, [READY, STATUS, RESTARTS]).

    Built when the test runs: "(20m ago)" is relative to now, not to import time.
    """
    last_error = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=20)}}
    return {
        "running": ({}, {"phase": "Running", "podIP": "10.244.0.7", "podIPs": [{"ip": "10.244.0.7"}],
                         "conditions": [{"type": "Ready", "status": "True"}],
                         "containerStatuses": [running(restartCount=5, lastState=last_error)]},
                    ["1/1", "Running", "5 (20m ago)"]),
        "crashing": ({}, {"phase": "Running",
                          "containerStatuses": [waiting("CrashLoopBackOff", restartCount=3,
                                                        lastState=last_error)]},
                     ["0/1", "CrashLoopBackOff", "3 (20m ago)"]),
        "done": ({"restartPolicy": "Never"},
                 {"phase": "Succeeded", "containerStatuses": [terminated("Completed", 0)]},
                 ["0/1", "Completed", "0"]),
        "initializing": ({"initContainers": [{"name": "setup", "image": "busybox"}]},
                         {"phase": "Pending", "initContainerStatuses": [running("setup", ready=False)],
                          "containerStatuses": [waiting("PodInitializing")]},
                         ["0/1", "Init:0/1", "0"]),
    }


def test_get_pods_wide_prints_kubectls_columns_and_statuses(kubectl: Kubectl) -> None:
    api = httpx.Client(base_url=kubectl.server, timeout=30)
    pods = f"/api/v1/namespaces/{kubectl.namespace}/pods"
    states = pod_states()
    for name, (spec, status, _) in [*states.items(),
                                    ("leaving", ({}, {"phase": "Running"}, []))]:
        body = {"metadata": {"name": name, "finalizers": ["example.com/hold"] if name == "leaving" else []},
                "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "busybox"}], **spec}}
        assert api.post(pods, json=body).status_code == 201
        patched = api.patch(f"{pods}/{name}/status", json={"status": status},
                            headers={"Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200, patched.text
    assert api.delete(f"{pods}/leaving").status_code in (200, 202)
    try:
        rows = table(kubectl("get", "pods", "-o", "wide").stdout)
        assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                           "NOMINATED NODE", "READINESS GATES"]
        by_name = {r[0]: r for r in rows[1:]}
        for name, (_, _, cells) in states.items():
            assert by_name[name][1:4] == cells, name
        assert by_name["running"][5:] == ["10.244.0.7", "node-a", "<none>", "<none>"]
        assert by_name["leaving"][2] == "Terminating"
        narrow = table(kubectl("get", "pods").stdout)
        assert narrow[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    finally:
        api.patch(f"{pods}/leaving", json={"metadata": {"finalizers": None}},
                  headers={"Content-Type": "application/merge-patch+json"})
        api.close()


# Headers as kubectl 1.32 prints them against Kubernetes 1.32.
HEADERS = {
    "configmaps": ["NAME", "DATA", "AGE"],
    "secrets": ["NAME", "TYPE", "DATA", "AGE"],
    "serviceaccounts": ["NAME", "SECRETS", "AGE"],
    "services": ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
    "deployments": ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
    "jobs": ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
    "roles": ["NAME", "CREATED AT"],
    "rolebindings": ["NAME", "ROLE", "AGE"],
    "resourcequotas": ["NAME", "AGE", "REQUEST", "LIMIT"],
}


def test_column_headers_match_kubernetes(kubectl: Kubectl) -> None:
    kubectl("create", "configmap", "c", "--from-literal=a=b")
    kubectl("create", "secret", "generic", "s", "--from-literal=a=b")
    kubectl("create", "serviceaccount", "sa")
    kubectl("create", "service", "clusterip", "svc", "--tcp=80")
    kubectl("create", "deployment", "d", "--image=nginx")
    kubectl("create", "job", "j", "--image=busybox")
    kubectl("create", "role", "r", "--verb=get", "--resource=pods")
    kubectl("create", "rolebinding", "rb", "--role=r", "--user=u")
    kubectl("create", "quota", "q", "--hard=pods=3")
    for resource, header in HEADERS.items():
        assert table(kubectl("get", resource).stdout)[0] == header, resource
    svc = table(kubectl("get", "service", "svc", "-o", "wide").stdout)
    assert svc[0][-1] == "SELECTOR" and svc[1][1] == "ClusterIP" and svc[1][4] == "80/TCP"
    binding = table(kubectl("get", "rolebinding", "rb", "-o", "wide").stdout)
    assert binding[0] == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert binding[1][1] == "Role/r" and binding[1][3] == "u"
    namespaces = table(kubectl("get", "namespace", kubectl.namespace).stdout)
    assert namespaces[0] == ["NAME", "STATUS", "AGE"] and namespaces[1][1] == "Active"


def test_nodes_print_status_roles_and_system_info(kubectl: Kubectl) -> None:
    name = f"node-{suffix()}"
    node = {"metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.7.7"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0-skiff", "osImage": "Debian GNU/Linux 12",
                                    "kernelVersion": "6.1.0", "containerRuntimeVersion": "docker://20.10"}}}
    created = httpx.post(f"{kubectl.server}/api/v1/nodes", json=node)
    assert created.status_code == 201, created.text
    try:
        rows = table(kubectl("get", "node", name, "-o", "wide").stdout)
        assert rows[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                           "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
        cells = rows[1]
        assert cells[:3] == [name, "Ready,SchedulingDisabled", "control-plane"]
        assert cells[4:] == ["v1.32.0-skiff", "192.168.7.7", "<none>", "Debian GNU/Linux 12", "6.1.0",
                             "docker://20.10"]
    finally:
        httpx.delete(f"{kubectl.server}/api/v1/nodes/{name}")


def test_get_all_prints_a_table_per_kind(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST)
    kubectl("apply", "-f", str(path))
    out = kubectl("get", "all").stdout
    blocks = [table(block) for block in out.strip().split("\n\n")]
    by_header = {tuple(b[0]): b[1:] for b in blocks}
    services = by_header[("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")]
    assert services[0][0] == "service/nginx" and services[0][4] == "80/TCP"
    deployments = by_header[("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")]
    assert deployments[0][:4] == ["deployment.apps/nginx", "0/2", "0", "0"]


# -- discovery, OpenAPI and explain ----------------------------------------------------


def test_api_resources_lists_kubernetes_short_names(kubectl: Kubectl) -> None:
    rows = table(kubectl("api-resources").stdout)
    assert rows[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    short = {r[0]: r[1] for r in rows[1:] if len(r) == 5}
    assert short["pods"] == "po" and short["services"] == "svc" and short["deployments"] == "deploy"
    assert short["namespaces"] == "ns" and short["configmaps"] == "cm" and short["nodes"] == "no"
    assert short["statefulsets"] == "sts" and short["resourcequotas"] == "quota"


def test_get_raw_openapi_v3_lists_every_group_version(kubectl: Kubectl) -> None:
    index = json.loads(kubectl("get", "--raw", "/openapi/v3").stdout)["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/batch/v1"} <= set(index)
    url = index["apis/apps/v1"]["serverRelativeURL"]
    doc = json.loads(kubectl("get", "--raw", url).stdout)
    assert "io.k8s.api.apps.v1.Deployment" in doc["components"]["schemas"]


def test_explain_a_nested_field(kubectl: Kubectl) -> None:
    out = kubectl("explain", "pods.spec.containers.livenessProbe").stdout
    assert "KIND:       Pod" in out and "VERSION:    v1" in out
    assert "FIELD: livenessProbe <Probe>" in out
    assert "Checks that the container is alive" in out
    assert re.search(r"^  httpGet\t<HTTPGetAction>$", out, re.M)
    assert re.search(r"^  initialDelaySeconds\t<integer>$", out, re.M)


def test_explain_recursive(kubectl: Kubectl) -> None:
    out = kubectl("explain", "deployment.spec", "--recursive").stdout
    assert "GROUP:      apps" in out and "KIND:       Deployment" in out
    assert re.search(r"^  selector\t<LabelSelector> -required-$", out, re.M)
    assert re.search(r"^  template\t<PodTemplateSpec> -required-$", out, re.M)
    assert re.search(r"^      containers\t<\[\]Container> -required-$", out, re.M)
    assert re.search(r"^        image\t<string>$", out, re.M)
    assert re.search(r"^      maxSurge\t<IntOrString>$", out, re.M)


# -- apply and validation --------------------------------------------------------------

TYPO = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: typo}
data: {a: "1"}
dta: {b: "2"}
"""


def test_apply_validates_on_the_server_and_strict_names_the_field(kubectl: Kubectl) -> None:
    refused = kubectl("apply", "-f", "-", stdin=TYPO, check=False)
    assert refused.returncode != 0
    assert 'unknown field "dta"' in refused.stderr
    assert kubectl("get", "configmap", "typo", check=False).returncode != 0

    warned = kubectl("apply", "--validate=warn", "-f", "-", stdin=TYPO)
    assert "configmap/typo created" in warned.stdout
    assert 'unknown field "dta"' in warned.stderr


def test_server_side_apply_is_refused_with_a_clear_error(kubectl: Kubectl) -> None:
    done = kubectl("apply", "--server-side", "-f", "-",
                   stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\n", check=False)
    assert done.returncode != 0
    assert "server-side apply is not supported by skiff" in done.stderr
    assert "docs/compatibility.md" in done.stderr
