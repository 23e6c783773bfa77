"""``skiffctl get``: list, fetch and watch any resource, printed as kubectl prints it.

Human-readable output asks the server for meta/v1 Tables, exactly as kubectl does, so
the columns (pods' READY STATUS RESTARTS AGE, ``-o wide``'s priority-1 columns ...)
are the server's and identical to kubectl's by construction. Other formats fetch the
objects themselves. Errors on one name do not stop the others: found objects print
first and the errors after them, then the exit code is 1.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import orjson

from apimachinery.errors import BadRequest, NotFound, StatusError
from apimachinery.schema import ResourceType
from kubectl import jsonpath
from kubectl.errors import CommandError, Exit, format_error
from kubectl.printing import OutputFormat, TablePrinter, parse_output, print_objects
from kubectl.resources import Target, parse_targets
from kubectl.session import TABLE_ACCEPT, Session

__all__ = ["GetOptions", "get"]

NO_TYPE = ('You must specify the type of resource to get. Use "kubectl api-resources" for a '
           "complete list of supported resources.\n\nerror: Required resource not specified.\n"
           'Use "kubectl explain <resource>" for a detailed description of that resource '
           "(e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples")


@dataclass
class GetOptions:
    output: str | None = None
    selector: str | None = None
    field_selector: str | None = None
    watch: bool = False
    watch_only: bool = False
    output_watch_events: bool = False
    show_labels: bool = False
    label_columns: tuple[str, ...] = ()
    sort_by: str | None = None
    no_headers: bool = False
    ignore_not_found: bool = False
    filenames: tuple[str, ...] = ()
    recursive: bool = False
    chunk_size: int = 500


@dataclass
class _Fetched:
    """What one target gave: a table (human output) or objects, and its errors."""

    target: Target
    table: dict[str, Any] | None
    objects: list[dict[str, Any]]


async def get(session: Session, args: list[str], opts: GetOptions) -> int:
    fmt = parse_output(opts.output)
    targets = await _targets(session, args, opts)
    if opts.watch or opts.watch_only:
        return await _watch(session, targets, opts, fmt)
    errors: list[Exception] = []
    fetched = [await _fetch(session, t, opts, fmt, errors) for t in targets]
    if opts.sort_by:
        for item in fetched:
            await _complete_rows(session, item, opts)
            _sort(item, opts.sort_by, fmt)
    wrote = _print(session, fetched, opts, fmt, single=_single(targets, opts))
    for err in errors:
        print(format_error(err), file=sys.stderr)
    if not wrote and not errors and not opts.ignore_not_found and fmt.human:
        namespaced = not session.all_namespaces and all(t.rtype.namespaced for t in targets)
        where = f" in {session.namespace} namespace" if namespaced else ""
        print(f"No resources found{where}.", file=sys.stderr) if where else \
            print("No resources found", file=sys.stderr)
    return 1 if errors else 0


async def _targets(session: Session, args: list[str], opts: GetOptions) -> list[Target]:
    if opts.filenames:
        from kubectl.manifests import load_manifests

        manifests = await load_manifests(session, list(opts.filenames), opts.recursive,
                                         validate=False)
        targets: list[Target] = []
        for item in manifests:
            found = next((t for t in targets if t.rtype == item.rtype), None)
            if found is None:
                targets.append(Target(item.rtype, [item.name]))
            else:
                found.names.append(item.name)
        return targets
    if not args:
        raise CommandError(NO_TYPE, raw=True)
    targets = await parse_targets(session, args)
    if (opts.selector or opts.field_selector) and any(t.names for t in targets):
        raise CommandError("name cannot be provided when a selector is specified")
    return targets


def _single(targets: list[Target], opts: GetOptions) -> bool:
    return len(targets) == 1 and len(targets[0].names) == 1 and not opts.filenames


def _namespace(session: Session, rtype: ResourceType) -> str | None:
    if not rtype.namespaced or session.all_namespaces:
        return None
    return session.namespace


async def _fetch(session: Session, target: Target, opts: GetOptions, fmt: OutputFormat,
                 errors: list[Exception]) -> _Fetched:
    rtype = target.rtype
    namespace = session.namespace if rtype.namespaced else None
    if target.names:
        tables: list[dict[str, Any]] = []
        objects: list[dict[str, Any]] = []
        for name in target.names:
            try:
                if fmt.human:
                    tables.append(await _get_table(session, rtype.path(namespace, name), {}))
                else:
                    objects.append(await _with_kind(rtype, session.request(
                        "GET", rtype.path(namespace, name))))
            except NotFound as err:
                if not opts.ignore_not_found:
                    errors.append(err)
            except StatusError as err:
                errors.append(err)
        return _Fetched(target, _merge_tables(tables) if fmt.human else None, objects)
    params = {k: v for k, v in (("labelSelector", opts.selector),
                                ("fieldSelector", opts.field_selector)) if v}
    path = rtype.path(_namespace(session, rtype))
    try:
        if fmt.human:
            if opts.sort_by:
                params["includeObject"] = "Object"
            return _Fetched(target, await _list_table(session, path, params, opts.chunk_size), [])
        listed = await session.resource(rtype, _namespace(session, rtype)).list_all(
            label_selector=opts.selector, field_selector=opts.field_selector)
    except (BadRequest, NotFound) as err:
        raise enhance_list_error(err, rtype, opts.selector, opts.field_selector) from None
    return _Fetched(target, None, listed.items)


def enhance_list_error(err: StatusError, rtype: ResourceType, selector: str | None,
                       field_selector: str | None) -> StatusError:
    """kubectl's wording for a refused list: which resource, which selectors."""
    resource = f"{rtype.group}/{rtype.version}, Resource={rtype.plural}"
    if not selector and not field_selector:
        err.message = f'Unable to list "{resource}": {err.message}'
    else:
        err.message = (f'Unable to find "{resource}" that match label selector '
                       f'"{selector or ""}", field selector "{field_selector or ""}": '
                       f"{err.message}")
    return err


async def _with_kind(rtype: ResourceType, pending: Any) -> dict[str, Any]:
    obj: dict[str, Any] = await pending
    obj.setdefault("apiVersion", rtype.api_version)
    obj.setdefault("kind", rtype.kind)
    return obj


async def _get_table(session: Session, path: str, params: dict[str, str]) -> dict[str, Any]:
    table: dict[str, Any] = await session.request("GET", path, params=params,
                                                  headers={"Accept": TABLE_ACCEPT})
    if table.get("kind") != "Table":  # a server without tables: NAME and AGE ourselves
        return _fallback_table(table)
    return table


async def _list_table(session: Session, path: str, params: dict[str, str],
                      chunk: int) -> dict[str, Any]:
    pages: list[dict[str, Any]] = []
    token = ""
    while True:
        page_params = dict(params)
        if chunk:
            page_params["limit"] = str(chunk)
        if token:
            page_params["continue"] = token
        page = await _get_table(session, path, page_params)
        pages.append(page)
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            merged = _merge_tables(pages)
            assert merged is not None  # at least one page was read
            return merged


def _merge_tables(tables: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not tables:
        return None
    merged = dict(tables[0])
    merged["rows"] = [row for table in tables for row in table.get("rows") or ()]
    merged["columnDefinitions"] = next((t["columnDefinitions"] for t in tables
                                        if t.get("columnDefinitions")), [])
    return merged


def _fallback_table(doc: dict[str, Any]) -> dict[str, Any]:
    from kubectl.printing import human_duration
    from kubectl.timefmt import age_seconds

    items = doc.get("items") if "items" in doc else [doc]
    rows = [{"cells": [i["metadata"]["name"],
                       human_duration(age_seconds(i["metadata"].get("creationTimestamp")))],
             "object": {"metadata": i.get("metadata", {})}} for i in items or ()]
    return {"kind": "Table", "columnDefinitions": [
        {"name": "Name", "type": "string", "format": "name", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "priority": 0}], "rows": rows}


# -- sorting -----------------------------------------------------------------------------

def _sort(item: _Fetched, sort_by: str, fmt: OutputFormat) -> None:
    template = jsonpath.JSONPath(jsonpath.relaxed(sort_by), allow_missing_keys=True)
    if item.table is not None:
        rows = item.table.get("rows") or []
        item.table["rows"] = sorted(rows, key=lambda r: _sort_key(template, r.get("object")))
    else:
        item.objects.sort(key=lambda o: _sort_key(template, o))


async def _complete_rows(session: Session, item: _Fetched, opts: GetOptions) -> None:
    """Sorting needs whole objects; a server that sent only metadata gets asked for them."""
    rows = (item.table or {}).get("rows") or []
    if not rows or all((r.get("object") or {}).get("kind") != "PartialObjectMetadata"
                       for r in rows):
        return
    rtype = item.target.rtype
    listed = await session.resource(rtype, _namespace(session, rtype)).list_all(
        label_selector=opts.selector, field_selector=opts.field_selector)
    by_key = {((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name")): o
              for o in listed.items}
    for row in rows:
        meta = (row.get("object") or {}).get("metadata") or {}
        full = by_key.get((meta.get("namespace"), meta.get("name")))
        if full is not None:
            row["object"] = full


def _sort_key(template: jsonpath.JSONPath, obj: Any) -> tuple[int, Any]:
    values = template.find(obj or {})
    if not values:
        return (0, "")
    value = values[0]
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        from kubectl.timefmt import quantity_or_none

        number = quantity_or_none(value)
        return (2, value) if number is None else (1, number)
    return (3, orjson.dumps(value).decode())


# -- printing ----------------------------------------------------------------------------

def _print(session: Session, fetched: list[_Fetched], opts: GetOptions, fmt: OutputFormat,
           single: bool) -> bool:
    if not fmt.human:
        items = [(f.target.rtype, o) for f in fetched for o in f.objects]
        if not items and single:
            return False
        print_objects(items, fmt, single=single, no_headers=opts.no_headers)
        return bool(items)
    with_rows = [f for f in fetched if f.table and f.table.get("rows")]
    # kubectl names the kind in front of each name whenever several kinds were asked for.
    with_kind = len({f.target.rtype for f in fetched}) > 1
    printer = TablePrinter(wide=fmt.kind == "wide", no_headers=opts.no_headers,
                           show_labels=opts.show_labels, label_columns=opts.label_columns)
    first = True
    for item in with_rows:
        if not first and not opts.no_headers:
            printer.flush()
            sys.stdout.write("\n")
        first = False
        printer.new_kind(item.target.rtype if with_kind else None)
        printer.with_namespace = session.all_namespaces and item.target.rtype.namespaced
        assert item.table is not None
        printer.print_table(item.table)
    printer.flush()
    return bool(with_rows)


# -- watching ----------------------------------------------------------------------------

async def _watch(session: Session, targets: list[Target], opts: GetOptions,
                 fmt: OutputFormat) -> int:
    if len(targets) != 1:
        raise CommandError("watch is only supported on individual resources and resource "
                           "collections, but a list of resources is specified")
    target = targets[0]
    if len(target.names) > 1:
        raise CommandError("watch is only supported on individual resources and resource "
                           "collections, but a list of resources is specified")
    rtype = target.rtype
    field = opts.field_selector
    if target.names:
        clause = f"metadata.name={target.names[0]}"
        field = f"{field},{clause}" if field else clause
    params = {k: v for k, v in (("labelSelector", opts.selector), ("fieldSelector", field)) if v}
    namespace = session.namespace if target.names and rtype.namespaced else \
        _namespace(session, rtype)
    path = rtype.path(namespace)
    printer = TablePrinter(wide=fmt.kind == "wide", no_headers=opts.no_headers,
                           with_namespace=session.all_namespaces and rtype.namespaced,
                           show_labels=opts.show_labels, label_columns=opts.label_columns)
    event = "ADDED" if opts.output_watch_events else None
    emitter = _Emitter(fmt, printer, rtype)
    if fmt.human:
        table = await _list_table(session, path, params, 0)
        version = (table.get("metadata") or {}).get("resourceVersion", "")
        if target.names and not table.get("rows") and not opts.ignore_not_found:
            raise NotFound.for_resource(rtype.plural, target.names[0], rtype.group)
        if not opts.watch_only:
            printer.print_table(table, event)
            printer.flush()
        elif table.get("columnDefinitions"):
            printer.print_table({**table, "rows": []})
    else:
        listed = await session.resource(rtype, namespace).list_all(
            label_selector=opts.selector, field_selector=field)
        version = listed.resource_version or ""
        if not opts.watch_only:
            for obj in listed.items:
                emitter.emit("ADDED" if opts.output_watch_events else None, obj)
    await _follow(session, path, params, version, fmt, emitter, opts.output_watch_events)
    return 0


class _Emitter:
    """Prints watch events one by one, flushing each so a pipe sees them at once."""

    def __init__(self, fmt: OutputFormat, printer: TablePrinter, rtype: ResourceType) -> None:
        self.fmt = fmt
        self.printer = printer
        self.rtype = rtype
        self.count = 0

    def emit(self, event: str | None, obj: dict[str, Any]) -> None:
        if self.fmt.human:
            self.printer.print_table(obj, event)
            self.printer.flush()
            return
        if event is not None and self.fmt.kind in ("json", "yaml"):
            obj = {"type": event, "object": obj}
        if self.fmt.kind == "yaml" and self.count:
            sys.stdout.write("---\n")
        self.count += 1
        print_objects([(self.rtype, obj)], self.fmt, single=True)


async def _follow(session: Session, path: str, params: dict[str, str], version: str,
                  fmt: OutputFormat, emitter: _Emitter, with_events: bool) -> None:
    from client import LineSplitter

    query = {**params, "watch": "true", "resourceVersion": version or "0"}
    headers = {"Accept": TABLE_ACCEPT} if fmt.human else None
    response = await session.client.send("GET", path, params=query, http_timeout=None,
                                         stream=True, headers=headers)
    splitter = LineSplitter()
    try:
        async for chunk in response.aiter_bytes():
            for line in splitter.feed(chunk):
                frame = orjson.loads(line)
                kind = frame.get("type")
                if kind == "BOOKMARK":
                    continue
                if kind == "ERROR":
                    from apimachinery.errors import error_from_status

                    obj = frame.get("object") or {}
                    raise error_from_status(obj, int(obj.get("code") or 500))
                obj = frame.get("object") or {}
                if not fmt.human:
                    obj.setdefault("apiVersion", emitter.rtype.api_version)
                    obj.setdefault("kind", emitter.rtype.kind)
                emitter.emit(kind if with_events else None, obj)
    finally:
        await response.aclose()
    raise Exit(0)
