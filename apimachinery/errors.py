"""Typed API errors, and the one place they map to a Kubernetes ``Status``.

Every failure a client can see is a :class:`StatusError` subclass carrying the HTTP
code and the Kubernetes ``reason``; the apiserver turns it into a ``Status`` body and
the client turns a ``Status`` body back into the same class, so ``except NotFound``
reads the same on both sides of the wire. Messages follow the Kubernetes wording
(``pods "x" not found``) because users and scripts grep for them.

:class:`FieldError` is one validation failure on one field path; a list of them
becomes an ``Invalid`` (422) error whose message kubectl prints verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from apimachinery.meta import Status, StatusCause, StatusDetails

__all__ = [
    "AlreadyExists",
    "BadRequest",
    "Conflict",
    "Expired",
    "FieldError",
    "Forbidden",
    "InternalError",
    "Invalid",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "RequestEntityTooLarge",
    "ServiceUnavailable",
    "StatusError",
    "Timeout",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "error_from_status",
    "qualified_resource",
]


def qualified_resource(resource: str, group: str = "") -> str:
    """``pods`` or ``deployments.apps``: how Kubernetes names a resource in messages."""
    return f"{resource}.{group}" if group else resource


class StatusError(Exception):
    """An error with a Kubernetes ``Status``: HTTP code, reason, message and details."""

    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(self, message: str, *, details: StatusDetails | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_status(self) -> Status:
        return Status(
            status="Failure",
            message=self.message,
            reason=self.reason or None,
            details=self.details,
            code=self.code,
        )

    def to_json(self) -> bytes:
        return self.to_status().to_json()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class BadRequest(StatusError):
    code, reason = 400, "BadRequest"


class Unauthorized(StatusError):
    code, reason = 401, "Unauthorized"


class Forbidden(StatusError):
    code, reason = 403, "Forbidden"

    @classmethod
    def for_resource(cls, resource: str, name: str, why: str, group: str = "") -> Forbidden:
        what = qualified_resource(resource, group)
        return cls(
            f'{what} "{name}" is forbidden: {why}',
            details=StatusDetails(name=name or None, group=group or None, kind=resource),
        )


class NotFound(StatusError):
    code, reason = 404, "NotFound"

    @classmethod
    def for_resource(cls, resource: str, name: str, group: str = "") -> NotFound:
        what = qualified_resource(resource, group)
        return cls(
            f'{what} "{name}" not found',
            details=StatusDetails(name=name, group=group or None, kind=resource),
        )


class MethodNotAllowed(StatusError):
    code, reason = 405, "MethodNotAllowed"


class NotAcceptable(StatusError):
    code, reason = 406, "NotAcceptable"


class AlreadyExists(StatusError):
    code, reason = 409, "AlreadyExists"

    @classmethod
    def for_resource(cls, resource: str, name: str, group: str = "") -> AlreadyExists:
        what = qualified_resource(resource, group)
        return cls(
            f'{what} "{name}" already exists',
            details=StatusDetails(name=name, group=group or None, kind=resource),
        )


class Conflict(StatusError):
    code, reason = 409, "Conflict"

    @classmethod
    def for_resource(
        cls, resource: str, name: str, why: str | None = None, group: str = ""
    ) -> Conflict:
        what = qualified_resource(resource, group)
        why = why or (
            "the object has been modified; please apply your changes to the latest "
            "version and try again"
        )
        return cls(
            f'Operation cannot be fulfilled on {what} "{name}": {why}',
            details=StatusDetails(name=name, group=group or None, kind=resource),
        )


class Expired(StatusError):
    """410: the resourceVersion asked for is older than what the server keeps."""

    code, reason = 410, "Expired"


class RequestEntityTooLarge(StatusError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaType(StatusError):
    code, reason = 415, "UnsupportedMediaType"


class TooManyRequests(StatusError):
    code, reason = 429, "TooManyRequests"


class InternalError(StatusError):
    code, reason = 500, "InternalError"


class ServiceUnavailable(StatusError):
    code, reason = 503, "ServiceUnavailable"


class Timeout(StatusError):
    code, reason = 504, "Timeout"


@dataclass(frozen=True)
class FieldError:
    """One invalid field, worded like Kubernetes' ``field.Error``."""

    type: str  # Required, Invalid, NotSupported, NotFound, Duplicate, Forbidden, TooLong, TooMany
    field: str
    detail: str = ""
    value: Any = None

    REASONS: ClassVar[dict[str, tuple[str, str]]] = {
        "Required": ("FieldValueRequired", "Required value"),
        "Invalid": ("FieldValueInvalid", "Invalid value"),
        "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
        "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
        "NotFound": ("FieldValueNotFound", "Not found"),
        "Forbidden": ("FieldValueForbidden", "Forbidden"),
        "TooLong": ("FieldValueTooLong", "Too long"),
        "TooMany": ("FieldValueTooMany", "Too many"),
    }

    @classmethod
    def required(cls, field: str, detail: str = "") -> FieldError:
        return cls("Required", field, detail)

    @classmethod
    def invalid(cls, field: str, value: Any, detail: str) -> FieldError:
        return cls("Invalid", field, detail, value)

    @classmethod
    def not_supported(cls, field: str, value: Any, supported: list[str]) -> FieldError:
        detail = "supported values: " + ", ".join(f'"{s}"' for s in supported)
        return cls("NotSupported", field, detail, value)

    @classmethod
    def duplicate(cls, field: str, value: Any) -> FieldError:
        return cls("Duplicate", field, "", value)

    @classmethod
    def not_found(cls, field: str, value: Any) -> FieldError:
        return cls("NotFound", field, "", value)

    @classmethod
    def forbidden(cls, field: str, detail: str) -> FieldError:
        return cls("Forbidden", field, detail)

    @classmethod
    def too_long(cls, field: str, value: Any, limit: int) -> FieldError:
        # Kubernetes never echoes a too-long value (it may be huge): only the limit.
        unit = "byte" if limit == 1 else "bytes"
        return cls("TooLong", field, f"may not be more than {limit} {unit}", value)

    @property
    def cause_reason(self) -> str:
        return self.REASONS.get(self.type, ("FieldValueInvalid", ""))[0]

    def __str__(self) -> str:
        label = self.REASONS.get(self.type, ("", self.type))[1]
        shown = ""
        if self.type in ("Invalid", "NotSupported", "NotFound", "Duplicate", "TooMany"):
            shown = " " + _quote(self.value)
            text = f"{self.field}: {label}:{shown}"
        else:
            text = f"{self.field}: {label}"
        return f"{text}: {self.detail}" if self.detail else text


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value, default=str).decode()


class Invalid(StatusError):
    """422: the object failed validation; one cause per field error."""

    code, reason = 422, "Invalid"

    def __init__(self, message: str, *, details: StatusDetails | None = None,
                 errors: list[FieldError] | None = None) -> None:
        super().__init__(message, details=details)
        self.errors = errors or []

    @classmethod
    def for_object(cls, kind: str, name: str, errors: list[FieldError],
                   group: str = "") -> Invalid:
        if len(errors) == 1:
            summary = str(errors[0])
        else:
            summary = "[" + ", ".join(str(e) for e in errors) + "]"
        details = StatusDetails(
            name=name or None,
            group=group or None,
            kind=kind,
            causes=[
                StatusCause(reason=e.cause_reason, message=str(e).split(": ", 1)[-1],
                            field=e.field)
                for e in errors
            ],
        )
        qualified = f"{kind}.{group}" if group else kind
        return cls(f'{qualified} "{name}" is invalid: {summary}', details=details,
                   errors=errors)


_BY_REASON: dict[str, type[StatusError]] = {
    cls.reason: cls
    for cls in (
        BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, NotAcceptable,
        AlreadyExists, Conflict, Expired, RequestEntityTooLarge, UnsupportedMediaType,
        Invalid, TooManyRequests, InternalError, ServiceUnavailable, Timeout,
    )
}
_BY_CODE: dict[int, type[StatusError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
    405: MethodNotAllowed, 406: NotAcceptable, 409: Conflict, 410: Expired,
    413: RequestEntityTooLarge, 415: UnsupportedMediaType, 422: Invalid,
    429: TooManyRequests, 500: InternalError, 503: ServiceUnavailable, 504: Timeout,
}


def error_from_status(status: Status | dict[str, Any], http_code: int = 0) -> StatusError:
    """Rebuild the typed error a server sent (the client side of :meth:`to_status`)."""
    if isinstance(status, dict):
        status = Status.model_validate(status)
    code = status.code or http_code
    cls = _BY_REASON.get(status.reason or "") or _BY_CODE.get(code, StatusError)
    err = cls(status.message or f"the server returned HTTP {code}", details=status.details)
    if cls is StatusError or type(err).code != code:
        # An unknown reason: keep the code the server sent.
        err.code = code  # type: ignore[misc]
    return err
