"""Network programming latency: from an API change to the first connection that works.

Run: ``python -m bench.netprog`` (as root; ``make bench`` runs every benchmark). Builds a
node in a throwaway network namespace (as the e2e tests do: a pod serving, a client pod,
skiff-proxy with its default flags, a private etcd and apiserver), then measures, over
``--changes`` changes each:

* an endpoint turning ready: a Service that had no endpoint gets one in its Endpoints;
* a Service created: its Endpoints exist already, the Service appears;

from just before the API write to the first TCP connection through the cluster IP that a
prober in the client pod gets answered (it retries every few milliseconds; both sides read
the same system-wide monotonic clock). Changes come one at a time, ``--pace`` seconds
apart (default: the proxy's --iptables-min-sync-period, the rate it is built to program
at). A last, shorter series makes the changes back to back: once its burst allowance of
two syncs is spent, the proxy syncs once per min-sync-period, by design.

Goal (issue 5): p99 <= 1 s. Anchor: Kubernetes' network programming latency SLI
(sig-scalability), which publishes no threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from apimachinery.core_v1 import Endpoints, Service
from bench._cluster import percentile, report
from client import Client, Config
from tests.fixtures.netns import Lab, PodNet, lab_api, make_lab, wait_for

GOAL_P99 = 1.0

# Runs in the client pod: for each "ip port" line, connect until someone answers.
PROBER = r"""
import socket, sys, time
for line in sys.stdin:
    ip, port = line.split()
    give_up = time.monotonic() + 15
    while True:
        sock = socket.socket()
        sock.settimeout(0.02)  # an address with no rule yet drops the SYN: do not wait on it
        try:
            sock.connect((ip, int(port)))
            if sock.recv(64):
                print(time.monotonic(), flush=True)
                break
        except OSError:
            pass
        finally:
            sock.close()
        if time.monotonic() > give_up:
            print("timeout", flush=True)
            break
        time.sleep(0.002)
"""


class Prober:
    def __init__(self, pod: PodNet) -> None:
        self.process = subprocess.Popen(pod.ns.argv(sys.executable, "-u", "-c", PROBER),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    async def first_answer(self, ip: str, port: int) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{ip} {port}\n")
        self.process.stdin.flush()
        line = await asyncio.to_thread(self.process.stdout.readline)
        if line.strip() == "timeout":
            raise RuntimeError(f"{ip}:{port} never answered")
        return float(line)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def endpoints(name: str, pod: PodNet) -> Endpoints:
    return Endpoints.from_dict({"metadata": {"name": name, "namespace": "default"}, "subsets": [
        {"addresses": [{"ip": pod.ip, "nodeName": pod.node.name}], "ports": [{"port": 8080}]}]})


def service(name: str) -> Service:
    return Service.from_dict({"metadata": {"name": name, "namespace": "default"},
                              "spec": {"ports": [{"port": 80, "targetPort": 8080}]}})


async def endpoint_turning_ready(client: Client, lab: Lab, prober: Prober, changes: int,
                                 pace: float, prefix: str = "ready") -> list[float]:
    node = lab.nodes["n1"]
    resource = client.resource(Service, "default")
    services = [await resource.create(service(f"{prefix}-{i}")) for i in range(changes)]
    ips = [s.spec.cluster_ip for s in services]
    wait_for(lambda: all(f"-d {ip}/32" in node.ns.iptables_save() for ip in ips), 30, "the REJECT rules")
    await asyncio.sleep(2)  # let the proxy's burst allowance fill up again
    latencies = []
    for i, ip in enumerate(ips):
        await asyncio.sleep(pace)
        started = time.monotonic()
        await client.resource(Endpoints, "default").create(endpoints(f"{prefix}-{i}", node.pods[0]))
        latencies.append(await prober.first_answer(ip, 80) - started)
    return latencies


async def service_created(client: Client, lab: Lab, prober: Prober, changes: int, pace: float) -> list[float]:
    pod = lab.nodes["n1"].pods[0]
    for i in range(changes):
        await client.resource(Endpoints, "default").create(endpoints(f"new-{i}", pod))
    await asyncio.sleep(2)
    latencies = []
    for i in range(changes):
        await asyncio.sleep(pace)
        started = time.monotonic()
        created = await client.resource(Service, "default").create(service(f"new-{i}"))
        latencies.append(await prober.first_answer(created.spec.cluster_ip or "", 80) - started)
    return latencies


def proxy_synced(lab: Lab) -> bool:
    try:
        text = httpx.get(f"http://{lab.nodes['n1'].ip}:10249/metrics", timeout=2).text
    except httpx.TransportError:
        return False
    match = re.search(r"^kubeproxy_sync_proxy_rules_last_timestamp_seconds (\S+)$", text, re.M)
    return bool(match and float(match.group(1)) > 0)


async def run(changes: int, pace: float, min_sync: float, back_to_back: int) -> None:
    with make_lab() as lab:
        node = lab.add_node("n1", 1)
        lab.serve(lab.add_pod(node, "a"))
        asker = lab.add_pod(node, "client")
        with lab_api(lab, Path(tempfile.mkdtemp(prefix="skiff-netprog-"))) as api:
            lab.start(node.ns, [sys.executable, "-m", "proxy.main", "--kubeconfig", str(api.kubeconfig),
                                "--hostname-override", "n1", "--metrics-bind-address", "0.0.0.0:10249",
                                "--iptables-min-sync-period", f"{min_sync}s"], "proxy")
            wait_for(lambda: proxy_synced(lab), 30, "the proxy's first sync")
            prober = Prober(asker)
            try:
                async with Client(Config(server=api.url)) as client:
                    ready = await endpoint_turning_ready(client, lab, prober, changes, pace)
                    created = await service_created(client, lab, prober, changes, pace)
                    rushed = await endpoint_turning_ready(client, lab, prober, back_to_back, 0, "rushed")
            finally:
                prober.close()
    print(f"{changes} changes each, {pace:.2f} s apart; proxy --iptables-min-sync-period {min_sync}s "
          "(default 1s), from a client pod through the cluster IP")
    print()
    rows = []
    series = (("endpoint turning ready", ready), ("Service created", created),
              (f"back to back ({back_to_back} endpoints)", rushed))
    for what, values in series:
        p50, p99 = percentile(values, 50), percentile(values, 99)
        rows.append((f"{what}: p50", f"{p50 * 1000:.0f} ms", "-", "-"))
        goal = f"<= {GOAL_P99 * 1000:.0f} ms (SLI: none published)"
        rows.append((f"{what}: p99", f"{p99 * 1000:.0f} ms", goal, f"{p99 / GOAL_P99:.2f}"))
    report(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--min-sync-period", type=float, default=1.0, help="the proxy's flag, seconds")
    parser.add_argument("--pace", type=float, default=None,
                        help="seconds between changes (default: the min sync period)")
    parser.add_argument("--back-to-back", type=int, default=10, help="changes in the last series")
    args = parser.parse_args()
    pace = args.min_sync_period if args.pace is None else args.pace
    asyncio.run(run(args.changes, pace, args.min_sync_period, args.back_to_back))


if __name__ == "__main__":
    main()
