"""Failures are worded the way kubectl words them."""

from __future__ import annotations

import httpx

from apimachinery.errors import (
    AlreadyExists,
    FieldError,
    Invalid,
    NotFound,
    StatusError,
    Unauthorized,
    error_from_status,
)
from client.exceptions import connection_error
from kubectl.errors import CommandError, format_error, with_context


def test_server_errors_name_their_reason() -> None:
    assert format_error(NotFound.for_resource("pods", "x")) == \
        'Error from server (NotFound): pods "x" not found'
    assert format_error(with_context(AlreadyExists.for_resource("deployments", "web", "apps"),
                                     'error when creating "web.yaml"')) == \
        ('Error from server (AlreadyExists): error when creating "web.yaml": '
         'deployments.apps "web" already exists')
    unknown = error_from_status({"code": 500, "message": "boom"}, 500)
    assert format_error(unknown).startswith("Error from server")
    assert isinstance(unknown, StatusError)


def test_invalid_objects_list_their_causes() -> None:
    one = Invalid.for_object("Deployment", "web", [FieldError.invalid(
        "spec.replicas", -1, "must be greater than or equal to 0")], "apps")
    assert format_error(one) == ('The Deployment "web" is invalid: spec.replicas: Invalid value: '
                                 "-1: must be greater than or equal to 0")
    two = Invalid.for_object("Pod", "p", [FieldError.required("spec.containers"),
                                          FieldError.required("metadata.name")])
    assert format_error(two) == ('The Pod "p" is invalid: \n* spec.containers: Required value\n'
                                 "* metadata.name: Required value")
    assert format_error(Invalid("test failed")) == "The request is invalid: test failed"


def test_unauthorized_asks_to_log_in() -> None:
    assert format_error(Unauthorized("Unauthorized")) == \
        "error: You must be logged in to the server (Unauthorized)"


def test_a_refused_connection_names_the_host() -> None:
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    err = connection_error(refused, "GET", "http://127.0.0.1:8080/api/v1/pods")
    err.__cause__ = refused  # as the client raises it: ``raise connection_error(...) from err``
    assert format_error(err) == ("The connection to the server 127.0.0.1:8080 was refused - "
                                 "did you specify the right host or port?")
    timeout = connection_error(httpx.ReadTimeout("timed out"), "GET", "http://h:1/x")
    assert format_error(timeout).startswith("Unable to connect to the server: ")


def test_command_errors_get_the_error_prefix_once() -> None:
    assert format_error(CommandError("bad")) == "error: bad"
    assert format_error(CommandError("error: already")) == "error: already"
    assert format_error(CommandError("You must specify", raw=True)) == "You must specify"
