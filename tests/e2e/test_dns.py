"""skiff-dns against a real apiserver: queried with dnslib and busybox's nslookup.

Most tests run the server on a free loopback port against the session apiserver; the
last one runs it the way ``skiff up`` does, on 10.96.0.10:53 inside a node namespace,
and resolves a short name from a "pod" whose resolv.conf is what the kubelet writes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dnslib import RCODE, DNSRecord

from apimachinery.core_v1 import Endpoints, Service
from client import Client, Config
from tests.fixtures.netns import BUSYBOX, lab_api, make_lab, wait_for
from tests.fixtures.ports import free_ports

# What the kubelet writes for a pod with dnsPolicy ClusterFirst in namespace {ns}.
RESOLV_CONF = ("nameserver 10.96.0.10\n"
               "search {ns}.svc.cluster.local svc.cluster.local cluster.local\n"
               "options ndots:5\n")


class Dns:
    def __init__(self, port: int) -> None:
        self.port = port

    def ask(self, name: str, qtype: str = "A", *, tcp: bool = False) -> DNSRecord:
        reply = DNSRecord.question(name, qtype).send("127.0.0.1", self.port, tcp=tcp, timeout=5)
        return DNSRecord.parse(reply)

    def addresses(self, name: str, qtype: str = "A") -> tuple[int, list[str]]:
        reply = self.ask(name, qtype)
        return reply.header.rcode, sorted(str(rr.rdata) for rr in reply.rr)


@pytest.fixture(scope="module")
def dns(kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dns]:
    port, health = free_ports(2)
    log = tmp_path_factory.mktemp("dns") / "skiff-dns.log"
    # The session apiserver is shared: leave 10.96.0.10 alone (the netns test covers kube-dns).
    process = subprocess.Popen(
        [sys.executable, "-m", "proxy.dns.main", "--kubeconfig", str(kubeconfig),
         "--bind-address", "127.0.0.1", "--port", str(port),
         "--health-bind-address", f"127.0.0.1:{health}", "--no-create-service"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def ready() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{health}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready, 30, "skiff-dns to be ready")
    yield Dns(port)
    process.terminate()
    process.wait(10)


@pytest.fixture
async def api(apiserver: str) -> AsyncIterator[Client]:
    async with Client(Config(server=apiserver)) as client:
        yield client


async def create_service(api: Client, namespace: str, name: str, **spec: Any) -> Service:
    body = {"metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"name": "http", "port": 80}], **spec}}
    return await api.resource(Service, namespace).create(Service.from_dict(body))


def nslookup(*args: str) -> str:
    return subprocess.run([BUSYBOX, "nslookup", *args], capture_output=True, text=True, timeout=10).stdout


def eventually(condition: Any, seconds: float, what: str) -> None:
    wait_for(condition, seconds, what)


async def test_a_service_has_a_records_srv_and_ptr(dns: Dns, api: Client, namespace: str) -> None:
    svc = await create_service(api, namespace, "web")
    ip = svc.spec.cluster_ip
    name = f"web.{namespace}.svc.cluster.local"
    eventually(lambda: dns.addresses(name) == (RCODE.NOERROR, [ip]), 1, "web's A record")
    srv = dns.ask(f"_http._tcp.{name}", "SRV")
    assert [str(rr.rdata) for rr in srv.rr] == [f"0 100 80 {name}."]
    reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    assert dns.addresses(reverse, "PTR") == (RCODE.NOERROR, [f"{name}."])
    assert dns.addresses(name, "AAAA") == (RCODE.NOERROR, [])  # the name exists; IPv4 only
    tcp = dns.ask(name, tcp=True)
    assert [str(rr.rdata) for rr in tcp.rr] == [ip]


async def test_unknown_names_are_nxdomain(dns: Dns, namespace: str) -> None:
    assert dns.addresses(f"nothing.{namespace}.svc.cluster.local")[0] == RCODE.NXDOMAIN
    assert dns.addresses("example.com")[0] == RCODE.NXDOMAIN  # no upstream: nothing leaves
    assert dns.addresses(f"10-244-7-9.{namespace}.pod.cluster.local") == (RCODE.NOERROR, ["10.244.7.9"])


async def test_a_headless_service_resolves_to_its_ready_endpoints(dns: Dns, api: Client,
                                                                  namespace: str) -> None:
    await create_service(api, namespace, "db", clusterIP="None")
    await api.resource(Endpoints, namespace).create(Endpoints.from_dict({
        "metadata": {"name": "db", "namespace": namespace},
        "subsets": [{"addresses": [{"ip": "10.244.1.7", "hostname": "db-0"}, {"ip": "10.244.2.8"}],
                     "notReadyAddresses": [{"ip": "10.244.3.9"}],
                     "ports": [{"name": "http", "port": 5432}]}]}))
    name = f"db.{namespace}.svc.cluster.local"
    ready = (RCODE.NOERROR, ["10.244.1.7", "10.244.2.8"])
    eventually(lambda: dns.addresses(name) == ready, 1, "db's records")
    assert dns.addresses(f"db-0.{name}") == (RCODE.NOERROR, ["10.244.1.7"])
    srv = dns.ask(f"_http._tcp.{name}", "SRV")
    assert sorted(str(rr.rdata) for rr in srv.rr) == [f"0 100 5432 10-244-2-8.{name}.",
                                                      f"0 100 5432 db-0.{name}."]


async def test_answers_change_within_a_second_of_the_service(dns: Dns, api: Client, namespace: str) -> None:
    name = f"moving.{namespace}.svc.cluster.local"
    assert dns.addresses(name)[0] == RCODE.NXDOMAIN
    svc = await create_service(api, namespace, "moving")
    eventually(lambda: dns.addresses(name) == (RCODE.NOERROR, [svc.spec.cluster_ip]), 1, "the new Service")
    await api.resource(Service, namespace).delete("moving")
    eventually(lambda: dns.addresses(name)[0] == RCODE.NXDOMAIN, 1, "the deleted Service to go")


async def test_busybox_nslookup_resolves_names_and_srv(dns: Dns, api: Client, namespace: str) -> None:
    svc = await create_service(api, namespace, "look")
    name = f"look.{namespace}.svc.cluster.local"
    eventually(lambda: dns.addresses(name)[1] == [svc.spec.cluster_ip], 1, "look's A record")
    out = nslookup(f"-port={dns.port}", name, "127.0.0.1")
    assert f"Name:\t{name}\nAddress: {svc.spec.cluster_ip}" in out
    srv = nslookup("-type=srv", f"_http._tcp.{name}", f"127.0.0.1:{dns.port}")
    assert f"service = 0 100 80 {name}" in srv


@pytest.mark.e2e
async def test_a_pod_resolves_a_short_name_through_10_96_0_10(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with make_lab() as lab:
        node = lab.add_node("n1", 1)
        pod = lab.add_pod(node, "client")
        lab.resolv_conf(pod, RESOLV_CONF.format(ns="default"))
        with lab_api(lab, tmp_path_factory.mktemp("dns-api")) as api:
            async with Client(Config(server=api.url)) as client:
                server = lab.start(node.ns, [sys.executable, "-m", "proxy.dns.main", "--kubeconfig",
                                             str(api.kubeconfig)], "dns")
                svc = await create_service(client, "default", "web")
                deadline = time.monotonic() + 30

                def resolved() -> str:
                    assert server.alive and time.monotonic() < deadline, lab.logs()
                    out = pod.ns.run(BUSYBOX, "nslookup", "web", check=False, timeout=10).stdout
                    return out if svc.spec.cluster_ip in out else ""

                out = wait_for(resolved, 30, "the short name to resolve from the pod")
                assert "Name:\tweb.default.svc.cluster.local" in str(out)
                kube_dns = await client.resource(Service, "kube-system").get("kube-dns")
                assert kube_dns.spec.cluster_ip == "10.96.0.10"
                assert [(p.name, p.port, p.protocol) for p in kube_dns.spec.ports or ()] == [
                    ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]
                assert "10.96.0.10/32" in node.ns.run("ip", "-4", "addr", "show", "dev", "skiff-svc").stdout
