"""Every way skiffctl prints objects: server tables, YAML, JSON, names, JSONPath, columns.

Tables come from the server (``Accept: ...;as=Table;g=meta.k8s.io``), so the columns
of ``get`` are the server's, exactly as kubectl shows them; this module only decorates
them as kubectl's table printer does (NAMESPACE in front with ``-A``, ``kind/`` before
names when several kinds are printed, ``-L`` and ``--show-labels`` columns at the end)
and aligns them with Go's tabwriter rules.

YAML and JSON follow kubectl's encoders: keys sorted, two-space YAML with list items at
the parent's indentation, double-quoted strings where quoting is needed, literal blocks
for multi-line strings, four-space JSON; ``managedFields`` are left out, and several
objects print as one ``List``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

import yaml

from apimachinery.schema import ResourceType
from kubectl import jsonpath
from kubectl.errors import CommandError
from kubectl.tabwriter import TabWriter

__all__ = [
    "OutputFormat",
    "TablePrinter",
    "dump_json",
    "dump_yaml",
    "format_labels",
    "human_duration",
    "kind_prefix",
    "parse_output",
    "print_objects",
    "qualified",
]

ALLOWED_FORMATS = ("custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,"
                   "jsonpath-file,name,wide,yaml")


# -- names -------------------------------------------------------------------------------

def kind_prefix(rtype: ResourceType) -> str:
    """``pod`` or ``deployment.apps``: how kubectl names a kind in ``kind/name``."""
    return f"{rtype.kind.lower()}.{rtype.group}" if rtype.group else rtype.kind.lower()


def qualified(rtype: ResourceType, name: str) -> str:
    return f"{kind_prefix(rtype)}/{name}"


def format_labels(labels: dict[str, str] | None) -> str:
    """``a=b,c=d`` sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration: ``5s``, ``3m10s``, ``2d4h`` ..."""
    sec = int(seconds)
    if sec < -1:
        return "<invalid>"
    if sec < 0:
        return "0s"
    if sec < 120:
        return f"{sec}s"
    minutes = sec // 60
    if minutes < 10:
        rest = sec % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = sec // 3600
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


# -- output formats ----------------------------------------------------------------------

@dataclass(frozen=True)
class OutputFormat:
    """What ``-o`` asked for: ``kind`` is table, wide, yaml, json, name, jsonpath,
    jsonpath-as-json or custom-columns; ``arg`` is the template or column spec."""

    kind: str = "table"
    arg: str = ""

    @property
    def human(self) -> bool:
        return self.kind in ("table", "wide")


def parse_output(spec: str | None) -> OutputFormat:
    if not spec:
        return OutputFormat()
    name, sep, arg = spec.partition("=")
    if name in ("wide", "yaml", "json", "name") and not sep:
        return OutputFormat(name)
    if name in ("jsonpath", "jsonpath-as-json", "custom-columns") and sep:
        return OutputFormat(name, arg)
    if name in ("jsonpath-file", "custom-columns-file") and sep:
        try:
            with open(arg) as fh:
                text = fh.read()
        except OSError as err:
            raise CommandError(f"error reading template {arg}, {err}") from err
        if name == "jsonpath-file":
            return OutputFormat("jsonpath", text)
        return OutputFormat("custom-columns", _columns_from_file(text))
    if name in ("jsonpath", "custom-columns"):
        what = "template" if name == "jsonpath" else "custom-columns format"
        raise CommandError(f"{what} format specified but no {what} given")
    raise CommandError(f'unable to match a printer suitable for the output format "{spec}", '
                       f"allowed formats are: {ALLOWED_FORMATS}")


def _columns_from_file(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 2:
        raise CommandError("custom-columns file must have exactly two lines: headers and paths")
    headers, paths = lines[0].split(), lines[1].split()
    if len(headers) != len(paths):
        raise CommandError(f"number of headers ({len(headers)}) does not match the number "
                           f"of paths ({len(paths)})")
    return ",".join(f"{h}:{p}" for h, p in zip(headers, paths, strict=True))


# -- YAML and JSON -----------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """PyYAML shaped like go-yaml: double quotes when quoting, literal blocks for
    multi-line text."""

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style

    def ignore_aliases(self, data: object) -> bool:
        return True  # a value used twice is printed twice, never as &anchor / *alias


# go-yaml also quotes the YAML 1.1 one-letter booleans that PyYAML reads as strings.
_QUOTED = frozenset({"y", "Y", "n", "N"})


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if value in _QUOTED:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value and not any(c in value for c in "\t\r") and \
            not any(line.endswith(" ") for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def strip_managed_fields(obj: Any) -> Any:
    if isinstance(obj, dict):
        meta = obj.get("metadata")
        if isinstance(meta, dict) and "managedFields" in meta:
            obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
        if isinstance(obj.get("items"), list):
            obj = {**obj, "items": [strip_managed_fields(i) for i in obj["items"]]}
    return obj


def dump_yaml(obj: Any) -> str:
    return yaml.dump(strip_managed_fields(obj), Dumper=_Dumper, default_flow_style=False,
                     sort_keys=True, allow_unicode=True, width=1 << 30)


def dump_json(obj: Any, sort_keys: bool = True) -> str:
    """Four-space JSON; keys sorted as for objects read from the server, or in the order
    given for objects skiffctl built itself (kubectl prints Go's field order for those)."""
    return json.dumps(strip_managed_fields(obj), indent=4, sort_keys=sort_keys,
                      ensure_ascii=False) + "\n"


def as_list(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": objects, "kind": "List",
            "metadata": {"resourceVersion": ""}}


def print_objects(items: list[tuple[ResourceType, dict[str, Any]]], fmt: OutputFormat, *,
                  single: bool, out: TextIO | None = None, no_headers: bool = False,
                  sort_keys: bool = True) -> None:
    """Non-table output of whole objects; ``single`` prints one object, not a List."""
    out = out or sys.stdout
    objects = [obj for _, obj in items]
    doc: Any = objects[0] if single and len(objects) == 1 else as_list(objects)
    if fmt.kind == "yaml":
        out.write(dump_yaml(doc))
    elif fmt.kind == "json":
        out.write(dump_json(doc, sort_keys))
    elif fmt.kind == "name":
        for rtype, obj in items:
            out.write(qualified(rtype, obj.get("metadata", {}).get("name", "")) + "\n")
    elif fmt.kind in ("jsonpath", "jsonpath-as-json"):
        template = jsonpath.JSONPath(fmt.arg, allow_missing_keys=True)
        out.write(template.render(strip_managed_fields(doc), as_json=fmt.kind != "jsonpath"))
    elif fmt.kind == "custom-columns":
        print_custom_columns(objects, fmt.arg, out=out, no_headers=no_headers)
    out.flush()


def print_custom_columns(objects: Iterable[dict[str, Any]], spec: str, *, out: TextIO,
                         no_headers: bool = False) -> None:
    columns = parse_custom_columns(spec)
    writer = TabWriter(out)
    if not no_headers:
        writer.write("\t".join(h for h, _ in columns) + "\n")
    for obj in objects:
        cells = []
        for _, template in columns:
            values = template.find(obj)
            cells.append(",".join(jsonpath.to_text(v) for v in values) if values else "<none>")
        writer.write("\t".join(cells) + "\n")
    writer.flush()


def parse_custom_columns(spec: str) -> list[tuple[str, jsonpath.JSONPath]]:
    if not spec:
        raise CommandError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not header:
            raise CommandError(f'unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>')
        columns.append((header, jsonpath.JSONPath(jsonpath.relaxed(path), allow_missing_keys=True)))
    return columns


# -- server tables -----------------------------------------------------------------------

@dataclass
class TablePrinter:
    """Prints meta/v1 Tables like kubectl's HumanReadablePrinter (also for watches)."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    wide: bool = False
    no_headers: bool = False
    with_namespace: bool = False
    kind: ResourceType | None = None
    show_labels: bool = False
    label_columns: tuple[str, ...] = ()
    writer: TabWriter = field(init=False)
    _last_columns: list[dict[str, Any]] | None = field(default=None, init=False)
    _printed_headers: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.writer = TabWriter(self.out, remember_widths=True)

    def print_table(self, table: dict[str, Any], event: str | None = None) -> None:
        columns = table.get("columnDefinitions") or []
        no_headers = self.no_headers
        if self._printed_headers and (not columns or columns == self._last_columns):
            no_headers = True
        if not columns:
            columns = self._last_columns or []
        elif columns != self._last_columns:
            self._last_columns = columns
            self._printed_headers = False
        rows = table.get("rows") or []
        if rows:
            self._printed_headers = True
        self._write(columns, rows, no_headers, event)

    def _write(self, columns: list[dict[str, Any]], rows: list[dict[str, Any]],
               no_headers: bool, event: str | None) -> None:
        visible = [i for i, c in enumerate(columns) if self.wide or not c.get("priority")]
        name_col = next((i for i, c in enumerate(columns)
                         if c.get("format") == "name" and c.get("type") == "string"), None)
        if not no_headers and rows:
            headers = [str(columns[i].get("name", "")).upper() for i in visible]
            headers = self._decorate_headers(headers, event is not None)
            self.writer.write("\t".join(headers) + "\n")
        for row in rows:
            cells = row.get("cells") or []
            shown = []
            for i in visible:
                value = cells[i] if i < len(cells) else None
                text = _cell_text(value)
                if i == name_col and self.kind is not None:
                    text = f"{kind_prefix(self.kind)}/{text}"
                shown.append(text)
            meta = (row.get("object") or {}).get("metadata") or {}
            line = self._decorate_row(shown, meta, event)
            self.writer.write("\t".join(line) + "\n")

    def _decorate_headers(self, headers: list[str], with_event: bool) -> list[str]:
        if self.with_namespace:
            headers = ["NAMESPACE", *headers]
        if with_event:
            headers = ["EVENT", *headers]
        headers += [label.split("/")[-1].upper() for label in self.label_columns]
        if self.show_labels:
            headers.append("LABELS")
        return headers

    def _decorate_row(self, cells: list[str], meta: dict[str, Any],
                      event: str | None) -> list[str]:
        labels = meta.get("labels") or {}
        if self.with_namespace:
            cells = [meta.get("namespace", ""), *cells]
        if event is not None:
            cells = [_EVENT_NAMES.get(event, event), *cells]
        cells += [labels.get(key, "") for key in self.label_columns]
        if self.show_labels:
            cells.append(format_labels(labels))
        return cells

    def flush(self) -> None:
        self.writer.flush()

    def new_kind(self, kind: ResourceType | None) -> None:
        """A different resource type follows: headers again, widths forgotten."""
        self.writer.flush()
        self.writer.reset_widths()
        self.kind = kind
        self._last_columns = None
        self._printed_headers = False


_EVENT_NAMES = {"ADDED": "ADDED   ", "MODIFIED": "MODIFIED", "DELETED": "DELETED ",
                "ERROR": "ERROR   "}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = value if isinstance(value, str) else str(value)
    for stop in ("\n", "\r", "\f"):
        if stop in text:
            text = text.split(stop, 1)[0] + "..."
    return text
