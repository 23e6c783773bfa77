"""What a LIST or WATCH asks for: a namespace, a label selector and a field selector.

The watch cache evaluates a :class:`Predicate` against every stored object and, for
watches, against every change; it works on the few attributes kept beside each
object's bytes (labels and the selectable fields), never on decoded objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apimachinery import fields, labels
from apimachinery.schema import ResourceType

__all__ = ["Predicate", "selectable_fields"]


@dataclass(frozen=True, slots=True)
class Predicate:
    namespace: str | None = None
    label_selector: labels.Selector | None = None
    field_selector: fields.Selector | None = None

    @classmethod
    def parse(cls, rt: ResourceType, namespace: str | None, label_selector: str | None,
              field_selector: str | None) -> Predicate:
        """Build from query parameters; a bad selector raises ``BadRequest``."""
        ls = labels.Selector.parse(label_selector) if label_selector else None
        fs = fields.validate_field_selector(rt.kind, field_selector) if field_selector else None
        return cls(
            namespace if rt.namespaced else None,
            None if ls is None or ls.empty() else ls,
            None if fs is None or fs.empty() else fs,
        )

    @property
    def everything(self) -> bool:
        return self.label_selector is None and self.field_selector is None

    def matches(self, namespace: str, object_labels: Mapping[str, str],
                object_fields: Mapping[str, str]) -> bool:
        if self.namespace is not None and namespace != self.namespace:
            return False
        if self.label_selector is not None and not self.label_selector.matches(object_labels):
            return False
        return self.field_selector is None or self.field_selector.matches(object_fields)

    def exact_field(self, name: str) -> str | None:
        """The value this predicate requires ``name`` to equal, if it pins one."""
        if self.field_selector is None:
            return None
        return self.field_selector.requires_exact_match(name)


def selectable_fields(rt: ResourceType, obj: Mapping[str, Any]) -> dict[str, str]:
    return fields.selectable_fields(rt.kind, obj)
