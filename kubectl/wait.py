"""``skiffctl wait --for=...``: block until objects reach a state.

The ``--for`` forms are kubectl's: ``delete``, ``create``, ``condition=NAME[=VALUE]``
(a status condition, case-insensitive, not stale by observedGeneration) and
``jsonpath=EXPR[=VALUE]``. Each object is watched (see :mod:`kubectl.waiting`), not
polled; the deadline is shared by all of them, as in kubectl.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apimachinery.errors import NotFound
from kubectl import jsonpath
from kubectl.apply import report
from kubectl.errors import CommandError
from kubectl.resources import ObjectRef, select_objects
from kubectl.session import Session
from kubectl.waiting import gone, wait_for

__all__ = ["Condition", "parse_condition", "wait"]

Obj = dict[str, Any]
TIMEOUT_MESSAGE = "timed out waiting for the condition"


@dataclass(frozen=True)
class Condition:
    """A parsed ``--for``: its kind (delete, create, condition, jsonpath) and test."""

    kind: str
    test: Callable[[Obj | None], bool]


def split_jsonpath(text: str) -> list[str]:
    """Split on single ``=`` only (``==`` stays inside the expression), as kubectl does."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "=":
            if i + 1 < len(text) and text[i + 1] == "=":
                current += "=="
                i += 2
                continue
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    parts.append(current)
    return parts


def parse_condition(spec: str) -> Condition:
    lowered = spec.lower()
    if lowered == "delete":
        return Condition("delete", gone())
    if lowered == "create":
        return Condition("create", lambda obj: obj is not None)
    if spec.startswith("condition="):
        name, _, status = spec[len("condition="):].partition("=")
        return Condition("condition", _condition_test(name, status or "true"))
    if spec.startswith("jsonpath="):
        parts = split_jsonpath(spec[len("jsonpath="):])
        if not 1 <= len(parts) <= 2:
            raise CommandError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'"
                               "=3 or --for=jsonpath='{.status.readyReplicas}'")
        expression = jsonpath.relaxed(parts[0])
        if not expression:
            raise CommandError("jsonpath expression cannot be empty")
        value: str | None = parts[1].strip("'\"") if len(parts) == 2 else None
        if value == "":
            raise CommandError("jsonpath wait has to have a value after equal sign, like "
                               "--for=jsonpath='{.status.readyReplicas}'=3")
        template = jsonpath.JSONPath(expression, allow_missing_keys=True)
        return Condition("jsonpath", _jsonpath_test(template, value))
    raise CommandError(f'unrecognized condition: "{spec}"')


def _condition_test(name: str, value: str) -> Callable[[Obj | None], bool]:
    def test(obj: Obj | None) -> bool:
        if obj is None:
            return False
        generation = (obj.get("metadata") or {}).get("generation")
        status = obj.get("status") or {}
        for cond in status.get("conditions") or ():
            if str(cond.get("type", "")).lower() != name.lower():
                continue
            observed = cond.get("observedGeneration", status.get("observedGeneration"))
            if generation is not None and observed is not None and observed < generation:
                return False
            return str(cond.get("status", "")).lower() == value.lower()
        return False
    return test


def _jsonpath_test(template: jsonpath.JSONPath, value: str | None
                   ) -> Callable[[Obj | None], bool]:
    def test(obj: Obj | None) -> bool:
        if obj is None:
            return False
        found = template.find(obj)
        if not found:
            return False
        if len(found) > 1:
            raise CommandError("given jsonpath expression matches more than one value")
        if value is None:
            return True
        if isinstance(found[0], dict | list):
            raise CommandError("jsonpath leads to a nested object or list which is not supported")
        return jsonpath.to_text(found[0]) == value
    return test


async def wait(session: Session, args: list[str], for_: str, timeout: float,
               selector: str | None, select_all: bool, filenames: list[str],
               output: str | None) -> int:
    condition = parse_condition(for_)
    refs = await _refs(session, args, selector, select_all, filenames, condition.kind)
    if not refs:
        if condition.kind == "delete":
            return 0
        raise CommandError("no matching resources found")
    deadline = time.monotonic() + timeout
    for ref in refs:
        if condition.kind == "delete" and await _current(session, ref) is None:
            continue  # kubectl says nothing about what was never there
        left = max(0.0, deadline - time.monotonic())
        if timeout == 0:
            current = await _current(session, ref)
            if not condition.test(current):
                raise CommandError(f"condition not met for {ref.rtype.qualified}/{ref.name}")
        elif not await wait_for(session, ref, condition.test, left):
            raise CommandError(f"{TIMEOUT_MESSAGE} on {ref.rtype.plural}/{ref.name}")
        report(ref.rtype, ref.name, "condition met", "none", output)
    return 0


async def _current(session: Session, ref: ObjectRef) -> Obj | None:
    try:
        found: Obj = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
        return found
    except NotFound:
        return None


async def _refs(session: Session, args: list[str], selector: str | None, select_all: bool,
                filenames: list[str], kind: str) -> list[ObjectRef]:
    if filenames:
        from kubectl.manifests import load_manifests

        return [ObjectRef(m.rtype, m.namespace, m.name)
                for m in await load_manifests(session, filenames, validate=False)]
    if not args:
        raise CommandError("resource(s) were provided, but no name was specified"
                           if selector else "You must provide one or more resources by argument "
                           "or filename.")
    found = await select_objects(session, args, selector=selector, select_all=select_all,
                                 all_namespaces=session.all_namespaces)
    refs = [ref for ref, _ in found]
    if kind not in ("delete", "create"):
        for ref, obj in found:
            if obj is None:
                await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
    return refs
