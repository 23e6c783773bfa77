"""The apiserver application: wiring storage, cache, stores and routes together.

:func:`create_app` builds the FastAPI app for a :class:`Config`. Start-up connects to
etcd, fills the watch cache (one etcd watch per resource type on one stream), creates
the system namespaces and starts the compactor; every error leaves as a Kubernetes
``Status``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from apimachinery.errors import (
    AlreadyExists,
    InternalError,
    NotFound,
    ServiceUnavailable,
    StatusError,
)
from apimachinery.registry import RESOURCES, by_plural
from apimachinery.schema import ResourceType
from apiserver import discovery, proxy
from apiserver.admission import SYSTEM_NAMESPACES, Admission, NamespaceLifecycle
from apiserver.allocators import ServiceAllocation
from apiserver.handlers import RAW_SEND, Handlers, json_response, status_response
from apiserver.openapi import OpenAPI
from apiserver.selection import Predicate
from apiserver.storage import StorageError
from apiserver.storage.etcd import EtcdStorage
from apiserver.store import ResourceStore
from apiserver.watchcache import WatchCache

__all__ = ["Config", "State", "create_app"]

log = logging.getLogger(__name__)

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0+skiff",
    "gitCommit": "skiff",
    "gitTreeState": "clean",
    "buildDate": "2026-11-22T00:00:00Z",
    "goVersion": "python3.11",
    "compiler": "cpython",
    "platform": "linux/amd64",
}

REQUESTS = Counter("apiserver_request_total", "Requests by verb, resource and code",
                   ["verb", "resource", "code"])
LATENCY = Histogram(
    "apiserver_request_duration_seconds", "Request latency by verb and resource",
    ["verb", "resource"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@dataclass
class Config:
    etcd_servers: str = "http://127.0.0.1:2379"
    advertise_address: str = "127.0.0.1"
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: str = "30000-32767"
    watch_cache_size: int = 4096
    compaction_interval: float = 300.0
    secure_port: int = 6443
    insecure_port: int = 8080

    @property
    def kubernetes_ip(self) -> str:
        """The first address of the service range: the ``kubernetes`` Service's."""
        return str(ipaddress.ip_network(self.service_cluster_ip_range).network_address + 1)


@dataclass
class State:
    config: Config
    storage: EtcdStorage
    cache: WatchCache
    handlers: Handlers
    stores: dict = field(default_factory=dict)
    kubelets: proxy.KubeletProxy | None = None
    ready: bool = False


def create_app(config: Config) -> Entry:
    holder: dict[str, State] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await start(config)
        # What start-up built (the OpenAPI documents, the models' schemas, the watch
        # cache's first fill) lives as long as the process, yet every full collection
        # walked it again while every request and watch waited. Frozen, a collection
        # walks only what came after: with 1000 watchers open, 33 ms instead of 55.
        gc.collect()
        gc.freeze()
        holder["state"] = app.state.skiff = state
        compactor = asyncio.create_task(_compact_forever(state.storage, config.compaction_interval))
        try:
            yield
        finally:
            compactor.cancel()
            if state.kubelets is not None:
                await state.kubelets.close()
            await state.cache.stop()
            await state.storage.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    _routes(app, holder)
    _openapi_routes(app, OpenAPI.build())
    _errors(app)
    return Entry(app, holder)


class Entry:
    """The outermost ASGI layer: resource requests go straight to the dispatcher.

    Every ``/api/v1/...`` and ``/apis/<group>/<version>/...`` request is a resource
    request; it needs none of FastAPI's routing and middleware, which cost a fifth of a
    pod create's CPU. Discovery, health, metrics, OpenAPI and WebSocket upgrades go to
    the FastAPI app. The server's own ``send`` is kept in the scope for watch fan-out.
    """

    def __init__(self, app: FastAPI, holder: dict[str, State]) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
            route = _resource_route(scope["path"])
            if route is not None:
                response = await self._resource(Request(scope, receive), *route)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _resource(self, request: Request, group: str, version: str, path: str) -> Response:
        started = time.perf_counter()
        verb, resource, code = request.method.lower(), path.split("/")[0], 500
        try:
            state = self.holder.get("state")
            if state is None:
                raise ServiceUnavailable("the apiserver is still starting")
            response = await state.handlers.dispatch(request, group, version, path)
            code = response.status_code
            return response
        except StatusError as err:
            code = err.code
            return status_response(err)
        except Exception as err:
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            return status_response(InternalError(
                f"an error on the server ({type(err).__name__}) has prevented the request "
                "from succeeding"))
        finally:
            REQUESTS.labels(verb, resource, str(code)).inc()
            LATENCY.labels(verb, resource).observe(time.perf_counter() - started)


def _resource_route(path: str) -> tuple[str, str, str] | None:
    """(group, version, rest) of a resource path; None for discovery and the rest."""
    parts = path.split("/", 5)
    if len(parts) >= 4 and parts[1] == "api" and parts[3]:
        if parts[2] != "v1":
            return None
        return "", parts[2], "/".join(parts[3:])
    if len(parts) >= 5 and parts[1] == "apis" and parts[4]:
        return parts[2], parts[3], "/".join(parts[4:])
    return None


async def start(config: Config) -> State:
    storage = EtcdStorage(config.etcd_servers)
    await storage.connect()
    cache = WatchCache(storage, RESOURCES, config.watch_cache_size)
    admission = Admission()
    stores = {rt: ResourceStore(rt, storage, admission) for rt in RESOURCES}
    namespaces = stores[_core("namespaces")]
    namespace_cache = cache[namespaces.rt]
    allocation = ServiceAllocation(storage, config.service_cluster_ip_range,
                                   config.service_node_port_range)
    admission.plugins += [NamespaceLifecycle(namespaces, namespace_cache.phase_of), allocation]
    await cache.start()
    services = _core("services")
    await allocation.repair(e.decode() for e in cache[services].list(Predicate()))
    await _bootstrap(namespaces)
    await _kubernetes_service(stores[services], stores[_core("endpoints")], config)
    handlers = Handlers(storage, cache, stores)
    kubelets = proxy.KubeletProxy(stores)
    kubelets.register(handlers)
    state = State(config, storage, cache, handlers, stores, kubelets)
    state.ready = True
    return state


def _core(plural: str) -> ResourceType:
    rt = by_plural("", plural)
    if rt is None:
        raise LookupError(f"the resource table has no core/v1 {plural}")
    return rt


async def _bootstrap(namespaces: ResourceStore) -> None:
    """The namespaces every cluster starts with."""
    model = namespaces.rt.model
    for name in SYSTEM_NAMESPACES:
        try:
            await namespaces.create(None, model.model_validate({"metadata": {"name": name}}))
        except AlreadyExists:
            continue


async def _kubernetes_service(services: ResourceStore, endpoints: ResourceStore,
                              config: Config) -> None:
    """``default/kubernetes``: the first service IP, port 443, pointing at this apiserver."""
    first_ip = config.kubernetes_ip
    host = config.advertise_address
    # Without HTTPS (tests, local experiments) the Service can only point at plain HTTP.
    port = config.secure_port or config.insecure_port
    labels = {"component": "apiserver", "provider": "kubernetes"}
    service = {
        "metadata": {"name": "kubernetes", "labels": labels},
        "spec": {"type": "ClusterIP", "clusterIP": first_ip, "sessionAffinity": "None",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                            "targetPort": port}]},
    }
    subsets = [{"addresses": [{"ip": host}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]
    try:
        await services.read("default", "kubernetes")
    except NotFound:
        try:
            await services.create("default", services.rt.model.model_validate(service))
        except AlreadyExists:
            pass  # another apiserver made it meanwhile
    try:
        current, _ = await endpoints.read("default", "kubernetes")
        if current.to_dict().get("subsets") == subsets:
            return
        current_dict = current.to_dict() | {"subsets": subsets}
        await endpoints.update("default", "kubernetes", endpoints.rt.model.model_validate(current_dict))
    except NotFound:
        body = {"metadata": {"name": "kubernetes", "labels": labels}, "subsets": subsets}
        await endpoints.create("default", endpoints.rt.model.model_validate(body))


async def _compact_forever(storage: EtcdStorage, interval: float) -> None:
    """Compact etcd history older than one interval, as the Kubernetes apiserver does."""
    previous = 0
    while True:
        await asyncio.sleep(interval)  # a clock tick: compaction runs every interval
        try:
            if previous:
                await storage.compact(previous)
            previous = await storage.current_revision()
        except StorageError as err:
            log.warning("compaction skipped: %s", err)


def _routes(app: FastAPI, holder: dict[str, State]) -> None:
    def state() -> State:
        current = holder.get("state")
        if current is None:
            raise ServiceUnavailable("the apiserver is still starting")
        return current

    async def health(request: Request) -> Response:
        if not holder.get("state") or not state().ready:
            return PlainTextResponse("not ready", status_code=503)
        return PlainTextResponse("ok")

    for path in ("/healthz", "/livez", "/readyz"):
        app.add_route(path, health, methods=["GET"])

    async def version(request: Request) -> Response:
        return json_response(orjson.dumps(VERSION))

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_route("/version", version, methods=["GET"])
    app.add_route("/metrics", metrics, methods=["GET"])

    async def api(request: Request) -> Response:
        if _wants_aggregated(request):
            return _aggregated(discovery.aggregated_discovery(core=True))
        config = state().config
        address = f"{config.advertise_address}:{config.secure_port}"
        return json_response(orjson.dumps(discovery.api_versions(address)))

    async def apis(request: Request) -> Response:
        if _wants_aggregated(request):
            return _aggregated(discovery.aggregated_discovery(core=False))
        return json_response(orjson.dumps(discovery.api_group_list()))

    async def group(request: Request) -> Response:
        found = discovery.api_group(request.path_params["group"])
        if found is None:
            raise NotFound("the server could not find the requested resource")
        return json_response(orjson.dumps(found))

    async def resources(request: Request) -> Response:
        params = request.path_params
        api_version = f"{params['group']}/{params['version']}" if "group" in params else params["version"]
        found = discovery.api_resource_list(api_version)
        if found is None:
            raise NotFound("the server could not find the requested resource")
        return json_response(orjson.dumps(found))

    app.add_route("/api", api, methods=["GET"])
    app.add_route("/apis", apis, methods=["GET"])
    app.add_route("/api/{version}", resources, methods=["GET"])
    app.add_route("/apis/{group}", group, methods=["GET"])
    app.add_route("/apis/{group}/{version}", resources, methods=["GET"])
    proxy.add_websocket_routes(app, lambda: holder["state"].kubelets if "state" in holder else None)


def _openapi_routes(app: FastAPI, documents: OpenAPI) -> None:
    async def v2(request: Request) -> Response:
        return documents.serve_v2(request)

    async def v3_index(request: Request) -> Response:
        return documents.serve_v3_index(request)

    async def v3(request: Request) -> Response:
        return documents.serve_v3(request, request.path_params["path"])

    app.add_route("/openapi/v2", v2, methods=["GET"])
    app.add_route("/openapi/v3", v3_index, methods=["GET"])
    app.add_route("/openapi/v3/{path:path}", v3, methods=["GET"])


_AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _wants_aggregated(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept.replace(" ", "") + ";"


def _aggregated(body: dict) -> Response:
    return Response(orjson.dumps(body), media_type=_AGGREGATED)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(StatusError)
    async def status_error(request: Request, err: StatusError) -> Response:
        return status_response(err)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        if err.status_code == 404:
            return status_response(NotFound("the server could not find the requested resource"))
        status = InternalError(str(err.detail))
        status.code = err.status_code  # type: ignore[misc]
        return status_response(status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return status_response(InternalError(f"an error on the server ({type(err).__name__}) "
                                             "has prevented the request from succeeding"))
