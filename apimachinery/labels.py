"""Label selectors: ``app=web,tier in (fe,be),!canary``, parsed as Kubernetes does.

Every LIST and WATCH with ``?labelSelector=`` goes through here, and every controller
matches its ``spec.selector`` against pods with it, so the grammar, the error wording
and the canonical string follow ``k8s.io/apimachinery/pkg/labels`` exactly: clients
send what kubectl prints, and scripts grep the messages.

``Selector.matches`` runs once per object of a LIST that may hold ten thousand items,
so each requirement is compiled to a small predicate up front, and a selector made only
of equalities becomes one C-level subset test on the label dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from apimachinery.errors import BadRequest
from apimachinery.meta import LabelSelector

__all__ = [
    "Operator",
    "Requirement",
    "Selector",
    "label_key_errors",
    "label_value_errors",
    "parse",
]

Labels = Mapping[str, str]


class Operator(StrEnum):
    """``selection.Operator``: the spelling is what the Go code prints in errors."""

    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_BINARY = (Operator.IN, Operator.NOT_IN, Operator.EQUALS, Operator.DOUBLE_EQUALS,
           Operator.NOT_EQUALS, Operator.GREATER_THAN, Operator.LESS_THAN)
_ALL_OPERATORS = (*_BINARY, Operator.EXISTS, Operator.DOES_NOT_EXIST)
_EXACT = (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
_SYMBOL = {
    Operator.EQUALS: "=", Operator.DOUBLE_EQUALS: "==", Operator.NOT_EQUALS: "!=",
    Operator.IN: " in ", Operator.NOT_IN: " notin ", Operator.GREATER_THAN: ">",
    Operator.LESS_THAN: "<",
}
_INT64 = re.compile(r"[+-]?[0-9]+")
_INT64_RANGE = range(-(2**63), 2**63)


def _as_int64(text: str) -> int | None:
    """Go's ``strconv.ParseInt(s, 10, 64)``: ``None`` where it would fail."""
    if not _INT64.fullmatch(text):
        return None
    value = int(text)
    return value if value in _INT64_RANGE else None


# --- label key and value validation (wording from k8s validation helpers) ---------

_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_KEY_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character")
_VALUE_FMT = f"({_KEY_FMT})?"
_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric "
              "characters, '-', '_' or '.', and must start and end with an alphanumeric "
              "character")
_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"
_DNS_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case "
                      "alphanumeric characters, '-' or '.', and must start and end with an "
                      "alphanumeric character")
_KEY_RE = re.compile(_KEY_FMT)
_VALUE_RE = re.compile(_VALUE_FMT)
_DNS_SUBDOMAIN_RE = re.compile(_DNS_SUBDOMAIN_FMT)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len_error(limit: int) -> str:
    return f"must be no more than {limit} characters"


def _subdomain_errors(value: str) -> list[str]:
    errs = []
    if len(value.encode()) > 253:
        errs.append(_max_len_error(253))
    if not _DNS_SUBDOMAIN_RE.fullmatch(value):
        errs.append(_regex_error(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com"))
    return errs


def label_key_errors(key: str) -> list[str]:
    """Why ``key`` is not a valid label key (empty when it is): ``IsQualifiedName``."""
    parts = key.split("/")
    if len(parts) > 2:
        return ["a qualified name "
                + _regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    errs: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + e for e in _subdomain_errors(prefix))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _KEY_RE.fullmatch(name):
        errs.append("name part "
                    + _regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    """Why ``value`` is not a valid label value (empty when it is)."""
    errs = []
    if len(value.encode()) > 63:
        errs.append(_max_len_error(63))
    if not _VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _invalid(path: str, value: Any, detail: str) -> str:
    """A ``field.Invalid`` error as Go prints it."""
    return f"{path}: Invalid value: {json.dumps(value, ensure_ascii=False)}: {detail}"


def _aggregate(errs: list[str]) -> str:
    unique = list(dict.fromkeys(errs))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- requirements ------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One ``key op values`` term of a selector."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    @classmethod
    def new(cls, key: str, operator: str, values: Iterable[str] = (),
            path: str | None = None) -> Requirement:
        """A validated requirement (``labels.NewRequirement``); raises BadRequest."""
        vals = tuple(values)
        errs = _requirement_errors(key, operator, vals, path)
        if errs:
            raise BadRequest(_aggregate(errs))
        return cls(key, Operator(operator), vals)

    def matches(self, labels: Labels) -> bool:
        return _compile(self)(labels)

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        if op is Operator.EXISTS:
            return self.key
        shown = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (Operator.IN, Operator.NOT_IN):
            shown = f"({shown})"
        return f"{self.key}{_SYMBOL[op]}{shown}"


def _requirement_errors(key: str, op: str, values: tuple[str, ...],
                        path: str | None) -> list[str]:
    def at(child: str) -> str:
        return f"{path}.{child}" if path else child

    errs = []
    if key_errs := label_key_errors(key):
        errs.append(_invalid(at("key"), key, "; ".join(key_errs)))
    errs.extend(_operator_errors(op, values, at))
    for i, value in enumerate(values):
        if value_errs := label_value_errors(value):
            errs.append(_invalid(f"{at('values')}[{i}][{key}]", value, "; ".join(value_errs)))
    return errs


def _operator_errors(op: str, values: tuple[str, ...], at: Callable[[str], str]) -> list[str]:
    where = at("values")
    if op in (Operator.IN, Operator.NOT_IN):
        if not values:
            return [_invalid(where, [], "for 'in', 'notin' operators, values set can't be empty")]
    elif op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
        if len(values) != 1:
            return [_invalid(where, list(values),
                             "exact-match compatibility requires one single value")]
    elif op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
        if values:
            return [_invalid(where, list(values),
                             "values set must be empty for exists and does not exist")]
    elif op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        errs = []
        if len(values) != 1:
            errs.append(_invalid(where, list(values),
                                 "for 'Gt', 'Lt' operators, exactly one value is required"))
        errs.extend(_invalid(f"{where}[{i}]", v,
                             "for 'Gt', 'Lt' operators, the value must be an integer")
                    for i, v in enumerate(values) if _as_int64(v) is None)
        return errs
    else:
        supported = ", ".join(f'"{o}"' for o in _ALL_OPERATORS)
        return [f'{at("operator")}: Unsupported value: {json.dumps(op)}: '
                f"supported values: {supported}"]
    return []


def _compile(req: Requirement) -> Callable[[Labels], bool]:
    """A predicate for one requirement; absent keys read as ``None``."""
    key, op, values = req.key, req.operator, req.values
    if op in _EXACT or op is Operator.NOT_IN or op is Operator.NOT_EQUALS:
        negate = op is Operator.NOT_IN or op is Operator.NOT_EQUALS
        if len(values) == 1:
            only = values[0]
            if negate:
                return lambda ls: ls.get(key) != only
            return lambda ls: ls.get(key) == only
        members = frozenset(values)
        if negate:
            return lambda ls: ls.get(key) not in members
        return lambda ls: ls.get(key) in members
    if op is Operator.EXISTS:
        return lambda ls: key in ls
    if op is Operator.DOES_NOT_EXIST:
        return lambda ls: key not in ls
    return _compile_ordering(key, op, values)


def _compile_ordering(key: str, op: Operator, values: tuple[str, ...]) -> Callable[[Labels], bool]:
    bound = _as_int64(values[0]) if len(values) == 1 else None
    if bound is None:
        return lambda ls: False
    greater = op is Operator.GREATER_THAN

    def compare(ls: Labels) -> bool:
        raw = ls.get(key)
        have = None if raw is None else _as_int64(raw)
        if have is None:
            return False
        return have > bound if greater else have < bound

    return compare


# --- selectors ---------------------------------------------------------------------


class Selector:
    """A conjunction of requirements, kept sorted by key like Kubernetes does."""

    __slots__ = ("_nothing", "_pairs", "_predicates", "_requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, _nothing: bool = False):
        reqs = tuple(sorted(requirements, key=lambda r: r.key))
        self._requirements = reqs
        self._nothing = _nothing
        exact = all(r.operator in _EXACT and len(r.values) == 1 for r in reqs)
        # Pure equality selectors (the common case) match with one subset test.
        self._pairs = frozenset((r.key, r.values[0]) for r in reqs) if exact else None
        self._predicates = tuple(_compile(r) for r in reqs)

    @classmethod
    def everything(cls) -> Selector:
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> Selector:
        return _NOTHING

    @classmethod
    def parse(cls, selector: str) -> Selector:
        return parse(selector)

    @classmethod
    def from_set(cls, labels: Labels | None) -> Selector:
        """Equality on every pair (``SelectorFromSet``); no validation."""
        if not labels:
            return _EVERYTHING
        return cls(Requirement(k, Operator.EQUALS, (v,)) for k, v in labels.items())

    @classmethod
    def from_label_selector(cls, selector: LabelSelector | Mapping[str, Any] | None) -> Selector:
        """``metav1.LabelSelectorAsSelector``: ``None`` matches nothing, ``{}`` all.

        Like Kubernetes, the nothing selector prints as ``""``, which on the wire
        means everything: check :attr:`is_nothing` before sending it as
        ``?labelSelector=``.
        """
        if selector is None:
            return _NOTHING
        if isinstance(selector, BaseModel):
            selector = selector.model_dump(by_alias=True, exclude_none=True)
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        if not match_labels and not expressions:
            return _EVERYTHING
        reqs = [Requirement.new(k, Operator.EQUALS, (v,)) for k, v in sorted(match_labels.items())]
        reqs.extend(_from_expression(expr) for expr in expressions)
        return cls(reqs)

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return self._requirements

    @property
    def is_nothing(self) -> bool:
        return self._nothing

    def matches(self, labels: Labels | None) -> bool:
        if self._nothing:
            return False
        if labels is None:
            labels = _NO_LABELS
        if self._pairs is not None:
            return labels.items() >= self._pairs
        for predicate in self._predicates:
            if not predicate(labels):
                return False
        return True

    def empty(self) -> bool:
        """True when the selector matches everything (``Nothing`` is not empty)."""
        return not self._nothing and not self._requirements

    def add(self, *requirements: Requirement) -> Selector:
        if self._nothing:
            return self
        return Selector((*self._requirements, *requirements))

    def requires_exact_match(self, key: str) -> str | None:
        """The value ``key`` must equal, decided by its first requirement."""
        for req in self._requirements:
            if req.key == key:
                if req.operator in _EXACT and len(req.values) == 1:
                    return req.values[0]
                return None
        return None

    def exact_matches(self) -> dict[str, str]:
        """``key -> value`` pairs every match must carry: what an index can use."""
        pairs: dict[str, str] = {}
        for req in self._requirements:
            if req.operator in _EXACT and len(req.values) == 1:
                pairs.setdefault(req.key, req.values[0])
        return pairs

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._requirements)

    def __repr__(self) -> str:
        if self._nothing:
            return "Selector.nothing()"
        return f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return (self._nothing, self._requirements) == (other._nothing, other._requirements)

    def __hash__(self) -> int:
        return hash((self._nothing, self._requirements))


_NO_LABELS: Labels = {}
_EVERYTHING = Selector()
_NOTHING = Selector(_nothing=True)

_EXPRESSION_OPERATORS = {
    "In": Operator.IN, "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS, "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def _from_expression(expr: Any) -> Requirement:
    if isinstance(expr, BaseModel):
        expr = expr.model_dump(by_alias=True, exclude_none=True)
    op = _EXPRESSION_OPERATORS.get(expr.get("operator", ""))
    if op is None:
        raise BadRequest(f"{json.dumps(expr.get('operator', ''))} is not a valid label "
                         "selector operator")
    return Requirement.new(expr.get("key", ""), op, expr.get("values") or ())


# --- the string grammar --------------------------------------------------------------


class _Tok(StrEnum):
    ERROR = "error"
    END = "end"
    CLOSE = ")"
    COMMA = ","
    NOT = "!"
    DOUBLE_EQUALS = "=="
    EQUALS = "="
    GREATER = ">"
    IDENT = "ident"
    IN = "in"
    LESS = "<"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    OPEN = "("


_TOKENS = {
    ")": _Tok.CLOSE, ",": _Tok.COMMA, "!": _Tok.NOT, "==": _Tok.DOUBLE_EQUALS,
    "=": _Tok.EQUALS, ">": _Tok.GREATER, "in": _Tok.IN, "<": _Tok.LESS,
    "!=": _Tok.NOT_EQUALS, "notin": _Tok.NOT_IN, "(": _Tok.OPEN,
}
_WHITESPACE = frozenset(" \t\r\n")
_SPECIAL = frozenset("=!(),><")
_OPERATOR_OF = {
    _Tok.IN: Operator.IN, _Tok.EQUALS: Operator.EQUALS,
    _Tok.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS, _Tok.GREATER: Operator.GREATER_THAN,
    _Tok.LESS: Operator.LESS_THAN, _Tok.NOT_IN: Operator.NOT_IN,
    _Tok.NOT_EQUALS: Operator.NOT_EQUALS,
}


def _lex(text: str) -> list[tuple[_Tok, str]]:
    """Split into tokens; the longest run of special characters that is a token wins."""
    items: list[tuple[_Tok, str]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            items.append((_Tok.END, ""))
            return items
        if text[pos] in _SPECIAL:
            tok, lit, pos = _lex_special(text, pos)
        else:
            start = pos
            while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
                pos += 1
            lit = text[start:pos]
            tok = _TOKENS.get(lit, _Tok.IDENT)
        items.append((tok, lit))


def _lex_special(text: str, pos: int) -> tuple[_Tok, str, int]:
    best: tuple[_Tok, str, int] | None = None
    start = pos
    while pos < len(text) and text[pos] in _SPECIAL:
        pos += 1
        tok = _TOKENS.get(text[start:pos])
        if tok is not None:
            best = (tok, text[start:pos], pos)
        elif best is not None:
            break
    if best is None:
        return _Tok.ERROR, f"error expected: keyword found '{text[start:pos]}'", pos
    return best


class _Parser:
    """A port of the recursive-descent parser in ``labels/selector.go``."""

    def __init__(self, text: str):
        self.items = _lex(text)
        self.pos = 0

    def lookahead(self, values: bool = True) -> tuple[_Tok, str]:
        return self._as_context(self.items[self.pos], values)

    def consume(self, values: bool = True) -> tuple[_Tok, str]:
        item = self.items[self.pos]
        self.pos += 1
        return self._as_context(item, values)

    @staticmethod
    def _as_context(item: tuple[_Tok, str], values: bool) -> tuple[_Tok, str]:
        # Where values are expected, "in" and "notin" are ordinary identifiers.
        tok, lit = item
        if values and tok in (_Tok.IN, _Tok.NOT_IN):
            return _Tok.IDENT, lit
        return tok, lit

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok is _Tok.END:
                return reqs
            if tok not in (_Tok.IDENT, _Tok.NOT):
                raise _Error(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except _Error as err:
                raise _Error(f"unable to parse requirement: {err}") from None
            tok, lit = self.consume()
            if tok is _Tok.END:
                return reqs
            if tok is not _Tok.COMMA:
                raise _Error(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.lookahead()
            if tok not in (_Tok.IDENT, _Tok.NOT):
                raise _Error(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        key, op = self.key_and_operator()
        if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
            return self.build(key, op, ())
        op = self.operator()
        values = self.value_set() if op in (Operator.IN, Operator.NOT_IN) else self.exact_value()
        return self.build(key, op, tuple(sorted(values)))

    @staticmethod
    def build(key: str, op: Operator, values: tuple[str, ...]) -> Requirement:
        errs = _requirement_errors(key, op, values, None)
        if errs:
            raise _Error(_aggregate(errs))
        return Requirement(key, op, values)

    def key_and_operator(self) -> tuple[str, Operator | None]:
        op: Operator | None = None
        tok, lit = self.consume()
        if tok is _Tok.NOT:
            op = Operator.DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok is not _Tok.IDENT:
            raise _Error(f"found '{lit}', expected: identifier")
        if errs := label_key_errors(lit):
            # Go validates with a nil field path here, and prints it as "<nil>".
            raise _Error(_invalid("<nil>", lit, "; ".join(errs)))
        nxt, _ = self.lookahead()
        if nxt in (_Tok.END, _Tok.COMMA) and op is None:
            op = Operator.EXISTS
        return lit, op

    def operator(self) -> Operator:
        tok, lit = self.consume(values=False)
        op = _OPERATOR_OF.get(tok)
        if op is None:
            expected = ", ".join(str(o) for o in _BINARY)
            raise _Error(f"found '{lit}', expected: {expected}")
        return op

    def value_set(self) -> set[str]:
        tok, lit = self.consume()
        if tok is not _Tok.OPEN:
            raise _Error(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_Tok.IDENT, _Tok.COMMA):
            values = self.identifiers()
            if self.consume()[0] is not _Tok.CLOSE:
                raise _Error(f"found '{lit}', expected: ')'")
            return values
        if tok is _Tok.CLOSE:
            self.consume()
            return {""}
        raise _Error(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok is _Tok.IDENT:
                values.add(lit)
                nxt, nlit = self.lookahead()
                if nxt is _Tok.CLOSE:
                    return values
                if nxt is not _Tok.COMMA:
                    raise _Error(f"found '{nlit}', expected: ',' or ')'")
            elif tok is _Tok.COMMA:
                # "(,a", "a,)" and "a,,b" each carry an empty value.
                if not values:
                    values.add("")
                nxt, _ = self.lookahead()
                if nxt is _Tok.CLOSE:
                    values.add("")
                    return values
                if nxt is _Tok.COMMA:
                    values.add("")
            else:
                raise _Error(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (_Tok.END, _Tok.COMMA):
            return {""}
        tok, lit = self.consume()
        if tok is _Tok.IDENT:
            return {lit}
        raise _Error(f"found '{lit}', expected: identifier")


class _Error(Exception):
    pass


def parse(selector: str) -> Selector:
    """Parse the ``?labelSelector=`` syntax; raises BadRequest as the apiserver does."""
    try:
        return Selector(_Parser(selector).parse())
    except _Error as err:
        raise BadRequest(str(err)) from None
