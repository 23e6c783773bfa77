"""Verbs that reach into pods: logs, exec, attach, port-forward, cp, top.

Logs stream from ``pods/<name>/log``; exec, attach and port-forward go over the
WebSocket protocols in :mod:`kubectl.streams`; ``cp`` is tar over exec, as in kubectl
(so the container needs ``tar``); ``top`` reads the kubelet's ``/stats/summary``
through the apiserver's node proxy. A workload (``deploy/web``, ``svc/web``) stands
for one of its pods, chosen the way kubectl chooses.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apimachinery.errors import StatusError
from apimachinery.labels import Selector
from apimachinery.quantity import Quantity
from kubectl.errors import CommandError, Exit, format_error
from kubectl.resources import ObjectRef
from kubectl.session import Session
from kubectl.tabwriter import TabWriter

__all__ = [
    "LogsOptions",
    "cp",
    "exec_cmd",
    "logs",
    "port_forward",
    "top_nodes",
    "top_pods",
]

DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
Obj = dict[str, Any]


# -- finding pods ------------------------------------------------------------------------

async def _ref(session: Session, text: str) -> ObjectRef:
    kind, slash, name = text.partition("/")
    if not slash:
        return ObjectRef(await session.resolve("pods"), session.namespace, text)
    return ObjectRef(await session.resolve(kind), session.namespace, name)


def _selector_of(obj: Obj, kind: str) -> Selector:
    spec = obj.get("spec") or {}
    if kind in ("Service", "ReplicationController"):
        return Selector.from_set(spec.get("selector"))
    if kind == "CronJob":
        raise CommandError("cannot attach to a CronJob: it has no pods of its own")
    return Selector.from_label_selector(spec.get("selector"))


def _rank(pod: Obj) -> tuple[int, int, int, str]:
    """kubectl's preference among a workload's pods: running, ready, fewest restarts, newest."""
    status = pod.get("status") or {}
    running = 0 if status.get("phase") == "Running" else 1
    ready = 0 if any(c.get("type") == "Ready" and c.get("status") == "True"
                     for c in status.get("conditions") or ()) else 1
    restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or ())
    created = (pod.get("metadata") or {}).get("creationTimestamp", "")
    return running, ready, restarts, "".join(chr(0x10FFFF - ord(c)) for c in created)


async def pods_for(session: Session, ref: ObjectRef) -> tuple[list[Obj], Obj | None]:
    """The pods behind ``ref`` (best first), and the workload object itself if not a pod."""
    obj: Obj = await session.request("GET", ref.rtype.path(ref.namespace, ref.name))
    if ref.rtype.kind == "Pod":
        return [obj], None
    selector = _selector_of(obj, ref.rtype.kind)
    if selector.empty() or selector.is_nothing:
        raise CommandError(f"cannot find pods of {ref.qualified}: it has no selector")
    pods_type = await session.resolve("pods")
    listed = await session.resource(pods_type, ref.namespace).list_all(
        label_selector=str(selector))
    return sorted(listed.items, key=_rank), obj


async def one_pod(session: Session, text: str, announce: bool = True) -> Obj:
    ref = await _ref(session, text)
    pods, owner = await pods_for(session, ref)
    if not pods:
        raise CommandError(f"no pods found for {ref.qualified}" if owner else "pod not found")
    if owner is not None and len(pods) > 1 and announce:
        print(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}", file=sys.stderr)
    return pods[0]


def container_of(pod: Obj, name: str | None, quiet: bool = False) -> str:
    """The named container, or the default one (with kubectl's notice when it guessed)."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    every = [*containers, *(spec.get("initContainers") or []),
             *(spec.get("ephemeralContainers") or [])]
    if name:
        if not any(c.get("name") == name for c in every):
            raise CommandError(f"container {name} not found in pod {pod['metadata']['name']}")
        return name
    if not containers:
        raise CommandError(f"pod {pod['metadata'].get('namespace')}/{pod['metadata']['name']} "
                           "does not have any containers")
    wanted = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER)
    if wanted and any(c.get("name") == wanted for c in containers):
        return str(wanted)
    first = str(containers[0]["name"])
    if not quiet and (len(containers) > 1 or spec.get("initContainers")):
        names = [c["name"] for c in containers] + \
            [f"{c['name']} (ephem)" for c in spec.get("ephemeralContainers") or ()] + \
            [f"{c['name']} (init)" for c in spec.get("initContainers") or ()]
        print(f'Defaulted container "{first}" out of: {", ".join(names)}', file=sys.stderr)
    return first


# -- logs --------------------------------------------------------------------------------

@dataclass
class LogsOptions:
    target: str | None
    container: str | None = None
    follow: bool = False
    previous: bool = False
    tail: int = -1
    since: float | None = None
    since_time: str | None = None
    timestamps: bool = False
    selector: str | None = None
    prefix: bool = False
    all_containers: bool = False
    max_log_requests: int = 5
    limit_bytes: int = 0
    ignore_errors: bool = False
    extra: list[str] = field(default_factory=list)


async def logs(session: Session, opts: LogsOptions) -> int:
    streams = await _log_streams(session, opts)
    if opts.follow and len(streams) > opts.max_log_requests:
        raise CommandError(f"you are attempting to follow {len(streams)} log streams, but maximum "
                           f"allowed concurrency is {opts.max_log_requests}, use "
                           "--max-log-requests to increase the limit")
    prefix = opts.prefix
    if opts.follow and len(streams) > 1:
        results = await asyncio.gather(*(_stream_log(session, pod, c, opts, prefix)
                                          for pod, c in streams), return_exceptions=True)
        failures = [r for r in results if isinstance(r, Exception)]
    else:
        failures = []
        for pod, container in streams:
            try:
                await _stream_log(session, pod, container, opts, prefix)
            except (StatusError, CommandError) as err:
                failures.append(err)
    for failure in failures:
        if not isinstance(failure, StatusError | CommandError):
            raise failure
        print(format_error(failure), file=sys.stderr)
    return 1 if failures and not opts.ignore_errors else 0


async def _log_streams(session: Session, opts: LogsOptions) -> list[tuple[Obj, str]]:
    if opts.selector:
        if opts.target:
            raise CommandError("only a selector (-l) or a POD name is allowed")
        pods_type = await session.resolve("pods")
        namespace = None if session.all_namespaces else session.namespace
        pods = (await session.resource(pods_type, namespace).list_all(
            label_selector=opts.selector)).items
        if not pods:
            print(f"No resources found in {session.namespace} namespace.", file=sys.stderr)
            raise Exit(0)
    else:
        if not opts.target:
            raise CommandError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                               "POD or TYPE/NAME is a required argument for the logs command\n"
                               "See 'skiffctl logs -h' for help and examples")
        pods = [await one_pod(session, opts.target)]
    streams: list[tuple[Obj, str]] = []
    for pod in pods:
        if opts.all_containers:
            spec = pod.get("spec") or {}
            streams.extend((pod, c["name"]) for c in [*(spec.get("initContainers") or []),
                                                       *(spec.get("containers") or [])])
        else:
            streams.append((pod, container_of(pod, opts.container, quiet=bool(opts.selector))))
    return streams


async def _stream_log(session: Session, pod: Obj, container: str, opts: LogsOptions,
                      prefix: bool) -> None:
    meta = pod["metadata"]
    params: dict[str, str] = {"container": container}
    for key, value in (("follow", opts.follow), ("previous", opts.previous),
                       ("timestamps", opts.timestamps)):
        if value:
            params[key] = "true"
    if opts.tail >= 0:
        params["tailLines"] = str(opts.tail)
    elif opts.selector and not opts.follow:
        params["tailLines"] = "10"  # kubectl's default for selector logs
    if opts.since is not None:
        params["sinceSeconds"] = str(max(1, int(opts.since + 0.999)))
    if opts.since_time:
        params["sinceTime"] = opts.since_time
    if opts.limit_bytes:
        params["limitBytes"] = str(opts.limit_bytes)
    pods_type = await session.resolve("pods")
    path = pods_type.path(meta.get("namespace"), meta["name"], "log")
    response = await session.client.send("GET", path, params=params, stream=True,
                                         http_timeout=None if opts.follow else 300)
    label = f"[pod/{meta['name']}/{container}] ".encode()
    out = sys.stdout.buffer
    pending = b""
    try:
        async for chunk in response.aiter_bytes():
            if not prefix:
                out.write(chunk)
                out.flush()
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                out.write(label + line + b"\n")
            out.flush()
        if prefix and pending:
            out.write(label + pending + b"\n")
            out.flush()
    finally:
        await response.aclose()


# -- exec and attach ---------------------------------------------------------------------

async def exec_cmd(session: Session, target: str, command: list[str], container: str | None,
                   stdin: bool, tty: bool, quiet: bool) -> int:
    from kubectl.streams import exec_stream

    if not command:
        raise CommandError("you must specify at least one command for the container")
    pod = await one_pod(session, target)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise CommandError(f"cannot exec into a container in a completed pod; current phase is "
                           f"{phase}")
    name = container_of(pod, container, quiet)
    if tty and not stdin:
        print("Unable to use a TTY - input is not connected (use -i)", file=sys.stderr)
        tty = False
    if tty and not os.isatty(sys.stdin.fileno()):
        if not quiet:
            print("Unable to use a TTY - input is not a terminal or the right kind of file",
                  file=sys.stderr)
        tty = False
    query = [("container", name), *(("command", c) for c in command),
             ("stdout", "true"), ("stderr", "false" if tty else "true")]
    if stdin:
        query.append(("stdin", "true"))
    if tty:
        query.append(("tty", "true"))
    pods_type = await session.resolve("pods")
    path = pods_type.path(pod["metadata"]["namespace"], pod["metadata"]["name"], "exec")
    result = await exec_stream(session.config, path, query, stdin=stdin or None, tty=tty)
    if result.exit_code:
        if result.error:
            raise CommandError(result.error)
        if not quiet:
            print(f"command terminated with exit code {result.exit_code}", file=sys.stderr)
    return result.exit_code


async def attach(session: Session, target: str, container: str | None, stdin: bool,
                 tty: bool, quiet: bool) -> int:
    from kubectl.streams import exec_stream

    pod = await one_pod(session, target)
    name = container_of(pod, container, quiet)
    if not quiet:
        print("If you don't see a command prompt, try pressing enter.", file=sys.stderr)
    query = [("container", name), ("stdout", "true"), ("stderr", "false" if tty else "true")]
    if stdin:
        query.append(("stdin", "true"))
    if tty:
        query.append(("tty", "true"))
    pods_type = await session.resolve("pods")
    path = pods_type.path(pod["metadata"]["namespace"], pod["metadata"]["name"], "attach")
    result = await exec_stream(session.config, path, query, stdin=stdin or None, tty=tty)
    return result.exit_code


# -- port-forward ------------------------------------------------------------------------

def _split_port(spec: str) -> tuple[str, str]:
    local, colon, remote = spec.partition(":")
    return (local, remote) if colon else (spec, spec)


def _named_container_port(pod: Obj, name: str) -> int:
    for container in (pod.get("spec") or {}).get("containers") or ():
        for port in container.get("ports") or ():
            if port.get("name") == name:
                return int(port["containerPort"])
    raise CommandError(f"Pod '{pod['metadata']['name']}' does not have a named port '{name}'")


def _service_target(svc: Obj, pod: Obj, remote: str) -> int:
    ports = (svc.get("spec") or {}).get("ports") or []
    match = next((p for p in ports if str(p.get("port")) == remote or p.get("name") == remote),
                 None)
    if match is None:
        raise CommandError(f"Service {svc['metadata']['name']} does not have a service port "
                           f"{remote}")
    target = match.get("targetPort", match.get("port"))
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    return _named_container_port(pod, str(target))


async def port_forward(session: Session, target: str, ports: list[str],
                       addresses: list[str]) -> int:
    from kubectl.streams import forward_connection

    if not ports:
        raise CommandError("TYPE/NAME and list of ports are required for port-forward")
    ref = await _ref(session, target)
    pods, owner = await pods_for(session, ref)
    if not pods:
        raise CommandError(f"no pods found for {ref.qualified}")
    pod = pods[0]
    if (pod.get("status") or {}).get("phase") != "Running":
        raise CommandError(f"unable to forward port because pod is not running. Current status="
                           f"{(pod.get('status') or {}).get('phase')}")
    pairs: list[tuple[int, int]] = []
    for spec in ports:
        local, remote = _split_port(spec)
        if ref.rtype.kind == "Service" and owner is not None:
            number = _service_target(owner, pod, remote)
        else:
            number = int(remote) if remote.isdigit() else _named_container_port(pod, remote)
        pairs.append((int(local) if local else 0, number))
    pods_type = await session.resolve("pods")
    path = pods_type.path(pod["metadata"]["namespace"], pod["metadata"]["name"], "portforward")
    servers = []
    for local_port, remote_port in pairs:
        for address in addresses:
            servers.append(await _listen(session, path, address, local_port, remote_port,
                                         forward_connection))
    await asyncio.gather(*(s.serve_forever() for s in servers))
    return 0


async def _listen(session: Session, path: str, address: str, local: int, remote: int,
                  forward: Any) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        print(f"Handling connection for {port}", flush=True)
        await forward(session.config, path, remote, reader, writer)

    host = "127.0.0.1" if address == "localhost" else address
    try:
        server = await asyncio.start_server(handle, host, local)
    except OSError as err:
        raise CommandError(f"unable to listen on port {local}: {err.strerror}") from err
    port = server.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"Forwarding from {shown}:{port} -> {remote}", flush=True)
    return server


# -- cp ----------------------------------------------------------------------------------

def _remote(spec: str) -> tuple[str | None, str]:
    """``[ns/]pod:/path`` -> (pod spec, path); a local path -> (None, path)."""
    head, colon, path = spec.partition(":")
    if colon and head and not os.path.exists(spec):
        return head, path
    return None, spec


async def cp(session: Session, source: str, dest: str, container: str | None,
             no_preserve: bool) -> int:
    from kubectl.streams import exec_stream

    src_pod, src_path = _remote(source)
    dst_pod, dst_path = _remote(dest)
    if (src_pod is None) == (dst_pod is None):
        raise CommandError("one of src or dest must be a local file specification"
                           if src_pod else "one of src or dest must be a remote file specification")
    if src_pod is not None:
        pod, name = await _cp_pod(session, src_pod, container)
        parent, base = os.path.split(src_path.rstrip("/") or "/")
        query = [("container", name), ("command", "tar"), ("command", "cf"), ("command", "-"),
                 ("command", "-C"), ("command", parent or "/"), ("command", base or "."),
                 ("stdout", "true"), ("stderr", "true")]
        result = await exec_stream(session.config, _exec_path(pod), query, capture=True)
        if result.exit_code:
            raise CommandError(result.error or f"command terminated with exit code "
                                               f"{result.exit_code}")
        _extract(bytes(result.out), base, Path(dst_path))
        return 0
    pod, name = await _cp_pod(session, dst_pod or "", container)
    parent, base = os.path.split(dst_path.rstrip("/") or "/")
    packed = _pack(Path(src_path), base)
    flags = "xf" if no_preserve else "xmf"
    query = [("container", name), ("command", "tar"), ("command", flags), ("command", "-"),
             ("command", "-C"), ("command", parent or "/"), ("stdin", "true"),
             ("stdout", "true"), ("stderr", "true")]
    result = await exec_stream(session.config, _exec_path(pod), query, stdin=packed)
    if result.exit_code:
        raise CommandError(result.error or f"command terminated with exit code {result.exit_code}")
    return 0


async def _cp_pod(session: Session, spec: str, container: str | None) -> tuple[Obj, str]:
    namespace, slash, name = spec.rpartition("/")
    pods_type = await session.resolve("pods")
    pod = await session.request("GET", pods_type.path(namespace if slash else session.namespace,
                                                      name))
    return pod, container_of(pod, container)


def _exec_path(pod: Obj) -> str:
    meta = pod["metadata"]
    return f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/exec"


def _pack(local: Path, base: str) -> bytes:
    """A tar of ``local`` whose one entry is named ``base`` (the destination's name)."""
    if not local.exists():
        raise CommandError(f"{local} doesn't exist in local filesystem")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(str(local), arcname=base or local.name)
    return buffer.getvalue()


def _extract(data: bytes, base: str, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="skiffctl-cp-") as tmp, \
            tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(tmp, filter="data")
        found = Path(tmp, base)
        if not found.exists():
            raise CommandError(f"{base}: no such file or directory in the pod")
        target = dest / base if dest.is_dir() and found.is_file() else dest
        if found.is_dir():
            shutil.copytree(found, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(found, target)


# -- top ---------------------------------------------------------------------------------

async def _summary(session: Session, node: str) -> Obj | None:
    nodes_type = await session.resolve("nodes")
    try:
        found: Obj = await session.request("GET", nodes_type.path(None, node, "proxy")
                                           + "/stats/summary")
        return found
    except StatusError:
        return None


def _nano_cores(stats: Obj | None) -> int | None:
    value = (stats or {}).get("usageNanoCores")
    return int(value) if value is not None else None


def _working_set(stats: Obj | None) -> int | None:
    value = (stats or {}).get("workingSetBytes")
    return int(value) if value is not None else None


async def top_nodes(session: Session, name: str | None, selector: str | None,
                    sort_by: str | None, no_headers: bool) -> int:
    nodes_type = await session.resolve("nodes")
    if name:
        nodes = [await session.request("GET", nodes_type.path(None, name))]
    else:
        nodes = (await session.resource(nodes_type).list_all(label_selector=selector)).items
    rows, missing = [], []
    for node in nodes:
        summary = await _summary(session, node["metadata"]["name"])
        cpu = _nano_cores((summary or {}).get("node", {}).get("cpu"))
        memory = _working_set((summary or {}).get("node", {}).get("memory"))
        if cpu is None or memory is None:
            missing.append(node["metadata"]["name"])
            continue
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        rows.append((node["metadata"]["name"], cpu, memory, allocatable))
    if not rows:
        raise CommandError("metrics not available yet")
    rows.sort(key=_top_key(sort_by, lambda r: r[0], lambda r: r[1], lambda r: r[2]))
    writer = TabWriter(sys.stdout)
    if not no_headers:
        writer.write("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n")
    for name_, cpu, memory, allocatable in rows:
        cpu_total = Quantity.parse(str(allocatable.get("cpu", "0"))).milli_value()
        mem_total = Quantity.parse(str(allocatable.get("memory", "0"))).value()
        cpu_m = _millicores(cpu)
        cpu_pct = int(cpu_m / cpu_total * 100) if cpu_total else 0
        mem_pct = int(memory / mem_total * 100) if mem_total else 0
        writer.write(f"{name_}\t{cpu_m}m\t{cpu_pct}%\t{memory // (1024 * 1024)}Mi\t{mem_pct}%\t\n")
    for name_ in missing:
        writer.write(f"{name_}\t<unknown>\t<unknown>\t<unknown>\t<unknown>\t\n")
    writer.flush()
    return 0


def _millicores(nano: int) -> int:
    """Nanocores to millicores, rounded up as Quantity.MilliValue rounds."""
    return -(-nano // 1_000_000)


def _top_key(sort_by: str | None, by_name: Any, by_cpu: Any, by_memory: Any) -> Any:
    if sort_by == "cpu":
        return lambda r: -by_cpu(r)
    if sort_by == "memory":
        return lambda r: -by_memory(r)
    if sort_by:
        raise CommandError(f"--sort-by accepts only cpu or memory, not {sort_by}")
    return by_name


async def top_pods(session: Session, name: str | None, selector: str | None,
                   containers: bool, sort_by: str | None, no_headers: bool, sum_: bool) -> int:
    nodes_type = await session.resolve("nodes")
    nodes = (await session.resource(nodes_type).list_all()).items
    namespace = None if session.all_namespaces else session.namespace
    wanted = Selector.parse(selector) if selector else None
    pods_type = await session.resolve("pods")
    pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in
            (await session.resource(pods_type, namespace).list_all(
                label_selector=selector)).items}
    rows: list[tuple[str, str, str, int, int]] = []
    for node in nodes:
        summary = await _summary(session, node["metadata"]["name"]) or {}
        for stats in summary.get("pods") or ():
            ref = stats.get("podRef") or {}
            key = (ref.get("namespace", ""), ref.get("name", ""))
            if key not in pods or (name and key[1] != name):
                continue
            if wanted is not None and not wanted.matches(pods[key]["metadata"].get("labels")):
                continue
            for c in stats.get("containers") or ():
                rows.append((key[0], key[1], c.get("name", ""),
                             _nano_cores(c.get("cpu")) or 0, _working_set(c.get("memory")) or 0))
    if not rows:
        if name:
            raise CommandError(f'podmetrics.metrics.k8s.io "{session.namespace}/{name}" not found')
        if not pods:
            print(f"No resources found in {session.namespace} namespace.", file=sys.stderr)
            return 0
        raise CommandError("metrics not available yet")
    _print_top_pods(rows, session.all_namespaces, containers, sort_by, no_headers, sum_)
    return 0


def _print_top_pods(rows: list[tuple[str, str, str, int, int]], with_namespace: bool,
                    containers: bool, sort_by: str | None, no_headers: bool, sum_: bool) -> None:
    if not containers:
        totals: dict[tuple[str, str], list[int]] = {}
        for ns, pod, _, cpu, mem in rows:
            entry = totals.setdefault((ns, pod), [0, 0])
            entry[0] += cpu
            entry[1] += mem
        rows = [(ns, pod, "", cpu, mem) for (ns, pod), (cpu, mem) in totals.items()]
    rows.sort(key=_top_key(sort_by, lambda r: (r[0] if with_namespace else "", r[1], r[2]),
                           lambda r: r[3], lambda r: r[4]))
    writer = TabWriter(sys.stdout)
    head = (["NAMESPACE"] if with_namespace else []) + (["POD"] if containers else []) + \
        ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    if not no_headers:
        writer.write("".join(f"{h}\t" for h in head) + "\n")
    for ns, pod, container, cpu, mem in rows:
        cells = ([ns] if with_namespace else []) + ([pod, container] if containers else [pod]) + \
            [f"{_millicores(cpu)}m", f"{mem // (1024 * 1024)}Mi"]
        writer.write("".join(f"{c}\t" for c in cells) + "\n")
    if sum_:
        width = len(head)
        writer.write("\t" * (width - 2) + "________\t________\t\n")
        cpu_total = sum(_millicores(r[3]) for r in rows)
        mem_total = sum(r[4] for r in rows) // (1024 * 1024)
        writer.write("\t" * (width - 3) + f"\t{cpu_total}m\t{mem_total}Mi\t\n")
    writer.flush()
