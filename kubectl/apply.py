"""``create``, ``apply``, ``replace`` and ``delete``: writing objects, kubectl's way.

``apply`` is client-side apply as kubectl does it: the object as the file says it goes
into the ``kubectl.kubernetes.io/last-applied-configuration`` annotation, and an
update is the three-way strategic merge patch between that last-applied copy, the
file and the live object. A field removed from the file is therefore removed from the
object, a field only the server or another writer set is left alone, and a file that
did not change sends nothing (``unchanged``).

All documents are read and validated before the first request (see
:mod:`kubectl.manifests`); after that each one is sent on its own, errors are printed
as kubectl prints them, and the exit code says whether any failed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from apimachinery.base import KubeObject
from apimachinery.errors import NotFound, StatusError
from apimachinery.patch import create_three_way_merge_patch
from apimachinery.schema import ResourceType
from kubectl.errors import CommandError, format_error, with_context
from kubectl.manifests import Manifest, load_manifests
from kubectl.printing import kind_prefix, parse_output, print_objects, qualified
from kubectl.resources import NO_RESOURCES, ObjectRef, select_objects
from kubectl.session import Session
from kubectl.waiting import gone, wait_for

__all__ = [
    "LAST_APPLIED",
    "ApplyOptions",
    "DeleteOptions",
    "apply",
    "create",
    "delete",
    "go_json",
    "last_applied_patch",
    "replace",
    "report",
]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass
class ApplyOptions:
    filenames: list[str]
    recursive: bool = False
    dry_run: str = "none"
    output: str | None = None
    validate: bool = True
    save_config: bool = False
    force: bool = False
    field_manager: str = "kubectl-client-side-apply"


def go_json(obj: Any) -> str:
    """JSON as Go's encoding/json writes a map: sorted keys, compact, HTML-safe."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def with_last_applied(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with its own last-applied annotation set (kubectl's "modified")."""
    original = json.loads(json.dumps(obj))
    annotations = dict(original.setdefault("metadata", {}).get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    original["metadata"]["annotations"] = annotations
    modified = json.loads(json.dumps(original))
    modified["metadata"]["annotations"] = {**annotations, LAST_APPLIED: go_json(original) + "\n"}
    return modified


def last_applied_patch(live: dict[str, Any], modified: dict[str, Any],
                       rtype: ResourceType) -> tuple[dict[str, Any], bool]:
    """The patch apply sends, and whether the live object had the annotation at all."""
    annotation = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    original = json.loads(annotation) if annotation else None
    model = None if rtype.model is KubeObject else rtype.model
    patch = create_three_way_merge_patch(original, modified, live, model)
    return patch, annotation is not None


def report(rtype: ResourceType, name: str, operation: str, dry_run: str = "none",
           output: str | None = None, obj: dict[str, Any] | None = None,
           built: bool = False) -> None:
    """``deployment.apps/web created`` (or the object, with ``-o yaml|json|name``);
    ``built`` objects were made here, not read back, and keep their field order."""
    fmt = parse_output(output)
    if not fmt.human and fmt.kind != "name" and obj is not None:
        print_objects([(rtype, obj)], fmt, single=True, sort_keys=not built)
        return
    if fmt.kind == "name":
        print(qualified(rtype, name), flush=True)
        return
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    print(f"{qualified(rtype, name)} {operation}{suffix}", flush=True)


def _params(dry_run: str, field_manager: str | None = None) -> dict[str, str]:
    params = {"fieldManager": field_manager} if field_manager else {}
    if dry_run == "server":
        params["dryRun"] = "All"
    return params


def _check_output(output: str | None) -> None:
    if output:
        parse_output(output)


# -- create ------------------------------------------------------------------------------

async def create(session: Session, opts: ApplyOptions) -> int:
    _check_output(opts.output)
    manifests = await load_manifests(session, opts.filenames, opts.recursive,
                                     validate=opts.validate)
    failed = False
    for item in manifests:
        body = with_last_applied(item.obj) if opts.save_config else item.obj
        try:
            result = await _create(session, item.rtype, body, opts.dry_run, "kubectl-create")
        except StatusError as err:
            failed = _print_error(err, f'error when creating "{item.source}"')
            continue
        report(item.rtype, item.name, "created", opts.dry_run, opts.output, result)
    return 1 if failed else 0


async def _create(session: Session, rtype: ResourceType, body: dict[str, Any], dry_run: str,
                  manager: str) -> dict[str, Any]:
    if dry_run == "client":
        return body
    namespace = (body.get("metadata") or {}).get("namespace")
    result: dict[str, Any] = await session.request(
        "POST", rtype.path(namespace if rtype.namespaced else None),
        params=_params(dry_run, manager), body=body)
    return result


def _print_error(err: Exception, context: str) -> bool:
    sys.stdout.flush()
    print(format_error(with_context(err, context)), file=sys.stderr)
    return True


# -- apply -------------------------------------------------------------------------------

async def apply(session: Session, opts: ApplyOptions) -> int:
    _check_output(opts.output)
    manifests = await load_manifests(session, opts.filenames, opts.recursive,
                                     validate=opts.validate)
    if not manifests:
        raise CommandError("no objects passed to apply")
    failed = False
    for item in manifests:
        try:
            await _apply_one(session, item, opts)
        except _Failed:
            failed = True
    return 1 if failed else 0


class _Failed(Exception):
    pass


async def _apply_one(session: Session, item: Manifest, opts: ApplyOptions) -> None:
    if not item.name:
        raise CommandError(f"from {item.source}: cannot use generate name with apply")
    modified = with_last_applied(item.obj)
    path = item.rtype.path(item.namespace, item.name)
    try:
        live: dict[str, Any] = await session.request("GET", path)
    except NotFound:
        try:
            result = await _create(session, item.rtype, modified, opts.dry_run,
                                   opts.field_manager)
        except StatusError as err:
            _print_error(err, f'error when creating "{item.source}"')
            raise _Failed from err
        report(item.rtype, item.name, "created", opts.dry_run, opts.output, result)
        return
    except StatusError as err:
        _print_error(err, f"error when retrieving current configuration of:\nResource: "
                          f'"{item.rtype.qualified}", Name: "{item.name}", Namespace: '
                          f'"{item.namespace or ""}"\nfrom server for: "{item.source}"')
        raise _Failed from err
    patch, had_annotation = last_applied_patch(live, modified, item.rtype)
    if not had_annotation:
        print(f"Warning: resource {item.rtype.qualified}/{item.name} is missing the "
              f"{LAST_APPLIED} annotation which is required by skiffctl apply. skiffctl "
              "apply should only be used on resources created declaratively by either "
              "skiffctl create --save-config or skiffctl apply. The missing annotation will "
              "be patched automatically.", file=sys.stderr)
    if not patch:
        report(item.rtype, item.name, "unchanged", opts.dry_run, opts.output, live)
        return
    result = live
    if opts.dry_run != "client":
        content = "strategic" if item.rtype.model is not KubeObject else "merge"
        try:
            result = await session.request(
                "PATCH", path, params=_params(opts.dry_run, opts.field_manager), body=patch,
                content_type=_PATCH_TYPES[content])
        except StatusError as err:
            _print_error(err, f'error when applying patch:\n{json.dumps(patch)}\n\nto:\n'
                              f'Resource: "{item.rtype.qualified}", Name: "{item.name}", '
                              f'Namespace: "{item.namespace or ""}"\nfor: "{item.source}"')
            raise _Failed from err
    report(item.rtype, item.name, "configured", opts.dry_run, opts.output, result)


_PATCH_TYPES = {"strategic": "application/strategic-merge-patch+json",
                "merge": "application/merge-patch+json",
                "json": "application/json-patch+json"}


# -- replace -----------------------------------------------------------------------------

async def replace(session: Session, opts: ApplyOptions) -> int:
    _check_output(opts.output)
    manifests = await load_manifests(session, opts.filenames, opts.recursive,
                                     validate=opts.validate)
    failed = False
    for item in manifests:
        path = item.rtype.path(item.namespace, item.name)
        body = with_last_applied(item.obj) if opts.save_config else item.obj
        try:
            if opts.force:
                result = await _force_replace(session, item, body, opts)
            else:
                result = await _replace(session, path, body, opts.dry_run)
        except StatusError as err:
            failed = _print_error(err, f'error when replacing "{item.source}"')
            continue
        report(item.rtype, item.name, "replaced", opts.dry_run, opts.output, result)
    return 1 if failed else 0


async def _replace(session: Session, path: str, body: dict[str, Any],
                   dry_run: str) -> dict[str, Any]:
    if not (body.get("metadata") or {}).get("resourceVersion"):
        live = await session.request("GET", path)
        body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    if dry_run == "client":
        return body
    result: dict[str, Any] = await session.request("PUT", path, params=_params(dry_run),
                                                   body=body)
    return result


async def _force_replace(session: Session, item: Manifest, body: dict[str, Any],
                         opts: ApplyOptions) -> dict[str, Any]:
    ref = ObjectRef(item.rtype, item.namespace, item.name)
    try:
        deleted = await session.request("DELETE", item.rtype.path(item.namespace, item.name))
        uid = ((deleted or {}).get("metadata") or {}).get("uid")
        print(f'{kind_prefix(item.rtype)} "{item.name}" deleted')
        await wait_for(session, ref, gone(uid), None)
    except NotFound:
        pass
    body.get("metadata", {}).pop("resourceVersion", None)
    return await _create(session, item.rtype, body, opts.dry_run, "kubectl-replace")


# -- delete ------------------------------------------------------------------------------

@dataclass
class DeleteOptions:
    args: list[str]
    filenames: list[str]
    recursive: bool = False
    selector: str | None = None
    field_selector: str | None = None
    all: bool = False
    cascade: str = "background"
    grace_period: int = -1
    now: bool = False
    force: bool = False
    wait: bool = True
    timeout: float = 0
    ignore_not_found: bool = False
    dry_run: str = "none"
    output: str | None = None


async def delete(session: Session, opts: DeleteOptions) -> int:
    grace = _grace_period(opts)
    policy = _propagation(opts.cascade)
    refs = await _delete_targets(session, opts)
    errors = False
    deleted: list[tuple[ObjectRef, str | None]] = []
    for ref, source in refs:
        try:
            uid = await _delete_one(session, ref, grace, policy, opts)
        except NotFound as err:
            if not opts.ignore_not_found:
                errors = _print_error(err, f'error when deleting "{source}"') if source \
                    else _print_plain(err)
            continue
        except StatusError as err:
            errors = _print_error(err, f'error when deleting "{source}"') if source \
                else _print_plain(err)
            continue
        operation = "force deleted" if grace == 0 else "deleted"
        if opts.output == "name":
            print(qualified(ref.rtype, ref.name), flush=True)
        else:
            suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(opts.dry_run, "")
            print(f'{kind_prefix(ref.rtype)} "{ref.name}" {operation}{suffix}', flush=True)
        deleted.append((ref, uid))
    if not refs and not errors:
        print("No resources found")
        return 0
    if opts.wait and opts.dry_run == "none":
        timeout = opts.timeout or None
        for ref, uid in deleted:
            if not await wait_for(session, ref, gone(uid), timeout):
                raise CommandError(f"timed out waiting for the condition on "
                                   f"{ref.rtype.plural}/{ref.name}")
    return 1 if errors else 0


def _print_plain(err: Exception) -> bool:
    sys.stdout.flush()
    print(format_error(err), file=sys.stderr)
    return True


def _grace_period(opts: DeleteOptions) -> int:
    grace = opts.grace_period
    if opts.now:
        if grace != -1:
            raise CommandError("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not opts.force:
        grace = 1  # kubectl: a zero grace period without --force means "as soon as possible"
    if opts.force and grace < 0:
        grace = 0
    if opts.force and grace > 0:
        raise CommandError("--force and --grace-period greater than 0 cannot be specified together")
    if opts.force and grace == 0:
        print("Warning: Immediate deletion does not wait for confirmation that the running "
              "resource has been terminated. The resource may continue to run on the cluster "
              "indefinitely.", file=sys.stderr)
    return grace


def _propagation(cascade: str) -> str:
    values = {"background": "Background", "true": "Background", "foreground": "Foreground",
              "orphan": "Orphan", "false": "Orphan"}
    if cascade not in values:
        raise CommandError(f'invalid cascade value ({cascade}). Must be "background", '
                           '"foreground", or "orphan"')
    return values[cascade]


async def _delete_targets(session: Session, opts: DeleteOptions
                          ) -> list[tuple[ObjectRef, str | None]]:
    if opts.filenames:
        if opts.args:
            raise CommandError("resource(s) were provided, but no name was specified")
        manifests = await load_manifests(session, opts.filenames, opts.recursive,
                                         validate=False)
        return [(ObjectRef(m.rtype, m.namespace, m.name), m.source) for m in manifests]
    if not opts.args:
        raise CommandError(NO_RESOURCES)
    found = await select_objects(session, opts.args, selector=opts.selector,
                                 select_all=opts.all, field_selector=opts.field_selector,
                                 all_namespaces=session.all_namespaces)
    return [(ref, None) for ref, _ in found]


async def _delete_one(session: Session, ref: ObjectRef, grace: int, policy: str,
                      opts: DeleteOptions) -> str | None:
    if opts.dry_run == "client":
        return None
    options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions",
                               "propagationPolicy": policy}
    if grace >= 0:
        options["gracePeriodSeconds"] = grace
    params = {"dryRun": "All"} if opts.dry_run == "server" else None
    answer = await session.request("DELETE", ref.rtype.path(ref.namespace, ref.name),
                                   params=params, body=options)
    if isinstance(answer, dict):
        if answer.get("kind") == "Status":
            return (answer.get("details") or {}).get("uid")
        return (answer.get("metadata") or {}).get("uid")
    return None
