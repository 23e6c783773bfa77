"""Server-side printing: objects as the meta.k8s.io/v1 Table ``kubectl get`` shows.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` and prints the rows
as it gets them, so the columns and every cell here are exactly what Kubernetes' own
printers (``pkg/printers/internalversion``) produce for the same object: the pod
STATUS a user reads (``CrashLoopBackOff``, ``Init:0/1``, ``Terminating`` ...), restarts
with ``(5m ago)``, ports as ``80:30080/TCP``. The server always prints the wide
columns; they carry priority 1 and kubectl shows them only with ``-o wide``.

Kinds Kubernetes has no printer for (Role, ClusterRole, LimitRange) get its default
columns, NAME and CREATED AT; a kind missing from :data:`PRINTERS` gets NAME and AGE,
as a custom resource without printer columns does.

Rows are built from the decoded JSON the watch cache already holds, not from models:
this is the HTTP boundary, and validating every object of a large list into a model to
print five cells would double the cost of ``kubectl get``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apimachinery.errors import BadRequest
from apimachinery.labels import Selector
from apimachinery.quantity import format_quantity
from apimachinery.schema import ResourceType
from apimachinery.timeutil import now as utc_now
from apimachinery.timeutil import parse_time

__all__ = [
    "INCLUDE_OBJECT",
    "Column",
    "column_definitions",
    "human_age",
    "short_duration",
    "table",
    "table_rows",
]

Obj = Mapping[str, Any]
Cell = str | int | bool
INCLUDE_OBJECT = ("None", "Metadata", "Object")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    priority: int = 0
    format: str = ""

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format,
                "description": self.description, "priority": self.priority}


@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    row: Callable[[Obj, datetime], list[Cell]]


# -- the pieces every printer uses -----------------------------------------------------


def short_duration(seconds: int) -> str:
    """kubectl's HumanDuration: 5s, 3m10s, 2d4h ... (up to a second early is "0s")."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y{rest}d" if rest else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def _since(timestamp: str | None, now: datetime) -> str:
    """translateTimestampSince: a timestamp as an age, ``<unknown>`` when unset."""
    if not timestamp:
        return "<unknown>"
    return short_duration(int((now - parse_time(timestamp)).total_seconds()))


def human_age(obj: Obj, now: datetime | None = None) -> str:
    return _since(_meta(obj).get("creationTimestamp"), now or utc_now())


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name", ""))


def _age(obj: Obj, now: datetime) -> str:
    return _since(_meta(obj).get("creationTimestamp"), now)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _format_labels(labels: Mapping[str, str] | None) -> str:
    """labels.FormatLabels: ``a=b,c=d`` sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _selector_string(selector: Any) -> str:
    """LabelSelectorAsSelector(...).String(); "" for a nil or empty selector."""
    return str(Selector.from_label_selector(selector))


def _format_label_selector(selector: Any) -> str:
    """metav1.FormatLabelSelector: ``<none>`` when it prints empty, ``<error>`` when invalid."""
    try:
        text = _selector_string(selector)
    except BadRequest:
        return "<error>"
    return text or "<none>"


def _containers(template: Obj | None) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma separated."""
    containers = _spec(template or {}).get("containers") or []
    return (",".join(str(c.get("name", "")) for c in containers),
            ",".join(str(c.get("image", "")) for c in containers))


def _condition_true(conditions: Iterable[Obj] | None, kind: str) -> bool:
    """The first condition of ``kind`` says True (Kubernetes looks no further)."""
    for cond in conditions or ():
        if cond.get("type") == kind:
            return bool(cond.get("status") == "True")
    return False


_NAME = Column("Name", format="name", description="The object's name.")
_AGE = Column("Age", description="The time since the object was created.")
_CONTAINERS = Column("Containers", priority=1, description="The template's container names.")
_IMAGES = Column("Images", priority=1, description="The template's container images.")
_SELECTOR = Column("Selector", priority=1, description="The label selector of the pods.")


# -- pods ------------------------------------------------------------------------------


def _restartable(container: Obj | None) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always``."""
    return bool(container and container.get("restartPolicy") == "Always")


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    reason = terminated.get("reason") or ""
    if reason:
        return prefix + reason
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{_int(terminated.get('exitCode'))}"


def _finished_at(status: Obj) -> datetime | None:
    finished = ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    return parse_time(finished) if finished else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


@dataclass
class _PodSummary:
    """What printPod works out while it walks the container statuses."""

    reason: str
    ready: int = 0
    total: int = 0
    restarts: int = 0
    last_restart: datetime | None = None


def pod_status(pod: Obj) -> tuple[str, int, int, int, datetime | None]:
    """(STATUS, ready, total, restarts, last restart) exactly as kubectl's printPod works them out."""
    spec, status = _spec(pod), _status(pod)
    phase = status.get("phase") or ""
    summary = _PodSummary(reason=status.get("reason") or phase,
                          total=len(spec.get("containers") or []))
    for cond in status.get("conditions") or ():
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            summary.reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    summary.total += sum(1 for c in init_specs.values() if _restartable(c))
    initializing, sidecar_restarts, sidecar_last = _walk_init_containers(pod, init_specs, summary)
    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        summary.restarts, summary.last_restart = sidecar_restarts, sidecar_last
        _walk_app_containers(pod, summary)
    deleting = bool(_meta(pod).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        summary.reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        summary.reason = "Terminating"
    return summary.reason, summary.ready, summary.total, summary.restarts, summary.last_restart


def _walk_init_containers(pod: Obj, init_specs: Mapping[str, Obj],
                          summary: _PodSummary) -> tuple[bool, int, datetime | None]:
    """Init containers run in order: the first one not done names the pod's status.

    Returns whether the pod is still initializing, and the restarts (and latest) of
    its sidecars, which count even after initialization.
    """
    sidecar_restarts, sidecar_last = 0, None
    statuses = _status(pod).get("initContainerStatuses") or []
    count = len(_spec(pod).get("initContainers") or [])
    for i, cs in enumerate(statuses):
        restarts = _int(cs.get("restartCount"))
        finished = _finished_at(cs)
        summary.restarts += restarts
        summary.last_restart = _later(summary.last_restart, finished)
        sidecar = _restartable(init_specs.get(cs.get("name", "")))
        if sidecar:
            sidecar_restarts += restarts
            sidecar_last = _later(sidecar_last, finished)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started"):
            summary.ready += 1 if cs.get("ready") else 0
            continue
        if terminated is not None:
            summary.reason = _terminated_reason(terminated, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            summary.reason = "Init:" + waiting["reason"]
        else:
            summary.reason = f"Init:{i}/{count}"
        return True, sidecar_restarts, sidecar_last
    return False, sidecar_restarts, sidecar_last


def _walk_app_containers(pod: Obj, summary: _PodSummary) -> None:
    """App containers, last to first: the first listed with a reason wins."""
    has_running = False
    for cs in reversed(_status(pod).get("containerStatuses") or []):
        summary.restarts += _int(cs.get("restartCount"))
        summary.last_restart = _later(summary.last_restart, _finished_at(cs))
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting") or {}, state.get("terminated")
        if waiting.get("reason"):
            summary.reason = waiting["reason"]
        elif terminated is not None:
            summary.reason = _terminated_reason(terminated)
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
            summary.ready += 1
    if summary.reason == "Completed" and has_running:
        ready = _condition_true(_status(pod).get("conditions"), "Ready")
        summary.reason = "Running" if ready else "NotReady"


def _pod_row(pod: Obj, now: datetime) -> list[Cell]:
    reason, ready, total, restarts, last = pod_status(pod)
    restart_text = str(restarts)
    if restarts and last is not None:
        restart_text = f"{restarts} ({short_duration(int((now - last).total_seconds()))} ago)"
    spec, status = _spec(pod), _status(pod)
    pod_ips = status.get("podIPs") or []
    ip = (pod_ips[0].get("ip") if pod_ips else "") or status.get("podIP") or "<none>"
    return [_name(pod), f"{ready}/{total}", reason, restart_text, _age(pod, now),
            ip, spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
            _readiness_gates(pod)]


def _readiness_gates(pod: Obj) -> str:
    gates = _spec(pod).get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = _status(pod).get("conditions") or []
    true = sum(1 for g in gates if _condition_true(conditions, g.get("conditionType", "")))
    return f"{true}/{len(gates)}"


_POD = Printer((
    _NAME,
    Column("Ready", description="Ready containers of all the pod's containers."),
    Column("Status", description="What the pod is doing, summed up from its containers."),
    Column("Restarts", description="Container restarts, and how long ago the last one was."),
    _AGE,
    Column("IP", priority=1, description="The pod's IP address."),
    Column("Node", priority=1, description="The node the pod is bound to."),
    Column("Nominated Node", priority=1, description="The node a preempting pod expects to run on."),
    Column("Readiness Gates", priority=1, description="Readiness gates that are true, of all."),
), _pod_row)


def row_conditions(rt: ResourceType, obj: Obj) -> list[dict[str, str]] | None:
    """Pods that finished carry a Completed row condition, as in Kubernetes."""
    if rt.kind != "Pod" or rt.group:
        return None
    phase = _status(obj).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]
    return None


# -- workloads -------------------------------------------------------------------------


def _replicas(spec: Obj) -> int:
    """spec.replicas after defaulting (1 when unset)."""
    value = spec.get("replicas")
    return 1 if value is None else _int(value)


def _deployment_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template"))
    try:
        selector = _selector_string(spec.get("selector"))
    except BadRequest:
        selector = "<invalid>"
    return [_name(obj), f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
            _int(status.get("updatedReplicas")), _int(status.get("availableReplicas")),
            _age(obj, now), names, images, selector]


_DEPLOYMENT = Printer((
    _NAME,
    Column("Ready", description="Ready pods of the desired replicas."),
    Column("Up-to-date", description="Pods running the current template."),
    Column("Available", description="Pods ready for at least minReadySeconds."),
    _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
), _deployment_row)


def _replica_set_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template"))
    return [_name(obj), _replicas(spec), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now), names, images,
            _format_label_selector(spec.get("selector"))]


def _replication_controller_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template"))
    return [_name(obj), _replicas(spec), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now), names, images,
            _format_labels(spec.get("selector"))]


_REPLICAS_COLUMNS = (
    _NAME,
    Column("Desired", "integer", "Replicas wanted."),
    Column("Current", "integer", "Replicas that exist."),
    Column("Ready", "integer", "Replicas that are ready."),
    _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
)
_REPLICA_SET = Printer(_REPLICAS_COLUMNS, _replica_set_row)
_REPLICATION_CONTROLLER = Printer(_REPLICAS_COLUMNS, _replication_controller_row)


def _daemon_set_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    template = spec.get("template") or {}
    names, images = _containers(template)
    return [_name(obj), _int(status.get("desiredNumberScheduled")),
            _int(status.get("currentNumberScheduled")), _int(status.get("numberReady")),
            _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable")),
            _format_labels(_spec(template).get("nodeSelector")), _age(obj, now),
            names, images, _format_label_selector(spec.get("selector"))]


_DAEMON_SET = Printer((
    _NAME,
    Column("Desired", "integer", "Nodes that should run the pod."),
    Column("Current", "integer", "Nodes running the pod."),
    Column("Ready", "integer", "Nodes whose pod is ready."),
    Column("Up-to-date", "integer", "Nodes running the current template."),
    Column("Available", "integer", "Nodes whose pod is available."),
    Column("Node Selector", description="Labels a node must have to run the pod."),
    _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
), _daemon_set_row)


def _stateful_set_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template"))
    return [_name(obj), f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
            _age(obj, now), names, images]


_STATEFUL_SET = Printer((
    _NAME, Column("Ready", description="Ready pods of the desired replicas."), _AGE,
    _CONTAINERS, _IMAGES,
), _stateful_set_row)


def _job_row(obj: Obj, now: datetime) -> list[Cell]:
    spec, status = _spec(obj), _status(obj)
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec['completions'])}"
    elif _int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {_int(spec['parallelism'])}"
    else:
        completions = f"{succeeded}/1"
    names, images = _containers(spec.get("template"))
    return [_name(obj), _job_status(obj), completions, _job_duration(status, now),
            _age(obj, now), names, images, _format_label_selector(spec.get("selector"))]


def _job_status(job: Obj) -> str:
    conditions = _status(job).get("conditions")
    if _condition_true(conditions, "Complete"):
        return "Complete"
    if _condition_true(conditions, "Failed"):
        return "Failed"
    if _meta(job).get("deletionTimestamp"):
        return "Terminating"
    if _condition_true(conditions, "Suspended"):
        return "Suspended"
    if _condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_duration(status: Obj, now: datetime) -> str:
    start = status.get("startTime")
    if not start:
        return ""
    end = status.get("completionTime")
    until = parse_time(end) if end else now
    return short_duration(int((until - parse_time(start)).total_seconds()))


_JOB = Printer((
    _NAME,
    Column("Status", description="Complete, Failed, Suspended or Running."),
    Column("Completions", description="Succeeded pods of the completions wanted."),
    Column("Duration", description="How long the job ran, or has been running."),
    _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
), _job_row)


def _controller_revision_row(obj: Obj, now: datetime) -> list[Cell]:
    owner = next((r for r in _meta(obj).get("ownerReferences") or () if r.get("controller")), None)
    controller = "<none>"
    if owner is not None:
        group = str(owner.get("apiVersion", "")).rpartition("/")[0]
        kind = f"{owner.get('kind', '')}.{group}" if group else str(owner.get("kind", ""))
        controller = f"{kind.lower()}/{owner.get('name', '')}" if kind else str(owner.get("name", ""))
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


_CONTROLLER_REVISION = Printer((
    _NAME, Column("Controller", description="The object the revision belongs to."),
    Column("Revision", description="The revision number."),
    _AGE,
), _controller_revision_row)


# -- services and endpoints ------------------------------------------------------------


def _service_row(obj: Obj, now: datetime) -> list[Cell]:
    spec = _spec(obj)
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    ports = ",".join(_service_port(p) for p in spec.get("ports") or ()) or "<none>"
    return [_name(obj), str(spec.get("type") or "ClusterIP"),
            cluster_ips[0] if cluster_ips else "<none>", _external_ip(obj), ports,
            _age(obj, now), _format_labels(spec.get("selector"))]


def _service_port(port: Obj) -> str:
    protocol = port.get("protocol") or "TCP"
    if _int(port.get("nodePort")) > 0:
        return f"{_int(port.get('port'))}:{port['nodePort']}/{protocol}"
    return f"{_int(port.get('port'))}/{protocol}"


def _external_ip(svc: Obj) -> str:
    spec = _spec(svc)
    kind = spec.get("type") or "ClusterIP"
    external = list(spec.get("externalIPs") or ())
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = (_status(svc).get("loadBalancer") or {}).get("ingress") or ()
        balancers = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        text = ",".join(balancers)
        if len(text) > 16:  # kubectl clips the load balancer list outside -o wide
            text = text[:13] + "..."
        if external:
            return ",".join([*(text.split(",") if text else []), *external])
        return text or "<pending>"
    if kind == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


_SERVICE = Printer((
    _NAME,
    Column("Type", description="How the service is exposed."),
    Column("Cluster-IP", description="The virtual IP of the service."),
    Column("External-IP", description="Addresses outside the cluster that reach the service."),
    Column("Port(s)", description="The ports the service exposes."),
    _AGE,
    Column("Selector", priority=1, description="The labels of the pods behind the service."),
), _service_row)


def _endpoints_row(obj: Obj, now: datetime) -> list[Cell]:
    return [_name(obj), _format_endpoints(obj.get("subsets") or []), _age(obj, now)]


def _format_endpoints(subsets: list[Obj], shown: int = 3) -> str:
    """The first three ``ip:port`` pairs and how many more there are."""
    if not subsets:
        return "<none>"
    listed: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [str(a.get("ip", "")) for a in subset.get("addresses") or ()]
        ports = subset.get("ports") or []
        pairs = addresses if not ports else [
            _host_port(ip, _int(p.get("port"))) for p in ports for ip in addresses
        ]
        count += len(pairs)
        listed.extend(pairs[: max(0, shown - len(listed))])
    text = ",".join(listed)
    return f"{text} + {count - shown} more..." if count > shown else text


def _host_port(ip: str, port: int) -> str:
    try:
        bracket = ipaddress.ip_address(ip).version == 6
    except ValueError:
        bracket = ":" in ip
    return f"[{ip}]:{port}" if bracket else f"{ip}:{port}"


_ENDPOINTS = Printer((
    _NAME, Column("Endpoints", description="The addresses that back the service."), _AGE,
), _endpoints_row)


# -- nodes and namespaces --------------------------------------------------------------


def _node_row(obj: Obj, now: datetime) -> list[Cell]:
    status = _status(obj)
    ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    states = ["Unknown"] if ready is None else \
        ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _spec(obj).get("unschedulable"):
        states.append("SchedulingDisabled")
    info = status.get("nodeInfo") or {}
    return [_name(obj), ",".join(states), ",".join(_node_roles(obj)) or "<none>", _age(obj, now),
            str(info.get("kubeletVersion") or ""),
            _node_address(obj, "InternalIP"), _node_address(obj, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _node_roles(node: Obj) -> list[str]:
    roles: set[str] = set()
    for key, value in (_meta(node).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.partition("/")[2]:
            roles.add(key.partition("/")[2])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(roles)


def _node_address(node: Obj, kind: str) -> str:
    for address in _status(node).get("addresses") or ():
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return "<none>"


_NODE = Printer((
    _NAME,
    Column("Status", description="Ready, NotReady or Unknown; SchedulingDisabled when cordoned."),
    Column("Roles", description="From the node-role.kubernetes.io/<role> labels."),
    _AGE,
    Column("Version", description="The kubelet version of the node."),
    Column("Internal-IP", priority=1, description="The node's InternalIP address."),
    Column("External-IP", priority=1, description="The node's ExternalIP address."),
    Column("OS-Image", priority=1, description="The operating system image of the node."),
    Column("Kernel-Version", priority=1, description="The kernel version of the node."),
    Column("Container-Runtime", priority=1, description="The container runtime of the node."),
), _node_row)

_NAMESPACE = Printer((
    _NAME, Column("Status", description="Active or Terminating."), _AGE,
), lambda obj, now: [_name(obj), str(_status(obj).get("phase") or ""), _age(obj, now)])


# -- configuration ---------------------------------------------------------------------

_CONFIG_MAP = Printer((
    _NAME, Column("Data", description="The number of keys."), _AGE,
), lambda obj, now: [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
                     _age(obj, now)])

_SECRET = Printer((
    _NAME, Column("Type", description="The type of the secret."),
    Column("Data", description="The number of keys."), _AGE,
), lambda obj, now: [_name(obj), str(obj.get("type") or "Opaque"), len(obj.get("data") or {}),
                     _age(obj, now)])

_SERVICE_ACCOUNT = Printer((
    _NAME, Column("Secrets", description="The secrets the service account may use."), _AGE,
), lambda obj, now: [_name(obj), len(obj.get("secrets") or []), _age(obj, now)])


def _resource_quota_row(obj: Obj, now: datetime) -> list[Cell]:
    status = _status(obj)
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        text = f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}"
        (limits if resource.startswith("limits.") else requests).append(text)
    return [_name(obj), _age(obj, now), ", ".join(requests), ", ".join(limits)]


def _quantity(text: Any) -> str:
    if text is None or text == "":
        return "0"
    try:
        return format_quantity(str(text))
    except (ValueError, BadRequest):
        return str(text)


_RESOURCE_QUOTA = Printer((
    _NAME, _AGE,
    Column("Request", description="Requests used of the hard limit, per resource."),
    Column("Limit", description="Limits used of the hard limit, per resource."),
), _resource_quota_row)


# -- events, leases, RBAC ---------------------------------------------------------------


def _event_row(obj: Obj, now: datetime) -> list[Cell]:
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    first_seen = _since(first, now)
    last_seen = _since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first_seen
    count = _int(obj.get("count"))
    series = obj.get("series")
    if series is not None:
        last_seen = _since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1  # a singleton event of the events.k8s.io API has no count
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return [last_seen, str(obj.get("type") or ""), str(obj.get("reason") or ""), target,
            str(involved.get("fieldPath") or ""), f"{component}, {host}" if host else component,
            str(obj.get("message") or "").strip(), first_seen, count, _name(obj)]


_EVENT = Printer((
    Column("Last Seen", description="When the event was last seen."),
    Column("Type", description="Normal or Warning."),
    Column("Reason", description="Why the event happened, in one CamelCase word."),
    Column("Object", description="The object the event is about."),
    Column("Subobject", priority=1, description="The part of the object, such as a container."),
    Column("Source", priority=1, description="The component that reported the event."),
    Column("Message", description="What happened."),
    Column("First Seen", priority=1, description="When the event was first seen."),
    Column("Count", priority=1, description="How many times it happened."),
    Column("Name", priority=1, format="name", description="The event's name."),
), _event_row)

_LEASE = Printer((
    _NAME, Column("Holder", description="Who holds the lease."), _AGE,
), lambda obj, now: [_name(obj), str(_spec(obj).get("holderIdentity") or ""), _age(obj, now)])


def _binding_row(obj: Obj, now: datetime) -> list[Cell]:
    ref = obj.get("roleRef") or {}
    users, groups, accounts = [], [], []
    for subject in obj.get("subjects") or ():
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace') or ''}/{name}")
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(obj, now),
            ", ".join(users), ", ".join(groups), ", ".join(accounts)]


_BINDING = Printer((
    _NAME, Column("Role", description="The role the binding grants."), _AGE,
    Column("Users", priority=1, description="Users the role is granted to."),
    Column("Groups", priority=1, description="Groups the role is granted to."),
    Column("ServiceAccounts", priority=1, description="Service accounts the role is granted to."),
), _binding_row)

# Kubernetes' default columns, for kinds it has no printer for.
_CREATED_AT = Printer((
    _NAME, Column("Created At", "date", "The time the object was created."),
), lambda obj, now: [_name(obj), str(_meta(obj).get("creationTimestamp") or "")])

_GENERIC = Printer((_NAME, _AGE), lambda obj, now: [_name(obj), _age(obj, now)])

PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Pod"): _POD,
    ("", "Node"): _NODE,
    ("", "Namespace"): _NAMESPACE,
    ("", "Service"): _SERVICE,
    ("", "Endpoints"): _ENDPOINTS,
    ("", "ReplicationController"): _REPLICATION_CONTROLLER,
    ("", "ConfigMap"): _CONFIG_MAP,
    ("", "Secret"): _SECRET,
    ("", "ServiceAccount"): _SERVICE_ACCOUNT,
    ("", "Event"): _EVENT,
    ("", "ResourceQuota"): _RESOURCE_QUOTA,
    ("", "LimitRange"): _CREATED_AT,
    ("apps", "Deployment"): _DEPLOYMENT,
    ("apps", "ReplicaSet"): _REPLICA_SET,
    ("apps", "DaemonSet"): _DAEMON_SET,
    ("apps", "StatefulSet"): _STATEFUL_SET,
    ("apps", "ControllerRevision"): _CONTROLLER_REVISION,
    ("batch", "Job"): _JOB,
    ("coordination.k8s.io", "Lease"): _LEASE,
    ("rbac.authorization.k8s.io", "Role"): _CREATED_AT,
    ("rbac.authorization.k8s.io", "ClusterRole"): _CREATED_AT,
    ("rbac.authorization.k8s.io", "RoleBinding"): _BINDING,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _BINDING,
}


def printer_for(rt: ResourceType) -> Printer:
    return PRINTERS.get((rt.group, rt.kind), _GENERIC)


# -- the table -------------------------------------------------------------------------


def column_definitions(rt: ResourceType) -> list[dict[str, Any]]:
    return [c.definition() for c in printer_for(rt).columns]


def table_rows(rt: ResourceType, objects: Iterable[Obj],
               now: datetime | None = None) -> list[list[Cell]]:
    row = printer_for(rt).row
    when = now or utc_now()
    return [row(o, when) for o in objects]


def table(rt: ResourceType, objects: list[dict[str, Any]], *, include_object: str = "Metadata",
          with_columns: bool = True, now: datetime | None = None) -> dict[str, Any]:
    """``columnDefinitions`` and ``rows`` of a Table (the caller adds kind and metadata)."""
    if include_object not in INCLUDE_OBJECT:
        raise BadRequest(f'includeObject must be one of None, Metadata or Object, not "{include_object}"')
    rows = []
    for obj, cells in zip(objects, table_rows(rt, objects, now), strict=True):
        row: dict[str, Any] = {"cells": cells, "object": _row_object(obj, include_object)}
        conditions = row_conditions(rt, obj)
        if conditions:
            row["conditions"] = conditions
        rows.append(row)
    return {"columnDefinitions": column_definitions(rt) if with_columns else [], "rows": rows}


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "Object":
        return obj
    if include == "None":
        return None
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {})}

