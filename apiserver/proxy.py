"""The apiserver's road to the kubelets: pods/log, exec, attach, portforward and nodes/proxy.

``kubectl logs``, ``exec``, ``attach`` and ``port-forward`` talk to the apiserver, which
finds the pod's node (``spec.nodeName``), the node's kubelet (its ``InternalIP`` and
``status.daemonEndpoints.kubeletEndpoint.port``) and relays: log bodies as they arrive,
WebSocket messages both ways (exec, attach, port-forward: the subprotocol the client
offered is negotiated with the kubelet end to end), other requests for ``nodes/proxy``.

The apiserver only ever connects where a skiff kubelet said it listens: a node's
``InternalIP``, which must be an IP literal, and its kubelet port. Never a hostname, never
an address taken from a request, never an environment proxy. Every failure is a
Kubernetes Status: an unbound pod or a bad container name is 400 as in Kubernetes, an
unreachable kubelet is 503, a kubelet's own Status is passed on.

kubectl port-forward tunnels SPDY in a WebSocket whose subprotocol,
``SPDY/3.1+portforward.k8s.io``, is not an RFC 6455 token; Go accepts it, Python's
websockets does not. :class:`WebSocketProtocol` is uvicorn's WebSocket protocol with a
handshake that takes such names as they are (apiserver/main.py serves with it), and the
hop to the kubelet drops the ``SPDY/3.1+`` prefix, as Kubernetes' apiserver does when it
turns the tunnel into an SPDY upgrade to the kubelet.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson
import websockets
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import ClientConnection
from websockets.datastructures import Headers
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import (
    BadRequest,
    FieldError,
    Invalid,
    MethodNotAllowed,
    ServiceUnavailable,
    StatusError,
    error_from_status,
)
from apimachinery.registry import by_plural
from apiserver.handlers import Handlers
from apiserver.requestinfo import RequestInfo
from apiserver.store import ResourceStore

__all__ = [
    "DEFAULT_KUBELET_PORT",
    "KubeletAddress",
    "KubeletProxy",
    "WebSocketProtocol",
    "add_websocket_routes",
    "bound_node",
    "exec_query",
    "kubelet_address",
    "kubelet_error",
    "log_query",
    "pick_container",
    "portforward_query",
]

log = logging.getLogger(__name__)

DEFAULT_KUBELET_PORT = 10250
CONNECT_TIMEOUT = 10.0
MAX_MESSAGE = 16 * 1024 * 1024
SPDY_TUNNEL_PREFIX = "SPDY/3.1+"
_ERROR_BODY = 64 * 1024  # how much of a kubelet's error body is worth reading
_TRUE = ("1", "true", "True")
# Hop-by-hop and framing headers a proxy must not pass on.
_HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                          "te", "trailer", "transfer-encoding", "upgrade", "content-length", "host"})


@dataclass(frozen=True, slots=True)
class KubeletAddress:
    node: str
    host: str
    port: int

    def url(self, path: str, scheme: str = "http") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{path}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


# -- resolution (pure) ------------------------------------------------------------------


def bound_node(pod: Pod) -> str:
    if not pod.spec.node_name:
        raise BadRequest(f"pod {pod.metadata.name} does not have a host assigned")
    return pod.spec.node_name


def kubelet_address(node: Node) -> KubeletAddress:
    """Where the node's kubelet listens: its InternalIP (an IP literal) and kubelet port."""
    name = node.metadata.name or ""
    for address in node.status.addresses or ():
        if address.type != "InternalIP":
            continue
        try:
            ip = ipaddress.ip_address(address.address)
        except ValueError:
            raise ServiceUnavailable(f'node "{name}" has an InternalIP that is not an IP address: '
                                     f'"{address.address}"') from None
        if ip.is_unspecified or ip.is_multicast:
            raise ServiceUnavailable(f'node "{name}" has an unusable InternalIP "{ip}"')
        port = node.status.daemon_endpoints.kubelet_endpoint.port or DEFAULT_KUBELET_PORT
        if not 0 < port < 65536:
            raise ServiceUnavailable(f'node "{name}" has an invalid kubelet port {port}')
        return KubeletAddress(name, str(ip), port)
    raise ServiceUnavailable(f'node "{name}" has no InternalIP address: its kubelet has not '
                             "registered one")


def pick_container(pod: Pod, requested: str | None) -> str:
    """The container a request means: the one named, or the pod's only one."""
    spec = pod.spec
    containers = [c.name for c in spec.containers or ()]
    every = [c.name for c in (*(spec.init_containers or ()), *(spec.containers or ()),
                              *(spec.ephemeral_containers or ()))]
    name = pod.metadata.name
    if requested:
        if requested not in every:
            raise BadRequest(f"container {requested} is not valid for pod {name}")
        return requested
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise BadRequest(f"a container name must be specified for pod {name}")
    raise BadRequest(f"a container name must be specified for pod {name}, "
                     f"choose one of: [{' '.join(every)}]")


def log_query(pod: Pod, query: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """pods/log options, validated as Kubernetes does, as the kubelet's query."""
    container = pick_container(pod, query.get("container"))
    params: dict[str, str] = {}
    errors: list[FieldError] = []
    for flag in ("follow", "previous", "timestamps"):
        if query.get(flag) in _TRUE:
            params[flag] = "true"
    numbers = {name: _int(query, name) for name in ("tailLines", "sinceSeconds", "limitBytes")}
    if numbers["tailLines"] is not None and numbers["tailLines"] < 0:
        errors.append(FieldError.invalid("tailLines", numbers["tailLines"],
                                         "must be greater than or equal to 0"))
    for name in ("sinceSeconds", "limitBytes"):
        if numbers[name] is not None and numbers[name] < 1:  # type: ignore[operator]
            errors.append(FieldError.invalid(name, numbers[name], "must be greater than 0"))
    since_time = query.get("sinceTime")
    if since_time and numbers["sinceSeconds"] is not None:
        errors.append(FieldError.forbidden(
            "sinceSeconds", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    if errors:
        raise Invalid.for_object("PodLogOptions", pod.metadata.name or "", errors)
    params.update({k: str(v) for k, v in numbers.items() if v is not None})
    if since_time:
        params["sinceTime"] = since_time
    return container, params


def exec_query(pod: Pod, query: QueryParams, *, exec_: bool) -> tuple[str, list[tuple[str, str]]]:
    """pods/exec and pods/attach options as the kubelet's query (flags as ``1``)."""
    container = pick_container(pod, query.get("container"))
    command = query.getlist("command")
    if exec_ and not command:
        raise BadRequest("you must specify at least one command for the container")
    params = [("command", c) for c in command]
    flags = [name for name in ("stdin", "stdout", "stderr", "tty") if query.get(name) in _TRUE]
    if not {"stdin", "stdout", "stderr"} & set(flags):
        raise BadRequest("you must specify at least 1 of stdin, stdout, stderr")
    params += [(name, "1") for name in flags]
    return container, params


def portforward_query(query: QueryParams) -> list[tuple[str, str]]:
    """pods/portforward's ``ports`` are the kubelet's ``port`` (kubectl sends none: SPDY
    carries the port in each stream's headers)."""
    params: list[tuple[str, str]] = []
    for value in query.getlist("ports"):
        for part in value.split(","):
            if not part.strip().isdigit() or not 0 < int(part) < 65536:
                raise BadRequest(f'unable to parse "{value}" as a port: must be 1-65535')
            params.append(("port", part.strip()))
    return params


def kubelet_error(node: str, status: int, body: bytes) -> StatusError:
    """A kubelet's refusal as the client's error: its Status if it sent one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and data.get("kind") == "Status" and data.get("message"):
        err = error_from_status(data, status)
    else:
        text = body.decode(errors="replace").strip() or f"HTTP {status}"
        err = error_from_status({"message": text, "code": status}, status)
    if err.code >= 500:
        return ServiceUnavailable(f'the kubelet on node "{node}" failed: {err.message}')
    return err


def unreachable(address: KubeletAddress, err: BaseException) -> ServiceUnavailable:
    why = str(err) or type(err).__name__
    return ServiceUnavailable(f'the kubelet on node "{address.node}" ({address}) is unreachable: {why}')


def _int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f'invalid value for {name}: "{raw}" is not an integer') from None


# -- the proxy --------------------------------------------------------------------------


class KubeletProxy:
    """Serves the subresources that live on kubelets."""

    def __init__(self, stores: Mapping[Any, ResourceStore]) -> None:
        self._pods = stores[by_plural("", "pods")]
        self._nodes = stores[by_plural("", "nodes")]
        self._http = httpx.AsyncClient(trust_env=False, follow_redirects=False,
                                       timeout=httpx.Timeout(CONNECT_TIMEOUT, read=None))

    def register(self, handlers: Handlers) -> None:
        extra = handlers.subresource_handlers
        extra[("pods", "log")] = self.log
        for sub in ("exec", "attach", "portforward"):
            extra[("pods", sub)] = self.upgrade_required
        extra[("nodes", "proxy")] = self.node_proxy
        _quiet_logs()

    async def close(self) -> None:
        await self._http.aclose()

    async def pod_and_kubelet(self, namespace: str | None, name: str) -> tuple[Pod, KubeletAddress]:
        pod, _ = await self._pods.read(namespace, name)
        assert isinstance(pod, Pod)
        return pod, await self.kubelet(bound_node(pod))

    async def kubelet(self, node_name: str) -> KubeletAddress:
        node, _ = await self._nodes.read(None, node_name)
        assert isinstance(node, Node)
        return kubelet_address(node)

    # -- plain HTTP -----------------------------------------------------------------------

    async def log(self, request: Request, info: RequestInfo) -> Response:
        if request.method != "GET":
            raise MethodNotAllowed(f"the server does not allow this method on the requested "
                                   f"resource: {request.method} log")
        pod, address = await self.pod_and_kubelet(info.namespace, info.name or "")
        container, params = log_query(pod, request.query_params)
        path = _path("containerLogs", pod.metadata.namespace, pod.metadata.name, container)
        upstream = await self._open(address, "GET", path, list(params.items()))
        return Relay(upstream, headers={"content-type": "text/plain; charset=utf-8"})

    async def upgrade_required(self, request: Request, info: RequestInfo) -> Response:
        """exec/attach/portforward without a WebSocket (a SPDY client): the kubelet checks
        the request as it would for a WebSocket, so the client sees the real reason."""
        pod, address = await self.pod_and_kubelet(info.namespace, info.name or "")
        path, params = _stream_target(pod, info.subresource or "", request.query_params)
        upstream = await self._open(address, "GET", path, params)
        await upstream.aclose()
        raise BadRequest("Upgrade request required: this endpoint speaks WebSocket only")

    async def node_proxy(self, request: Request, info: RequestInfo) -> Response:
        address = await self.kubelet(info.name or "")
        path = "/" + info.extra
        body = await request.body()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in _HOP_HEADERS and k.lower() != "authorization"}
        upstream = await self._open(address, request.method, path,
                                    list(request.query_params.multi_items()),
                                    body=body, headers=headers, relay_errors=False)
        passed = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
        return Relay(upstream, status=upstream.status_code, headers=passed)

    async def _open(self, address: KubeletAddress, method: str, path: str,
                    params: list[tuple[str, str]], *, body: bytes = b"",
                    headers: Mapping[str, str] | None = None,
                    relay_errors: bool = True) -> httpx.Response:
        request = self._http.build_request(method, address.url(path), params=tuple(params),
                                           content=body or None, headers=headers)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as err:
            raise unreachable(address, err) from None
        if relay_errors and response.status_code >= 400:
            try:
                raw = await _read_some(response)
            finally:
                await response.aclose()
            raise kubelet_error(address.node, response.status_code, raw)
        return response

    # -- WebSocket ------------------------------------------------------------------------

    async def websocket(self, ws: WebSocket, subresource: str) -> None:
        params = ws.path_params
        offered = [p.strip() for p in ws.scope.get("subprotocols") or [] if p.strip()]
        try:
            pod, address = await self.pod_and_kubelet(params["namespace"], params["name"])
            path, query = _stream_target(pod, subresource, ws.query_params)
            upstream = await _dial(address, path, query, [_untunnelled(p) for p in offered])
        except StatusError as err:
            await deny(ws, err)
            return
        chosen = upstream.subprotocol
        if chosen and chosen not in offered and SPDY_TUNNEL_PREFIX + chosen in offered:
            chosen = Subprotocol(SPDY_TUNNEL_PREFIX + chosen)
        try:
            await ws.accept(subprotocol=chosen)
        except (RuntimeError, OSError):
            await upstream.close()
            return
        await relay(ws, upstream)


def add_websocket_routes(app: Any, proxy: Callable[[], KubeletProxy | None]) -> None:
    """exec, attach and portforward as WebSocket routes (HTTP requests there go through
    the generic dispatcher to :meth:`KubeletProxy.upgrade_required`)."""
    for subresource in ("exec", "attach", "portforward"):
        async def endpoint(ws: WebSocket, subresource: str = subresource) -> None:
            kubelets = proxy()
            if kubelets is None:
                await deny(ws, ServiceUnavailable("the apiserver is starting"))
                return
            await kubelets.websocket(ws, subresource)
        path = "/api/v1/namespaces/{namespace}/pods/{name}/" + subresource
        app.router.routes.append(WebSocketRoute(path, endpoint))


def _stream_target(pod: Pod, subresource: str,
                   query: QueryParams) -> tuple[str, list[tuple[str, str]]]:
    namespace, name = pod.metadata.namespace, pod.metadata.name
    if subresource == "portforward":
        return _path("portForward", namespace, name), portforward_query(query)
    container, params = exec_query(pod, query, exec_=subresource == "exec")
    return _path(subresource, namespace, name, container), params


def _untunnelled(protocol: str) -> str:
    return protocol.removeprefix(SPDY_TUNNEL_PREFIX)


def _path(*parts: str | None) -> str:
    return "/" + "/".join(quote(p or "", safe="") for p in parts)


async def _dial(address: KubeletAddress, path: str, query: list[tuple[str, str]],
                offered: list[str]) -> ClientConnection:
    url = address.url(path + ("?" + urlencode(query) if query else ""), scheme="ws")
    try:
        return await websockets.connect(
            url, subprotocols=[Subprotocol(p) for p in offered] or None, proxy=None,
            compression=None, open_timeout=CONNECT_TIMEOUT, max_size=MAX_MESSAGE,
            user_agent_header="skiff-apiserver",
        )
    except websockets.InvalidStatus as err:
        raise kubelet_error(address.node, err.response.status_code, bytes(err.response.body or b"")) from None
    except (OSError, TimeoutError, websockets.InvalidHandshake) as err:
        raise unreachable(address, err) from None


# -- relaying ---------------------------------------------------------------------------


class Relay(StreamingResponse):
    """A kubelet's response passed on as it arrives; the kubelet's stream is closed as
    soon as the client goes away (a ``logs -f`` that was interrupted)."""

    def __init__(self, upstream: httpx.Response, status: int = 200,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(_chunks(upstream), status_code=status, headers=headers)
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            body = asyncio.ensure_future(self._body(send))
            gone = asyncio.ensure_future(_disconnected(receive))
            await asyncio.wait({body, gone}, return_when=asyncio.FIRST_COMPLETED)
            for task in (body, gone):
                task.cancel()
            await asyncio.gather(body, gone, return_exceptions=True)
            if body.done() and not body.cancelled() and body.exception() is None:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await self.upstream.aclose()

    async def _body(self, send: Send) -> None:
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _chunks(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as err:  # the kubelet went away mid-stream: end the body there
        log.info("kubelet stream ended early: %s", err)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        continue


async def _read_some(response: httpx.Response) -> bytes:
    raw = b""
    async for chunk in response.aiter_raw():
        raw += chunk
        if len(raw) >= _ERROR_BODY:
            break
    return raw[:_ERROR_BODY]


async def relay(client: WebSocket, upstream: ClientConnection) -> None:
    """Messages both ways until one side closes; its close code goes to the other."""
    down = asyncio.ensure_future(_kubelet_to_client(client, upstream))
    up = asyncio.ensure_future(_client_to_kubelet(client, upstream))
    try:
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (down, up):
            task.cancel()
        await asyncio.gather(down, up, return_exceptions=True)
    client_left = up.done() and not up.cancelled() and up.exception() is None
    await upstream.close(_sendable(up.result() if client_left else None))  # no-op once closed
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await client.close(_sendable(upstream.close_code))


async def _kubelet_to_client(client: WebSocket, upstream: ClientConnection) -> None:
    try:
        async for message in upstream:
            if isinstance(message, bytes):
                await client.send_bytes(message)
            else:
                await client.send_text(message)
    except websockets.ConnectionClosed:
        return
    except (RuntimeError, OSError, WebSocketDisconnect):
        await upstream.close()


async def _client_to_kubelet(client: WebSocket, upstream: ClientConnection) -> int:
    while True:
        message = await client.receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or 1000)
        data = message.get("bytes")
        try:
            await upstream.send(data if data is not None else message.get("text") or "")
        except websockets.ConnectionClosed:
            return 1000


def _sendable(code: int | None) -> int:
    """A close code that may go on the wire (1005 and 1006 only describe what happened)."""
    if code is None or code == 1005:
        return 1000
    if code == 1006 or code == 1015:
        return 1011
    return code


class _KubernetesHandshake(ServerProtocol):
    """Takes the offered subprotocols as comma-separated names, tokens or not; the
    application picks one (uvicorn sends its choice), so none is chosen here."""

    def process_subprotocol(self, headers: Headers) -> Subprotocol | None:
        return None


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with :class:`_KubernetesHandshake`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _KubernetesHandshake(extensions=self.conn.available_extensions,
                                         max_size=self.config.ws_max_size,
                                         logger=logging.getLogger("uvicorn.error"))


async def deny(ws: WebSocket, err: StatusError) -> None:
    """Refuse a WebSocket upgrade with a Status: kubectl prints its message."""
    response = Response(err.to_json(), status_code=err.code, media_type="application/json")
    try:
        await ws.send_denial_response(response)
    except RuntimeError:  # no denial support in the server: the reason goes in the close
        await ws.close(code=1008, reason=err.message[:120])


class _DenialNoise(logging.Filter):
    """uvicorn logs an error for every WebSocket refused with a response, which is how this
    module answers a bad exec or port-forward request; those are not server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def _quiet_logs() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DenialNoise) for f in logger.filters):
        logger.addFilter(_DenialNoise())
    requests = logging.getLogger("httpx")  # one INFO line per request: not news here
    if requests.level == logging.NOTSET:
        requests.setLevel(logging.WARNING)
