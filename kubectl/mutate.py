"""Verbs that change one field of existing objects: label, annotate, patch, edit, scale,
set image, set env.

Each reads the object, computes the change locally and sends it as a patch, so
concurrent writers to other fields are not overwritten; messages and refusals
(``'app' already has a value (web), and --overwrite is false``) are kubectl's.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import yaml

from apimachinery import patch as patches
from apimachinery.base import KubeObject
from apimachinery.errors import Invalid, NotFound, StatusError
from apimachinery.schema import ResourceType
from kubectl.apply import report
from kubectl.errors import CommandError, Exit, format_error
from kubectl.printing import dump_yaml, kind_prefix
from kubectl.resources import ObjectRef, select_objects
from kubectl.session import Session

__all__ = [
    "PATCH_CONTENT",
    "annotate",
    "edit",
    "label",
    "parse_pairs",
    "patch",
    "pod_spec_path",
    "scale",
    "set_env",
    "set_image",
    "split_args",
]

PATCH_CONTENT = {"strategic": "application/strategic-merge-patch+json",
                 "merge": "application/merge-patch+json",
                 "json": "application/json-patch+json"}


def split_args(args: list[str]) -> tuple[list[str], list[str]]:
    """Resource arguments, then ``key=value`` / ``key-`` pairs (label, annotate, set)."""
    for i, arg in enumerate(args):
        if "=" in arg or (arg.endswith("-") and arg != "-"):
            return args[:i], args[i:]
    return args, []


def parse_pairs(specs: list[str], what: str) -> tuple[dict[str, str], list[str]]:
    """``a=b`` to set and ``a-`` to remove, as kubectl's ParsePairs reads them."""
    new: dict[str, str] = {}
    remove: list[str] = []
    invalid: list[str] = []
    for spec in specs:
        if "=" in spec and not spec.startswith("="):
            key, _, value = spec.partition("=")
            new[key] = value
        elif spec.endswith("-") and spec != "-":
            remove.append(spec[:-1])
        else:
            invalid.append(spec)
    if invalid:
        raise CommandError(f"invalid {what} format: {', '.join(invalid)}")
    return new, remove


async def _fetch(session: Session, ref: ObjectRef, obj: dict[str, Any] | None) -> dict[str, Any]:
    if obj is not None:
        return obj
    found: dict[str, Any] = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
    found.setdefault("apiVersion", ref.rtype.api_version)
    found.setdefault("kind", ref.rtype.kind)
    return found


async def _send_patch(session: Session, ref: ObjectRef, body: Any, kind: str,
                      dry_run: str) -> dict[str, Any]:
    params = {"dryRun": "All"} if dry_run == "server" else None
    result: dict[str, Any] = await session.request(
        "PATCH", ref.rtype.path(ref.namespace, ref.name), params=params, body=body,
        content_type=PATCH_CONTENT[kind])
    return result


def _print_errors(errors: list[Exception]) -> int:
    sys.stdout.flush()
    for err in errors:
        print(format_error(err), file=sys.stderr)
    return 1 if errors else 0


# -- label and annotate ------------------------------------------------------------------

@dataclass
class MetaOptions:
    args: list[str]
    overwrite: bool = False
    selector: str | None = None
    field_selector: str | None = None
    all: bool = False
    list: bool = False
    dry_run: str = "none"
    output: str | None = None
    resource_version: str | None = None


async def label(session: Session, opts: MetaOptions) -> int:
    return await _edit_metadata(session, opts, "labels", "label")


async def annotate(session: Session, opts: MetaOptions) -> int:
    return await _edit_metadata(session, opts, "annotations", "annotation")


async def _edit_metadata(session: Session, opts: MetaOptions, field: str, what: str) -> int:
    resources, specs = split_args(opts.args)
    if opts.all and opts.selector:
        raise CommandError("cannot set --all and --selector at the same time")
    if not resources:
        raise CommandError("one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    if not specs and not opts.list:
        raise CommandError(f"at least one {what} update is required")
    new, remove = parse_pairs(specs, what)
    if what == "label":
        _check_label_values(new)
    clash = [k for k in remove if k in new]
    if clash:
        raise CommandError("can not both modify and remove a label in the same command"
                           if what == "label" else "can not both modify and remove the following "
                           f"annotation(s) in the same command: {', '.join(clash)}")
    selected = await select_objects(session, resources, selector=opts.selector,
                                    select_all=opts.all, field_selector=opts.field_selector,
                                    all_namespaces=session.all_namespaces)
    errors: list[Exception] = []
    for ref, obj in selected:
        try:
            await _update_metadata(session, ref, obj, field, what, new, remove, opts,
                                   one=len(selected) == 1)
        except (StatusError, CommandError) as err:
            errors.append(err)
    return _print_errors(errors)


def _check_label_values(new: dict[str, str]) -> None:
    from apimachinery.validation import label_value_errors

    for key, value in new.items():
        problems = label_value_errors(value)
        if problems:
            raise CommandError(f'invalid label value: "{key}={value}": {";".join(problems)}')


async def _update_metadata(session: Session, ref: ObjectRef, obj: dict[str, Any] | None,
                           field: str, what: str, new: dict[str, str], remove: list[str],
                           opts: MetaOptions, one: bool) -> None:
    obj = await _fetch(session, ref, obj)
    current = dict((obj.get("metadata") or {}).get(field) or {})
    if not opts.overwrite:
        _refuse_overwrites(current, new, what)
    if not opts.list:
        for key in remove:
            if key not in current:
                print(f'{what} "{key}" not found.')
    updated = {**current, **new}
    for key in remove:
        updated.pop(key, None)
    if opts.list:
        if not one:
            print(f"Listing {field} for {ref.rtype.kind}.{ref.rtype.group}/{ref.name}:")
        for key, value in updated.items():
            print(f"{'' if one else ' '}{key}={value}")
        return
    verb = "labeled" if what == "label" else "annotated"
    message = f"not {verb}"
    if updated != current:
        message = verb
        if what == "label" and not opts.overwrite and len(updated) < len(current):
            message = "unlabeled"
    result = obj
    if updated != current and opts.dry_run != "client":
        body: dict[str, Any] = {"metadata": {field: {k: updated.get(k) for k in {*current, *updated}
                                                     if current.get(k) != updated.get(k)}}}
        if opts.resource_version:
            body["metadata"]["resourceVersion"] = opts.resource_version
        result = await _send_patch(session, ref, body, "merge", opts.dry_run)
    elif updated != current:
        result = {**obj, "metadata": {**obj.get("metadata", {}), field: updated}}
    report(ref.rtype, ref.name, message, opts.dry_run, opts.output, result)


def _refuse_overwrites(current: dict[str, str], new: dict[str, str], what: str) -> None:
    clashes = [(k, current[k]) for k, v in new.items() if k in current and current[k] != v
               and k != "kubernetes.io/change-cause"]
    if not clashes:
        return
    if what == "label":
        raise CommandError("\n".join(f"'{k}' already has a value ({v}), and --overwrite is false"
                                     for k, v in clashes))
    found = "; ".join(f"'{k}' already has a value ({v})" for k, v in clashes)
    raise CommandError(f"--overwrite is false but found the following declared annotation(s): "
                       f"{found}")


# -- patch -------------------------------------------------------------------------------

async def patch(session: Session, args: list[str], patch_text: str | None,
                patch_file: str | None, kind: str, dry_run: str, output: str | None,
                filenames: list[str], subresource: str | None = None) -> int:
    if patch_text and patch_file:
        raise CommandError("cannot specify --patch and --patch-file together")
    if patch_file:
        patch_text = _read_patch_file(patch_file)
    if not patch_text:
        raise CommandError("must specify --patch or --patch-file containing the contents of "
                           "the patch")
    if kind not in PATCH_CONTENT:
        raise CommandError(f'--type must be one of [json merge strategic], not "{kind}"')
    try:
        body = yaml.safe_load(patch_text)
    except yaml.YAMLError as err:
        raise CommandError(f'unable to parse "{patch_text}": {err}') from err
    refs = await _refs(session, args, filenames)
    errors: list[Exception] = []
    for ref in refs:
        try:
            before = await _fetch(session, ref, None)
            if dry_run == "client":
                after = _apply_locally(before, body, kind, ref.rtype)
            else:
                path = ref.rtype.path(ref.namespace, ref.name, subresource)
                params = {"dryRun": "All"} if dry_run == "server" else None
                after = await session.request("PATCH", path, params=params, body=body,
                                              content_type=PATCH_CONTENT[kind])
        except (StatusError, CommandError) as err:
            errors.append(err)
            continue
        changed = _strip_volatile(before) != _strip_volatile(after)
        report(ref.rtype, ref.name, "patched" if changed else "patched (no change)", dry_run,
               output, after)
    return _print_errors(errors)


def _read_patch_file(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError as err:
        raise CommandError(f"unable to read patch file: {err}") from err


def _strip_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k not in ("resourceVersion", "managedFields", "generation")}
    return {**obj, "metadata": meta}


def _apply_locally(obj: dict[str, Any], body: Any, kind: str, rtype: ResourceType) -> Any:
    if kind == "json":
        return patches.apply_json_patch(obj, body)
    if kind == "merge":
        return patches.apply_merge_patch(obj, body)
    model = None if rtype.model is KubeObject else rtype.model
    return patches.strategic_merge_patch(obj, body, model)


async def _refs(session: Session, args: list[str], filenames: list[str]) -> list[ObjectRef]:
    if filenames:
        from kubectl.manifests import load_manifests

        return [ObjectRef(m.rtype, m.namespace, m.name)
                for m in await load_manifests(session, filenames, validate=False)]
    selected = await select_objects(session, args)
    return [ref for ref, _ in selected]


# -- edit --------------------------------------------------------------------------------

EDIT_HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
               "# and an empty file will abort the edit. If an error occurs while saving this "
               "file will be\n# reopened with the relevant failures.\n#\n")


def _editor() -> list[str]:
    for variable in ("KUBE_EDITOR", "EDITOR"):
        value = os.environ.get(variable)
        if value:
            return shlex.split(value)
    return ["vi"]


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _launch(text: str) -> tuple[str, str]:
    fd, path = tempfile.mkstemp(prefix="skiffctl-edit-", suffix=".yaml")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    try:
        subprocess.run([*_editor(), path], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise CommandError(f"there was a problem with the editor {_editor()!r}: {err}") from err
    with open(path) as fh:
        return fh.read(), path


async def edit(session: Session, args: list[str], output: str | None, filenames: list[str]
               ) -> int:
    refs = await _refs(session, args, filenames)
    failed = False
    for ref in refs:
        obj = await _fetch(session, ref, None)
        if not await _edit_one(session, ref, obj, output):
            failed = True
    return 1 if failed else 0


async def _edit_one(session: Session, ref: ObjectRef, original: dict[str, Any],
                    output: str | None) -> bool:
    shown = dump_yaml(original)
    reasons: list[str] = []
    edited_body = shown
    previous: str | None = None
    while True:
        header = EDIT_HEADER + "".join(reasons)
        edited, path = _launch(header + edited_body)
        stripped = _strip_comments(edited)
        if previous is not None and stripped == previous:
            print(f'A copy of your changes has been stored to "{path}"', file=sys.stderr)
            raise CommandError("Edit cancelled, no valid changes were saved.")
        if stripped == _strip_comments(shown):
            os.remove(path)
            print("Edit cancelled, no changes made.", file=sys.stderr)
            return True
        if not stripped.strip():
            os.remove(path)
            print("Edit cancelled, saved file was empty.", file=sys.stderr)
            return True
        previous, edited_body = stripped, stripped + "\n"
        try:
            updated = yaml.safe_load(stripped)
        except yaml.YAMLError as err:
            reasons = [f"# The edited file had a syntax error: {' '.join(str(err).split())}\n#\n"]
            continue
        outcome = await _save_edit(session, ref, original, updated, output)
        if outcome is None:
            os.remove(path)
            return True
        if isinstance(outcome, Invalid):
            print(f'error: {ref.rtype.qualified} "{ref.name}" is invalid', file=sys.stderr)
            causes = [f"# * {c.field}: {c.message}\n"
                      for c in (outcome.details.causes if outcome.details else None) or ()]
            reasons = [f'# {ref.rtype.qualified} "{ref.name}" was not valid:\n', *causes, "#\n"]
            continue
        print(format_error(outcome), file=sys.stderr)
        print(f"You can run `skiffctl replace -f {path}` to try this update again.",
              file=sys.stderr)
        raise Exit(1)


async def _save_edit(session: Session, ref: ObjectRef, original: dict[str, Any], updated: Any,
                     output: str | None) -> Exception | None:
    if not isinstance(updated, dict):
        return CommandError("the edited file must hold one object")
    for key in ("apiVersion", "kind"):
        if updated.get(key) != original.get(key):
            return CommandError("At least one of apiVersion, kind and name was changed")
    if (updated.get("metadata") or {}).get("name") != ref.name:
        return CommandError("At least one of apiVersion, kind and name was changed")
    model = None if ref.rtype.model is KubeObject else ref.rtype.model
    body = patches.create_two_way_merge_patch(original, updated, model)
    kind = "strategic" if model is not None else "merge"
    if kind == "merge":
        body = patches.create_merge_patch(original, updated)
    if not body:
        report(ref.rtype, ref.name, "skipped", "none", output, original)
        return None
    try:
        result = await _send_patch(session, ref, body, kind, "none")
    except StatusError as err:
        return err
    report(ref.rtype, ref.name, "edited", "none", output, result)
    return None


# -- scale -------------------------------------------------------------------------------

async def scale(session: Session, args: list[str], replicas: int | None, current: int,
                resource_version: str | None, selector: str | None, select_all: bool,
                filenames: list[str], dry_run: str, output: str | None,
                timeout: float) -> int:
    if replicas is None:
        raise CommandError('required flag(s) "replicas" not set')
    if replicas < 0:
        raise CommandError("The --replicas=COUNT flag is required, and COUNT must be greater "
                           "than or equal to 0")
    if current < -1:
        raise CommandError("The --current-replicas must specify an integer of -1 or greater")
    refs: list[tuple[ObjectRef, dict[str, Any] | None]]
    if filenames:
        refs = [(r, None) for r in await _refs(session, [], filenames)]
    else:
        refs = await select_objects(session, args, selector=selector, select_all=select_all)
    found = []
    for ref, obj in refs:
        try:
            found.append((ref, await _fetch(session, ref, obj)))
        except NotFound as err:
            raise CommandError(f"no objects passed to scale {err.message}") from None
    if not found:
        raise CommandError("no objects passed to scale")
    if resource_version and len(refs) > 1:
        raise CommandError("cannot use --resource-version with multiple resources")
    for ref, _ in refs:
        if "scale" not in ref.rtype.subresources:
            raise CommandError(f"cannot scale {ref.rtype.qualified}: it has no scale subresource")
        await _scale_one(session, ref, replicas, current, resource_version, dry_run)
        report(ref.rtype, ref.name, "scaled", dry_run, output, None)
    return 0


async def _scale_one(session: Session, ref: ObjectRef, replicas: int, current: int,
                     resource_version: str | None, dry_run: str) -> None:
    path = ref.rtype.path(ref.namespace, ref.name, "scale")
    scale_obj: dict[str, Any] = await session.request("GET", path)
    spec = scale_obj.get("spec") or {}
    if current >= 0 and spec.get("replicas", 0) != current:
        raise CommandError(f"Expected replicas to be {current}, was {spec.get('replicas', 0)}")
    if resource_version and scale_obj["metadata"].get("resourceVersion") != resource_version:
        raise CommandError(f"Expected resource version to be {resource_version}, was "
                           f"{scale_obj['metadata'].get('resourceVersion')}")
    if dry_run == "client":
        return
    scale_obj["spec"] = {**spec, "replicas": replicas}
    params = {"dryRun": "All"} if dry_run == "server" else None
    if current < 0 and not resource_version:
        scale_obj["metadata"].pop("resourceVersion", None)
    await session.request("PUT", path, params=params, body=scale_obj)


# -- set image / set env -----------------------------------------------------------------

def pod_spec_path(rtype: ResourceType) -> tuple[str, ...]:
    """Where the pod spec lives in an object of this kind."""
    if rtype.kind == "Pod":
        return ("spec",)
    if rtype.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    if rtype.kind in ("Deployment", "ReplicaSet", "ReplicationController", "DaemonSet",
                      "StatefulSet", "Job"):
        return ("spec", "template", "spec")
    raise CommandError(f"{kind_prefix(rtype)} does not have a pod template")


def pod_spec(obj: dict[str, Any], rtype: ResourceType) -> dict[str, Any]:
    node: dict[str, Any] = obj
    for key in pod_spec_path(rtype):
        node = node.setdefault(key, {})
    return node


async def _update_pod_spec(session: Session, targets: list[tuple[ObjectRef, dict[str, Any] | None]],
                           change: Any, operation: str, dry_run: str, output: str | None) -> int:
    """Apply ``change(obj, ref)`` to each object and send the strategic patch it makes."""
    errors: list[Exception] = []
    for ref, obj in targets:
        try:
            current = await _fetch(session, ref, obj)
            updated = json.loads(json.dumps(current))
            change(updated, ref)
            model = None if ref.rtype.model is KubeObject else ref.rtype.model
            body = patches.create_two_way_merge_patch(current, updated, model)
            if not body:
                continue
            result = updated if dry_run == "client" else \
                await _send_patch(session, ref, body, "strategic", dry_run)
        except (StatusError, CommandError) as err:
            errors.append(err)
            continue
        report(ref.rtype, ref.name, operation, dry_run, output, result)
    return _print_errors(errors)


async def set_image(session: Session, args: list[str], selector: str | None, select_all: bool,
                    filenames: list[str], dry_run: str, output: str | None) -> int:
    resources, specs = split_args(args)
    images, _ = parse_pairs([s for s in specs if "=" in s], "image")
    if not images:
        raise CommandError("at least one image update is required")
    if "*" in images and len(images) > 1:
        raise CommandError("all containers are already specified by *, but saw more than one "
                           "container_name=container_image pairs")
    targets = await _targets(session, resources, selector, select_all, filenames)

    def change(obj: dict[str, Any], ref: ObjectRef) -> None:
        spec = pod_spec(obj, ref.rtype)
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        for name, image in images.items():
            matched = [c for c in containers if name in ("*", c.get("name"))]
            if not matched:
                raise CommandError(f'unable to find container named "{name}"')
            for container in matched:
                container["image"] = image

    return await _update_pod_spec(session, targets, change, "image updated", dry_run, output)


async def _targets(session: Session, resources: list[str], selector: str | None,
                   select_all: bool, filenames: list[str]
                   ) -> list[tuple[ObjectRef, dict[str, Any] | None]]:
    if filenames:
        return [(r, None) for r in await _refs(session, [], filenames)]
    if not resources:
        raise CommandError("one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    return await select_objects(session, resources, selector=selector, select_all=select_all)


async def set_env(session: Session, args: list[str], env_flags: list[str], containers: str,
                  list_only: bool, overwrite: bool, selector: str | None, select_all: bool,
                  filenames: list[str], dry_run: str, output: str | None) -> int:
    resources, specs = split_args(args)
    new, remove = parse_pairs([*specs, *env_flags], "environment variable")
    if not list_only and not new and not remove:
        raise CommandError("at least one environment variable must be provided")
    targets = await _targets(session, resources, selector, select_all, filenames)
    if list_only:
        for ref, obj in targets:
            current = await _fetch(session, ref, obj)
            _list_env(current, ref, containers)
        return 0

    def change(obj: dict[str, Any], ref: ObjectRef) -> None:
        spec = pod_spec(obj, ref.rtype)
        chosen = [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                  if _matches(c.get("name", ""), containers)]
        if not chosen:
            print(f'Warning: {ref.rtype.kind}/{ref.name} does not have any containers matching '
                  f'"{containers}"', file=sys.stderr)
        for container in chosen:
            env = list(container.get("env") or [])
            if not overwrite:
                for item in env:
                    if item.get("name") in new and item.get("value") != new[item["name"]]:
                        raise CommandError(f"'{item['name']}' already has a value "
                                           f"({item.get('value', '')}), and --overwrite is false")
            env = [e for e in env if e.get("name") not in remove]
            for key, value in new.items():
                for item in env:
                    if item.get("name") == key:
                        item.pop("valueFrom", None)
                        item["value"] = value
                        break
                else:
                    env.append({"name": key, "value": value})
            container["env"] = env

    return await _update_pod_spec(session, targets, change, "env updated", dry_run, output)


def _matches(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern or "*")


def _list_env(obj: dict[str, Any], ref: ObjectRef, containers: str) -> None:
    spec = pod_spec(obj, ref.rtype)
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        if not _matches(container.get("name", ""), containers):
            continue
        print(f"# {ref.rtype.kind} {ref.name}, container {container.get('name')}")
        for env in container.get("env") or ():
            if "valueFrom" not in env:
                print(f"{env['name']}={env.get('value', '')}")
            else:
                print(f"# {env['name']} from {_ref_string(env['valueFrom'])}")


def _ref_string(source: dict[str, Any]) -> str:
    if "fieldRef" in source:
        return f"field path {source['fieldRef'].get('fieldPath', '')}"
    if "resourceFieldRef" in source:
        ref = source["resourceFieldRef"]
        container = f"{ref['containerName']}:" if ref.get("containerName") else ""
        return f"resource {container}{ref.get('resource', '')}"
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        return f"secret {ref.get('name', '')}, key {ref.get('key', '')}"
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return f"configmap {ref.get('name', '')}, key {ref.get('key', '')}"
    return "invalid reference"

