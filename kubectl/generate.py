"""Verbs that build a new object from flags: ``run``, ``expose``, ``autoscale``.

The objects are the ones kubectl's generators build (a ``run=<name>`` label on the
pod, ``resources: {}`` in the container, ``port-N`` names when a service gets several
ports ...), so ``--dry-run=client -o yaml`` prints what kubectl prints and the cluster
ends up with the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apimachinery.schema import ResourceType
from kubectl.apply import report
from kubectl.errors import CommandError
from kubectl.manifests import load_manifests
from kubectl.mutate import pod_spec
from kubectl.resources import ObjectRef, single_object
from kubectl.session import Session

__all__ = ["ExposeOptions", "RunOptions", "autoscale", "create_built", "expose", "run_pod"]


RUN_USAGE = "\nSee 'skiffctl run -h' for help and examples"


@dataclass
class RunOptions:
    name: str
    image: str
    restart: str = "Always"
    env: list[str] = field(default_factory=list)
    port: int | None = None
    labels: str | None = None
    command: bool = False
    args: list[str] = field(default_factory=list)
    image_pull_policy: str | None = None
    dry_run: str = "none"
    output: str | None = None
    expose: bool = False
    annotations: list[str] = field(default_factory=list)


def pod_for(opts: RunOptions) -> dict[str, Any]:
    """The pod ``kubectl run`` makes, field for field."""
    if opts.restart not in ("Always", "OnFailure", "Never"):
        raise CommandError(f"invalid restart policy: {opts.restart}{RUN_USAGE}")
    labels = _labels(opts.labels) if opts.labels else {"run": opts.name}
    # Keys in Go's struct order: kubectl prints a built object's JSON in that order.
    container: dict[str, Any] = {"name": opts.name, "image": opts.image}
    if opts.args:
        container["command" if opts.command else "args"] = list(opts.args)
    if opts.port is not None:
        container["ports"] = [{"containerPort": opts.port}]
    if opts.env:
        container["env"] = [{"name": k, "value": v} for k, v in _env_pairs(opts.env)]
    container["resources"] = {}
    if opts.image_pull_policy:
        if opts.image_pull_policy not in ("Always", "IfNotPresent", "Never"):
            raise CommandError(f"invalid image pull policy: {opts.image_pull_policy}{RUN_USAGE}")
        container["imagePullPolicy"] = opts.image_pull_policy
    metadata: dict[str, Any] = {"name": opts.name, "creationTimestamp": None, "labels": labels}
    if opts.annotations:
        metadata["annotations"] = dict(_env_pairs(opts.annotations))
    return {"kind": "Pod", "apiVersion": "v1", "metadata": metadata,
            "spec": {"containers": [container], "restartPolicy": opts.restart,
                     "dnsPolicy": "ClusterFirst"},
            "status": {}}


def _env_pairs(items: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"invalid env: {item}")
        pairs.append((key, value))
    return pairs


def _labels(spec: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise CommandError(f"unexpected label spec: {part}")
        if not key:
            raise CommandError("unexpected empty label key")
        labels[key] = value
    return labels


async def run_pod(session: Session, opts: RunOptions) -> int:
    if not opts.image:
        raise CommandError("--image is required")
    if opts.expose and opts.port is None:
        raise CommandError("--port must be set when exposing a service")
    pod = pod_for(opts)
    rtype = await session.resolve("pods")
    if opts.expose:
        service = _service(opts.name, pod["metadata"]["labels"], [(opts.port or 0, "TCP")],
                           ExposeOptions(args=[]), pod["metadata"]["labels"])
        await _create(session, await session.resolve("services"), service, opts.dry_run,
                      opts.output)
    await _create(session, rtype, pod, opts.dry_run, opts.output)
    return 0


async def _create(session: Session, rtype: ResourceType, obj: dict[str, Any], dry_run: str,
                  output: str | None, operation: str = "created") -> None:
    name = obj["metadata"]["name"]
    if dry_run == "client":
        if session.explicit_namespace and rtype.namespaced:
            # kubectl sets the namespace it was given, right after the name (Go's order)
            meta = obj["metadata"]
            obj["metadata"] = {"name": meta.pop("name"), "namespace": session.namespace, **meta}
        report(rtype, name, operation, dry_run, output, obj, built=True)
        return
    body = {**obj, "metadata": {k: v for k, v in obj["metadata"].items()
                                if k != "creationTimestamp"}}
    if "status" in body and not body["status"]:
        body = {k: v for k, v in body.items() if k != "status"}
    params = {"fieldManager": f"kubectl-{operation[:-1] if operation != 'created' else 'create'}"}
    if dry_run == "server":
        params["dryRun"] = "All"
    result = await session.request("POST", rtype.path(session.namespace if rtype.namespaced
                                                      else None), params=params, body=body)
    report(rtype, name, operation, dry_run, output, result)


async def create_built(session: Session, resource: str, obj: dict[str, Any], dry_run: str,
                       output: str | None) -> None:
    """Create an object skiffctl built from flags (``create deployment`` and friends)."""
    await _create(session, await session.resolve(resource), obj, dry_run, output)


# -- expose ------------------------------------------------------------------------------

@dataclass
class ExposeOptions:
    args: list[str]
    port: str | None = None
    target_port: str | None = None
    protocol: str | None = None
    type: str | None = None
    name: str | None = None
    selector: str | None = None
    labels: str | None = None
    external_ip: str | None = None
    cluster_ip: str | None = None
    session_affinity: str | None = None
    dry_run: str = "none"
    output: str | None = None
    filenames: list[str] = field(default_factory=list)


_EXPOSABLE = {"Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet"}


async def expose(session: Session, opts: ExposeOptions) -> int:
    if opts.filenames:
        items = await load_manifests(session, opts.filenames, validate=False)
        refs = [ObjectRef(m.rtype, m.namespace, m.name) for m in items]
    else:
        refs = [await single_object(session, opts.args)]
    for ref in refs:
        if ref.rtype.kind not in _EXPOSABLE:
            raise CommandError(f"cannot expose a {ref.rtype.kind}")
        obj = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
        selector = _labels(opts.selector) if opts.selector else _selector_of(obj, ref.rtype)
        ports = [(int(p), opts.protocol or "TCP") for p in opts.port.split(",")] if opts.port \
            else _ports_of(obj, ref.rtype)
        if not ports and opts.cluster_ip != "None":
            raise CommandError("couldn't find port via --port flag or introspection")
        labels = _labels(opts.labels) if opts.labels else \
            dict((obj.get("metadata") or {}).get("labels") or {})
        name = opts.name or ref.name[:63]
        service = _service(name, selector, ports, opts, labels)
        await _create(session, await session.resolve("services"), service, opts.dry_run,
                      opts.output, "exposed")
    return 0


def _service(name: str, selector: dict[str, str], ports: list[tuple[int, str]],
             opts: ExposeOptions, labels: dict[str, str] | None) -> dict[str, Any]:
    spec_ports = []
    for i, (port, protocol) in enumerate(ports):
        entry: dict[str, Any] = {"name": f"port-{i + 1}"} if len(ports) > 1 else {}
        entry.update(protocol=protocol, port=port)
        target = opts.target_port
        entry["targetPort"] = (int(target) if target.isdigit() else target) if target else port
        spec_ports.append(entry)
    spec: dict[str, Any] = {"ports": spec_ports, "selector": selector}
    if opts.cluster_ip:
        spec["clusterIP"] = opts.cluster_ip
    if opts.type:
        if opts.type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            raise CommandError(f"unknown service type: {opts.type}")
        spec["type"] = opts.type
    if opts.external_ip:
        spec["externalIPs"] = [opts.external_ip]
    if opts.session_affinity:
        spec["sessionAffinity"] = opts.session_affinity
    metadata: dict[str, Any] = {"name": name, "creationTimestamp": None}
    if labels:
        metadata["labels"] = labels
    return {"kind": "Service", "apiVersion": "v1", "metadata": metadata, "spec": spec,
            "status": {"loadBalancer": {}}}


def _selector_of(obj: dict[str, Any], rtype: ResourceType) -> dict[str, str]:
    spec = obj.get("spec") or {}
    if rtype.kind == "Pod":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not labels:
            raise CommandError("couldn't retrieve selectors via --selector flag or introspection: "
                               "the pod has no labels and cannot be exposed")
        return dict(labels)
    if rtype.kind in ("Service", "ReplicationController"):
        selector = spec.get("selector") or {}
        if not selector:
            raise CommandError("couldn't retrieve selectors via --selector flag or "
                               f"introspection: the {rtype.kind.lower()} has no selector")
        return dict(selector)
    selector = spec.get("selector") or {}
    if selector.get("matchExpressions"):
        raise CommandError("couldn't retrieve selectors via --selector flag or introspection: "
                           "couldn't convert expressions - \"" + str(selector["matchExpressions"])
                           + "\" to map-based selector format")
    return dict(selector.get("matchLabels") or {})


def _ports_of(obj: dict[str, Any], rtype: ResourceType) -> list[tuple[int, str]]:
    if rtype.kind == "Service":
        return [(p["port"], p.get("protocol", "TCP")) for p in (obj.get("spec") or {}).get("ports") or ()]
    spec = pod_spec(obj, rtype)
    return [(p["containerPort"], p.get("protocol", "TCP"))
            for c in spec.get("containers") or () for p in c.get("ports") or ()]


# -- autoscale ---------------------------------------------------------------------------

async def autoscale(session: Session, args: list[str], min_replicas: int, max_replicas: int,
                    cpu_percent: int, name: str | None, dry_run: str, output: str | None) -> int:
    ref = await single_object(session, args)
    hpa = await session.resolve("horizontalpodautoscalers")
    if max_replicas < 1:
        raise CommandError("--max=MAXPODS is required and must be at least 1, max: "
                           f"{max_replicas}")
    if max_replicas < min_replicas:
        raise CommandError(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: "
                           f"{max_replicas}, min: {min_replicas}")
    await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": ref.rtype.api_version, "kind": ref.rtype.kind,
                           "name": ref.name},
        "maxReplicas": max_replicas,
    }
    if min_replicas > 0:
        spec["minReplicas"] = min_replicas
    if cpu_percent >= 0 and hpa.version == "v1":
        spec["targetCPUUtilizationPercentage"] = cpu_percent
    elif cpu_percent >= 0:
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_percent}}}]
    obj = {"apiVersion": hpa.api_version, "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": name or ref.name}, "spec": spec}
    await _create(session, hpa, obj, dry_run, output, "autoscaled")
    return 0
