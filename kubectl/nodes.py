"""Node maintenance: cordon, uncordon, drain and taint, with kubectl's rules and words.

``drain`` cordons the node, then evicts its pods through the ``eviction`` subresource
(so disruption budgets are honoured; a 429 is retried), refusing, as kubectl does,
pods it cannot safely remove unless told: DaemonSet pods (``--ignore-daemonsets``),
pods with emptyDir data (``--delete-emptydir-data``) and pods no controller will
re-create (``--force``). Mirror pods are skipped. It then waits, by watching, for
every evicted pod to be gone.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from apimachinery import patch as patches
from apimachinery.errors import NotFound, StatusError, TooManyRequests
from kubectl.apply import report
from kubectl.errors import CommandError, format_error
from kubectl.mutate import PATCH_CONTENT
from kubectl.resources import ObjectRef
from kubectl.session import Session
from kubectl.waiting import gone, wait_for

__all__ = ["DrainOptions", "cordon", "drain", "parse_taints", "taint", "update_taints"]

MIRROR = "kubernetes.io/config.mirror"
Obj = dict[str, Any]


async def _nodes(session: Session, names: list[str], selector: str | None) -> list[Obj]:
    nodes_type = await session.resolve("nodes")
    if names and selector:
        raise CommandError("error: cannot specify both a node name and a --selector option")
    if names:
        return [await session.request("GET", nodes_type.path(None, n)) for n in names]
    if not selector:
        raise CommandError("USAGE: cordon NODE [flags]")
    return (await session.resource(nodes_type).list_all(label_selector=selector)).items


async def cordon(session: Session, names: list[str], selector: str | None, desired: bool,
                 dry_run: str) -> int:
    nodes_type = await session.resolve("nodes")
    verb = "cordoned" if desired else "uncordoned"
    for node in await _nodes(session, names, selector):
        name = node["metadata"]["name"]
        if bool((node.get("spec") or {}).get("unschedulable")) == desired:
            report(nodes_type, name, f"already {verb}", dry_run)
            continue
        if dry_run != "client":
            params = {"dryRun": "All"} if dry_run == "server" else None
            await session.request("PATCH", nodes_type.path(None, name), params=params,
                                  body={"spec": {"unschedulable": True if desired else None}},
                                  content_type=PATCH_CONTENT["strategic"])
        report(nodes_type, name, verb, dry_run)
    return 0


# -- drain -------------------------------------------------------------------------------

@dataclass
class DrainOptions:
    names: list[str]
    selector: str | None = None
    force: bool = False
    ignore_daemonsets: bool = False
    delete_emptydir_data: bool = False
    grace_period: int = -1
    timeout: float = 0
    disable_eviction: bool = False
    pod_selector: str | None = None
    dry_run: str = "none"


@dataclass
class _Verdict:
    pod: Obj
    delete: bool
    kind: str = "okay"  # okay | skip | warning | error
    message: str = ""


async def _verdict(session: Session, pod: Obj, opts: DrainOptions) -> _Verdict:
    """kubectl's drain filters, in kubectl's order; the last warning wins."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    finished = status.get("phase") in ("Succeeded", "Failed")
    owner = next((o for o in meta.get("ownerReferences") or () if o.get("controller")), None)
    verdict = _Verdict(pod, True)
    if owner is not None and owner.get("kind") == "DaemonSet" and not finished:
        try:
            ds_type = await session.resolve("daemonsets.apps")
            await session.request("GET", ds_type.path(meta["namespace"], owner["name"]))
        except NotFound as err:
            if not opts.force:
                return _Verdict(pod, False, "error", err.message)
            verdict = _Verdict(pod, True, "warning", err.message)
        else:
            if not opts.ignore_daemonsets:
                return _Verdict(pod, False, "error",
                                "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
            return _Verdict(pod, False, "warning", "ignoring DaemonSet-managed Pods")
    if MIRROR in (meta.get("annotations") or {}):
        return _Verdict(pod, False, "skip")
    if any("emptyDir" in v for v in spec.get("volumes") or ()) and not finished:
        if not opts.delete_emptydir_data:
            return _Verdict(pod, False, "error",
                            "Pods with local storage (use --delete-emptydir-data to override)")
        verdict = _Verdict(pod, True, "warning", "deleting Pods with local storage")
    if not finished and owner is None:
        if not opts.force:
            return _Verdict(pod, False, "error", "cannot delete Pods that declare no controller "
                                                 "(use --force to override)")
        verdict = _Verdict(pod, True, "warning", "deleting Pods that declare no controller")
    return verdict


def _grouped(verdicts: list[_Verdict], kind: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for v in verdicts:
        if v.kind == kind:
            meta = v.pod["metadata"]
            grouped.setdefault(v.message, []).append(f"{meta['namespace']}/{meta['name']}")
    return grouped


async def drain(session: Session, opts: DrainOptions) -> int:
    nodes = await _nodes(session, opts.names, opts.selector)
    await cordon(session, [n["metadata"]["name"] for n in nodes], None, True, opts.dry_run)
    pending: list[str] = []
    failures: list[str] = []
    nodes_type = await session.resolve("nodes")
    for node in nodes:
        name = node["metadata"]["name"]
        try:
            await _drain_node(session, name, opts)
        except CommandError as err:
            print(f'error: unable to drain node "{name}" due to error: {err.message}, '
                  "continuing command...", file=sys.stderr)
            pending.append(name)
            failures.append(err.message)
            continue
        report(nodes_type, name, "drained", opts.dry_run)
    if pending:
        print("There are pending nodes to be drained:", file=sys.stderr)
        for name in pending:
            print(f" {name}", file=sys.stderr)
        raise CommandError("\n".join(failures), raw=True)
    return 0


async def _drain_node(session: Session, node: str, opts: DrainOptions) -> None:
    pods_type = await session.resolve("pods")
    listed = await session.resource(pods_type, None).list_all(
        field_selector=f"spec.nodeName={node}", label_selector=opts.pod_selector)
    verdicts = [await _verdict(session, p, opts) for p in listed.items]
    errors = _grouped(verdicts, "error")
    if errors:
        raise CommandError("; ".join(f"cannot delete {msg}: {', '.join(pods)}"
                                     for msg, pods in errors.items()))
    warnings = _grouped(verdicts, "warning")
    if warnings:
        print("Warning: " + "; ".join(f"{msg}: {', '.join(pods)}"
                                      for msg, pods in warnings.items()), file=sys.stderr)
    doomed = [v.pod for v in verdicts if v.delete]
    if opts.dry_run == "client":
        for pod in doomed:
            print(f"evicting pod {pod['metadata']['namespace']}/{pod['metadata']['name']} (dry run)")
        return
    deadline = opts.timeout or None
    try:
        await asyncio.wait_for(asyncio.gather(*(_evict(session, pod, opts) for pod in doomed)),
                               deadline)
    except TimeoutError:
        raise CommandError(f"drain did not complete within {opts.timeout:g}s") from None


async def _evict(session: Session, pod: Obj, opts: DrainOptions) -> None:
    meta = pod["metadata"]
    pods_type = await session.resolve("pods")
    ref = ObjectRef(pods_type, meta["namespace"], meta["name"])
    verb = "deleted" if opts.disable_eviction else "evicted"
    suffix = " (server dry run)" if opts.dry_run == "server" else ""
    print(f"{'deleting' if opts.disable_eviction else 'evicting'} pod {meta['namespace']}/"
          f"{meta['name']}{suffix}", flush=True)
    while True:
        try:
            await _remove(session, ref, opts)
            break
        except NotFound:
            break
        except TooManyRequests as err:
            print(f'error when evicting pods/"{meta["name"]}" -n "{meta["namespace"]}" (will '
                  f"retry after 5s): {err.message}", file=sys.stderr)
            await asyncio.sleep(5)  # kubectl's fixed retry interval for budget refusals
        except StatusError as err:
            raise CommandError(f'error when evicting pods/"{meta["name"]}" -n '
                               f'"{meta["namespace"]}": {format_error(err)}') from err
    if opts.dry_run == "server":
        return
    await wait_for(session, ref, gone(meta.get("uid")), None)
    print(f"pod/{meta['name']} {verb}", flush=True)


async def _remove(session: Session, ref: ObjectRef, opts: DrainOptions) -> None:
    params = {"dryRun": "All"} if opts.dry_run == "server" else None
    options: Obj = {}
    if opts.grace_period >= 0:
        options["gracePeriodSeconds"] = opts.grace_period
    if opts.disable_eviction:
        await session.request("DELETE", ref.rtype.path(ref.namespace, ref.name), params=params,
                              body={"apiVersion": "v1", "kind": "DeleteOptions", **options})
        return
    body: Obj = {"apiVersion": "policy/v1", "kind": "Eviction",
                 "metadata": {"name": ref.name, "namespace": ref.namespace}}
    if options:
        body["deleteOptions"] = options
    await session.request("POST", ref.rtype.path(ref.namespace, ref.name, "eviction"),
                          params=params, body=body)


# -- taint -------------------------------------------------------------------------------

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


USAGE_HINT = "\nSee 'skiffctl taint -h' for help and examples"


def _parse_taint(text: str) -> Obj:
    try:
        return _parse_taint_spec(text)
    except CommandError as err:
        raise CommandError(err.message + USAGE_HINT) from None


def _parse_taint_spec(text: str) -> Obj:
    from apimachinery.validation import is_qualified_name, label_value_errors, qualified_name_errors

    parts = text.split(":")
    value = ""
    effect = ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in _EFFECTS:
            raise CommandError(f"invalid taint effect: {effect}, unsupported taint effect")
        pair = parts[0].split("=")
        if len(pair) > 2:
            raise CommandError(f"invalid taint spec: {text}")
        key = pair[0]
        if len(pair) == 2:
            value = pair[1]
            problems = label_value_errors(value)
            if problems:
                raise CommandError(f"invalid taint spec: {text}, {'; '.join(problems)}")
    else:
        raise CommandError(f"invalid taint spec: {text}")
    if not is_qualified_name(key):
        raise CommandError(f"invalid taint spec: {text}, {'; '.join(qualified_name_errors(key))}")
    taint: Obj = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def parse_taints(specs: list[str]) -> tuple[list[Obj], list[Obj]]:
    """``k=v:Effect`` to add; ``k-``, ``k:Effect-`` to remove."""
    add: list[Obj] = []
    remove: list[Obj] = []
    for spec in specs:
        if spec.endswith("-"):
            parsed = _parse_taint(spec[:-1])
            remove.append({"key": parsed["key"], "effect": parsed["effect"]})
            continue
        parsed = _parse_taint(spec)
        if not parsed["effect"]:
            raise CommandError(f"invalid taint spec: {spec}{USAGE_HINT}")
        if any(t["key"] == parsed["key"] and t["effect"] == parsed["effect"] for t in add):
            raise CommandError(f"duplicated taints with the same key and effect: {parsed}")
        add.append(parsed)
    return add, remove


def _taint_text(taint: Obj) -> str:
    """Kubernetes' Taint.ToString: ``k``, ``k=v:``, ``k:E`` or ``k=v:E``."""
    key, value, effect = taint.get("key", ""), taint.get("value"), taint.get("effect")
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def update_taints(name: str, current: list[Obj], add: list[Obj], remove: list[Obj],
                  overwrite: bool) -> tuple[str, list[Obj]]:
    """The node's new taints and kubectl's verb for the change (tainted, untainted, modified)."""
    if not overwrite:
        clashes = [t["key"] for t in add for old in current
                   if t["key"] == old.get("key") and t["effect"] == old.get("effect")]
        if clashes:
            raise CommandError(f"node {name} already has {','.join(clashes)} taint(s) with same "
                               "effect(s) and --overwrite is false")
    new = [dict(t) for t in add]
    for old in current:
        if not any(t["key"] == old.get("key") and t["effect"] == old.get("effect") for t in new):
            new.append(old)
    added = len(current) != len(new)
    errors: list[str] = []
    removed = False
    for gone_taint in remove:
        before = len(new)
        if gone_taint["effect"]:
            new = [t for t in new if not (t.get("key") == gone_taint["key"]
                                          and t.get("effect") == gone_taint["effect"])]
        else:
            new = [t for t in new if t.get("key") != gone_taint["key"]]
        removed = len(new) != before
        if not removed:
            errors.append(f'taint "{_taint_text(gone_taint)}" not found')
    if errors:
        raise CommandError("\n".join(errors) if len(errors) == 1 else
                           "[" + ", ".join(errors) + "]")
    if (added and removed) or overwrite:
        return "modified", new
    return ("tainted" if added else "untainted"), new


async def taint(session: Session, args: list[str], selector: str | None, select_all: bool,
                overwrite: bool, dry_run: str) -> int:
    resources, specs = _taint_args(args)
    if not resources:
        raise CommandError("one or more resources must be specified as <resource> <name>")
    if not specs:
        raise CommandError("at least one taint update is required")
    add, remove = parse_taints(specs)
    clash = [f"{t['key']}={t['effect']}" for a in add for t in remove
             if a["key"] == t["key"] and (not t["effect"] or a["effect"] == t["effect"])]
    if clash:
        raise CommandError(f"can not both modify and remove the following taint(s) in the same "
                           f"command: {', '.join(clash)}")
    kind, *names = resources
    nodes_type = await session.resolve(kind)
    if nodes_type.kind != "Node":
        raise CommandError(f"invalid resource type {kind}, only node types are supported")
    if select_all and selector:
        raise CommandError("setting 'all' parameter with a non empty selector is prohibited")
    if names:
        nodes = [await session.request("GET", nodes_type.path(None, n)) for n in names]
    elif select_all or selector:
        nodes = (await session.resource(nodes_type).list_all(label_selector=selector)).items
    else:
        raise CommandError("at least one resource name must be specified since 'all' parameter "
                           "is not set")
    for node in nodes:
        name = node["metadata"]["name"]
        verb, new = update_taints(name, (node.get("spec") or {}).get("taints") or [], add,
                                  remove, overwrite)
        spec = {k: v for k, v in (node.get("spec") or {}).items() if k != "taints"}
        updated = {**node, "spec": {**spec, "taints": new} if new else spec}
        if dry_run != "client":
            body = patches.create_two_way_merge_patch(node, updated, nodes_type.model)
            params = {"dryRun": "All"} if dry_run == "server" else None
            await session.request("PATCH", nodes_type.path(None, name), params=params, body=body,
                                  content_type=PATCH_CONTENT["strategic"])
        report(nodes_type, name, verb, dry_run)
    return 0


def _taint_args(args: list[str]) -> tuple[list[str], list[str]]:
    """Resources first, then taints: an argument with ``=``, ``:`` or a trailing ``-``."""
    resources: list[str] = []
    specs: list[str] = []
    for arg in args:
        is_taint = "=" in arg or ":" in arg or arg.endswith("-")
        if is_taint:
            specs.append(arg)
        elif specs:
            raise CommandError(f"all resources must be specified before taint changes: {arg}")
        else:
            resources.append(arg)
    if resources and "/" in resources[0]:
        kind, _, name = resources[0].partition("/")
        resources = [kind, name, *resources[1:]]
    return resources, specs
