"""SPDY/3.1 framing: exactly what ``kubectl port-forward`` needs from a server.

kubectl (>= 1.31) port-forwards by tunnelling SPDY/3.1 inside a WebSocket whose
subprotocol is ``SPDY/3.1+portforward.k8s.io``; without WebSockets it speaks the same
SPDY over a plain HTTP upgrade. Either way each forwarded connection is a pair of SPDY
streams, so the kubelet must read and write SPDY frames. This module is the wire format
only (draft-mbelshe-httpbis-spdy-00, version 3): frames in, frames out, and the zlib
header compression with the dictionary the spec defines, one compression context per
direction for the whole connection. Flow control is not implemented: spdystream, the Go
library kubectl uses, neither sends nor honours WINDOW_UPDATE.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "DICTIONARY",
    "Data",
    "FrameReader",
    "FrameWriter",
    "GoAway",
    "Headers",
    "Ping",
    "ProtocolError",
    "RstStream",
    "SynReply",
    "SynStream",
    "CANCEL",
    "PROTOCOL_ERROR",
]

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN, FLAG_UNIDIRECTIONAL = 0x01, 0x02
PROTOCOL_ERROR, CANCEL = 1, 5  # RST_STREAM status codes
MAX_HEADER_BLOCK = 256 * 1024  # decompressed; kubectl's headers are a few dozen bytes


def _dictionary() -> bytes:
    """The SPDY/3 header compression dictionary (spec section 2.6.10.1).

    The spec lists it as length-prefixed header names and common values followed by
    a block of plain text; building it from that structure keeps it readable. Its
    zlib id (Adler-32) is 0xe3c6a7c2, which the peer checks.
    """
    names = (
        "options head post put delete trace accept accept-charset accept-encoding "
        "accept-language accept-ranges age allow authorization cache-control connection "
        "content-base content-encoding content-language content-length content-location "
        "content-md5 content-range content-type date etag expect expires from host if-match "
        "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
        "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
        "server te trailer transfer-encoding upgrade user-agent vary via warning "
        "www-authenticate method get status"
    )
    words = [*names.split(), "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
             "keep-alive", "origin"]
    text = (
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
        "502504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
        "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
        "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
        "Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
        "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
        "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
    )
    return b"".join(len(w).to_bytes(4, "big") + w.encode() for w in words) + text.encode()


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    """The peer sent something that is not SPDY/3: the connection cannot go on."""


HeaderMap = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Data:
    stream_id: int
    data: bytes
    fin: bool = False


@dataclass(frozen=True, slots=True)
class SynStream:
    stream_id: int
    headers: HeaderMap = field(default_factory=dict)
    fin: bool = False
    unidirectional: bool = False
    associated_to: int = 0
    priority: int = 0

    def header(self, name: str) -> str:
        """The first value of a header (names are lower case on the wire)."""
        values = self.headers.get(name.lower()) or [""]
        return values[0]


@dataclass(frozen=True, slots=True)
class SynReply:
    stream_id: int
    headers: HeaderMap = field(default_factory=dict)
    fin: bool = False


@dataclass(frozen=True, slots=True)
class Headers:
    stream_id: int
    headers: HeaderMap = field(default_factory=dict)
    fin: bool = False


@dataclass(frozen=True, slots=True)
class RstStream:
    stream_id: int
    status: int


@dataclass(frozen=True, slots=True)
class Ping:
    id: int


@dataclass(frozen=True, slots=True)
class GoAway:
    last_good_stream_id: int
    status: int = 0


Frame = Data | SynStream | SynReply | Headers | RstStream | Ping | GoAway


class FrameReader:
    """Frames out of a byte stream that arrives in arbitrary pieces.

    SETTINGS and WINDOW_UPDATE are read and dropped: nothing here uses them.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[Frame]:
        buffer = self._buffer
        buffer += data
        frames: list[Frame] = []
        while len(buffer) >= 8:
            length = int.from_bytes(buffer[5:8], "big")
            if len(buffer) < 8 + length:
                break
            head, payload = bytes(buffer[:8]), bytes(buffer[8:8 + length])
            del buffer[:8 + length]
            frame = self._frame(head, payload)
            if frame is not None:
                frames.append(frame)
        return frames

    def _frame(self, head: bytes, payload: bytes) -> Frame | None:
        flags = head[4]
        if not head[0] & 0x80:
            stream_id = int.from_bytes(head[:4], "big") & 0x7FFFFFFF
            return Data(stream_id, payload, bool(flags & FLAG_FIN))
        version = int.from_bytes(head[:2], "big") & 0x7FFF
        kind = int.from_bytes(head[2:4], "big")
        if version != VERSION:
            raise ProtocolError(f"SPDY version {version} is not supported, only {VERSION}")
        fin = bool(flags & FLAG_FIN)
        if kind == SYN_STREAM:
            _need(payload, 10, "SYN_STREAM")
            return SynStream(
                stream_id=_id(payload, 0), associated_to=_id(payload, 4),
                priority=payload[8] >> 5, headers=self._headers(payload[10:]), fin=fin,
                unidirectional=bool(flags & FLAG_UNIDIRECTIONAL),
            )
        if kind == SYN_REPLY:
            _need(payload, 4, "SYN_REPLY")
            return SynReply(_id(payload, 0), self._headers(payload[4:]), fin)
        if kind == HEADERS:
            _need(payload, 4, "HEADERS")
            return Headers(_id(payload, 0), self._headers(payload[4:]), fin)
        if kind == RST_STREAM:
            _need(payload, 8, "RST_STREAM")
            return RstStream(_id(payload, 0), int.from_bytes(payload[4:8], "big"))
        if kind == PING:
            _need(payload, 4, "PING")
            return Ping(int.from_bytes(payload[:4], "big"))
        if kind == GOAWAY:
            _need(payload, 4, "GOAWAY")
            status = int.from_bytes(payload[4:8], "big") if len(payload) >= 8 else 0
            return GoAway(_id(payload, 0), status)
        return None  # SETTINGS, WINDOW_UPDATE, CREDENTIAL: nothing to do

    def _headers(self, block: bytes) -> HeaderMap:
        try:
            raw = self._inflate.decompress(block, MAX_HEADER_BLOCK)
        except zlib.error as err:
            raise ProtocolError(f"bad header block: {err}") from None
        if self._inflate.unconsumed_tail:
            raise ProtocolError("header block too large")
        return decode_header_block(raw)


class FrameWriter:
    """Frames as bytes; header blocks share one compression context, so callers must
    send the frames in the order this writer made them."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 8,
                                         zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    def data(self, stream_id: int, data: bytes = b"", fin: bool = False) -> bytes:
        return _data_head(stream_id, FLAG_FIN if fin else 0, len(data)) + data

    def syn_stream(self, stream_id: int, headers: Mapping[str, str | list[str]], *,
                   fin: bool = False, priority: int = 0) -> bytes:
        body = (stream_id.to_bytes(4, "big") + (0).to_bytes(4, "big")
                + bytes(((priority & 7) << 5, 0)) + self._block(headers))
        return _control(SYN_STREAM, FLAG_FIN if fin else 0, body)

    def syn_reply(self, stream_id: int, headers: Mapping[str, str | list[str]] | None = None,
                  fin: bool = False) -> bytes:
        body = stream_id.to_bytes(4, "big") + self._block(headers or {})
        return _control(SYN_REPLY, FLAG_FIN if fin else 0, body)

    def rst_stream(self, stream_id: int, status: int) -> bytes:
        return _control(RST_STREAM, 0, stream_id.to_bytes(4, "big") + status.to_bytes(4, "big"))

    def ping(self, ping_id: int) -> bytes:
        return _control(PING, 0, ping_id.to_bytes(4, "big"))

    def goaway(self, last_good_stream_id: int, status: int = 0) -> bytes:
        body = last_good_stream_id.to_bytes(4, "big") + status.to_bytes(4, "big")
        return _control(GOAWAY, 0, body)

    def _block(self, headers: Mapping[str, str | list[str]]) -> bytes:
        raw = encode_header_block(headers)
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)


def encode_header_block(headers: Mapping[str, str | list[str]]) -> bytes:
    """SPDY/3's uncompressed name/value block; several values join with NUL."""
    out = [len(headers).to_bytes(4, "big")]
    for name, value in headers.items():
        joined = "\0".join(value) if isinstance(value, list) else value
        for part in (name.lower().encode(), joined.encode()):
            out.append(len(part).to_bytes(4, "big") + part)
    return b"".join(out)


def decode_header_block(raw: bytes) -> HeaderMap:
    _need(raw, 4, "header block")
    count = int.from_bytes(raw[:4], "big")
    position = 4
    headers: HeaderMap = {}
    for _ in range(count):
        name, position = _string(raw, position)
        value, position = _string(raw, position)
        headers.setdefault(name.lower(), []).extend(value.split("\0"))
    return headers


def _string(raw: bytes, position: int) -> tuple[str, int]:
    _need(raw, position + 4, "header block")
    length = int.from_bytes(raw[position:position + 4], "big")
    end = position + 4 + length
    _need(raw, end, "header block")
    return raw[position + 4:end].decode("utf-8", errors="replace"), end


def _need(payload: bytes, size: int, what: str) -> None:
    if len(payload) < size:
        raise ProtocolError(f"truncated {what}")


def _id(payload: bytes, offset: int) -> int:
    return int.from_bytes(payload[offset:offset + 4], "big") & 0x7FFFFFFF


def _control(kind: int, flags: int, body: bytes) -> bytes:
    return ((0x8000 | VERSION).to_bytes(2, "big") + kind.to_bytes(2, "big")
            + bytes((flags,)) + len(body).to_bytes(3, "big") + body)


def _data_head(stream_id: int, flags: int, length: int) -> bytes:
    return (stream_id & 0x7FFFFFFF).to_bytes(4, "big") + bytes((flags,)) + length.to_bytes(3, "big")
