"""``skiff-apiserver``: the process entry point and its Kubernetes-named flags."""

from __future__ import annotations

import argparse
import logging

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
    parser.add_argument("--bind-address", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--insecure-port", type=int, default=8080,
                        help="plain HTTP port for local clients")
    parser.add_argument("--secure-port", type=int, default=0,
                        help="HTTPS port (0 = off; see docs/compatibility.md)")
    parser.add_argument("--advertise-address", default="",
                        help="address clients are told to use (default: bind address and port)")
    parser.add_argument("--service-cluster-ip-range", default="10.96.0.0/12")
    parser.add_argument("--service-node-port-range", default="30000-32767")
    parser.add_argument("--watch-cache-size", type=int, default=4096,
                        help="changes kept per resource for watches to resume from")
    parser.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.v >= 4 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = Config(
        etcd_servers=args.etcd_servers,
        advertise_address=args.advertise_address or f"{args.bind_address}:{args.insecure_port}",
        service_cluster_ip_range=args.service_cluster_ip_range,
        service_node_port_range=args.service_node_port_range,
        watch_cache_size=args.watch_cache_size,
    )
    server = uvicorn.Server(uvicorn.Config(
        create_app(config),
        host=args.bind_address,
        port=args.insecure_port,
        loop="uvloop",
        http="httptools",
        ws=WebSocketProtocol,  # takes kubectl's port-forward subprotocol name (see proxy.py)
        access_log=False,
        log_level="warning",
        timeout_keep_alive=120,
        timeout_graceful_shutdown=3,
    ))
    uvloop.run(server.serve())


if __name__ == "__main__":
    main()
