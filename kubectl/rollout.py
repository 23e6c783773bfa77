"""``rollout status|history|undo|pause|resume|restart`` for Deployments.

A Deployment's history is its ReplicaSets: each carries the
``deployment.kubernetes.io/revision`` annotation and the pod template of that
revision, and ``kubernetes.io/change-cause`` when one was recorded. ``undo`` writes a
chosen revision's template back into the Deployment (a JSON patch replacing
``spec.template`` and the annotations, as kubectl sends), and the deployment
controller rolls forward to it. ``status`` watches the Deployment and prints kubectl's
progress line on every change until the rollout is complete or the deadline passes.
"""

from __future__ import annotations

import asyncio
import copy
import sys
from datetime import UTC, datetime
from typing import Any

from apimachinery.errors import Expired, NotFound, StatusError
from apimachinery.labels import Selector
from kubectl.apply import LAST_APPLIED, report
from kubectl.describe import pod_template_text
from kubectl.errors import CommandError, format_error
from kubectl.mutate import PATCH_CONTENT
from kubectl.printing import qualified
from kubectl.resources import ObjectRef, select_objects
from kubectl.session import Session
from kubectl.tabwriter import align

__all__ = [
    "deployment_status",
    "history",
    "pause",
    "restart",
    "resume",
    "status",
    "undo",
]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
_SKIP_ON_ROLLBACK = {LAST_APPLIED, REVISION, "deployment.kubernetes.io/revision-history",
                     "deployment.kubernetes.io/desired-replicas",
                     "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"}


async def _refs(session: Session, args: list[str], selector: str | None,
                filenames: list[str]) -> list[ObjectRef]:
    if filenames:
        from kubectl.manifests import load_manifests

        return [ObjectRef(m.rtype, m.namespace, m.name)
                for m in await load_manifests(session, filenames, validate=False)]
    if not args:
        raise CommandError("required resource not specified")
    return [ref for ref, _ in await select_objects(session, args, selector=selector)]


def _require_deployment(ref: ObjectRef, what: str) -> None:
    if ref.rtype.kind != "Deployment":
        raise CommandError(f'no {what} has been implemented for "{ref.rtype.kind}"'
                           if what != "pause" else f"{qualified(ref.rtype, ref.name)} "
                           "pausing is not supported")


# -- status ------------------------------------------------------------------------------

def deployment_status(deploy: dict[str, Any], revision: int = 0) -> tuple[str, bool]:
    """kubectl's status line for a Deployment, and whether the rollout is done."""
    meta, spec, status = deploy.get("metadata", {}), deploy.get("spec", {}), \
        deploy.get("status") or {}
    name = meta.get("name", "")
    if revision > 0:
        current = int((meta.get("annotations") or {}).get(REVISION, "0") or 0)
        if current != revision:
            raise CommandError(f"desired revision ({revision}) is different from the running "
                               f"revision ({current})")
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise CommandError(f'deployment "{name}" exceeded its progress deadline')
    replicas = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    total = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if replicas is not None and updated < replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of '
                f"{replicas} new replicas have been updated..."), False
    if total > updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {total - updated} old '
                "replicas are pending termination..."), False
    if available < updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} '
                "updated replicas are available..."), False
    return f'deployment "{name}" successfully rolled out', True


async def status(session: Session, args: list[str], selector: str | None, filenames: list[str],
                 watch: bool, revision: int, timeout: float) -> int:
    if revision < 0:
        raise CommandError(f"revision must be a positive integer: {revision}")
    refs = await _refs(session, args, selector, filenames)
    if not refs:
        print(f"No resources found in {session.namespace} namespace.", file=sys.stderr)
        return 0
    for ref in refs:
        _require_deployment(ref, "status viewer")
        try:
            done = await asyncio.wait_for(_follow(session, ref, watch, revision),
                                          timeout or None)
        except TimeoutError:
            raise CommandError("timed out waiting for the condition") from None
        if not done:
            return 0
    return 0


async def _follow(session: Session, ref: ObjectRef, watch: bool, revision: int) -> bool:
    client = session.resource(ref.rtype, ref.namespace)
    selector = f"metadata.name={ref.name}"
    while True:
        listed = await client.list(field_selector=selector)
        if not listed.items:
            raise NotFound.for_resource(ref.rtype.plural, ref.name, ref.rtype.group)
        line, done = deployment_status(listed.items[0], revision)
        print(line, flush=True)
        if done or not watch:
            return done
        try:
            async with client.watch(resource_version=listed.resource_version,
                                    field_selector=selector, timeout_seconds=300) as stream:
                async for event in stream:
                    if event.type == "DELETED":
                        raise CommandError("object has been deleted")
                    if event.type not in ("ADDED", "MODIFIED"):
                        continue
                    line, done = deployment_status(event.object, revision)
                    print(line, flush=True)
                    if done:
                        return True
        except Expired:
            continue


# -- history -----------------------------------------------------------------------------

async def _replica_sets(session: Session, deploy: dict[str, Any]) -> list[dict[str, Any]]:
    """The ReplicaSets this Deployment controls, found by its selector and owner UID."""
    rs_type = await session.resolve("replicasets.apps")
    selector = Selector.from_label_selector((deploy.get("spec") or {}).get("selector"))
    if selector.is_nothing:
        return []
    listed = await session.resource(rs_type, deploy["metadata"]["namespace"]).list_all(
        label_selector=str(selector) or None)
    uid = deploy["metadata"].get("uid")
    return [rs for rs in listed.items
            if any(o.get("controller") and o.get("uid") == uid
                   for o in (rs.get("metadata") or {}).get("ownerReferences") or ())]


def _revision(rs: dict[str, Any]) -> int | None:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def history(session: Session, args: list[str], selector: str | None,
                  filenames: list[str], revision: int, output: str | None) -> int:
    if revision < 0:
        raise CommandError(f"revision must be a positive integer: {revision}")
    refs = await _refs(session, args, selector, filenames)
    for ref in refs:
        _require_deployment(ref, "history viewer")
        deploy = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
        templates: dict[int, dict[str, Any]] = {}
        for rs in await _replica_sets(session, deploy):
            number = _revision(rs)
            if number is None:
                continue
            template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
            cause = ((rs.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)
            if cause:
                template.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
            templates[number] = template
        if output:
            from kubectl.printing import parse_output, print_objects

            chosen = [templates[revision]] if revision else [templates[k] for k in sorted(templates)]
            for template in chosen:
                print_objects([(ref.rtype, template)], parse_output(output), single=True)
            continue
        text = _history_text(templates, revision)
        heading = f"with revision #{revision}" if revision else ""
        print(f"{qualified(ref.rtype, ref.name)} {heading}\n{text}", flush=True)
    return 0


def _history_text(templates: dict[int, dict[str, Any]], revision: int) -> str:
    if not templates:
        return "No rollout history found."
    if revision:
        if revision not in templates:
            raise CommandError("unable to find the specified revision")
        return pod_template_text(templates[revision])
    lines = ["REVISION\tCHANGE-CAUSE\n"]
    for number in sorted(templates):
        cause = ((templates[number].get("metadata") or {}).get("annotations") or {}).get(
            CHANGE_CAUSE) or "<none>"
        lines.append(f"{number}\t{cause}\n")
    return align("".join(lines))


# -- undo --------------------------------------------------------------------------------

def _same_template(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def clean(template: dict[str, Any]) -> dict[str, Any]:
        copied = copy.deepcopy(template)
        labels = (copied.get("metadata") or {}).get("labels")
        if labels:
            labels.pop(HASH_LABEL, None)
        return copied
    return clean(a) == clean(b)


async def undo(session: Session, args: list[str], selector: str | None, filenames: list[str],
               to_revision: int, dry_run: str) -> int:
    refs = await _refs(session, args, selector, filenames)
    errors: list[Exception] = []
    for ref in refs:
        try:
            _require_deployment(ref, "rollbacker")
            message = await _undo_one(session, ref, to_revision, dry_run)
        except (StatusError, CommandError) as err:
            errors.append(err)
            continue
        report(ref.rtype, ref.name, message, dry_run)
    for failure in errors:
        print(format_error(failure), file=sys.stderr)
    return 1 if errors else 0


async def _undo_one(session: Session, ref: ObjectRef, to_revision: int, dry_run: str) -> str:
    if to_revision < 0:
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    deploy = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
    target = _pick_revision(await _replica_sets(session, deploy), to_revision, ref.name)
    template = copy.deepcopy(target["spec"]["template"])
    if dry_run == "client":
        return pod_template_text(template)
    if (deploy.get("spec") or {}).get("paused"):
        raise CommandError("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    number = _revision(target)
    if _same_template(template, (deploy.get("spec") or {}).get("template") or {}):
        return f"skipped rollback (current template already matches revision {number})"
    (template.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    current = (deploy.get("metadata") or {}).get("annotations") or {}
    annotations = {k: v for k, v in current.items() if k in _SKIP_ON_ROLLBACK}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items()
                        if k not in _SKIP_ON_ROLLBACK})
    body = [{"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    params = {"dryRun": "All"} if dry_run == "server" else None
    try:
        await session.request("PATCH", ref.rtype.path(ref.namespace, ref.name), params=params,
                              body=body, content_type=PATCH_CONTENT["json"])
    except StatusError as err:
        raise CommandError(f"failed restoring revision {number}: {err}") from err
    return "rolled back"


def _pick_revision(replica_sets: list[dict[str, Any]], to_revision: int,
                   name: str) -> dict[str, Any]:
    numbered = sorted(((n, rs) for rs in replica_sets if (n := _revision(rs)) is not None),
                      key=lambda pair: pair[0])
    if to_revision > 0:
        for number, rs in numbered:
            if number == to_revision:
                return rs
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    if len(numbered) < 2:
        raise CommandError(f'no rollout history found for deployment "{name}"')
    return numbered[-2][1]


# -- pause, resume, restart --------------------------------------------------------------

async def _toggle(session: Session, args: list[str], selector: str | None,
                  filenames: list[str], paused: bool, dry_run: str) -> int:
    verb = "paused" if paused else "resumed"
    refs = await _refs(session, args, selector, filenames)
    if not refs:
        print(f"No resources found in {session.namespace} namespace.", file=sys.stderr)
        return 0
    errors: list[Exception] = []
    for ref in refs:
        if ref.rtype.kind != "Deployment":
            errors.append(CommandError(f'{ref.rtype.qualified} "{ref.name}" '
                                       f"{'pausing' if paused else 'resuming'} is not supported"))
            continue
        deploy = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
        if bool((deploy.get("spec") or {}).get("paused")) == paused:
            state = "is already paused" if paused else "is not paused"
            errors.append(CommandError(f'{ref.rtype.qualified} "{ref.name}" {state}'))
            continue
        if dry_run != "client":
            params = {"dryRun": "All"} if dry_run == "server" else None
            await session.request("PATCH", ref.rtype.path(ref.namespace, ref.name),
                                  params=params, body={"spec": {"paused": paused or None}},
                                  content_type=PATCH_CONTENT["merge"])
        report(ref.rtype, ref.name, verb, dry_run)
    for err in errors:
        print(format_error(err), file=sys.stderr)
    return 1 if errors else 0


async def pause(session: Session, args: list[str], selector: str | None, filenames: list[str],
                dry_run: str) -> int:
    return await _toggle(session, args, selector, filenames, True, dry_run)


async def resume(session: Session, args: list[str], selector: str | None,
                 filenames: list[str], dry_run: str) -> int:
    return await _toggle(session, args, selector, filenames, False, dry_run)


async def restart(session: Session, args: list[str], selector: str | None,
                  filenames: list[str], dry_run: str) -> int:
    refs = await _refs(session, args, selector, filenames)
    if not refs:
        print(f"No resources found in {session.namespace} namespace.", file=sys.stderr)
        return 0
    errors: list[Exception] = []
    now = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    for ref in refs:
        if ref.rtype.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
            errors.append(CommandError(f'{ref.rtype.qualified} "{ref.name}" restarting is not '
                                       "supported"))
            continue
        obj = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
        if (obj.get("spec") or {}).get("paused"):
            errors.append(CommandError(f'{ref.rtype.qualified} "{ref.name}" can\'t restart '
                                       "paused deployment (run rollout resume first)"))
            continue
        body = {"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": now}}}}}
        if dry_run != "client":
            params = {"dryRun": "All"} if dry_run == "server" else None
            await session.request("PATCH", ref.rtype.path(ref.namespace, ref.name),
                                  params=params, body=body,
                                  content_type=PATCH_CONTENT["strategic"])
        report(ref.rtype, ref.name, "restarted", dry_run)
    for err in errors:
        print(format_error(err), file=sys.stderr)
    return 1 if errors else 0
