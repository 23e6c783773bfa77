"""Running a probe or lifecycle hook action: exec, httpGet, tcpSocket, sleep.

Probes and hooks share their actions (Kubernetes' ``ProbeHandler`` and
``LifecycleHandler``). exec runs inside the container through the runtime; httpGet and
tcpSocket connect from the node to the pod's IP, which the node routes to the pod over
its bridge (a host-network pod's IP is the node's). Every action has a deadline and
returns ``(succeeded, message)`` instead of raising, so a broken container never breaks
the kubelet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from apimachinery.core_v1 import Container, ExecAction, HTTPGetAction, TCPSocketAction
from kubelet.runtime import ContainerRuntime, RuntimeFailure

__all__ = ["ActionRunner", "Outcome", "resolve_port"]

Outcome = tuple[bool, str]
USER_AGENT = "kube-probe/1.32"
MAX_MESSAGE = 1024


def resolve_port(port: int | str, containers: Iterable[Container]) -> int:
    """A numeric port, or the ``containerPort`` a named port stands for."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for container in containers:
        for declared in container.ports or ():
            if declared.name == port:
                return declared.container_port
    raise ValueError(f'no container port named "{port}"')


class ActionRunner:
    """Runs handler actions; one per kubelet, sharing one HTTP client."""

    def __init__(self, runtime: ContainerRuntime) -> None:
        self.runtime = runtime
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        # Made on first use: a thousand hollow nodes need no HTTP clients of their own.
        if self._client is None:
            # Probes must not reuse connections (Kubernetes disables keep-alive for
            # them): a stale pooled connection would make a dead server look alive.
            self._client = httpx.AsyncClient(verify=False, follow_redirects=False,
                                             limits=httpx.Limits(max_keepalive_connections=0),
                                             headers={"User-Agent": USER_AGENT})
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def exec(self, container_id: str, action: ExecAction, timeout: float) -> Outcome:
        command = action.command or []
        if not command:
            return False, "exec action has no command"
        try:
            result = await self.runtime.exec_sync(container_id, command, timeout)
        except TimeoutError:
            return False, f"command {command!r} timed out after {timeout:g}s"
        except RuntimeFailure as err:
            return False, str(err)
        output = result.output.decode(errors="replace")[:MAX_MESSAGE]
        if result.exit_code != 0:
            return False, f"command {command!r} exited with {result.exit_code}: {output}"
        return True, output

    async def http_get(self, action: HTTPGetAction, pod_ip: str, containers: Iterable[Container],
                       timeout: float) -> Outcome:
        try:
            port = resolve_port(action.port, containers)
        except ValueError as err:
            return False, str(err)
        scheme = (action.scheme or "HTTP").lower()
        host = action.host or pod_ip
        path = action.path or "/"
        url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
        headers = {h.name: h.value for h in action.http_headers or ()}
        try:
            response = await self._http.get(url, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            return False, f'Get "{url}": context deadline exceeded'
        except httpx.HTTPError as err:
            return False, f'Get "{url}": {err or type(err).__name__}'
        if 200 <= response.status_code < 400:
            return True, ""
        return False, f"HTTP probe failed with statuscode: {response.status_code}"

    async def tcp_socket(self, action: TCPSocketAction, pod_ip: str,
                         containers: Iterable[Container], timeout: float) -> Outcome:
        try:
            port = resolve_port(action.port, containers)
        except ValueError as err:
            return False, str(err)
        host = action.host or pod_ip
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError) as err:
            return False, f"dial tcp {host}:{port}: {err or 'i/o timeout'}"
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return True, ""
