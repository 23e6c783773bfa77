"""``skiff-apiserver``: the process entry point and its Kubernetes-named flags.

Two listeners share one application: plain HTTP on ``--insecure-bind-address`` (127.0.0.1
by default, for local clients such as ``skiffctl`` and the launcher) and HTTPS on
``--bind-address:--secure-port`` for everything else (pods through the ``kubernetes``
Service, other machines).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from pathlib import Path
from typing import Any, Literal

import uvicorn
import uvloop

from apiserver.app import Config, create_app
from apiserver.proxy import WebSocketProtocol

__all__ = ["main"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skiff-apiserver",
                                     description="The skiff API server (Kubernetes REST on etcd).")
    parser.add_argument("--etcd-servers", default="http://127.0.0.1:2379",
                        help="etcd client URL(s), comma separated")
    parser.add_argument("--insecure-bind-address", default="127.0.0.1",
                        help="address of the plain HTTP listener (local clients)")
    parser.add_argument("--insecure-port", type=int, default=8080,
                        help="plain HTTP port (0 = off)")
    parser.add_argument("--bind-address", default="0.0.0.0", help="address of the HTTPS listener")
    parser.add_argument("--secure-port", type=int, default=6443, help="HTTPS port (0 = off)")
    parser.add_argument("--advertise-address", default="",
                        help="IP the `kubernetes` Service points at (default: this host's address)")
    parser.add_argument("--cert-dir", default="/var/lib/skiff/pki",
                        help="where the generated CA and serving certificate are kept")
    parser.add_argument("--tls-cert-file", default="", help="serving certificate (PEM)")
    parser.add_argument("--tls-private-key-file", default="", help="its private key (PEM)")
    parser.add_argument("--service-cluster-ip-range", default="10.96.0.0/12")
    parser.add_argument("--service-node-port-range", default="30000-32767")
    parser.add_argument("--watch-cache-size", type=int, default=4096,
                        help="changes kept per resource for watches to resume from")
    parser.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return parser.parse_args(argv)


def host_address() -> str:
    """This host's address on the interface of its default route (no packet is sent)."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for route in ipr.get_default_routes(family=socket.AF_INET):
            oif = route.get_attr("RTA_OIF")
            for addr in ipr.get_addr(family=socket.AF_INET, index=oif):
                return str(addr.get_attr("IFA_ADDRESS"))
    return "127.0.0.1"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.v >= 4 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    advertise = args.advertise_address or (
        args.bind_address if args.bind_address not in ("0.0.0.0", "::") else host_address()
    )
    config = Config(
        etcd_servers=args.etcd_servers,
        advertise_address=advertise,
        secure_port=args.secure_port,
        insecure_port=args.insecure_port,
        service_cluster_ip_range=args.service_cluster_ip_range,
        service_node_port_range=args.service_node_port_range,
        watch_cache_size=args.watch_cache_size,
    )
    app = create_app(config)
    servers = []
    if args.insecure_port:
        servers.append(_server(app, args.insecure_bind_address, args.insecure_port))
    if args.secure_port:
        cert, key = args.tls_cert_file, args.tls_private_key_file
        if not cert:
            from apiserver.certs import ensure_serving_cert

            pki = ensure_serving_cert(Path(args.cert_dir), sorted({"127.0.0.1", advertise,
                                                                   config.kubernetes_ip}))
            cert, key = str(pki.cert_file), str(pki.key_file)
        servers.append(_server(app, args.bind_address, args.secure_port, cert=cert, key=key,
                               lifespan="off" if servers else "auto"))
    if not servers:
        raise SystemExit("skiff-apiserver: both --insecure-port and --secure-port are 0")
    uvloop.run(_serve(servers))


def _server(app: Any, host: str, port: int, *, cert: str | None = None, key: str | None = None,
            lifespan: Literal["auto", "on", "off"] = "auto") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key, lifespan=lifespan,
        loop="uvloop", http="httptools", access_log=False, log_level="warning",
        timeout_keep_alive=120, timeout_graceful_shutdown=3,
        ws=WebSocketProtocol,  # takes kubectl's port-forward subprotocol name (proxy.py)
    ))


async def _serve(servers: list[uvicorn.Server]) -> None:
    # The first server runs the application's start-up; the others only listen, and
    # answer 503 until it is done.
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    main()
