"""Resource names and quantities: ``requests``, ``limits``, quotas, node capacity.

Comparing ``500m`` with ``1`` needs a quantity parser. ``apimachinery.quantity`` owns
that; until it lands, a small exact parser here stands in, so validation never
depends on which of the two is present.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from apimachinery.core_v1 import ResourceRequirements
from apimachinery.errors import FieldError
from apimachinery.validation import checks
from apimachinery.validation.objectmeta import IS_NEGATIVE, Errors

__all__ = [
    "QUANTITY_FORMAT_ERROR",
    "quantity_value",
    "validate_container_resources",
    "validate_resource_list",
]

QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$"
)
_SUFFIX_SCALE: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})


def _fallback_parse(text: str) -> Fraction:
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise ValueError(text)
    number, suffix = match.group(1), match.group(2) or ""
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return Fraction(number) * Fraction(10) ** int(suffix[1:])
    return Fraction(number) * _SUFFIX_SCALE[suffix]


def _load_parser() -> Callable[[str], Any]:
    try:
        module = importlib.import_module("apimachinery.quantity")
    except ImportError:
        return _fallback_parse
    parser: Callable[[str], Any] = getattr(module, "parse_quantity", _fallback_parse)
    return parser


_parse = _load_parser()


def quantity_value(text: str) -> Any | None:
    """The exact value of a quantity (comparable with others), or None if malformed."""
    try:
        return _parse(text)
    except (ValueError, ArithmeticError, TypeError):
        return None


def _is_native(name: str) -> bool:
    return "/" not in name or name.startswith("kubernetes.io/")


def _is_huge_pages(name: str) -> bool:
    return name.startswith("hugepages-")


def _overcommit_allowed(name: str) -> bool:
    # Devices (extended resources) and huge pages cannot be shared beyond the limit.
    return _is_native(name) and not _is_huge_pages(name)


def _container_resource_name_errors(name: str, path: str) -> Errors:
    problems = _container_resource_name_problems(name)
    return [FieldError.invalid(path, name, msg) for msg in problems] if problems else []


@lru_cache(maxsize=1024)
def _container_resource_name_problems(name: str) -> tuple[str, ...]:
    # Cached: every container of every pod names the same few resources (cpu,
    # memory), and the answer depends on the name alone.
    problems = checks.qualified_name_errors(name)
    if problems:
        return tuple(problems)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_huge_pages(name):
            return ("must be a standard resource for containers",)
    elif not _is_native(name) and name.startswith("requests."):
        return ("doesn't follow extended resource name standard",)
    return ()


def _quantity_errors(name: str, text: str, path: str) -> Errors:
    problem = _quantity_problem(text, _is_native(name))
    return [] if problem is None else [FieldError.invalid(path, text, problem)]


def _quantity_problem(text: str, native: bool) -> str | None:
    """What is wrong with one quantity of a native or an extended resource, if anything."""
    if not isinstance(text, str):
        # Only reachable from code that built the model without validating it; such a
        # value is no quantity (quantity_value says None), and it may not be hashable.
        return QUANTITY_FORMAT_ERROR
    return _quantity_text_problem(text, native)


@lru_cache(maxsize=4096)
def _quantity_text_problem(text: str, native: bool) -> str | None:
    # Cached: pods repeat the same few quantities ("100m", "64Mi"), and comparing exact
    # fractions costs more than the lookup. The verdict depends on nothing else.
    value = quantity_value(text)
    if value is None:
        return QUANTITY_FORMAT_ERROR
    if value < 0:
        return IS_NEGATIVE
    if not native and value != int(value):
        return "must be an integer"
    return None


def validate_resource_list(resources: Mapping[str, str] | None, path: str) -> Errors:
    """Well-formed, non-negative quantities (capacity, quota, overhead)."""
    errors: Errors = []
    for name, text in (resources or {}).items():
        errors += _quantity_errors(name, text, f"{path}[{name}]")
    return errors


def validate_container_resources(resources: ResourceRequirements, path: str) -> Errors:
    errors: Errors = []
    limits = resources.limits or {}
    requests = resources.requests or {}
    for name, text in limits.items():
        item = f"{path}.limits[{name}]"
        errors += _container_resource_name_errors(name, item) + _quantity_errors(name, text, item)
    for name, text in requests.items():
        item = f"{path}.requests[{name}]"
        errors += _container_resource_name_errors(name, item) + _quantity_errors(name, text, item)
        errors += _request_within_limit(name, text, limits, path)
    return errors


def _request_within_limit(name: str, text: str, limits: Mapping[str, str], path: str) -> Errors:
    if name not in limits:
        if _overcommit_allowed(name):
            return []
        detail = "Limit must be set for non overcommitable resources"
        return [FieldError.required(f"{path}.limits", detail)]
    request, limit = quantity_value(text), quantity_value(limits[name])
    if request is None or limit is None:
        return []
    if not _overcommit_allowed(name) and request != limit:
        detail = f"must be equal to {name} limit of {limits[name]}"
        return [FieldError.invalid(f"{path}.requests", text, detail)]
    if request > limit:
        detail = f"must be less than or equal to {name} limit of {limits[name]}"
        return [FieldError.invalid(f"{path}.requests", text, detail)]
    return []
