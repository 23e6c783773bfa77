"""The kubelet's HTTP API on port 10250: health, pods, stats, logs, exec, attach, port-forward.

The apiserver proxies ``kubectl logs``, ``exec``, ``attach`` and ``port-forward`` here
(see docs/kubelet-api.md for the whole path of a ``kubectl exec``). Pods come from the
kubelet (``pods()``), their containers from Docker by the ``io.skiff.*`` labels, so
this server keeps no state of its own. Every failure leaves as a Kubernetes ``Status``;
a WebSocket that cannot be served is refused before the upgrade, with that Status, so
the client prints the reason.

Kubernetes serves this API over HTTPS and authenticates and authorizes every request;
skiff's is plain HTTP, reachable by whoever can reach the node's address.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from apimachinery.core_v1 import Pod, PodList
from apimachinery.errors import (
    BadRequest,
    InternalError,
    NotFound,
    ServiceUnavailable,
    StatusError,
)
from kubelet import portforward, remotecommand
from kubelet.remotecommand import EXEC_PROTOCOLS, PORTFORWARD_PROTOCOLS, ChannelConn
from kubelet.streaming import (
    LABEL_CONTAINER_NAME,
    LABEL_CONTAINER_TYPE,
    LABEL_POD_UID,
    ByteLimit,
    Demuxer,
    DockerAddress,
    DockerError,
    DockerStreams,
    Hijacked,
    LogOptions,
    TerminalSize,
    pick_container,
)

if TYPE_CHECKING:
    import docker

__all__ = ["KubeletServer", "StreamOptions"]

log = logging.getLogger(__name__)

_TRUE = ("1", "true", "True")
NO_SPDY = ("exec, attach and port-forward are served over WebSocket only; skiff does not speak "
           "SPDY (kubectl >= 1.30 uses WebSocket unless KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false "
           "or KUBECTL_PORT_FORWARD_WEBSOCKETS=false is set)")


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """What an exec or attach asks for: the command and which streams."""

    command: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool

    @classmethod
    def from_query(cls, query: QueryParams, *, exec_: bool) -> StreamOptions:
        flags = {name: query.get(name, "") in _TRUE for name in ("stdin", "stdout", "stderr", "tty")}
        if flags["tty"] and flags["stderr"]:
            flags["stderr"] = False  # a terminal has one output, as in Kubernetes
        options = cls(command=query.getlist("command"), **flags)
        if exec_ and not options.command:
            raise BadRequest("you must specify at least one command for the container")
        if not (options.stdin or options.stdout or options.stderr):
            raise BadRequest("you must specify at least 1 of stdin, stdout, stderr")
        return options


class KubeletServer:
    """Serves the kubelet API for one node until :meth:`stop`."""

    def __init__(self, *, node_name: str, docker: docker.DockerClient | None,
                 pods: Callable[[], list[Pod]], summary: Callable[[], Awaitable[dict]],
                 host: str = "0.0.0.0", port: int = 10250) -> None:
        self.node_name = node_name
        self.pods = pods
        self.summary = summary
        self.host = host
        self.port = port
        self.streams = DockerStreams(DockerAddress.of(docker)) if docker is not None else None
        self.app = self._app()
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind and listen (``port=0`` picks a free port, then in ``self.port``)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", log_config=None, access_log=False,
                                timeout_graceful_shutdown=2, ws_max_size=16 * 1024 * 1024)
        self._server = _Server(config)
        _quiet_logs()
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        log.info("kubelet API listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None
        if self.streams is not None:
            await self.streams.aclose()

    # -- the application ------------------------------------------------------------------

    def _app(self) -> Starlette:
        remote = [self._upgrade_required]
        routes = [
            Route("/healthz", self._healthz, methods=["GET", "HEAD"]),
            Route("/pods", self._pods, methods=["GET"]),
            Route("/pods/", self._pods, methods=["GET"]),
            Route("/stats/summary", self._stats_summary, methods=["GET"]),
            Route("/containerLogs/{namespace}/{pod}/{container}", self._container_logs,
                  methods=["GET"]),
            Route("/exec/{namespace}/{pod}/{container}", *remote, methods=["GET", "POST"]),
            Route("/attach/{namespace}/{pod}/{container}", *remote, methods=["GET", "POST"]),
            Route("/portForward/{namespace}/{pod}", *remote, methods=["GET", "POST"]),
            WebSocketRoute("/exec/{namespace}/{pod}/{container}", self._exec),
            WebSocketRoute("/attach/{namespace}/{pod}/{container}", self._attach),
            WebSocketRoute("/portForward/{namespace}/{pod}", self._port_forward),
        ]
        handlers = {StatusError: _status_error, HTTPException: _http_error, Exception: _unexpected}
        return Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]

    async def _healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def _pods(self, request: Request) -> Response:
        return _json(PodList(items=list(self.pods())).to_json())

    async def _stats_summary(self, request: Request) -> Response:
        return _json(orjson.dumps(await self.summary()))

    async def _container_logs(self, request: Request) -> Response:
        params = request.path_params
        options = LogOptions.from_query(request.query_params)
        streams = self._runtime("read logs")
        pod = self._pod(params["namespace"], params["pod"])
        container = await self._container(pod, params["container"], previous=options.previous)
        tty = bool((container.get("Config") or {}).get("Tty"))
        try:
            upstream = await streams.open_logs(container["Id"], options.docker_params(time.time()))
        except DockerError as err:
            raise _runtime_error(err) from None
        return LogStream(upstream, tty, options.limit_bytes)

    async def _upgrade_required(self, request: Request) -> Response:
        """A non-WebSocket exec/attach/port-forward (SPDY): the same checks, then why not."""
        params = request.path_params
        pod = self._pod(params["namespace"], params["pod"])
        if "container" in params:
            StreamOptions.from_query(request.query_params, exec_=request.url.path.startswith("/exec"))
            await self._container(pod, params["container"], running=True)
        raise BadRequest(f"Upgrade request required: {NO_SPDY}")

    # -- WebSocket sessions ----------------------------------------------------------------

    async def _exec(self, ws: WebSocket) -> None:
        await self._remote_command(ws, exec_=True)

    async def _attach(self, ws: WebSocket) -> None:
        await self._remote_command(ws, exec_=False)

    async def _remote_command(self, ws: WebSocket, *, exec_: bool) -> None:
        params = ws.path_params
        try:
            protocol = _negotiate(ws, EXEC_PROTOCOLS)
            options = StreamOptions.from_query(ws.query_params, exec_=exec_)
            streams = self._runtime("exec" if exec_ else "attach")
            pod = self._pod(params["namespace"], params["pod"])
            container = await self._container(pod, params["container"], running=True)
            session = await _open_session(streams, container, options, exec_)
        except StatusError as err:
            await _deny(ws, err)
            return
        except DockerError as err:
            await _deny(ws, _runtime_error(err))
            return
        try:
            await ws.accept(subprotocol=protocol.name or None)
        except (RuntimeError, OSError):  # the client left while Docker was getting ready
            await session.stream.close()
            return
        await remotecommand.serve(
            ChannelConn(ws, protocol), session.stream, tty=session.tty, stdin=options.stdin,
            stdout=options.stdout, stderr=options.stderr, resize=session.resize,
            finish=session.finish, command=options.command if exec_ else None,
        )

    async def _port_forward(self, ws: WebSocket) -> None:
        params = ws.path_params
        offered = [p.strip() for p in ws.scope.get("subprotocols") or []]
        try:
            tunnelled = portforward.SPDY_PROTOCOL in offered
            protocol = None if tunnelled else _negotiate(ws, PORTFORWARD_PROTOCOLS)
            ports = [] if tunnelled else portforward.parse_ports(ws.query_params.getlist("port"))
            self._runtime("port-forward")
            pod = self._pod(params["namespace"], params["pod"])
            netns = await self._netns(pod)
        except StatusError as err:
            await _deny(ws, err)
            return
        except DockerError as err:
            await _deny(ws, _runtime_error(err))
            return
        connect = portforward.netns_connector(netns)
        where = f"{pod.metadata.name}, uid {pod.metadata.uid}"
        if protocol is None:
            await ws.accept(subprotocol=portforward.SPDY_PROTOCOL)
            await portforward.SpdyForwarder(ws, connect, where).run()
        else:
            await ws.accept(subprotocol=protocol.name or None)
            await portforward.serve_channels(ChannelConn(ws, protocol), ports, connect, where)

    # -- lookups --------------------------------------------------------------------------

    def _runtime(self, what: str) -> DockerStreams:
        if self.streams is None:
            raise ServiceUnavailable(f"node {self.node_name} has no container runtime to {what} "
                                     "(a hollow node)")
        return self.streams

    def _pod(self, namespace: str, name: str) -> Pod:
        for pod in self.pods():
            if pod.metadata.name == name and (pod.metadata.namespace or "default") == namespace:
                return pod
        raise NotFound.for_resource("pods", name)

    async def _container(self, pod: Pod, name: str, *, previous: bool = False,
                         running: bool = False) -> dict[str, Any]:
        """Docker's view (inspect) of the pod's container ``name``, now or one restart ago."""
        spec = pod.spec
        known = [c.name for c in (*(spec.init_containers or ()), *(spec.containers or ()))]
        pod_name = pod.metadata.name
        if name not in known:
            raise BadRequest(f"container {name} is not valid for pod {pod_name}")
        streams = self._runtime("find containers")
        try:
            listed = await streams.list_containers({LABEL_POD_UID: pod.metadata.uid or "",
                                                    LABEL_CONTAINER_NAME: name})
            chosen = pick_container(listed, previous)
            if chosen is None:
                if previous:
                    raise BadRequest(f'previous terminated container "{name}" in pod "{pod_name}" '
                                     "not found")
                raise BadRequest(f'container "{name}" in pod "{pod_name}" is waiting to start: '
                                 "ContainerCreating")
            info = await streams.inspect(chosen["Id"])
        except DockerError as err:
            raise _runtime_error(err) from None
        if running and not (info.get("State") or {}).get("Running"):
            raise BadRequest(f'container "{name}" in pod "{pod_name}" is not running')
        return info

    async def _netns(self, pod: Pod) -> str:
        """The pod's network namespace: its pause container's."""
        streams = self._runtime("port-forward")
        try:
            listed = await streams.list_containers({LABEL_POD_UID: pod.metadata.uid or "",
                                                    LABEL_CONTAINER_TYPE: "pause"})
            chosen = pick_container(listed, previous=False)
            info = await streams.inspect(chosen["Id"]) if chosen is not None else {}
        except DockerError as err:
            raise _runtime_error(err) from None
        pid = (info.get("State") or {}).get("Pid") or 0
        if not pid:
            raise BadRequest(f'pod "{pod.metadata.name}" has no running sandbox to forward ports into')
        return f"/proc/{pid}/ns/net"


# -- sessions ---------------------------------------------------------------------------


@dataclass
class _Session:
    stream: Hijacked
    tty: bool
    resize: remotecommand.Resize | None
    finish: Callable[[], Awaitable[int | None]]


async def _open_session(streams: DockerStreams, container: dict[str, Any],
                        options: StreamOptions, exec_: bool) -> _Session:
    container_id = container["Id"]
    if exec_:
        exec_id = await streams.exec_create(container_id, options.command, stdin=options.stdin,
                                            stdout=options.stdout, stderr=options.stderr,
                                            tty=options.tty)
        stream = await streams.exec_start(exec_id, options.tty)

        async def resize_exec(size: TerminalSize) -> None:
            await streams.exec_resize(exec_id, size)

        async def exit_code() -> int | None:
            return await streams.exec_exit_code(exec_id)

        return _Session(stream, options.tty, resize_exec if options.tty else None, exit_code)

    tty = bool((container.get("Config") or {}).get("Tty"))
    stream = await streams.attach(container_id, stdin=options.stdin, stdout=options.stdout,
                                  stderr=options.stderr)

    async def resize_container(size: TerminalSize) -> None:
        await streams.resize(container_id, size)

    async def attached() -> int | None:
        return None  # attach reports no exit code, as in Kubernetes

    return _Session(stream, tty, resize_container if tty else None, attached)


class LogStream(StreamingResponse):
    """Docker's log stream as plain text: demultiplexed, cut at ``limitBytes``, ended
    (and Docker's stream closed) as soon as the client goes away."""

    def __init__(self, upstream: httpx.Response, tty: bool, limit: int | None) -> None:
        super().__init__(_log_text(upstream, Demuxer(tty), ByteLimit(limit)),
                         media_type="text/plain; charset=utf-8")
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
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
        async for piece in self.body_iterator:
            await send({"type": "http.response.body", "body": piece, "more_body": True})


async def _log_text(upstream: httpx.Response, demux: Demuxer, limit: ByteLimit) -> AsyncIterator[bytes]:
    async for chunk in upstream.aiter_raw():
        for _, piece in demux.feed(chunk):
            piece = limit.take(piece)
            if piece:
                yield piece
        if limit.exhausted:
            return


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        continue


# -- helpers ----------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the kubelet process owns SIGTERM and SIGINT."""

    def capture_signals(self) -> Any:
        return nullcontext()


class _DenialNoise(logging.Filter):
    """uvicorn logs an error for every WebSocket refused with a response, which is how this
    server answers a bad exec or port-forward request; those are not server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def _quiet_logs() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DenialNoise) for f in logger.filters):
        logger.addFilter(_DenialNoise())
    requests = logging.getLogger("httpx")  # one INFO line per request: not news here
    if requests.level == logging.NOTSET:
        requests.setLevel(logging.WARNING)


def _negotiate(ws: WebSocket, supported: dict[str, remotecommand.Protocol]) -> remotecommand.Protocol:
    offered = [p.strip() for p in ws.scope.get("subprotocols") or []]
    protocol = remotecommand.negotiate(offered, supported)
    if protocol is None:
        names = [n for n in supported if n]
        raise BadRequest(f"requested protocol(s) are not supported: {offered}; supports {names}")
    return protocol


async def _deny(ws: WebSocket, err: StatusError) -> None:
    """Refuse the upgrade with a Status, which WebSocket clients report as the error."""
    try:
        await ws.send_denial_response(_json(err.to_json(), err.code))
    except RuntimeError:  # a server without the denial extension: close with the reason
        await ws.close(code=1008, reason=err.message[:120])


def _runtime_error(err: DockerError) -> StatusError:
    if err.status == 404:
        return NotFound(f"container not found: {err.message}")
    if err.status < 500:
        return BadRequest(err.message)
    return ServiceUnavailable(f"the container runtime failed: {err.message}")


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


async def _status_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, StatusError)
    return _json(err.to_json(), err.code)


async def _http_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, HTTPException)
    if err.status_code == 404:
        return await _status_error(request, NotFound("the server could not find the requested resource"))
    status = BadRequest(str(err.detail))
    status.code = err.status_code  # type: ignore[misc]
    return await _status_error(request, status)


async def _unexpected(request: Request, err: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return await _status_error(request, InternalError(f"an error on the kubelet ({type(err).__name__})"))
