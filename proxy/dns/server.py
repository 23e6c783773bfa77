"""DNS over UDP and TCP with dnslib, answering from :class:`proxy.dns.records.ClusterDNS`.

UDP answers larger than the client can take (512 bytes, or its EDNS0 size) are sent
truncated (TC set), so the client asks again over TCP, where messages carry a two-byte
length prefix. Names outside the cluster go to ``--upstream`` servers when there are
some (the query is relayed as it came, over UDP); otherwise they are answered NXDOMAIN,
so no query ever leaves the machine by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Sequence

from dnslib import OPCODE, QTYPE, RCODE, DNSError, DNSRecord

from proxy.dns.records import ClusterDNS

__all__ = ["DNSServer"]

log = logging.getLogger(__name__)

UDP_DEFAULT_SIZE = 512
UPSTREAM_TIMEOUT = 2.0


class DNSServer:
    def __init__(self, resolver: ClusterDNS, upstreams: Sequence[tuple[str, int]] = ()) -> None:
        self.resolver = resolver
        self.upstreams = list(upstreams)
        self._transport: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self.queries = 0

    # -- answering -------------------------------------------------------------------------

    async def answer(self, data: bytes, *, udp: bool) -> bytes | None:
        """The reply to one query message; ``None`` when it cannot even be parsed."""
        try:
            request = DNSRecord.parse(data)
        except (DNSError, struct.error, IndexError, ValueError) as err:
            log.debug("unparseable query: %s", err)
            return None
        self.queries += 1
        reply = request.reply(ra=int(bool(self.upstreams)))
        if request.header.opcode != OPCODE.QUERY:
            reply.header.rcode = RCODE.NOTIMP
            return _pack(reply)
        if len(request.questions) != 1:
            reply.header.rcode = RCODE.FORMERR
            return _pack(reply)
        answer = self.resolver.resolve(str(request.q.qname), request.q.qtype)
        if answer.forward:
            return await self._not_ours(data, reply)
        reply.header.rcode = answer.rcode
        for rr in answer.answers:
            reply.add_answer(rr)
        for rr in answer.authority:
            reply.add_auth(rr)
        for rr in answer.additional:
            reply.add_ar(rr)
        packed = _pack(reply)
        if udp and len(packed) > _udp_limit(request):
            return _pack(reply.truncate())  # TC set, no records: the client retries over TCP
        return packed

    async def _not_ours(self, data: bytes, reply: DNSRecord) -> bytes:
        """The upstream's answer, SERVFAIL if none came, NXDOMAIN without upstreams."""
        if self.upstreams:
            forwarded = await self._forward(data)
            if forwarded is not None:
                return forwarded
            reply.header.rcode = RCODE.SERVFAIL
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        reply.header.aa = 0
        return _pack(reply)

    async def _forward(self, data: bytes) -> bytes | None:
        loop = asyncio.get_running_loop()
        for host, port in self.upstreams:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)
                try:
                    await loop.sock_connect(sock, (host, port))
                    await loop.sock_sendall(sock, data)
                    return await asyncio.wait_for(loop.sock_recv(sock, 65535), UPSTREAM_TIMEOUT)
                except (OSError, TimeoutError) as err:
                    log.info("upstream %s:%d failed: %s", host, port, err)
        return None

    # -- transports --------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _UDPProtocol(self), local_addr=(host, port), reuse_port=False)
        self._tcp = await asyncio.start_server(self._serve_tcp, host, port, reuse_address=True)
        log.info("answering DNS on %s:%d (UDP and TCP)", host, port)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if self._tcp is not None:
            self._tcp.close()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await asyncio.wait_for(reader.readexactly(2), 30)
                (length,) = struct.unpack("!H", header)
                message = await reader.readexactly(length)
                reply = await self.answer(message, udp=False)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass  # the client is done (or gone): nothing to answer
        finally:
            writer.close()


def _pack(record: DNSRecord) -> bytes:
    return bytes(record.pack())


def _udp_limit(request: DNSRecord) -> int:
    for rr in request.ar:
        if rr.rtype == QTYPE.OPT:
            return max(UDP_DEFAULT_SIZE, int(rr.rclass))
    return UDP_DEFAULT_SIZE


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DNSServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.create_task(self._reply(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.server.answer(data, udp=True)
        if reply is not None and self.transport is not None:
            with contextlib.suppress(OSError):
                self.transport.sendto(reply, addr)
