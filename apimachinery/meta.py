"""meta/v1: the parts every object shares, and the API's own envelope types.

ObjectMeta and ListMeta sit on every object and list; Status is what every error is
returned as; Table is what ``kubectl get`` asks the server to print; WatchEvent is one
line of a watch stream; DeleteOptions and the options of lists and watches are what
clients send.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from apimachinery._model import Model, merge_list

__all__ = [
    "Condition",
    "DeleteOptions",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ListMeta",
    "ManagedFieldsEntry",
    "ObjectMeta",
    "OwnerReference",
    "Preconditions",
    "Status",
    "StatusCause",
    "StatusDetails",
    "Table",
    "TableColumnDefinition",
    "TableRow",
    "WatchEvent",
]


class OwnerReference(Model):
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ManagedFieldsEntry(Model):
    manager: str | None = None
    operation: str | None = None
    api_version: str | None = None
    time: str | None = None
    fields_type: str | None = None
    fields_v1: dict[str, Any] | None = Field(default=None, alias="fieldsV1")
    subresource: str | None = None


class ObjectMeta(Model):
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = merge_list("uid")
    finalizers: list[str] | None = merge_list()
    managed_fields: list[ManagedFieldsEntry] | None = None
    self_link: str | None = None

    def controller_ref(self) -> OwnerReference | None:
        """The owner reference marked ``controller: true``, if any."""
        for ref in self.owner_references or ():
            if ref.controller:
                return ref
        return None


class ListMeta(Model):
    resource_version: str | None = None
    continue_: str | None = Field(default=None, alias="continue")
    remaining_item_count: int | None = None
    self_link: str | None = None


class LabelSelectorRequirement(Model):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(Model):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class Condition(Model):
    """meta/v1 Condition, the shape newer types use for ``status.conditions``."""

    type: str
    status: str
    observed_generation: int | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class StatusCause(Model):
    reason: str | None = None
    message: str | None = None
    field: str | None = None


class StatusDetails(Model):
    name: str | None = None
    group: str | None = None
    kind: str | None = None
    uid: str | None = None
    causes: list[StatusCause] | None = None
    retry_after_seconds: int | None = None


class Status(Model):
    api_version: str = "v1"
    kind: str = "Status"
    metadata: ListMeta = Field(default_factory=ListMeta)
    status: Literal["Success", "Failure"] | None = None
    message: str | None = None
    reason: str | None = None
    details: StatusDetails | None = None
    code: int | None = None


class Preconditions(Model):
    uid: str | None = None
    resource_version: str | None = None


class DeleteOptions(Model):
    api_version: str | None = None
    kind: str | None = None
    grace_period_seconds: int | None = None
    preconditions: Preconditions | None = None
    orphan_dependents: bool | None = None
    propagation_policy: Literal["Orphan", "Background", "Foreground"] | None = None
    dry_run: list[str] | None = None


class TableColumnDefinition(Model):
    name: str
    type: str
    format: str = ""
    description: str = ""
    priority: int = 0


class TableRow(Model):
    cells: list[Any]
    conditions: list[dict[str, Any]] | None = None
    object: dict[str, Any] | None = None


class Table(Model):
    api_version: str = "meta.k8s.io/v1"
    kind: str = "Table"
    metadata: ListMeta = Field(default_factory=ListMeta)
    column_definitions: list[TableColumnDefinition] = Field(default_factory=list)
    rows: list[TableRow] = Field(default_factory=list)


class WatchEvent(Model):
    type: Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]
    object: dict[str, Any]
