"""``skiffctl describe``: kubectl's describe pages, line for line.

kubectl's describers write ``Label:\\tvalue`` lines at two-space indent levels and let
a tabwriter (padding 2) align them; people know these pages by heart, so each
describer here writes the same lines in the same order through the same aligner.
Pods, nodes, deployments, replica sets, replication controllers, services,
namespaces, config maps and secrets have their own page; any other kind gets kubectl's
generic page (its fields, recursively). Every page ends with the object's Events,
found by a field selector on ``involvedObject``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from apimachinery.errors import NotFound, StatusError
from apimachinery.labels import Selector
from apimachinery.quantity import Quantity
from apimachinery.schema import ResourceType
from kubectl.errors import CommandError, format_error
from kubectl.printing import format_labels
from kubectl.resources import ObjectRef, parse_targets
from kubectl.session import Session
from kubectl.tabwriter import align
from kubectl.timefmt import age, rfc1123z

__all__ = ["Writer", "describe", "describe_object", "events_text", "pod_template_text"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION = 140

Obj = dict[str, Any]


class Writer:
    """kubectl's PrefixWriter: lines at indent levels, aligned on :meth:`text`."""

    def __init__(self) -> None:
        self._done: list[str] = []
        self._parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._parts.append("  " * level + text)

    def line(self, text: str = "") -> None:
        self._parts.append(text + "\n")

    def flush(self) -> None:
        """Align what was written so far on its own (kubectl flushes before Events)."""
        self._done.append(align("".join(self._parts)))
        self._parts = []

    def text(self) -> str:
        self.flush()
        return "".join(self._done)


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj if obj is not None else default


def _bool(value: Any) -> str:
    return "True" if value else "False"


# -- shared pieces -----------------------------------------------------------------------

def write_labels(w: Writer, title: str, labels: dict[str, str] | None, indent: str = "",
                 inner: str = "\t") -> None:
    w.write(0, f"{indent}{title}:{inner}")
    keys = sorted(labels or {})
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, f"{indent}{inner}")
        w.write(0, f"{key}={labels[key]}\n")  # type: ignore[index]


def write_annotations(w: Writer, title: str, annotations: dict[str, str] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations or {} if k != LAST_APPLIED)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = (annotations or {})[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                shown = part[:MAX_ANNOTATION - 2] + "..." if len(part) > MAX_ANNOTATION - 2 else part
                w.write(0, f"\t  {shown}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def write_tolerations(w: Writer, title: str, tolerations: list[Obj] | None,
                      indent: str = "") -> None:
    w.write(0, f"{indent}{title}:\t")
    if not tolerations:
        w.line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, f"{indent}\t")
        text = tol.get("key", "")
        if tol.get("value"):
            text += f"={tol['value']}"
        if tol.get("effect"):
            text += f":{tol['effect']}"
        if tol.get("operator") == "Exists" and not tol.get("value"):
            text += " op=Exists" if tol.get("key") or tol.get("effect") else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {tol['tolerationSeconds']}s"
        w.write(0, text + "\n")


def write_taints(w: Writer, title: str, taints: list[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, taint_string(taint) + "\n")


def taint_string(taint: Obj) -> str:
    """``key=value:Effect`` (or ``key:Effect``), Kubernetes' Taint.ToString."""
    text = taint.get("key", "")
    if taint.get("value"):
        text += f"={taint['value']}"
    return f"{text}:{taint.get('effect', '')}"


def _controller(obj: Obj) -> str:
    for ref in _get(obj, "metadata", "ownerReferences", default=[]):
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


# -- containers --------------------------------------------------------------------------

def _ports(ports: list[Obj], field: str) -> str:
    return ", ".join(f"{p.get(field, 0)}/{p.get('protocol', 'TCP')}" for p in ports)


def _probe(probe: Obj) -> str:
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
             f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
             f"#failure={probe.get('failureThreshold', 3)}")
    if "exec" in probe:
        return f"exec [{' '.join(_get(probe, 'exec', 'command', default=[]))}] {attrs}"
    if "httpGet" in probe:
        get = probe["httpGet"]
        scheme = str(get.get("scheme", "HTTP")).lower()
        return f"http-get {scheme}://{get.get('host', '')}:{get.get('port', '')}{get.get('path', '')} {attrs}"
    if "tcpSocket" in probe:
        sock = probe["tcpSocket"]
        return f"tcp-socket {sock.get('host', '')}:{sock.get('port', '')} {attrs}"
    if "grpc" in probe:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port')} {grpc.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _resources(w: Writer, resources: Obj | None, level: int) -> None:
    for title in ("limits", "requests"):
        values = (resources or {}).get(title) or {}
        if values:
            w.write(level, f"{title.capitalize()}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{values[name]}\n")


def _state(w: Writer, title: str, state: Obj) -> None:
    if "running" in state:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(_get(state, 'running', 'startedAt'))}\n")
    elif "terminated" in state:
        term = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if term.get("reason"):
            w.write(3, f"Reason:\t{term['reason']}\n")
        if term.get("message"):
            w.write(3, f"Message:\t{term['message']}\n")
        w.write(3, f"Exit Code:\t{term.get('exitCode', 0)}\n")
        if term.get("signal"):
            w.write(3, f"Signal:\t{term['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(term.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(term.get('finishedAt'))}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")
        reason = _get(state, "waiting", "reason")
        if reason:
            w.write(3, f"Reason:\t{reason}\n")


def _field_value(pod: Obj | None, path: str) -> str:
    if pod is None:
        return ""
    if path.startswith(("metadata.labels['", "metadata.annotations['")):
        field, _, key = path[len("metadata."):].partition("['")
        return str(_get(pod, "metadata", field, default={}).get(key.rstrip("']"), ""))
    value = _get(pod, *path.split("."))
    if path == "status.podIP":
        value = value or ""
    return "" if value is None else str(value)


def _env(w: Writer, container: Obj, pod: Obj | None) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for item in env:
        name = item.get("name", "")
        source = item.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(item.get("value", "")).split("\n")):
                w.write(3, f"{name}:\t{part}\n" if i == 0 else f"\t{part}\n")
        elif "fieldRef" in source:
            ref = source["fieldRef"]
            value = _field_value(pod, ref.get("fieldPath", ""))
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion', 'v1')}:{ref.get('fieldPath', '')})\n")
        elif "resourceFieldRef" in source:
            w.write(3, f"{name}:\t ({source['resourceFieldRef'].get('resource', '')})\n")
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>"
                       f"\tOptional: {str(bool(ref.get('optional'))).lower()}\n")
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key')}' of config map "
                       f"'{ref.get('name')}'>\tOptional: {str(bool(ref.get('optional'))).lower()}\n")


def _env_from(w: Writer, container: Obj) -> None:
    sources = container.get("envFrom") or []
    w.write(2, "Environment Variables from:" + ("" if sources else "\t<none>") + "\n")
    for src in sources:
        kind, ref = ("ConfigMap", src["configMapRef"]) if src.get("configMapRef") else \
            ("Secret", src.get("secretRef") or {})
        optional = str(bool(ref.get("optional"))).lower()
        prefix = f" with prefix '{src['prefix']}'" if src.get("prefix") else ""
        w.write(3, f"{ref.get('name', '')}\t{kind}{prefix}\tOptional: {optional}\n")


def _mounts(w: Writer, container: Obj) -> None:
    mounts = container.get("volumeMounts") or []
    w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
    for mount in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if mount.get("readOnly") else "rw"]
        if mount.get("subPath"):
            flags.append(f'path="{mount["subPath"]}"')
        w.write(3, f"{mount.get('mountPath')} from {mount.get('name')} ({','.join(flags)})\n")


def write_containers(w: Writer, title: str, containers: list[Obj], statuses: list[Obj] | None,
                     pod: Obj | None, space: str = "") -> None:
    by_name = {s.get("name"): s for s in statuses or ()}
    w.write(0, f"{space}{title}:" + (" <none>" if not containers else "") + "\n")
    indent = " " if space else ""
    for container in containers:
        status = by_name.get(container.get("name"))
        w.write(1, f"{indent}{container.get('name')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{container.get('image', '')}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = container.get("ports") or []
        port_text = _ports(ports, "containerPort")
        w.write(2, (f"Ports:\t{port_text}" if "," in port_text else
                    f"Port:\t{port_text or '<none>'}") + "\n")
        host_text = _ports(ports, "hostPort")
        w.write(2, (f"Host Ports:\t{host_text}" if "," in host_text else
                    f"Host Port:\t{host_text or '<none>'}") + "\n")
        for key, label in (("command", "Command"), ("args", "Args")):
            if container.get(key):
                w.write(2, f"{label}:\n")
                for arg in container[key]:
                    for part in str(arg).split("\n"):
                        w.write(3, f"{part}\n")
        if status is not None:
            _state(w, "State", status.get("state") or {})
            if _get(status, "lastState", "terminated"):
                _state(w, "Last State", status["lastState"])
            w.write(2, f"Ready:\t{_bool(status.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        _resources(w, container.get("resources"), 2)
        for key, label in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"),
                           ("startupProbe", "Startup")):
            if container.get(key):
                w.write(2, f"{label}:\t{_probe(container[key])}\n")
        if container.get("envFrom"):
            _env_from(w, container)
        _env(w, container, pod)
        _mounts(w, container)


def write_volumes(w: Writer, volumes: list[Obj] | None, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    indent = " " if space else ""
    for volume in volumes:
        w.write(1, f"{indent}{volume.get('name')}:\n")
        if "hostPath" in volume:
            host = volume["hostPath"]
            w.write(2, "Type:\tHostPath (bare host directory volume)\n"
                       f"    Path:\t{host.get('path', '')}\n"
                       f"    HostPathType:\t{host.get('type') or '<none>'}\n")
        elif "emptyDir" in volume:
            empty = volume["emptyDir"] or {}
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                       f"    Medium:\t{empty.get('medium', '')}\n"
                       f"    SizeLimit:\t{empty.get('sizeLimit') or '<unset>'}\n")
        elif "secret" in volume:
            secret = volume["secret"]
            w.write(2, "Type:\tSecret (a volume populated by a Secret)\n"
                       f"    SecretName:\t{secret.get('secretName', '')}\n"
                       f"    Optional:\t{str(bool(secret.get('optional'))).lower()}\n")
        elif "configMap" in volume:
            cm = volume["configMap"]
            w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                       f"    Name:\t{cm.get('name', '')}\n"
                       f"    Optional:\t{str(bool(cm.get('optional'))).lower()}\n")
        elif "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]
            w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in "
                       "the same namespace)\n"
                       f"    ClaimName:\t{claim.get('claimName', '')}\n"
                       f"    ReadOnly:\t{str(bool(claim.get('readOnly'))).lower()}\n")
        else:
            w.write(1, "<unknown>\n")


def write_pod_template(w: Writer, template: Obj | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    write_labels(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        write_annotations(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        write_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    write_containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    write_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    write_labels(w, "  Node-Selectors", spec.get("nodeSelector"))
    write_tolerations(w, "  Tolerations", spec.get("tolerations"))


def pod_template_text(template: Obj) -> str:
    """``rollout history --revision`` prints a template with kubectl's plain writer."""
    w = Writer()
    write_pod_template(w, template)
    return "".join(w._parts)


# -- events ------------------------------------------------------------------------------

def events_text(w: Writer, events: list[Obj] | None) -> None:
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for event in sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or ""):
        first = age(event.get("eventTime")) if event.get("eventTime") else \
            age(event.get("firstTimestamp"))
        series = event.get("series")
        if series:
            interval = f"{age(series.get('lastObservedTime'))} (x{series.get('count', 0)} over {first})"
        elif (event.get("count") or 0) > 1:
            interval = f"{age(event.get('lastTimestamp'))} (x{event['count']} over {first})"
        else:
            interval = first
        source = _get(event, "source", "component") or event.get("reportingComponent", "")
        w.write(1, f"{event.get('type', '')}\t{event.get('reason', '')}\t{interval}\t{source}\t"
                   f"{str(event.get('message', '')).strip()}\n")


async def _events(session: Session, obj: Obj, kind: str | None) -> list[Obj]:
    meta = obj.get("metadata") or {}
    clauses = [f"involvedObject.name={meta.get('name', '')}",
               f"involvedObject.namespace={meta.get('namespace', '')}"]
    if kind:
        clauses.append(f"involvedObject.kind={kind}")
    if meta.get("uid"):
        clauses.append(f"involvedObject.uid={meta['uid']}")
    events_type = await session.resolve("events")
    namespace = meta.get("namespace") or None
    listed = await session.resource(events_type, namespace).list_all(
        field_selector=",".join(clauses))
    return listed.items


# -- describers --------------------------------------------------------------------------

Describer = Callable[[Session, ResourceType, Obj, bool], Awaitable[str]]


async def _pod(session: Session, rtype: ResourceType, pod: Obj, events: bool) -> str:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    found = await _events(session, pod, None) if events else None
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase", "")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {age(meta['deletionTimestamp'])})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    if controller := _controller(pod):
        w.write(0, f"Controlled By:\t{controller}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        write_containers(w, "Init Containers", spec["initContainers"],
                         status.get("initContainerStatuses"), pod)
    write_containers(w, "Containers", spec.get("containers") or [],
                     status.get("containerStatuses"), pod)
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = next((c.get("status") for c in status.get("conditions") or ()
                          if c.get("type") == gate.get("conditionType")), "<none>")
            w.write(1, f"{gate.get('conditionType')} \t{value} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for cond in status["conditions"]:
            w.write(1, f"{cond.get('type')} \t{cond.get('status')} \n")
    write_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{status.get('qosClass') or qos_class(spec)}\n")
    write_labels(w, "Node-Selectors", spec.get("nodeSelector"))
    write_tolerations(w, "Tolerations", spec.get("tolerations"))
    events_text(w, found)
    return w.text()


def qos_class(spec: Obj) -> str:
    """BestEffort, Burstable or Guaranteed, from the containers' requests and limits."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        res = container.get("resources") or {}
        for target, values in ((requests, res.get("requests") or {}),
                               (limits, res.get("limits") or {})):
            for name, text in values.items():
                if name in ("cpu", "memory") and Quantity.parse(str(text)).amount > 0:
                    target[name] = target.get(name, Quantity.parse("0")) + Quantity.parse(str(text))
        positive = {n for n, v in (res.get("limits") or {}).items()
                    if n in ("cpu", "memory") and Quantity.parse(str(v)).amount > 0}
        if positive != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(requests.get(n) == limits.get(n) for n in requests):
        return "Guaranteed"
    return "Burstable"


async def _node(session: Session, rtype: ResourceType, node: Obj, events: bool) -> str:
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    pods_type = await session.resolve("pods")
    pods = (await session.resource(pods_type, None).list_all(
        field_selector=f"spec.nodeName={meta.get('name')},status.phase!=Succeeded,"
                       "status.phase!=Failed")).items
    found = None
    if events:
        found = await _events(session, {"metadata": {"name": meta.get("name"), "namespace": "",
                                                     "uid": meta.get("uid")}}, "Node")
        found += await _events(session, {"metadata": {"name": meta.get("name"), "namespace": "",
                                                      "uid": meta.get("name")}}, "Node")
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels = meta.get("labels") or {}
    roles = sorted({k.removeprefix("node-role.kubernetes.io/") for k in labels
                    if k.startswith("node-role.kubernetes.io/") and len(k) > 23}
                   | ({str(labels["kubernetes.io/role"])} if labels.get("kubernetes.io/role")
                      else set()))
    w.write(0, f"Roles:\t{','.join(roles) or '<none>'}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    write_taints(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{str(bool(spec.get('unschedulable'))).lower()}\n")
    await _lease(session, w, meta.get("name", ""))
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\t"
                   "Message\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} "
                       f"\t{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t"
                       f"{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for address in status.get("addresses") or ():
        w.write(1, f"{address.get('type')}:\t{address.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if status.get(key):
            w.write(0, f"{title}:\n")
            for name in sorted(status[key]):
                w.write(0, f"  {name}:\t{status[key][name]}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"),
                       ("Boot ID", "bootID"), ("Kernel Version", "kernelVersion"),
                       ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                       ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"),
                       ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _node_resources(w, node, pods)
    events_text(w, found)
    return w.text()


async def _lease(session: Session, w: Writer, name: str) -> None:
    try:
        lease_type = await session.resolve("leases.coordination.k8s.io")
        lease = await session.request("GET", lease_type.path("kube-node-lease", name))
    except (StatusError, CommandError) as err:
        w.write(0, f"Lease:\tFailed to get lease: {getattr(err, 'message', err)}\n")
        return
    spec = lease.get("spec") or {}
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{spec.get('holderIdentity') or '<unset>'}\n")
    w.write(1, f"AcquireTime:\t{rfc1123z(spec['acquireTime']) if spec.get('acquireTime') else '<unset>'}\n")
    w.write(1, f"RenewTime:\t{rfc1123z(spec['renewTime']) if spec.get('renewTime') else '<unset>'}\n")


def pod_requests_limits(pod: Obj) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    """A pod's total requests and limits: containers summed, init containers as a floor."""
    spec = pod.get("spec") or {}
    totals: tuple[dict[str, Quantity], dict[str, Quantity]] = ({}, {})
    for container in spec.get("containers") or ():
        res = container.get("resources") or {}
        for target, key in zip(totals, ("requests", "limits"), strict=True):
            for name, text in (res.get(key) or {}).items():
                target[name] = target.get(name, Quantity.parse("0")) + Quantity.parse(str(text))
    for container in spec.get("initContainers") or ():
        res = container.get("resources") or {}
        for target, key in zip(totals, ("requests", "limits"), strict=True):
            for name, text in (res.get(key) or {}).items():
                value = Quantity.parse(str(text))
                if name not in target or target[name] < value:
                    target[name] = value
    return totals


def _percent(part: Quantity | None, whole: Quantity | None, milli: bool) -> int:
    if part is None or whole is None:
        return 0
    total = whole.milli_value() if milli else whole.value()
    if total == 0:
        return 0
    share = (part.milli_value() if milli else part.value()) / total * 100
    return int(share)


def _node_resources(w: Writer, node: Obj, pods: list[Obj]) -> None:
    status = node.get("status") or {}
    allocatable = {k: Quantity.parse(str(v)) for k, v in
                   (status.get("allocatable") or status.get("capacity") or {}).items()}
    zero = Quantity.parse("0")
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    totals: tuple[dict[str, Quantity], dict[str, Quantity]] = ({}, {})
    for pod in pods:
        req, lim = pod_requests_limits(pod)
        for target, source in zip(totals, (req, lim), strict=True):
            for name, value in source.items():
                target[name] = target.get(name, zero) + value
        cells = []
        for source, name, milli in ((req, "cpu", True), (lim, "cpu", True),
                                    (req, "memory", False), (lim, "memory", False)):
            value = source.get(name, zero)
            cells.append(f"{value} ({_percent(value, allocatable.get(name), milli)}%)")
        meta = pod.get("metadata") or {}
        w.write(1, f"{meta.get('namespace')}\t{meta.get('name')}\t\t" + "\t".join(cells)
                   + f"\t{age(meta.get('creationTimestamp'))}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., "
               "overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for name, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        requested, limited = totals[0].get(name, zero), totals[1].get(name, zero)
        w.write(1, f"{name}\t{requested} ({_percent(requested, allocatable.get(name), milli)}%)\t"
                   f"{limited} ({_percent(limited, allocatable.get(name), milli)}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "storage", "pods"}
    for name in sorted(n for n in allocatable if n.startswith("hugepages-")):
        requested, limited = totals[0].get(name, zero), totals[1].get(name, zero)
        w.write(1, f"{name}\t{requested} ({_percent(requested, allocatable[name], False)}%)\t"
                   f"{limited} ({_percent(limited, allocatable[name], False)}%)\n")
    for name in sorted(n for n in allocatable if n not in standard
                       and not n.startswith(("hugepages-", "requests.", "limits."))):
        w.write(1, f"{name}\t{totals[0].get(name, zero)}\t{totals[1].get(name, zero)}\n")


async def _pod_counts(session: Session, namespace: str, selector: Selector,
                      uid: str) -> tuple[int, int, int, int]:
    pods_type = await session.resolve("pods")
    pods = (await session.resource(pods_type, namespace).list_all(
        label_selector=str(selector) or None)).items
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        owners = (pod.get("metadata") or {}).get("ownerReferences") or ()
        if not any(o.get("controller") and o.get("uid") == uid for o in owners):
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def _conditions(w: Writer, conditions: list[Obj] | None) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


async def _replica_set(session: Session, rtype: ResourceType, rs: Obj, events: bool) -> str:
    meta, spec, status = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    rc = rtype.kind == "ReplicationController"
    selector = Selector.from_set(spec.get("selector")) if rc else \
        Selector.from_label_selector(spec.get("selector"))
    counts = await _pod_counts(session, meta.get("namespace", ""), selector, meta.get("uid", ""))
    found = await _events(session, rs, rtype.kind) if events else None
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    shown = format_labels(spec.get("selector")) if rc else _label_selector(spec.get("selector"))
    w.write(0, f"Selector:\t{shown}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    if not rc and (controller := _controller(rs)):
        w.write(0, f"Controlled By:\t{controller}\n")
    w.write(0, f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n")
    running, waiting, succeeded, failed = counts
    w.write(0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / "
               f"{failed} Failed\n")
    write_pod_template(w, spec.get("template"))
    _conditions(w, status.get("conditions"))
    events_text(w, found)
    return w.text()


def _label_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: ``app=web,tier in (a,b)``, ``<none>`` when empty."""
    if selector is None:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


async def _deployment(session: Session, rtype: ResourceType, deploy: Obj, events: bool) -> str:
    from kubectl.rollout import _replica_sets, _same_template

    meta, spec, status = deploy.get("metadata") or {}, deploy.get("spec") or {}, \
        deploy.get("status") or {}
    found = await _events(session, deploy, rtype.kind) if events else None
    owned = await _replica_sets(session, deploy)
    by_age = sorted(owned, key=lambda r: r["metadata"].get("creationTimestamp", ""))
    new = next((r for r in by_age if _same_template(r["spec"].get("template") or {},
                                                    spec.get("template") or {})), None)
    old = [r for r in owned if r is not new]
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{_label_selector(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} "
               f"updated | {status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} "
               f"available | {status.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate"):
        ru = strategy["rollingUpdate"]
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', '25%')} max unavailable, "
                   f"{ru.get('maxSurge', '25%')} max surge\n")
    write_pod_template(w, spec.get("template"))
    _conditions(w, status.get("conditions"))
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_list([new] if new else [])}\n")
    events_text(w, found)
    return w.text()


def _rs_list(items: list[Obj]) -> str:
    text = ", ".join(f"{r['metadata']['name']} ({(r.get('status') or {}).get('replicas', 0)}/"
                     f"{(r.get('spec') or {}).get('replicas', 1)} replicas created)" for r in items)
    return text or "<none>"


async def _service(session: Session, rtype: ResourceType, svc: Obj, events: bool) -> str:
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    endpoints = await _endpoints(session, meta)
    found = await _events(session, svc, rtype.kind) if events else None
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = _get(svc, "status", "loadBalancer", "ingress", default=[])
    if ingress:
        w.write(0, "LoadBalancer Ingress:\t" + ", ".join(i.get("ip") or i.get("hostname", "")
                                                         for i in ingress) + "\n")
    for port in spec.get("ports") or ():
        name = port.get("name") or "<unset>"
        protocol = port.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{port.get('port')}/{protocol}\n")
        w.write(0, f"TargetPort:\t{port.get('targetPort', port.get('port'))}/{protocol}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{protocol}\n")
        w.write(0, f"Endpoints:\t{_format_endpoints(endpoints, port.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    events_text(w, found)
    return w.text()


async def _endpoints(session: Session, meta: Obj) -> Obj | None:
    try:
        ep_type = await session.resolve("endpoints")
        found: Obj = await session.request("GET", ep_type.path(meta.get("namespace"),
                                                                meta.get("name")))
        return found
    except (NotFound, CommandError):
        return None


def _format_endpoints(endpoints: Obj | None, port_name: str) -> str:
    """``10.244.0.5:80,10.244.0.6:80 + 1 more...`` for the addresses of one port."""
    shown: list[str] = []
    count = 0
    for subset in (endpoints or {}).get("subsets") or ():
        for port in subset.get("ports") or ():
            if (port.get("name") or "") != port_name:
                continue
            for address in subset.get("addresses") or ():
                count += 1
                if len(shown) < 3:
                    shown.append(f"{address.get('ip')}:{port.get('port')}")
    if not shown:
        return "<none>"
    more = f" + {count - len(shown)} more..." if count > len(shown) else ""
    return ",".join(shown) + more


async def _namespace(session: Session, rtype: ResourceType, ns: Obj, events: bool) -> str:
    meta, status = ns.get("metadata") or {}, ns.get("status") or {}
    name = meta.get("name", "")
    quotas = await _optional_list(session, "resourcequotas", name)
    limits = await _optional_list(session, "limitranges", name)
    w = Writer()
    w.write(0, f"Name:\t{name}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{rfc1123z(c.get('lastTransitionTime'))}"
                       f"\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    if quotas is not None:
        w.write(0, "\n")
        _quotas(w, quotas)
    if limits is not None:
        w.write(0, "\n")
        _limit_ranges(w, limits)
    return w.text()


async def _optional_list(session: Session, plural: str, namespace: str) -> list[Obj] | None:
    try:
        rtype = await session.resolve(plural)
        return (await session.resource(rtype, namespace).list_all()).items
    except (NotFound, CommandError):
        return None


def _quotas(w: Writer, quotas: list[Obj]) -> None:
    if not quotas:
        w.write(0, "No resource quota.\n")
        return
    w.write(0, "Resource Quotas\n")
    for quota in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        w.write(1, f"Name:\t{quota['metadata']['name']}\n")
        w.write(1, "Resource\tUsed\tHard\n")
        w.write(1, "--------\t---\t---\n")
        hard = _get(quota, "status", "hard", default={})
        used = _get(quota, "status", "used", default={})
        for name in sorted(hard):
            w.write(1, f"{name}\t{used.get(name, '0')}\t{hard[name]}\n")


def _limit_ranges(w: Writer, ranges: list[Obj]) -> None:
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\t"
               "Max Limit/Request Ratio\n")
    w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t"
               "-----------------------\n")
    for item in ranges:
        for limit in _get(item, "spec", "limits", default=[]):
            names = sorted({*limit.get("max", {}), *limit.get("min", {}),
                            *limit.get("default", {}), *limit.get("defaultRequest", {}),
                            *limit.get("maxLimitRequestRatio", {})})
            for name in names:
                cells = [limit.get(k, {}).get(name, "-") for k in
                         ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
                w.write(0, f" {limit.get('type', '')}\t{name}\t" + "\t".join(cells) + "\n")


async def _config_map(session: Session, rtype: ResourceType, cm: Obj, events: bool) -> str:
    meta = cm.get("metadata") or {}
    found = await _events(session, cm, rtype.kind) if events else None
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, "\nData\n====\n")
    for key, value in sorted((cm.get("data") or {}).items()):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{value}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        import base64

        w.write(0, f"{key}: {len(base64.b64decode(value))} bytes\n")
    w.write(0, "\n")
    events_text(w, found)
    return w.text()


async def _secret(session: Session, rtype: ResourceType, secret: Obj, events: bool) -> str:
    import base64

    meta = secret.get("metadata") or {}
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"\nType:\t{secret.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    for key, value in sorted((secret.get("data") or {}).items()):
        w.write(0, f"{key}:\t{len(base64.b64decode(value or ''))} bytes\n")
    return w.text()


async def _generic(session: Session, rtype: ResourceType, obj: Obj, events: bool) -> str:
    meta = obj.get("metadata") or {}
    found = await _events(session, obj, rtype.kind) if events else None
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, "", {".metadata.managedFields", ".metadata.name",
                                  ".metadata.namespace", ".metadata.labels",
                                  ".metadata.annotations"})
    events_text(w, found)
    return w.text()


def _unstructured(w: Writer, level: int, content: Obj, prefix: str, skip: set[str]) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path, skip)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path, skip)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_go_value(value)}\n")


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def smart_label(field: str) -> str:
    """``apiVersion`` -> ``API Version``, ``podCIDR`` -> ``Pod CIDR``, as kubectl titles keys."""
    if any(not (c.isalpha() or c == "-") for c in field):
        return field
    parts: list[str] = []
    current = ""
    for char in field:
        if current and (char.isupper() != current[-1].isupper() or char == "-"):
            if char.isupper() and not current[-1].isupper():
                parts.append(current)
                current = char
                continue
            if not char.isupper() and current[-1].isupper() and len(current) > 1:
                parts.append(current[:-1])
                current = current[-1] + char
                continue
        current += char
    if current:
        parts.append(current)
    words = []
    for part in parts:
        if part.upper() in ("API", "URL", "UID", "GUID"):
            words.append(part.upper())
        elif part == part.lower():
            words.append(part[:1].upper() + part[1:])
        else:
            words.append(part)
    return " ".join(words)


_DESCRIBERS: dict[tuple[str, str], Describer] = {
    ("", "Pod"): _pod,
    ("", "Node"): _node,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "ReplicationController"): _replica_set,
    ("", "ConfigMap"): _config_map,
    ("", "Secret"): _secret,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
}


async def describe_object(session: Session, rtype: ResourceType, obj: Obj,
                          show_events: bool = True) -> str:
    describer = _DESCRIBERS.get((rtype.group, rtype.kind), _generic)
    return await describer(session, rtype, obj, show_events)


async def describe(session: Session, args: list[str], *, selector: str | None = None,
                   show_events: bool = True, filenames: list[str] | None = None,
                   recursive: bool = False) -> int:
    refs = await _describe_refs(session, args, selector, filenames or [], recursive)
    errors: list[Exception] = []
    first = True
    for ref, obj in refs:
        try:
            objects, by_prefix = ([obj], False) if obj is not None else \
                await _by_name_or_prefix(session, ref, allow_prefix=len(args) == 2)
            texts = [await describe_object(session, ref.rtype, o, show_events) for o in objects]
        except StatusError as err:
            errors.append(err)
            continue
        for text in texts:
            if by_prefix:  # kubectl prints prefix matches each with a newline after
                print(text, flush=True)
                continue
            if not first:
                print("\n")
            first = False
            print(text, end="", flush=True)
    for failure in errors:
        print(format_error(failure), file=sys.stderr)
    if not refs and not errors:
        print("No resources found" if session.all_namespaces else
              f"No resources found in {session.namespace} namespace.", file=sys.stderr)
    return 1 if errors else 0


async def _by_name_or_prefix(session: Session, ref: ObjectRef, allow_prefix: bool
                             ) -> tuple[list[Obj], bool]:
    """The named object, or, as kubectl does for ``TYPE NAME``, every object whose name
    starts with NAME; and whether the prefix was used."""
    try:
        return [await session.request("GET", ref.rtype.path(ref.namespace, ref.name))], False
    except NotFound:
        if not allow_prefix:
            raise
        listed = await session.resource(ref.rtype, ref.namespace).list_all()
        matches = [o for o in listed.items
                   if (o.get("metadata") or {}).get("name", "").startswith(ref.name)]
        if not matches:
            raise
        return matches, True


async def _describe_refs(session: Session, args: list[str], selector: str | None,
                         filenames: list[str], recursive: bool
                         ) -> list[tuple[ObjectRef, Obj | None]]:
    if filenames:
        from kubectl.manifests import load_manifests

        items = await load_manifests(session, filenames, recursive, validate=False)
        return [(ObjectRef(m.rtype, m.namespace, m.name), None) for m in items]
    if not args:
        raise CommandError('You must specify the type of resource to describe. Use "kubectl '
                           'api-resources" for a complete list of supported resources.')
    refs: list[tuple[ObjectRef, Obj | None]] = []
    for target in await parse_targets(session, args):
        namespace = session.namespace if target.rtype.namespaced else None
        if target.names:
            refs.extend((ObjectRef(target.rtype, namespace, n), None) for n in target.names)
            continue
        listed = await session.resource(
            target.rtype, None if session.all_namespaces else namespace).list_all(
            label_selector=selector)
        for obj in listed.items:
            meta = obj.get("metadata") or {}
            refs.append((ObjectRef(target.rtype, meta.get("namespace"), meta.get("name", "")), obj))
    return refs
