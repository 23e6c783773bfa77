"""How the apiserver finds a pod's kubelet, translates the query, and words the failures."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import BadRequest, Invalid, NotFound, ServiceUnavailable
from apiserver import proxy


def pod(*containers: str, init: tuple[str, ...] = (), node: str | None = "n1") -> Pod:
    return Pod.model_validate({
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"nodeName": node,
                 "initContainers": [{"name": c, "image": "i"} for c in init],
                 "containers": [{"name": c, "image": "i"} for c in containers]},
    })


def node(*addresses: tuple[str, str], port: int = 0) -> Node:
    return Node.model_validate({
        "metadata": {"name": "n1"},
        "status": {"addresses": [{"type": t, "address": a} for t, a in addresses],
                   "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}},
    })


# -- where the kubelet is --------------------------------------------------------------


def test_an_unscheduled_pod_has_no_kubelet_to_ask() -> None:
    with pytest.raises(BadRequest, match=r"^pod web does not have a host assigned$"):
        proxy.bound_node(pod("app", node=None))


def test_the_kubelet_is_at_the_nodes_internal_ip_and_kubelet_port() -> None:
    found = proxy.kubelet_address(node(("Hostname", "evil.example"), ("ExternalIP", "203.0.113.9"),
                                       ("InternalIP", "127.0.0.1"), port=10555))
    assert (found.host, found.port, found.url("/pods")) == ("127.0.0.1", 10555, "http://127.0.0.1:10555/pods")


def test_the_kubelet_port_defaults_to_10250() -> None:
    assert proxy.kubelet_address(node(("InternalIP", "10.0.0.4"))).port == 10250


def test_an_ipv6_kubelet_is_bracketed_in_urls() -> None:
    found = proxy.kubelet_address(node(("InternalIP", "fd00::4"), port=10250))
    assert found.url("/healthz", scheme="ws") == "ws://[fd00::4]:10250/healthz"


@pytest.mark.parametrize(("addresses", "message"), [
    ((("Hostname", "node-1"),), 'node "n1" has no InternalIP address'),
    ((("InternalIP", "node-1.example"),), "InternalIP that is not an IP address"),
    ((("InternalIP", "0.0.0.0"),), 'unusable InternalIP "0.0.0.0"'),
])
def test_only_an_ip_the_kubelet_registered_is_ever_dialled(addresses: Any, message: str) -> None:
    with pytest.raises(ServiceUnavailable, match=message):
        proxy.kubelet_address(node(*addresses))


# -- which container -------------------------------------------------------------------


def test_a_pod_with_one_container_needs_no_name() -> None:
    assert proxy.pick_container(pod("app"), None) == "app"


def test_a_pod_with_several_containers_lists_them_like_kubernetes() -> None:
    with pytest.raises(BadRequest) as err:
        proxy.pick_container(pod("app", "sidecar", init=("setup",)), None)
    assert err.value.message == ("a container name must be specified for pod web, "
                                 "choose one of: [setup app sidecar]")


def test_a_container_the_pod_does_not_have_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match=r"^container db is not valid for pod web$"):
        proxy.pick_container(pod("app"), "db")
    assert proxy.pick_container(pod("app", init=("setup",)), "setup") == "setup"


# -- queries ---------------------------------------------------------------------------


def test_log_options_pass_to_the_kubelet_under_their_own_names() -> None:
    container, params = proxy.log_query(pod("app"), {
        "follow": "true", "previous": "false", "timestamps": "1", "tailLines": "5",
        "limitBytes": "100", "sinceTime": "2024-01-01T00:00:00Z", "pretty": "true"})
    assert container == "app"
    assert params == {"follow": "true", "timestamps": "true", "tailLines": "5", "limitBytes": "100",
                      "sinceTime": "2024-01-01T00:00:00Z"}


def test_invalid_log_options_are_an_invalid_pod_log_options() -> None:
    with pytest.raises(Invalid) as err:
        proxy.log_query(pod("app"), {"tailLines": "-1", "sinceSeconds": "0"})
    assert err.value.code == 422
    assert err.value.message == ('PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: '
                                 "must be greater than or equal to 0, sinceSeconds: Invalid value: 0: "
                                 "must be greater than 0]")


def test_since_time_and_since_seconds_exclude_each_other() -> None:
    with pytest.raises(Invalid, match="at most one of `sinceTime` or `sinceSeconds`"):
        proxy.log_query(pod("app"), {"sinceSeconds": "10", "sinceTime": "2024-01-01T00:00:00Z"})


def test_a_non_numeric_tail_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match='invalid value for tailLines: "all"'):
        proxy.log_query(pod("app"), {"tailLines": "all"})


def test_exec_options_become_the_kubelets_command_and_flags() -> None:
    query = QueryParams("command=sh&command=-c&command=exit 3&container=app&stdin=true&stdout=true&tty=false")
    container, params = proxy.exec_query(pod("app", "b"), query, exec_=True)
    assert container == "app"
    assert params == [("command", "sh"), ("command", "-c"), ("command", "exit 3"),
                      ("stdin", "1"), ("stdout", "1")]


def test_exec_needs_a_command_and_a_stream() -> None:
    with pytest.raises(BadRequest, match="at least one command"):
        proxy.exec_query(pod("app"), QueryParams("stdout=true"), exec_=True)
    with pytest.raises(BadRequest, match="at least 1 of stdin, stdout, stderr"):
        proxy.exec_query(pod("app"), QueryParams("command=ls"), exec_=True)
    assert proxy.exec_query(pod("app"), QueryParams("stdout=1"), exec_=False)[1] == [("stdout", "1")]


def test_portforward_ports_become_the_kubelets_port() -> None:
    assert proxy.portforward_query(QueryParams("ports=80,443&ports=8080")) == [
        ("port", "80"), ("port", "443"), ("port", "8080")]
    with pytest.raises(BadRequest, match="as a port"):
        proxy.portforward_query(QueryParams("ports=http"))


# -- what a kubelet's refusal becomes --------------------------------------------------


def test_a_kubelets_status_is_passed_on() -> None:
    body = orjson.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                         "reason": "NotFound", "message": 'pods "web" not found'})
    err = proxy.kubelet_error("n1", 404, body)
    assert isinstance(err, NotFound) and err.message == 'pods "web" not found'


def test_a_kubelets_plain_text_error_keeps_its_code() -> None:
    err = proxy.kubelet_error("n1", 400, b"container not found\n")
    assert isinstance(err, BadRequest) and err.message == "container not found"


@pytest.mark.parametrize("code", [500, 502])
def test_a_kubelet_failure_is_unavailable_never_a_500(code: int) -> None:
    err = proxy.kubelet_error("n1", code, b"boom")
    assert err.code == 503
    assert err.message == 'the kubelet on node "n1" failed: boom'


def test_close_codes_that_describe_are_not_sent() -> None:
    assert [proxy._sendable(c) for c in (None, 1000, 1005, 1006, 1011, 4000)] == [
        1000, 1000, 1000, 1011, 1011, 4000]


# -- the handshake kubectl port-forward needs ------------------------------------------


async def test_the_apiserver_accepts_kubectls_tunnel_subprotocol() -> None:
    """``SPDY/3.1+portforward.k8s.io`` is not an RFC 6455 token; the handshake takes it."""
    async def endpoint(ws: WebSocket) -> None:
        await ws.accept(subprotocol=ws.scope["subprotocols"][0])
        await ws.close()

    app = Starlette(routes=[WebSocketRoute("/pf", endpoint)])
    listening = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, ws=proxy.WebSocketProtocol, log_config=None,
                                           lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with asyncio.timeout(10):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /pf HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                         b"Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            writer.close()
    finally:
        server.should_exit = True
        await task
    assert head.startswith(b"HTTP/1.1 101")
    lines = [line.lower() for line in head.split(b"\r\n")]
    assert b"sec-websocket-protocol: spdy/3.1+portforward.k8s.io" in lines
