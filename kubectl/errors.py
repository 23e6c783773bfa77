"""How skiffctl words a failure: the way kubectl does, because people and scripts grep it.

Three shapes, all on stderr with exit code 1 unless said otherwise:

* the server said no: ``Error from server (NotFound): pods "x" not found``; an Invalid
  answer lists its causes (``The Deployment "web" is invalid: spec.replicas: ...``);
* the server could not be reached: ``The connection to the server 127.0.0.1:8080 was
  refused - did you specify the right host or port?``;
* the command itself is wrong: ``error: the server doesn't have a resource type "foos"``.

This module is imported on every start, so it imports nothing heavy at module level.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["CommandError", "Exit", "format_error", "with_context"]


class CommandError(Exception):
    """A mistake in what was asked; printed as ``error: <message>``."""

    def __init__(self, message: str, code: int = 1, *, raw: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.raw = raw  # printed as it is, without the "error: " kubectl puts in front


class Exit(Exception):
    """Leave with ``code``; whatever had to be said was already printed."""

    def __init__(self, code: int = 1) -> None:
        super().__init__(code)
        self.code = code


class ContextualError(Exception):
    """A server error with what we were doing put in front of its message
    (``error when creating "web.yaml": ...``), as kubectl words it."""

    def __init__(self, err: Exception, context: str) -> None:
        super().__init__(str(err))
        self.err = err
        self.context = context


def with_context(err: Exception, context: str) -> ContextualError:
    return ContextualError(err, context)


def format_error(err: BaseException) -> str:
    """The line(s) kubectl would print for ``err`` (no trailing newline)."""
    from apimachinery.errors import Invalid, StatusError, Unauthorized
    from client.exceptions import ApiConnectionError

    context = ""
    if isinstance(err, ContextualError):
        context, err = err.context + ": ", err.err
    if isinstance(err, CommandError):
        message = err.message
        return message if err.raw or message.startswith("error: ") else f"error: {message}"
    if isinstance(err, Invalid):
        return _invalid(err)
    if isinstance(err, Unauthorized):
        return f"error: You must be logged in to the server ({err.message})"
    if isinstance(err, StatusError):
        reason = err.reason
        return (f"Error from server ({reason}): {context}{err.message}" if reason
                else f"Error from server: {context}{err.message}")
    if isinstance(err, ApiConnectionError):
        return _connection(err)
    text = str(err) or type(err).__name__
    return text if text.startswith("error: ") else f"error: {context}{text}"


def _invalid(err: Any) -> str:
    details = err.details
    head = "The request is invalid"
    if details is None:
        return f"{head}: {err.message}" if err.message else head
    if details.kind or details.name:
        head = f'The {details.kind or ""} "{details.name or ""}" is invalid'
    causes: list[str] = []
    for cause in details.causes or ():
        line = f"{cause.field}: {cause.message}"
        if line not in causes:
            causes.append(line)
    if not causes:
        return f"{head}: {err.message}" if not (details.kind or details.name) else head
    if len(causes) == 1:
        return f"{head}: {causes[0]}"
    return f"{head}: \n" + "\n".join(f"* {c}" for c in causes)


def _refused(err: BaseException | None) -> bool:
    """Somewhere down the chain of causes, a refused connection."""
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, ConnectionRefusedError) or "refused" in str(err).lower():
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


def _connection(err: Any) -> str:
    text = str(err)
    host = urlsplit(err.url).netloc if getattr(err, "url", "") else ""
    if _refused(err):
        return (f"The connection to the server {host} was refused - did you specify "
                "the right host or port?")
    detail = text.split(": ", 1)[-1]
    return f"Unable to connect to the server: {detail}"
