"""kubectl's JSONPath templates: ``-o jsonpath=``, custom columns, ``--sort-by``, ``wait``.

Kubernetes' dialect, not RFC 9535: a template is text with ``{...}`` actions; an
action is a chain of ``.field``, ``['key']``, ``[n]``, ``[a:b:c]``, ``[*]``, ``..``
(recursive descent), ``[?(@.x == "y")]`` filters and ``[a,b]`` unions, and
``{range ...}...{end}`` loops. Each action's results print separated by spaces; maps
and lists print as compact JSON; strings print raw. Users paste templates from the
Kubernetes docs, so the grammar (escaped dots in keys, ``'single'`` quotes, relaxed
``.a.b`` forms) follows Kubernetes' parser.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kubectl.errors import CommandError

__all__ = ["JSONPath", "JSONPathError", "relaxed", "to_text"]


class JSONPathError(CommandError):
    """A template that does not parse, or fails on the data (printed as ``error: ...``)."""


_MISSING = object()


# -- nodes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Index:
    start: int | None
    end: int | None
    step: int | None
    single: bool  # ``[n]``: the end was derived as n + 1


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Recursive:
    pass


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Filter:
    left: tuple[Any, ...]
    op: str
    right: tuple[Any, ...]


@dataclass(frozen=True)
class Union:
    branches: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass
class Action:
    nodes: tuple[Any, ...]


@dataclass
class Range:
    nodes: tuple[Any, ...]
    body: list[Any]


# -- parsing -----------------------------------------------------------------------------

_TERMINATORS = set(" \t\r\n.,[]$@{}")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_DICT_KEY = re.compile(r"^'([^']*)'$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=~]+)(.+?)$")


def _split_template(text: str) -> list[Text | tuple[str, ...]]:
    """Text and ``{action}`` parts, honouring quotes inside actions."""
    parts: list[Text | tuple[str, ...]] = []
    pos = 0
    while pos < len(text):
        start = text.find("{", pos)
        if start < 0:
            parts.append(Text(text[pos:]))
            break
        if start > pos:
            parts.append(Text(text[pos:start]))
        end = _action_end(text, start + 1)
        parts.append((text[start + 1:end],))
        pos = end + 1
    return parts


def _action_end(text: str, pos: int) -> int:
    quote = ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "}":
            return pos
        elif char in "\r\n":
            break
        pos += 1
    raise JSONPathError("unclosed action")


class _ActionParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> tuple[Any, ...]:
        nodes: list[Any] = []
        text = self.text
        while self.pos < len(text):
            if text.startswith("[?(", self.pos):
                nodes.append(self._filter())
            elif text.startswith("..", self.pos):
                if nodes and isinstance(nodes[-1], Recursive):
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                nodes.append(Recursive())
                if self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] == "_"):
                    nodes.append(self._field())
            else:
                nodes.extend(self._one())
        return tuple(nodes)

    def _one(self) -> list[Any]:
        char = self.text[self.pos]
        if char in " @$":
            self.pos += 1
            return []
        if char == "[":
            return self._array()
        if char in "\"'":
            return [self._quote(char)]
        if char == ".":
            self.pos += 1
            return [self._field()]
        if char in "+-" or char.isdigit():
            return [self._number()]
        if char.isalnum() or char == "_":
            return [self._identifier()]
        raise JSONPathError(f"unrecognized character in action: {char!r}")

    def _field(self) -> Any:
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char in _TERMINATORS:
                break
            self.pos += 1
        name = self.text[start:self.pos]
        return Wildcard() if name == "*" else Field(name.replace("\\", ""))

    def _identifier(self) -> Any:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _TERMINATORS:
            self.pos += 1
        word = self.text[start:self.pos]
        if word in ("true", "false"):
            return Literal(word == "true")
        if word in ("range", "end"):
            return word
        raise JSONPathError(f"unrecognized identifier {word}")

    def _number(self) -> Literal:
        match = re.match(r"[+-]?[\d.]*", self.text[self.pos:])
        assert match is not None
        self.pos += len(match.group(0))
        text = match.group(0)
        try:
            return Literal(int(text))
        except ValueError:
            try:
                return Literal(float(text))
            except ValueError:
                raise JSONPathError(f"cannot parse number {text}") from None

    def _quote(self, quote: str) -> Literal:
        end = self.pos + 1
        while end < len(self.text):
            if self.text[end] == "\\":
                end += 2
                continue
            if self.text[end] == quote:
                break
            end += 1
        else:
            raise JSONPathError("unterminated quoted string")
        raw = self.text[self.pos + 1:end]
        self.pos = end + 1
        return Literal(_unquote(raw))

    def _array(self) -> list[Any]:
        end = self.text.find("]", self.pos)
        if end < 0:
            raise JSONPathError("unterminated array")
        inner = self.text[self.pos + 1:end]
        self.pos = end + 1
        if inner == "*":
            inner = ":"
        pieces = inner.split(",")
        if len(pieces) > 1:
            return [Union(tuple(_ActionParser(f"[{p.strip()}]").parse() for p in pieces))]
        key = _DICT_KEY.match(inner)
        if key:
            return list(_ActionParser("." + key.group(1)).parse())
        match = _SLICE.match(inner)
        if not match:
            raise JSONPathError(f"invalid array index {inner}")
        start_text, end_text, step_text = match.groups()
        start = int(start_text) if start_text else None
        if end_text is None:
            return [Index(start or 0, (start or 0) + 1, None, True)]
        stop = int(end_text[1:]) if len(end_text) > 1 else None
        step = int(step_text[1:]) if step_text and len(step_text) > 1 else None
        return [Index(start, stop, step, False)]

    def _filter(self) -> Filter:
        self.pos += 3
        start = self.pos
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == ")":
                break
            self.pos += 1
        else:
            raise JSONPathError("unterminated filter")
        body = self.text[start:self.pos]
        self.pos += 1
        if self.pos >= len(self.text) or self.text[self.pos] != "]":
            raise JSONPathError("unclosed array expect ]")
        self.pos += 1
        match = _FILTER.match(body)
        if match is None:
            return Filter(_ActionParser(body).parse(), "exists", ())
        left, op, right = match.groups()
        return Filter(_ActionParser(left.strip()).parse(), op,
                      _ActionParser(right.strip()).parse())


def _unquote(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        return json.loads('"' + raw.replace('"', '\\"').replace("\\'", "'") + '"')
    except json.JSONDecodeError:
        return raw.encode().decode("unicode_escape")


def _build(parts: list[Text | tuple[str, ...]]) -> list[Any]:
    """Nest ``{range}...{end}`` blocks."""
    root: list[Any] = []
    stack: list[list[Any]] = [root]
    for part in parts:
        if isinstance(part, Text):
            stack[-1].append(part)
            continue
        nodes = _ActionParser(part[0]).parse()
        if nodes and nodes[0] == "range":
            block = Range(nodes[1:], [])
            stack[-1].append(block)
            stack.append(block.body)
        elif nodes and nodes[0] == "end":
            if len(stack) == 1:
                raise JSONPathError("not in range, nothing to end")
            stack.pop()
        else:
            stack[-1].append(Action(nodes))
    return root


# -- evaluation --------------------------------------------------------------------------

class JSONPath:
    """A parsed template; :meth:`render` prints it, :meth:`find` returns its values."""

    def __init__(self, template: str, *, allow_missing_keys: bool = False) -> None:
        self.template = template
        self.allow_missing_keys = allow_missing_keys
        try:
            self.root = _build(_split_template(template))
        except JSONPathError as err:
            raise JSONPathError(f"error parsing jsonpath {template}, {err}") from None

    def results(self, data: Any) -> list[list[Any]]:
        """One list of values per action (text parts give their text)."""
        out: list[list[Any]] = []
        self._run(self.root, data, out)
        return out

    def find(self, data: Any) -> list[Any]:
        """Every value the template selects, flattened (custom columns, wait, sort)."""
        return [value for group in self.results(data) for value in group]

    def render(self, data: Any, *, as_json: bool = False) -> str:
        try:
            groups = self.results(data)
        except JSONPathError as err:
            raise JSONPathError(f"error executing jsonpath {self.template!r}: "
                                f"Error executing template: {err}") from None
        if as_json:
            values = [v for group in groups for v in group]
            return json.dumps(values, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
        return "".join(" ".join(to_text(v, nested=True) for v in group) for group in groups)

    def _run(self, nodes: list[Any], data: Any, out: list[list[Any]]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                out.append([node.text])
            elif isinstance(node, Action):
                out.append(self._eval(node.nodes, [data]))
            else:
                for item in self._eval(node.nodes, [data]):
                    self._run(node.body, item, out)

    def _eval(self, nodes: tuple[Any, ...], values: list[Any]) -> list[Any]:
        for node in nodes:
            values = self._step(node, values)
        return values

    def _step(self, node: Any, values: list[Any]) -> list[Any]:
        if isinstance(node, Field):
            return self._field(node.name, values)
        if isinstance(node, Literal):
            return [node.value for _ in values]
        if isinstance(node, Index):
            return [v for value in values if value is not None for v in _slice(value, node)]
        if isinstance(node, Wildcard):
            return [v for value in values for v in _children(value)]
        if isinstance(node, Recursive):
            return [v for value in values for v in _descend(value)]
        if isinstance(node, Union):
            return [v for branch in node.branches for v in self._eval(branch, values)]
        if isinstance(node, Filter):
            return [v for value in values for v in self._filter(node, value)]
        raise JSONPathError(f"unexpected node {node!r}")

    def _field(self, name: str, values: list[Any]) -> list[Any]:
        if name == "":
            return values
        found = [v[name] for v in values if isinstance(v, dict) and name in v]
        if not found and values and not self.allow_missing_keys:
            raise JSONPathError(f"{name} is not found")
        return found

    def _filter(self, node: Filter, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise JSONPathError(f"{to_text(value)} is not array or slice and cannot be filtered")
        passed = []
        for item in value:
            try:
                lefts = self._eval(node.left, [item])
            except JSONPathError:
                lefts = []
            if node.op == "exists":
                if lefts:
                    passed.append(item)
                continue
            rights = self._eval(node.right, [item])
            if len(lefts) != 1 or len(rights) != 1:
                if len(lefts) > 1 or len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                continue
            if _compare(lefts[0], node.op, rights[0]):
                passed.append(item)
        return passed


def _slice(value: Any, node: Index) -> list[Any]:
    if not isinstance(value, list):
        raise JSONPathError(f"{type(value).__name__} is not array or slice")
    length = len(value)
    start = node.start or 0
    if start < 0:
        start += length
    end = length if node.end is None else node.end
    if end < 0 or (node.single and node.end == 0):
        end += length
    if end == start:
        return []
    if not 0 <= start < length:
        raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
    if not 0 <= end <= length:
        raise JSONPathError(f"array index out of bounds: index {end - 1}, length {length}")
    if start > end:
        raise JSONPathError(f"starting index {start} is greater than ending index {end}")
    step = node.step or 1
    if step <= 0:
        raise JSONPathError("step must be > 0")
    return value[start:end:step]


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list | str):
        return list(value)
    return []


def _descend(value: Any) -> list[Any]:
    children = _children(value) if isinstance(value, dict | list) else []
    if not children:
        return []
    found = [value]
    for child in children:
        found.extend(_descend(child))
    return found


def _compare(left: Any, op: str, right: Any) -> bool:
    numbers = isinstance(left, int | float) and isinstance(right, int | float) \
        and not isinstance(left, bool) and not isinstance(right, bool)
    if op == "=~":
        return isinstance(left, str) and isinstance(right, str) and re.search(right, left) is not None
    if not numbers and type(left) is not type(right):
        if op in ("==", "!="):
            return op == "!="
        raise JSONPathError("incompatible types for comparison")
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if isinstance(left, bool) or left is None or isinstance(left, dict | list):
        raise JSONPathError("invalid type for comparison")
    return {"<": left < right, ">": left > right, "<=": left <= right,
            ">=": left >= right}.get(op, False)


def to_text(value: Any, nested: bool = True) -> str:
    """How kubectl prints one value: strings raw, maps and lists as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>" if nested else ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return str(value)


_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed(expression: str) -> str:
    """``a.b``, ``.a.b``, ``{a.b}`` or ``{.a.b}`` -> ``{.a.b}`` (custom columns, sort-by)."""
    if not expression:
        return expression
    match = _RELAXED.match(expression)
    if match is None:
        raise JSONPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' "
                            "or '{name1.name2}' or '{.name1.name2}'")
    return "{." + (match.group(1) or match.group(2)) + "}"
