"""Small builders for the scheduler's unit tests: pods and nodes in a line each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apimachinery.core_v1 import Node, Pod
from client import Store
from scheduler.cache import Cache
from scheduler.framework import CycleState, Framework, Handle, NodeInfo, PodInfo, Status
from scheduler.plugins import REGISTRY

__all__ = ["cache_of", "filter_status", "framework_for", "make_node", "make_pod", "node_info",
           "pod_info", "scores"]


def make_pod(name: str = "p", namespace: str = "default", *, cpu: str | None = None,
             memory: str | None = None, node: str | None = None,
             labels: Mapping[str, str] | None = None, priority: int | None = None,
             uid: str | None = None, created: str = "2024-01-01T00:00:00Z",
             host_ports: Sequence[int | tuple[int, str, str]] = (),
             node_selector: Mapping[str, str] | None = None,
             affinity: Mapping[str, Any] | None = None,
             tolerations: Sequence[Mapping[str, Any]] = (),
             containers: Sequence[Mapping[str, Any]] | None = None,
             init_containers: Sequence[Mapping[str, Any]] | None = None,
             volumes: Sequence[Mapping[str, Any]] = (),
             owner_uid: str | None = None, scheduler_name: str | None = "default-scheduler",
             **spec: Any) -> Pod:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    ports = []
    for port in host_ports:
        number, protocol, ip = port if isinstance(port, tuple) else (port, "TCP", "")
        ports.append({"containerPort": number, "hostPort": number, "protocol": protocol,
                      **({"hostIP": ip} if ip else {})})
    container: dict[str, Any] = {"name": "app", "image": "skiff/pause:3.9",
                                 "resources": {"requests": requests} if requests else {}}
    if ports:
        container["ports"] = ports
    metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                "uid": uid or f"uid-{namespace}-{name}",
                                "creationTimestamp": created}
    if labels:
        metadata["labels"] = dict(labels)
    if owner_uid:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                        "name": "rs", "uid": owner_uid, "controller": True}]
    body: dict[str, Any] = {"containers": list(containers) if containers is not None
                            else [container], **spec}
    for key, value in (("nodeName", node), ("priority", priority),
                       ("nodeSelector", node_selector), ("schedulerName", scheduler_name),
                       ("initContainers", init_containers)):
        if value is not None:
            body[key] = value
    if affinity:
        body["affinity"] = dict(affinity)
    if tolerations:
        body["tolerations"] = list(tolerations)
    if volumes:
        body["volumes"] = list(volumes)
    return Pod.model_validate({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
                               "spec": body})


def make_node(name: str = "n1", *, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
              labels: Mapping[str, str] | None = None,
              taints: Sequence[Mapping[str, Any]] = (), unschedulable: bool = False,
              extra: Mapping[str, str] | None = None) -> Node:
    resources = {"cpu": cpu, "memory": memory, "pods": pods, **(extra or {})}
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = list(taints)
    if unschedulable:
        spec["unschedulable"] = True
    return Node.model_validate({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {"capacity": resources, "allocatable": resources,
                   "conditions": [{"type": "Ready", "status": "True"}]},
    })


def pod_info(*args: Any, **kwargs: Any) -> PodInfo:
    return PodInfo(make_pod(*args, **kwargs))


def node_info(*args: Any, running: Sequence[Pod] = (), **kwargs: Any) -> NodeInfo:
    node = make_node(*args, **kwargs)
    info = NodeInfo(node.metadata.name or "", node)
    for pod in running:
        info.add_pod(PodInfo(pod))
    return info


def cache_of(nodes: Sequence[Node], running: Sequence[Pod] = ()) -> Cache:
    """A scheduler cache holding ``nodes`` and the bound pods ``running``."""
    cache = Cache()
    for node in nodes:
        cache.add_node(node)
    for pod in running:
        cache.add_pod(pod)
    return cache


def framework_for(cache: Cache, *, filter: Sequence[str] = (),
                  score: Sequence[tuple[str, int]] = (),
                  args: Mapping[str, Mapping[str, Any]] | None = None,
                  services: Store[Any] | None = None) -> Framework:
    return Framework(handle=Handle(cache, None, services), registry=REGISTRY, filter=filter,
                     score=score, plugin_args=args)


def filter_status(plugin: str, pod: Pod, node: Node, *, running: Sequence[Pod] = (),
                  others: Sequence[Node] = ()) -> Status | None:
    """What ``plugin`` says about ``pod`` on ``node``, through PreFilter and Filter as a
    scheduling cycle runs them (``running`` are pods bound to the nodes, ``others`` more
    nodes in the cluster)."""
    cache = cache_of([node, *others], running)
    framework = framework_for(cache, filter=[plugin])
    state = CycleState()
    info = PodInfo(pod)
    status = framework.run_pre_filter_plugins(state, info)
    if status is not None:
        return status
    target = cache.get(node.metadata.name or "")
    assert target is not None
    return framework.run_filter_plugins(state, info, target)


def scores(plugin: str, pod: Pod, nodes: Sequence[Node], *, running: Sequence[Pod] = (),
           args: Mapping[str, Any] | None = None,
           services: Store[Any] | None = None) -> dict[str, int]:
    """Each node's final (normalised) score from ``plugin`` alone, weight 1."""
    cache = cache_of(nodes, running)
    framework = framework_for(cache, score=[(plugin, 1)], services=services,
                              args={plugin: args} if args else None)
    state = CycleState()
    info = PodInfo(pod)
    infos = cache.list()
    assert framework.run_pre_score_plugins(state, info, infos) is None
    totals = framework.run_score_plugins(state, info, infos)
    return {node.name: total for node, total in zip(infos, totals, strict=True)}
