"""Pod networking: the kubelet's own bridge, a veth pair per pod, and the safety routes.

What ``kubenet`` does for Kubernetes, done with pyroute2 (netlink, no ``ip`` commands):

* the node: bridge ``skiff0`` holding the gateway, the first address of the node's
  podCIDR (the kernel then routes the node's own /24 to it); a blackhole route for the
  whole cluster CIDR, so a packet for a pod no node owns is dropped here instead of
  following the default route off the machine; the service CIDR routed to a local
  sink device for the same reason (SPEC.md, "Safety"); IP forwarding and
  ``bridge-nf-call-iptables`` on, as the proxy's iptables rules need; a filter chain
  that lets bridged pod traffic through Docker's ``FORWARD`` policy of DROP;
* a pod: a veth pair whose pod end is created straight inside the pause container's
  network namespace (found through its pid) as ``eth0``, with the pod's IP and a default
  route via the gateway; the host end joins the bridge in hairpin mode (so a pod can
  reach itself through a Service).

All netlink work runs on one dedicated thread: pyroute2's sockets are not thread safe,
and entering a namespace (``setns``) affects only the calling thread, so the pod's
socket is opened there and the thread steps straight back into the host's namespace.
The kernel removes the pod's veth pair with its namespace when the pause container
exits; the IP goes back to :mod:`kubelet.ipam` when the sandbox is torn down.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import os
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pyroute2.netlink.exceptions import NetlinkError

from kubelet.command import CommandFailed, run
from kubelet.ipam import FileStore, Ipam, MemoryStore

__all__ = [
    "DEFAULT_BRIDGE",
    "DEFAULT_CLUSTER_CIDR",
    "DEFAULT_SERVICE_CIDR",
    "DEFAULT_SERVICE_DEVICE",
    "BridgeNetwork",
    "FakeNetwork",
    "HostPort",
    "NetworkError",
    "PodNetwork",
    "remove_node_network",
    "veth_name",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BRIDGE = "skiff0"
DEFAULT_SERVICE_DEVICE = "skiff-svc0"
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
CLONE_NEWNET = 0x40000000
NETLINK_ROUTE = 0
SYSCTLS = {
    "net/ipv4/ip_forward": "1",
    "net/bridge/bridge-nf-call-iptables": "1",
}


class NetworkError(Exception):
    """Pod or node networking could not be set up; the message says which step."""


@dataclass(frozen=True, slots=True)
class HostPort:
    """One ``hostPort`` of a running pod: traffic to the node's port goes to the pod."""

    protocol: str
    host_port: int
    pod_ip: str
    container_port: int
    host_ip: str = ""


class PodNetwork(Protocol):
    """How the kubelet gives pods their network; a fake one serves hollow nodes."""

    def ready(self) -> bool: ...

    @property
    def pod_cidr(self) -> str | None: ...

    async def setup_node(self, pod_cidr: str) -> None: ...

    async def setup_pod(self, sandbox_id: str, pid: int) -> str:
        """Plumb the sandbox's namespace; returns the pod's IP."""
        ...

    async def teardown_pod(self, sandbox_id: str) -> None: ...

    def pod_ip(self, sandbox_id: str) -> str | None: ...

    def allocations(self) -> dict[str, str]:
        """Every allocated pod IP and the sandbox that owns it."""
        ...

    async def sync_host_ports(self, ports: Sequence[HostPort]) -> None: ...

    async def close(self) -> None: ...


def veth_name(sandbox_id: str) -> str:
    """The host end of a pod's veth pair: unique per sandbox, within the 15-byte limit."""
    return f"veth{sandbox_id[:11]}"


class FakeNetwork:
    """IPs from the podCIDR, in memory, and nothing else: hollow nodes."""

    def __init__(self) -> None:
        self._ipam: Ipam | None = None

    def ready(self) -> bool:
        return self._ipam is not None

    @property
    def pod_cidr(self) -> str | None:
        return str(self._ipam.network) if self._ipam else None

    async def setup_node(self, pod_cidr: str) -> None:
        if self._ipam is None or str(self._ipam.network) != pod_cidr:
            self._ipam = Ipam(pod_cidr, MemoryStore())

    async def setup_pod(self, sandbox_id: str, pid: int) -> str:
        if self._ipam is None:
            raise NetworkError("the node has no podCIDR yet")
        return self._ipam.allocate(sandbox_id)

    async def teardown_pod(self, sandbox_id: str) -> None:
        if self._ipam is not None:
            self._ipam.release(sandbox_id)

    def pod_ip(self, sandbox_id: str) -> str | None:
        return self._ipam.address_of(sandbox_id) if self._ipam else None

    def allocations(self) -> dict[str, str]:
        return self._ipam.allocations() if self._ipam else {}

    async def sync_host_ports(self, ports: Sequence[HostPort]) -> None:
        return None

    async def close(self) -> None:
        return None


class BridgeNetwork:
    """The real thing: bridge, veths, routes and a little iptables, on this host."""

    def __init__(self, *, bridge: str, root_dir: Path, cluster_cidr: str, service_cidr: str,
                 service_device: str) -> None:
        self.bridge = bridge
        self.root_dir = root_dir
        self.cluster_cidr = cluster_cidr
        self.service_cidr = service_cidr
        self.service_device = service_device
        self.forward_chain = f"SKIFF-FWD-{bridge}"[:28]
        self.hostport_chain = f"SKIFF-HP-{bridge}"[:28]
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"net-{bridge}")
        self._ipr: Any = None
        self._ipam: Ipam | None = None
        self._host_ports: tuple[HostPort, ...] | None = None

    def ready(self) -> bool:
        return self._ipam is not None

    @property
    def pod_cidr(self) -> str | None:
        return str(self._ipam.network) if self._ipam else None

    @property
    def ipam(self) -> Ipam:
        if self._ipam is None:
            raise NetworkError("the node has no podCIDR yet")
        return self._ipam

    async def _on_thread(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, partial(fn, *args))

    # -- the node -------------------------------------------------------------------------

    async def setup_node(self, pod_cidr: str) -> None:
        if self._ipam is not None and str(self._ipam.network) == pod_cidr:
            return
        ipam = Ipam(pod_cidr, FileStore(self.root_dir / "ipam" / pod_cidr.replace("/", "_")))
        await self._on_thread(self._setup_node, ipam)
        self._ipam = ipam
        log.info("pod network ready: bridge %s, gateway %s/%d", self.bridge, ipam.gateway,
                 ipam.prefix_length)

    def _setup_node(self, ipam: Ipam) -> None:
        _enable_sysctls()
        ipr = self._host()
        bridge = self._ensure_link(self.bridge, "bridge")
        _ignore_exists(ipr.addr, "add", index=bridge, address=f"{ipam.gateway}/{ipam.prefix_length}")
        ipr.link("set", index=bridge, state="up")
        _ignore_exists(ipr.route, "add", dst=self.cluster_cidr, type="blackhole")
        self._route_services_locally()
        self._allow_forwarding()

    def _route_services_locally(self) -> None:
        if not self.service_device:
            return
        ipr = self._host()
        try:
            sink = self._ensure_link(self.service_device, "dummy")
        except NetworkError:
            # Kernels without the dummy driver (this one) still have ifb, which drops
            # every packet not redirected to it by tc: the same local sink.
            sink = self._ensure_link(self.service_device, "ifb")
        ipr.link("set", index=sink, state="up")
        _ignore_exists(ipr.route, "add", dst=self.service_cidr, oif=sink)

    def _ensure_link(self, name: str, kind: str) -> int:
        ipr = self._host()
        found = ipr.link_lookup(ifname=name)
        if found:
            return int(found[0])
        try:
            ipr.link("add", ifname=name, kind=kind)
        except NetlinkError as err:
            if err.code != errno.EEXIST:
                raise NetworkError(f"creating {kind} {name}: {err}") from err
        return int(ipr.link_lookup(ifname=name)[0])

    def _allow_forwarding(self) -> None:
        rules = (f"*filter\n:{self.forward_chain} - [0:0]\n"
                 f"-A {self.forward_chain} -i {self.bridge} -j ACCEPT\n"
                 f"-A {self.forward_chain} -o {self.bridge} -j ACCEPT\n"
                 "COMMIT\n")
        _iptables_restore(rules)
        _ensure_jump("filter", "FORWARD", self.forward_chain)

    # -- pods -----------------------------------------------------------------------------

    async def setup_pod(self, sandbox_id: str, pid: int) -> str:
        ipam = self.ipam
        ip = ipam.allocate(sandbox_id)
        try:
            await self._on_thread(self._plumb, sandbox_id, pid, ip, ipam)
        except BaseException:
            ipam.release(sandbox_id)
            raise
        return ip

    def _plumb(self, sandbox_id: str, pid: int, ip: str, ipam: Ipam) -> None:
        ipr = self._host()
        host_end = veth_name(sandbox_id)
        for stale in ipr.link_lookup(ifname=host_end):  # left by a half-done earlier try
            ipr.link("del", index=stale)
        bridge = ipr.link_lookup(ifname=self.bridge)
        if not bridge:
            raise NetworkError(f"bridge {self.bridge} is missing")
        try:
            ipr.link("add", ifname=host_end, kind="veth",
                     peer={"ifname": "eth0", "net_ns_pid": pid})
            index = ipr.link_lookup(ifname=host_end)[0]
            ipr.link("set", index=index, master=bridge[0], state="up")
        except NetlinkError as err:
            raise NetworkError(f"creating veth {host_end} for pid {pid}: {err}") from err
        _write(Path(f"/sys/class/net/{host_end}/brport/hairpin_mode"), "1")
        self._configure_pod_side(pid, f"{ip}/{ipam.prefix_length}", ipam.gateway)

    def _configure_pod_side(self, pid: int, address: str, gateway: str) -> None:
        from pyroute2 import IPRoute

        try:
            inside = IPRoute(use_socket=_netlink_socket_in(pid))
        except OSError as err:
            raise NetworkError(f"entering the network namespace of pid {pid}: {err}") from err
        try:
            lo = inside.link_lookup(ifname="lo")[0]
            inside.link("set", index=lo, state="up")
            eth0 = inside.link_lookup(ifname="eth0")[0]
            inside.addr("add", index=eth0, address=address)
            inside.link("set", index=eth0, state="up")
            inside.route("add", dst="default", gateway=gateway)
        except NetlinkError as err:
            raise NetworkError(f"configuring eth0 {address} in pid {pid}: {err}") from err
        finally:
            inside.close()

    async def teardown_pod(self, sandbox_id: str) -> None:
        await self._on_thread(self._unplumb, sandbox_id)
        if self._ipam is not None:
            self._ipam.release(sandbox_id)

    def _unplumb(self, sandbox_id: str) -> None:
        ipr = self._host()
        for index in ipr.link_lookup(ifname=veth_name(sandbox_id)):
            try:
                ipr.link("del", index=index)
            except NetlinkError as err:
                if err.code != errno.ENODEV:  # gone with its namespace meanwhile
                    raise

    def pod_ip(self, sandbox_id: str) -> str | None:
        return self._ipam.address_of(sandbox_id) if self._ipam else None

    def allocations(self) -> dict[str, str]:
        return self._ipam.allocations() if self._ipam else {}

    # -- hostPort -------------------------------------------------------------------------

    async def sync_host_ports(self, ports: Sequence[HostPort]) -> None:
        wanted = tuple(sorted(ports, key=lambda p: (p.protocol, p.host_port, p.host_ip)))
        if wanted == self._host_ports:
            return
        await self._on_thread(self._write_host_ports, wanted)
        self._host_ports = wanted

    def _write_host_ports(self, ports: Sequence[HostPort]) -> None:
        chain = self.hostport_chain
        lines = ["*nat", f":{chain} - [0:0]"]
        for port in ports:
            match = f"-d {port.host_ip}/32 " if port.host_ip and port.host_ip != "0.0.0.0" else ""
            proto = port.protocol.lower()
            lines.append(f"-A {chain} {match}-p {proto} -m {proto} --dport {port.host_port} "
                         f"-j DNAT --to-destination {port.pod_ip}:{port.container_port}")
        lines.append("COMMIT")
        _iptables_restore("\n".join(lines) + "\n")
        local = ["-m", "addrtype", "--dst-type", "LOCAL"]
        _ensure_jump("nat", "PREROUTING", chain, local)
        _ensure_jump("nat", "OUTPUT", chain, local)

    # -- plumbing -------------------------------------------------------------------------

    def _host(self) -> Any:
        if self._ipr is None:
            from pyroute2 import IPRoute

            self._ipr = IPRoute()
        return self._ipr

    async def close(self) -> None:
        def shut() -> None:
            if self._ipr is not None:
                self._ipr.close()
                self._ipr = None

        await self._on_thread(shut)
        self._thread.shutdown(wait=True)


def _ignore_exists(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except NetlinkError as err:
        if err.code != errno.EEXIST:
            raise NetworkError(f"{call.__name__} {args} {kwargs}: {err}") from err


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _netlink_socket_in(pid: int) -> socket.socket:
    """A netlink socket bound to ``pid``'s network namespace; this thread stays home.

    A socket belongs to the namespace it was created in, so the thread steps in, makes
    it, and steps back out at once.
    """
    target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(target)
        try:
            return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as err:
        log.warning("could not write %s to %s: %s", value, path, err)


def _enable_sysctls() -> None:
    for key, value in SYSCTLS.items():
        path = Path("/proc/sys") / key
        if not path.exists() and key.startswith("net/bridge"):
            try:
                run(["modprobe", "br_netfilter"])
            except CommandFailed as err:
                log.warning("br_netfilter is not loaded and cannot be (%s): Service traffic "
                            "between pods of this node will bypass iptables", err)
                continue
        if path.exists() and path.read_text().strip() != value:
            path.write_text(value)


def _iptables_restore(rules: str) -> None:
    try:
        run(["iptables-restore", "--noflush", "--wait"], input=rules)
    except CommandFailed as err:
        raise NetworkError(str(err)) from err


def _ensure_jump(table: str, parent: str, chain: str, match: Sequence[str] = ()) -> None:
    rule = [*match, "-j", chain]
    try:
        if run(["iptables", "-w", "-t", table, "-C", parent, *rule], check=False).returncode:
            run(["iptables", "-w", "-t", table, "-I", parent, "1", *rule])
    except CommandFailed as err:
        raise NetworkError(str(err)) from err


def remove_node_network(bridge: str, service_device: str, cluster_cidr: str | None = None) -> None:
    """Undo :meth:`BridgeNetwork.setup_node` for one bridge (``skiff down``, tests).

    The bridge goes with the routes through it, the sink device with the service route;
    the cluster CIDR's blackhole is shared by every bridge on the host, so it goes only
    when ``cluster_cidr`` is given.
    """
    # On a thread of its own: pyroute2's synchronous API runs an event loop, which fails
    # inside a caller's running one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(_remove_links, bridge, service_device, cluster_cidr).result()
    for table, parent, chain, match in (
        ("filter", "FORWARD", f"SKIFF-FWD-{bridge}"[:28], ()),
        ("nat", "PREROUTING", f"SKIFF-HP-{bridge}"[:28], ("-m", "addrtype", "--dst-type", "LOCAL")),
        ("nat", "OUTPUT", f"SKIFF-HP-{bridge}"[:28], ("-m", "addrtype", "--dst-type", "LOCAL")),
    ):
        run(["iptables", "-w", "-t", table, "-D", parent, *match, "-j", chain], check=False)
        run(["iptables", "-w", "-t", table, "-F", chain], check=False)
        run(["iptables", "-w", "-t", table, "-X", chain], check=False)


def _remove_links(bridge: str, service_device: str, cluster_cidr: str | None) -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for name in (bridge, service_device):
            for index in ipr.link_lookup(ifname=name) if name else ():
                ipr.link("del", index=index)
        if cluster_cidr:
            try:
                ipr.route("del", dst=cluster_cidr, type="blackhole")
            except NetlinkError as err:
                if err.code != errno.ESRCH:
                    raise

