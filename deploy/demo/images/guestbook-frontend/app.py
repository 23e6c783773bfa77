"""The guestbook's front end: writes messages to the Redis master, reads them from the replicas.

The Kubernetes guestbook, kept small enough to read in one sitting and written with
Python's standard library only (the image is Debian's python3 and this file). It finds
Redis the way a pod should, by Service name through cluster DNS: ``redis-master`` for
writes, ``redis-replica`` for reads (the pod's resolv.conf expands the short names).

    GET  /                the page: the messages and a form
    POST /                the form's target (``message=...``), then back to the page
    GET  /api/messages    {"messages": [...], "pod": ..., "node": ...}
    POST /api/messages    {"message": "..."} (or the text itself) -> 201
    GET  /healthz         200 while the process serves
"""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO
from urllib.parse import parse_qs

KEY = "guestbook"
MAX_MESSAGES = 1000
MAX_LENGTH = 500
MASTER = os.environ.get("REDIS_MASTER", "redis-master")
REPLICA = os.environ.get("REDIS_REPLICA", "redis-replica")
POD = socket.gethostname()
NODE = os.environ.get("NODE_NAME", "?")


class RedisError(Exception):
    """Redis could not be reached or refused the command."""


def encode(*args: str) -> bytes:
    """A command in RESP, Redis' wire format: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def read_reply(stream: BinaryIO) -> object:
    """One RESP reply: simple string, error, integer, bulk string or array."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise RedisError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode()
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [read_reply(stream) for _ in range(size)]
    raise RedisError(f"unexpected reply {line!r}")


def redis(host: str, *args: str, attempts: int = 3) -> object:
    """Run one command on a fresh connection, retrying briefly.

    A new connection per command lets the Service pick a live endpoint each time, so a
    replica that disappears with its node costs one retry, not a stuck connection.
    """
    for attempt in range(attempts):
        try:
            with socket.create_connection((host, 6379), timeout=2) as sock:
                sock.sendall(encode(*args))
                return read_reply(sock.makefile("rb"))
        except (OSError, RedisError) as err:
            if attempt == attempts - 1:
                raise RedisError(f"{host}: {err}") from err
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def add_message(text: str) -> None:
    redis(MASTER, "RPUSH", KEY, text[:MAX_LENGTH])
    redis(MASTER, "LTRIM", KEY, str(-MAX_MESSAGES), "-1")


def messages() -> list[str]:
    reply = redis(REPLICA, "LRANGE", KEY, "0", "-1")
    return list(reply) if isinstance(reply, list) else []


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Guestbook</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}li{{margin:.3em 0}}
footer{{color:#777;font-size:.8em;margin-top:2em}}</style></head>
<body><h1>Guestbook</h1>
<form method="post" action="/"><input name="message" size="40" autofocus maxlength="{max}">
<button>Sign</button></form>
{body}
<footer>served by pod {pod} on node {node}; written to {master}, read from {replica}</footer>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server_version = "guestbook/1"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self.reply(HTTPStatus.OK, b"ok\n", "text/plain")
        elif self.path == "/api/messages":
            self.with_redis(lambda: self.reply_json(HTTPStatus.OK, self.listing()))
        elif self.path == "/":
            self.with_redis(self.page)
        else:
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path}"})

    def do_POST(self) -> None:
        if self.path not in ("/", "/api/messages"):
            self.reply_json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path}"})
            return
        text = self.posted_message()
        if not text:
            self.reply_json(HTTPStatus.BAD_REQUEST, {"error": "empty message"})
            return
        self.with_redis(lambda: self.added(text))

    def posted_message(self) -> str:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode(errors="replace")
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            return (parse_qs(body).get("message") or [""])[0].strip()
        if kind.startswith("application/json"):
            try:
                return str(json.loads(body).get("message", "")).strip()
            except (ValueError, AttributeError):
                return ""
        return body.strip()

    def added(self, text: str) -> None:
        add_message(text)
        if self.path == "/":
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply_json(HTTPStatus.CREATED, {"message": text, "pod": POD, "node": NODE})

    def listing(self) -> dict[str, object]:
        return {"messages": messages(), "pod": POD, "node": NODE}

    def page(self) -> None:
        items = "".join(f"<li>{html.escape(m)}</li>" for m in messages())
        body = f"<ul>{items}</ul>" if items else "<p>No messages yet.</p>"
        text = PAGE.format(body=body, pod=html.escape(POD), node=html.escape(NODE),
                           master=MASTER, replica=REPLICA, max=MAX_LENGTH)
        self.reply(HTTPStatus.OK, text.encode(), "text/html; charset=utf-8")

    def with_redis(self, action: Callable[[], None]) -> None:
        try:
            action()
        except RedisError as err:
            self.reply_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(err), "pod": POD, "node": NODE})

    def reply_json(self, status: HTTPStatus, doc: dict[str, object]) -> None:
        self.reply(status, (json.dumps(doc) + "\n").encode(), "application/json")

    def reply(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.path != "/healthz":  # probes every few seconds would drown the log
            super().log_message(format, *args)


def main() -> None:
    # PID 1 in its container: without a handler SIGTERM would be ignored until SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"guestbook frontend on :{port}; writes to {MASTER}, reads from {REPLICA}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
