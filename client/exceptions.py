"""Failures to reach the apiserver at all, as opposed to the server saying no.

A server that answers with an error Status raises the typed
:class:`apimachinery.errors.StatusError` (``NotFound``, ``Conflict`` ...). When there is
no answer (connection refused, reset, timed out, TLS failure) callers need one type to
catch and retry with backoff, without knowing about httpx: :class:`ApiConnectionError`.
"""

from __future__ import annotations

import httpx

__all__ = ["ApiConnectionError", "ApiTimeoutError", "connection_error"]


class ApiConnectionError(Exception):
    """The apiserver could not be reached, or the connection broke mid-answer."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ApiTimeoutError(ApiConnectionError):
    """The apiserver did not answer in time."""


def connection_error(err: httpx.TransportError, method: str, url: str) -> ApiConnectionError:
    """The :class:`ApiConnectionError` for an httpx transport failure."""
    detail = str(err) or type(err).__name__
    if isinstance(err, httpx.TimeoutException):
        return ApiTimeoutError(f"{method} {url}: timed out ({detail})", method=method, url=url)
    return ApiConnectionError(f"{method} {url}: cannot reach the apiserver ({detail})",
                              method=method, url=url)
