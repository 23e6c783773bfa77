"""Reading ``-f`` manifests, and refusing bad ones before anything is sent.

``-f`` takes files, directories (``-R`` to descend) and ``-`` for stdin; a file holds
YAML documents separated by ``---`` or JSON, and ``List`` kinds are opened into their
items. Every document is checked before the first request: apiVersion and kind set,
a kind the server serves, no field the model does not know (``spec.replica`` is a
typo, not a wish), and values of the right types. One bad document stops the whole
command, so a manifest is never half applied; the message names the file, the
document and the field.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from apimachinery.base import KubeObject
from apimachinery.schema import ResourceType
from apimachinery.strict import unknown_fields
from kubectl.errors import CommandError
from kubectl.printing import kind_prefix

if TYPE_CHECKING:
    from kubectl.session import Session

__all__ = ["Manifest", "load_manifests", "read_documents"]

EXTENSIONS = (".json", ".yaml", ".yml")
IGNORE_HINT = "; if you choose to ignore these errors, turn validation off with --validate=false"


@dataclass
class Manifest:
    """One object from a file: where it came from, its type and its body."""

    source: str  # the file name as given, or "STDIN"
    document: int  # 1-based position in the file
    rtype: ResourceType
    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return (self.obj.get("metadata") or {}).get("name") or ""

    @property
    def namespace(self) -> str | None:
        return (self.obj.get("metadata") or {}).get("namespace")

    @property
    def qualified(self) -> str:
        return f"{kind_prefix(self.rtype)}/{self.name}"

    @property
    def described(self) -> str:
        return f'{self.rtype.qualified} "{self.name}"'


@dataclass
class _Document:
    source: str
    index: int
    body: Any


def read_documents(filenames: list[str], recursive: bool = False) -> list[_Document]:
    """Every document of every file, in order; Lists are opened into their items."""
    if not filenames:
        raise CommandError("must specify one of -f and -k")
    docs: list[_Document] = []
    for name in filenames:
        for source, text in _sources(name, recursive):
            docs.extend(_parse(source, text))
    return docs


def _sources(name: str, recursive: bool) -> list[tuple[str, str]]:
    if name == "-":
        return [("STDIN", sys.stdin.read())]
    if name.startswith(("http://", "https://")):
        raise CommandError(f"reading manifests from URLs is not supported: {name}")
    path = Path(name)
    if path.is_dir():
        pattern = "**/*" if recursive else "*"
        files = sorted(p for p in path.glob(pattern) if p.is_file() and p.suffix in EXTENSIONS)
        return [(str(p), _read(p)) for p in files]
    if not path.exists():
        raise CommandError(f'the path "{name}" does not exist')
    return [(name, _read(path))]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as err:
        raise CommandError(f'error reading "{path}": {err.strerror}') from err


def _parse(source: str, text: str) -> list[_Document]:
    stripped = text.lstrip()
    try:
        if stripped.startswith(("{", "[")):
            bodies = _json_documents(stripped)
        else:
            bodies = list(yaml.safe_load_all(text))
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise CommandError(f'error parsing {source}: {_one_line(err)}') from err
    docs: list[_Document] = []
    for index, body in enumerate(bodies, start=1):
        if body is None or body == {}:
            continue
        if isinstance(body, dict) and str(body.get("kind", "")).endswith("List") \
                and isinstance(body.get("items"), list):
            docs.extend(_Document(source, index, item) for item in body["items"])
        else:
            docs.append(_Document(source, index, body))
    return docs


def _json_documents(text: str) -> list[Any]:
    """One or more JSON values one after the other (kubectl accepts a stream)."""
    decoder = json.JSONDecoder()
    found, pos = [], 0
    while pos < len(text):
        value, end = decoder.raw_decode(text, pos)
        found.append(value)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return found


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


async def load_manifests(session: Session, filenames: list[str], recursive: bool = False, *,
                         validate: bool = True) -> list[Manifest]:
    """Read, map and (unless ``validate=False``) check every document, then set each
    object's namespace the way kubectl does. Raises before returning anything if one
    document is bad."""
    manifests: list[Manifest] = []
    problems: list[str] = []
    for doc in read_documents(filenames, recursive):
        try:
            manifest = await _manifest(session, doc)
        except CommandError as err:
            problems.append(err.message)
            continue
        if validate:
            issues = _validate(manifest)
            if issues:
                problems.append(_where(doc, manifest) + "; ".join(issues) + IGNORE_HINT)
                continue
        manifests.append(manifest)
    if problems:
        raise CommandError("\n".join(p if p.startswith("error: ") else f"error: {p}"
                                     for p in problems))
    for manifest in manifests:
        _set_namespace(session, manifest)
    return manifests


async def _manifest(session: Session, doc: _Document) -> Manifest:
    body = doc.body
    if not isinstance(body, dict):
        raise CommandError(f'error validating "{doc.source}": document {doc.index}: '
                           f"expected an object, got {type(body).__name__}{IGNORE_HINT}")
    missing = [f"{key} not set" for key in ("apiVersion", "kind") if not body.get(key)]
    if missing:
        raise CommandError(f'error validating "{doc.source}": document {doc.index}: error '
                           f'validating data: [{", ".join(missing)}]{IGNORE_HINT}')
    rtype = await session.resolve_kind(str(body["apiVersion"]), str(body["kind"]))
    if rtype is None:
        name = (body.get("metadata") or {}).get("name", "")
        namespace = (body.get("metadata") or {}).get("namespace", "")
        raise CommandError(f'resource mapping not found for name: "{name}" namespace: '
                           f'"{namespace}" from "{doc.source}": no matches for kind '
                           f'"{body["kind"]}" in version "{body["apiVersion"]}"\n'
                           "ensure CRDs are installed first")
    return Manifest(doc.source, doc.index, rtype, copy.deepcopy(body))


def _where(doc: _Document, manifest: Manifest) -> str:
    name = f' "{manifest.name}"' if manifest.name else ""
    return (f'error validating "{doc.source}": document {doc.index} '
            f"({manifest.rtype.kind}{name}): ")


def _validate(manifest: Manifest) -> list[str]:
    """Unknown fields and type errors, as ``field: problem`` strings."""
    model = manifest.rtype.model
    issues = [f'unknown field "{path}"' for path in unknown_fields(model, manifest.obj)]
    if not (manifest.obj.get("metadata") or {}).get("name") and \
            not (manifest.obj.get("metadata") or {}).get("generateName"):
        issues.append('field "metadata.name": Required value: name or generateName is required')
    if model is KubeObject:
        return issues
    try:
        model.model_validate(manifest.obj)
    except ValidationError as err:
        for error in err.errors():
            issues.append(f'field "{_path(error["loc"])}": {error["msg"]}')
    return issues


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _set_namespace(session: Session, manifest: Manifest) -> None:
    """Namespaced objects get the file's namespace or the session's; a clash with an
    explicit ``-n`` is an error, as in kubectl."""
    metadata = manifest.obj.setdefault("metadata", {})
    if not manifest.rtype.namespaced:
        metadata.pop("namespace", None)
        return
    given = metadata.get("namespace")
    if given and session.explicit_namespace and given != session.namespace:
        raise CommandError(f'the namespace from the provided object "{given}" does not match '
                           f'the namespace "{session.namespace}". You must pass '
                           f"'--namespace={given}' to perform this operation.")
    metadata["namespace"] = given or session.namespace
