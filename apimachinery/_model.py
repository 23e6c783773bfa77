"""The base every API type is built on: camelCase on the wire, None means absent.

Kubernetes objects travel as JSON with camelCase names and omit empty fields. Python
code reads better with snake_case attributes, so each model carries camelCase aliases
(with the handful of Kubernetes spellings such as ``podIP`` given by hand) and dumps
with ``exclude_none``. Every optional field therefore defaults to ``None``: "absent"
and "empty" stay distinguishable, exactly as on the wire.

Strategic merge patch needs to know how each list merges. Kubernetes keeps that in Go
struct tags (``patchStrategy:"merge" patchMergeKey:"name"``); here it lives in the
field's JSON schema extras, set with :func:`merge_list`, so the patch code and the
OpenAPI document read the same source.
"""

from __future__ import annotations

from typing import Any, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "PATCH_MERGE_KEY",
    "PATCH_STRATEGY",
    "Model",
    "merge_list",
]

PATCH_MERGE_KEY = "x-kubernetes-patch-merge-key"
PATCH_STRATEGY = "x-kubernetes-patch-strategy"


class Model(BaseModel):
    """A piece of an API object: camelCase on the wire, ``None`` means absent."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        validate_assignment=False,
        ser_json_timedelta="float",
        defer_build=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The wire form as plain data (camelCase keys, empty fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        return cls.model_validate(orjson.loads(data))

    def copy_deep(self) -> Self:
        """A deep copy to change: never mutate an object read from a cache.

        A dump-and-validate round trip: the same object (``None`` means absent, so
        nothing is lost), about four times faster than ``copy.deepcopy`` of a model.
        """
        return self.model_validate(self.model_dump(by_alias=True, exclude_none=True))


def merge_list(key: str | None = None, strategy: str = "merge", **kwargs: Any) -> Any:
    """A list field with its strategic-merge-patch strategy and merge key.

    ``key=None`` with the default strategy marks a list of scalars merged as a set
    (like ``finalizers``); ``strategy="replace"`` documents the default explicitly.
    """
    extra: dict[str, Any] = {PATCH_STRATEGY: strategy}
    if key is not None:
        extra[PATCH_MERGE_KEY] = key
    return Field(default=None, json_schema_extra=extra, **kwargs)
