"""Server-side tables print exactly the cells kubectl shows against Kubernetes.

Every case is an object as the apiserver stores it and the full row kubectl would get,
wide columns included (kubectl hides priority-1 columns unless ``-o wide``). Ages are
computed against a fixed clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apimachinery.base import KubeObject
from apimachinery.registry import by_kind
from apimachinery.schema import ResourceType
from apiserver import printers

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str = "x", age: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "creationTimestamp": age or ago(seconds=5), **extra}


def row(api_version: str, kind: str, obj: dict[str, Any]) -> list[Any]:
    rt = by_kind(api_version, kind)
    assert rt is not None
    return printers.table_rows(rt, [obj], NOW)[0]


def headers(api_version: str, kind: str, wide: bool = False) -> list[str]:
    rt = by_kind(api_version, kind)
    assert rt is not None
    return [c["name"].upper() for c in printers.column_definitions(rt) if wide or c["priority"] == 0]


# -- ages ------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"),
    (125, "2m5s"), (599, "9m59s"), (600, "10m"), (3 * 3600 - 1, "179m"), (3 * 3600, "3h"),
    (3 * 3600 + 60, "3h1m"), (8 * 3600, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"),
    (50 * 3600, "2d2h"), (8 * 86400, "8d"), (729 * 86400, "729d"), (730 * 86400, "2y"),
    (731 * 86400, "2y1d"), (8 * 365 * 86400, "8y"),
])
def test_ages_read_like_kubectl_human_duration(seconds: int, text: str) -> None:
    assert printers.short_duration(seconds) == text


def test_an_object_without_a_creation_timestamp_is_of_unknown_age() -> None:
    assert printers.human_age({"metadata": {"name": "x"}}, NOW) == "<unknown>"


# -- pods ------------------------------------------------------------------------------


def container(name: str = "app", **state: Any) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": state or {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}


RUNNING: dict[str, Any] = {"running": {"startedAt": ago(minutes=10)}}


def pod(*, phase: str = "Pending", statuses: list[dict[str, Any]] | None = None,
        init: list[dict[str, Any]] | None = None, init_specs: list[dict[str, Any]] | None = None,
        containers: int = 1, node: str = "", ip: str = "", **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": "busybox"}
                                           for i in range(containers)]}
    if init_specs is not None:
        spec["initContainers"] = init_specs
    if node:
        spec["nodeName"] = node
    body: dict[str, Any] = {"phase": phase, **status}
    if statuses is not None:
        body["containerStatuses"] = statuses
    if init is not None:
        body["initContainerStatuses"] = init
    if ip:
        body["podIP"], body["podIPs"] = ip, [{"ip": ip}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta("web"), "spec": spec, "status": body}


def restarted(count: int, finished: str, **state: Any) -> dict[str, Any]:
    c = container(**state)
    c["restartCount"] = count
    c["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": finished}}
    return c


READY_COND = [{"type": "Ready", "status": "True"}]
INIT_ONE = [{"name": "setup", "image": "busybox"}]

POD_CASES = [
    ("a pod no scheduler has placed is Pending",
     pod(), ["web", "0/1", "Pending", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a container being created shows ContainerCreating",
     pod(node="n1", statuses=[container()]),
     ["web", "0/1", "ContainerCreating", "0", "5s", "<none>", "n1", "<none>", "<none>"]),
    ("a ready running pod with restarts says when it last restarted",
     pod(phase="Running", node="n1", ip="10.244.0.7", conditions=READY_COND,
         statuses=[{**restarted(5, ago(minutes=5), **RUNNING), "ready": True}]),
     ["web", "1/1", "Running", "5 (5m ago)", "5s", "10.244.0.7", "n1", "<none>", "<none>"]),
    ("restarts without a recorded termination print only the count",
     pod(phase="Running", statuses=[{**container(**RUNNING), "ready": True, "restartCount": 2}]),
     ["web", "1/1", "Running", "2", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("only ready running containers count as ready",
     pod(phase="Running", containers=2,
         statuses=[{**container("c0", **RUNNING), "ready": True}, container("c1", **RUNNING)]),
     ["web", "1/2", "Running", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a container in back-off shows CrashLoopBackOff",
     pod(phase="Running", statuses=[restarted(3, ago(seconds=10),
                                             waiting={"reason": "CrashLoopBackOff"})]),
     ["web", "0/1", "CrashLoopBackOff", "3 (10s ago)", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("an image that cannot be pulled shows ImagePullBackOff",
     pod(statuses=[container(waiting={"reason": "ImagePullBackOff"})]),
     ["web", "0/1", "ImagePullBackOff", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a failed pull shows ErrImagePull",
     pod(statuses=[container(waiting={"reason": "ErrImagePull"})]),
     ["web", "0/1", "ErrImagePull", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a finished pod shows Completed",
     pod(phase="Succeeded", statuses=[container(terminated={"exitCode": 0, "reason": "Completed"})]),
     ["web", "0/1", "Completed", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a failed container shows Error",
     pod(phase="Failed", statuses=[container(terminated={"exitCode": 1, "reason": "Error"})]),
     ["web", "0/1", "Error", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a killed container shows OOMKilled",
     pod(phase="Running", statuses=[container(terminated={"exitCode": 137, "reason": "OOMKilled"})]),
     ["web", "0/1", "OOMKilled", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a termination without a reason shows the exit code",
     pod(phase="Failed", statuses=[container(terminated={"exitCode": 2})]),
     ["web", "0/1", "ExitCode:2", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a termination by signal shows the signal",
     pod(phase="Failed", statuses=[container(terminated={"exitCode": 137, "signal": 9})]),
     ["web", "0/1", "Signal:9", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a pod status reason wins when no container has one",
     pod(phase="Failed", reason="Evicted"),
     ["web", "0/1", "Evicted", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("the first init container still running shows Init:0/1",
     pod(init_specs=INIT_ONE, init=[container("setup", **RUNNING)],
         statuses=[container(waiting={"reason": "PodInitializing"})]),
     ["web", "0/1", "Init:0/1", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("the second of two init containers shows Init:1/2",
     pod(init_specs=[*INIT_ONE, {"name": "migrate"}],
         init=[container("setup", terminated={"exitCode": 0, "reason": "Completed"}),
               container("migrate", waiting={"reason": "PodInitializing"})]),
     ["web", "0/1", "Init:1/2", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a failed init container shows Init:Error",
     pod(init_specs=INIT_ONE, init=[container("setup", terminated={"exitCode": 1, "reason": "Error"})]),
     ["web", "0/1", "Init:Error", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("an init container without a reason shows its exit code",
     pod(init_specs=INIT_ONE, init=[container("setup", terminated={"exitCode": 3})]),
     ["web", "0/1", "Init:ExitCode:3", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("an init container in back-off shows Init:CrashLoopBackOff and its restarts",
     pod(init_specs=INIT_ONE, init=[restarted(4, ago(minutes=1), waiting={"reason": "CrashLoopBackOff"})],
         statuses=[container(waiting={"reason": "PodInitializing"})]),
     ["web", "0/1", "Init:CrashLoopBackOff", "4 (60s ago)", "5s", "<none>", "<none>", "<none>",
      "<none>"]),
    ("app containers waiting for init to finish show PodInitializing",
     pod(init_specs=INIT_ONE, init=[container("setup", terminated={"exitCode": 0, "reason": "Completed"})],
         statuses=[container(waiting={"reason": "PodInitializing"})]),
     ["web", "0/1", "PodInitializing", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a started sidecar counts as a ready container beside the app",
     pod(phase="Running", conditions=READY_COND,
         init_specs=[{"name": "proxy", "restartPolicy": "Always"}],
         init=[{**container("proxy", **RUNNING), "started": True, "ready": True, "restartCount": 1}],
         statuses=[{**container(**RUNNING), "ready": True}]),
     ["web", "2/2", "Running", "1", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a pod being deleted shows Terminating",
     {**pod(phase="Running", statuses=[{**container(**RUNNING), "ready": True}]),
      "metadata": meta("web", deletionTimestamp=ago(seconds=1))},
     ["web", "1/1", "Terminating", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a finished pod being deleted keeps showing Completed",
     {**pod(phase="Succeeded", statuses=[container(terminated={"exitCode": 0, "reason": "Completed"})]),
      "metadata": meta("web", deletionTimestamp=ago(seconds=1))},
     ["web", "0/1", "Completed", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a pod deleted from a lost node shows Unknown",
     {**pod(phase="Running", reason="NodeLost"), "metadata": meta("web", deletionTimestamp=ago(seconds=1))},
     ["web", "0/1", "Unknown", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a gated pod shows SchedulingGated",
     pod(conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     ["web", "0/1", "SchedulingGated", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("one finished container beside a running one reads Running when the pod is ready",
     pod(phase="Running", containers=2, conditions=READY_COND,
         statuses=[container("c0", terminated={"exitCode": 0, "reason": "Completed"}),
                   {**container("c1", **RUNNING), "ready": True}]),
     ["web", "1/2", "Running", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("one finished container beside a running one reads NotReady otherwise",
     pod(phase="Running", containers=2,
         statuses=[container("c0", terminated={"exitCode": 0, "reason": "Completed"}),
                   {**container("c1", **RUNNING), "ready": True}]),
     ["web", "1/2", "NotReady", "0", "5s", "<none>", "<none>", "<none>", "<none>"]),
    ("a nominated node and readiness gates show in the wide columns",
     {**pod(phase="Pending", nominatedNodeName="n2",
            conditions=[{"type": "example.com/lb", "status": "True"}]),
      "spec": {"containers": [{"name": "c0"}], "readinessGates": [
          {"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}},
     ["web", "0/1", "Pending", "0", "5s", "<none>", "<none>", "n2", "1/2"]),
]


@pytest.mark.parametrize(("obj", "cells"), [c[1:] for c in POD_CASES], ids=[c[0] for c in POD_CASES])
def test_pod_rows(obj: dict[str, Any], cells: list[Any]) -> None:
    assert row("v1", "Pod", obj) == cells


def test_pod_columns_are_kubectls() -> None:
    assert headers("v1", "Pod") == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert headers("v1", "Pod", wide=True)[5:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


def test_finished_pods_carry_a_completed_row_condition() -> None:
    rt = by_kind("v1", "Pod")
    assert rt is not None
    done = pod(phase="Succeeded")
    table = printers.table(rt, [done, pod()], now=NOW)
    assert table["rows"][0]["conditions"] == [{
        "type": "Completed", "status": "True", "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }]
    assert "conditions" not in table["rows"][1]


# -- every other kind ------------------------------------------------------------------


TEMPLATE: dict[str, Any] = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"},
                                    {"name": "log", "image": "busybox"}]}}

KIND_CASES: list[tuple[str, str, str, dict[str, Any], list[str], list[Any]]] = [
    ("a deployment counts ready of desired, updated and available",
     "apps/v1", "Deployment",
     {"metadata": meta("web", ago(hours=3)),
      "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
      "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}},
     ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["web", "2/3", 3, 2, "3h", "nginx,log", "nginx:1.25,busybox", "app=web"]),
    ("a new deployment without status counts zeros",
     "apps/v1", "Deployment",
     {"metadata": meta("web"), "spec": {"replicas": 1, "selector": {
         "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]},
         "template": TEMPLATE}},
     ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["web", "0/1", 0, 0, "5s", "nginx,log", "nginx:1.25,busybox", "tier in (be,fe)"]),
    ("a replica set counts desired, current and ready",
     "apps/v1", "ReplicaSet",
     {"metadata": meta("web-7d9f"), "spec": {"replicas": 2, "selector": {"matchLabels": {
         "app": "web", "pod-template-hash": "7d9f"}}, "template": TEMPLATE},
      "status": {"replicas": 2, "readyReplicas": 1}},
     ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["web-7d9f", 2, 2, 1, "5s", "nginx,log", "nginx:1.25,busybox", "app=web,pod-template-hash=7d9f"]),
    ("a replication controller prints its selector map",
     "v1", "ReplicationController",
     {"metadata": meta("rc"), "spec": {"replicas": 0, "selector": {"b": "2", "a": "1"},
                                       "template": TEMPLATE}, "status": {"replicas": 0}},
     ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["rc", 0, 0, 0, "5s", "nginx,log", "nginx:1.25,busybox", "a=1,b=2"]),
    ("a daemon set prints its node selector",
     "apps/v1", "DaemonSet",
     {"metadata": meta("agent"), "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
         **TEMPLATE, "spec": {**TEMPLATE["spec"], "nodeSelector": {"kubernetes.io/os": "linux"}}}},
      "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                 "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0}},
     ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE",
      "CONTAINERS", "IMAGES", "SELECTOR"],
     ["agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "5s", "nginx,log", "nginx:1.25,busybox",
      "app=agent"]),
    ("a stateful set counts ready of desired",
     "apps/v1", "StatefulSet",
     {"metadata": meta("db"), "spec": {"replicas": 3, "serviceName": "db", "template": TEMPLATE},
      "status": {"replicas": 3, "readyReplicas": 3}},
     ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"],
     ["db", "3/3", "5s", "nginx,log", "nginx:1.25,busybox"]),
    ("a controller revision names its owner with its group",
     "apps/v1", "ControllerRevision",
     {"metadata": meta("db-5f7", ownerReferences=[{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                   "name": "db", "uid": "u", "controller": True}]),
      "revision": 2},
     ["NAME", "CONTROLLER", "REVISION", "AGE"], ["db-5f7", "statefulset.apps/db", 2, "5s"]),
    ("a running job counts completions and how long it has run",
     "batch/v1", "Job",
     {"metadata": meta("pi", ago(minutes=3)), "spec": {"completions": 3, "template": TEMPLATE,
                                                      "selector": {"matchLabels": {"job-name": "pi"}}},
      "status": {"succeeded": 1, "startTime": ago(minutes=2, seconds=30)}},
     ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["pi", "Running", "1/3", "2m30s", "3m", "nginx,log", "nginx:1.25,busybox", "job-name=pi"]),
    ("a complete job's duration ends at its completion",
     "batch/v1", "Job",
     {"metadata": meta("pi", ago(hours=1)), "spec": {"template": TEMPLATE},
      "status": {"succeeded": 1, "startTime": ago(minutes=50), "completionTime": ago(minutes=49),
                 "conditions": [{"type": "Complete", "status": "True"}]}},
     ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["pi", "Complete", "1/1", "60s", "60m", "nginx,log", "nginx:1.25,busybox", "<none>"]),
    ("a parallel job without completions says of how many",
     "batch/v1", "Job",
     {"metadata": meta("work"), "spec": {"parallelism": 4, "template": TEMPLATE},
      "status": {"conditions": [{"type": "Failed", "status": "True"}]}},
     ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["work", "Failed", "0/1 of 4", "", "5s", "nginx,log", "nginx:1.25,busybox", "<none>"]),
    ("a suspended job says so",
     "batch/v1", "Job",
     {"metadata": meta("later"), "spec": {"completions": 1, "suspend": True, "template": TEMPLATE},
      "status": {"conditions": [{"type": "Suspended", "status": "True"}]}},
     ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
     ["later", "Suspended", "0/1", "", "5s", "nginx,log", "nginx:1.25,busybox", "<none>"]),
    ("a cluster IP service prints its ports and selector",
     "v1", "Service",
     {"metadata": meta("web"), "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.20",
                                        "clusterIPs": ["10.96.0.20"], "selector": {"app": "web"},
                                        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080},
                                                  {"port": 53, "protocol": "UDP"}]}},
     ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
     ["web", "ClusterIP", "10.96.0.20", "<none>", "80/TCP,53/UDP", "5s", "app=web"]),
    ("a node port service shows port:nodePort",
     "v1", "Service",
     {"metadata": meta("np"), "spec": {"type": "NodePort", "clusterIPs": ["10.96.0.21"],
                                       "externalIPs": ["192.0.2.1"],
                                       "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}},
     ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
     ["np", "NodePort", "10.96.0.21", "192.0.2.1", "80:30080/TCP", "5s", "<none>"]),
    ("a load balancer without an address is pending",
     "v1", "Service",
     {"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.22"],
                                       "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]}},
     ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
     ["lb", "LoadBalancer", "10.96.0.22", "<pending>", "443:31443/TCP", "5s", "<none>"]),
    ("an external name service shows the name it aliases",
     "v1", "Service",
     {"metadata": meta("ext"), "spec": {"type": "ExternalName", "externalName": "db.example.com"}},
     ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
     ["ext", "ExternalName", "<none>", "db.example.com", "<none>", "5s", "<none>"]),
    ("endpoints list the first three addresses and how many more",
     "v1", "Endpoints",
     {"metadata": meta("web"), "subsets": [
         {"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.0.6"}],
          "ports": [{"port": 80}, {"port": 443}]}]},
     ["NAME", "ENDPOINTS", "AGE"],
     ["web", "10.244.0.5:80,10.244.0.6:80,10.244.0.5:443 + 1 more...", "5s"]),
    ("endpoints of a service without ports list addresses",
     "v1", "Endpoints",
     {"metadata": meta("headless"), "subsets": [{"addresses": [{"ip": "10.244.0.5"}]}]},
     ["NAME", "ENDPOINTS", "AGE"], ["headless", "10.244.0.5", "5s"]),
    ("endpoints without subsets print <none>",
     "v1", "Endpoints", {"metadata": meta("empty")}, ["NAME", "ENDPOINTS", "AGE"], ["empty", "<none>", "5s"]),
    ("a ready control-plane node prints its roles and system info",
     "v1", "Node",
     {"metadata": meta("n1", ago(days=3), labels={"node-role.kubernetes.io/control-plane": "",
                                                  "node-role.kubernetes.io/worker": "",
                                                  "kubernetes.io/hostname": "n1"}),
      "spec": {"podCIDR": "10.244.0.0/24"},
      "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                {"type": "Ready", "status": "True"}],
                 "addresses": [{"type": "Hostname", "address": "n1"},
                               {"type": "InternalIP", "address": "192.168.1.10"}],
                 "nodeInfo": {"kubeletVersion": "v1.32.0-skiff", "osImage": "Debian GNU/Linux 12",
                              "kernelVersion": "6.1.0", "containerRuntimeVersion": "docker://20.10.24"}}},
     ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
      "KERNEL-VERSION", "CONTAINER-RUNTIME"],
     ["n1", "Ready", "control-plane,worker", "3d", "v1.32.0-skiff", "192.168.1.10", "<none>",
      "Debian GNU/Linux 12", "6.1.0", "docker://20.10.24"]),
    ("a cordoned node that stopped reporting is NotReady,SchedulingDisabled",
     "v1", "Node",
     {"metadata": meta("n2", labels={"kubernetes.io/role": "edge"}), "spec": {"unschedulable": True},
      "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}},
     ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
      "KERNEL-VERSION", "CONTAINER-RUNTIME"],
     ["n2", "NotReady,SchedulingDisabled", "edge", "5s", "", "<none>", "<none>", "<unknown>",
      "<unknown>", "<unknown>"]),
    ("a node that never reported is Unknown",
     "v1", "Node", {"metadata": meta("n3")},
     ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
      "KERNEL-VERSION", "CONTAINER-RUNTIME"],
     ["n3", "Unknown", "<none>", "5s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]),
    ("a namespace prints its phase",
     "v1", "Namespace", {"metadata": meta("team"), "status": {"phase": "Terminating"}},
     ["NAME", "STATUS", "AGE"], ["team", "Terminating", "5s"]),
    ("a config map counts data and binary data keys",
     "v1", "ConfigMap", {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}},
     ["NAME", "DATA", "AGE"], ["cfg", 3, "5s"]),
    ("a secret prints its type and key count",
     "v1", "Secret", {"metadata": meta("tls"), "type": "kubernetes.io/tls",
                      "data": {"tls.crt": "", "tls.key": ""}},
     ["NAME", "TYPE", "DATA", "AGE"], ["tls", "kubernetes.io/tls", 2, "5s"]),
    ("a service account counts its secrets",
     "v1", "ServiceAccount", {"metadata": meta("default")},
     ["NAME", "SECRETS", "AGE"], ["default", 0, "5s"]),
    ("an event names its object, type and reason",
     "v1", "Event",
     {"metadata": meta("web.1"), "involvedObject": {"kind": "Pod", "name": "web", "fieldPath":
                                                     "spec.containers{app}"},
      "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning",
      "source": {"component": "kubelet", "host": "n1"}, "count": 7,
      "firstTimestamp": ago(minutes=10), "lastTimestamp": ago(seconds=30)},
     ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
      "NAME"],
     ["30s", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, n1",
      "Back-off restarting failed container", "10m", 7, "web.1"]),
    ("an events.k8s.io event is a singleton seen at its event time",
     "v1", "Event",
     {"metadata": meta("sched.1"), "involvedObject": {"kind": "Pod", "name": "web"},
      "reason": "Scheduled", "message": "assigned", "type": "Normal",
      "eventTime": "2025-01-01T11:59:00.000000Z", "reportingComponent": "default-scheduler"},
     ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
      "NAME"],
     ["60s", "Normal", "Scheduled", "pod/web", "", "default-scheduler", "assigned", "60s", 1, "sched.1"]),
    ("a lease prints its holder",
     "coordination.k8s.io/v1", "Lease",
     {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "host_1234"}},
     ["NAME", "HOLDER", "AGE"], ["kube-scheduler", "host_1234", "5s"]),
    ("a quota prints used of hard, requests apart from limits",
     "v1", "ResourceQuota",
     {"metadata": meta("q"), "spec": {"hard": {"pods": "10"}},
      "status": {"hard": {"pods": "10", "requests.cpu": "1", "limits.memory": "1Gi", "cpu": "1500m"},
                 "used": {"pods": "2", "requests.cpu": "250m", "cpu": "0.5"}}},
     ["NAME", "AGE", "REQUEST", "LIMIT"],
     ["q", "5s", "cpu: 500m/1500m, pods: 2/10, requests.cpu: 250m/1", "limits.memory: 0/1Gi"]),
    ("a limit range has only Kubernetes' default columns",
     "v1", "LimitRange", {"metadata": meta("limits", "2025-01-01T10:00:00Z"), "spec": {"limits": []}},
     ["NAME", "CREATED AT"], ["limits", "2025-01-01T10:00:00Z"]),
    ("a role has only Kubernetes' default columns",
     "rbac.authorization.k8s.io/v1", "Role", {"metadata": meta("reader", "2025-01-01T10:00:00Z")},
     ["NAME", "CREATED AT"], ["reader", "2025-01-01T10:00:00Z"]),
    ("a cluster role has only Kubernetes' default columns",
     "rbac.authorization.k8s.io/v1", "ClusterRole", {"metadata": meta("admin", "2025-01-01T10:00:00Z")},
     ["NAME", "CREATED AT"], ["admin", "2025-01-01T10:00:00Z"]),
    ("a role binding names its role and subjects by kind",
     "rbac.authorization.k8s.io/v1", "RoleBinding",
     {"metadata": meta("read"), "roleRef": {"kind": "Role", "name": "reader", "apiGroup":
                                            "rbac.authorization.k8s.io"},
      "subjects": [{"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"},
                   {"kind": "Group", "name": "devs"},
                   {"kind": "ServiceAccount", "name": "ci", "namespace": "build"}]},
     ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"],
     ["read", "Role/reader", "5s", "alice, bob", "devs", "build/ci"]),
    ("a cluster role binding has the same columns",
     "rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
     {"metadata": meta("admins"), "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}},
     ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"],
     ["admins", "ClusterRole/cluster-admin", "5s", "", "", ""]),
]


@pytest.mark.parametrize(("api_version", "kind", "obj", "columns", "cells"),
                         [c[1:] for c in KIND_CASES], ids=[c[0] for c in KIND_CASES])
def test_kind_rows(api_version: str, kind: str, obj: dict[str, Any], columns: list[str],
                   cells: list[Any]) -> None:
    assert headers(api_version, kind, wide=True) == columns
    assert row(api_version, kind, obj) == cells


def test_only_the_name_column_is_formatted_as_a_name() -> None:
    for rt in {by_kind(a, k) for _, a, k, *_ in KIND_CASES}:
        assert rt is not None
        named = [c["name"] for c in printers.column_definitions(rt) if c["format"] == "name"]
        assert named == ["Name"], rt.kind


def test_wide_columns_have_priority_one() -> None:
    rt = by_kind("apps/v1", "Deployment")
    assert rt is not None
    priorities = {c["name"]: c["priority"] for c in printers.column_definitions(rt)}
    assert priorities == {"Name": 0, "Ready": 0, "Up-to-date": 0, "Available": 0, "Age": 0,
                          "Containers": 1, "Images": 1, "Selector": 1}


class Widget(KubeObject):
    pass


def test_a_kind_without_a_printer_gets_name_and_age() -> None:
    rt = ResourceType("example.com", "v1", "Widget", "widgets", True, Widget)
    assert [c["name"] for c in printers.column_definitions(rt)] == ["Name", "Age"]
    assert printers.table_rows(rt, [{"metadata": meta("w", ago(minutes=4))}], NOW) == [["w", "4m"]]


# -- the table -------------------------------------------------------------------------


@pytest.mark.parametrize(("include", "expected"), [
    ("None", None),
    ("Metadata", {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                  "metadata": {"name": "cfg", "namespace": "default",
                               "creationTimestamp": "2025-01-01T11:59:55Z"}}),
    ("Object", {"metadata": {"name": "cfg", "namespace": "default",
                             "creationTimestamp": "2025-01-01T11:59:55Z"}, "data": {"a": "1"}}),
])
def test_rows_carry_the_object_include_object_asks_for(include: str, expected: Any) -> None:
    rt = by_kind("v1", "ConfigMap")
    assert rt is not None
    obj = {"metadata": meta("cfg"), "data": {"a": "1"}}
    table = printers.table(rt, [obj], include_object=include, now=NOW)
    assert table["rows"] == [{"cells": ["cfg", 1, "5s"], "object": expected}]


def test_a_watch_event_table_can_leave_out_the_columns() -> None:
    rt = by_kind("v1", "ConfigMap")
    assert rt is not None
    assert printers.table(rt, [], with_columns=False)["columnDefinitions"] == []
