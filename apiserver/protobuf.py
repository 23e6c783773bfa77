"""Protobuf request bodies, decoded into the JSON the rest of the server reads.

kubectl's typed clients (``kubectl create namespace|configmap|secret|deployment|
service|job|role|rolebinding|quota ...``, the eviction ``kubectl drain`` posts) send
``Content-Type: application/vnd.kubernetes.protobuf``. Such a body is the magic
``k8s\\x00`` and a ``runtime.Unknown`` envelope: the object's apiVersion and kind, and
its bytes as the typed message. This module reads both with the field-number table in
:mod:`apiserver.proto_schema` and returns the same dict the JSON path would have
decoded, so admission, defaulting and validation never know the difference.

Only requests are decoded: every kubectl also accepts JSON, and the server answers
JSON. A kind missing from the table is a 415 naming it, so the client can retry as
JSON; a malformed body is a 400.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson

from apimachinery.errors import BadRequest, UnsupportedMediaType
from apiserver.proto_schema import (
    BOOL,
    BYTES,
    FIELDS_V1,
    INT32,
    INT64,
    INT_OR_STRING,
    KINDS,
    MESSAGES,
    MICRO_TIME,
    QUANTITY,
    RAW_EXTENSION,
    STRING,
    TIME,
    Field,
)

__all__ = ["CONTENT_TYPE", "MAGIC", "decode"]

CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed message."""


def decode(body: bytes) -> dict[str, Any]:
    """An enveloped Kubernetes object (``k8s\\x00`` + runtime.Unknown) as its JSON dict."""
    if not body.startswith(MAGIC):
        raise BadRequest("the protobuf body does not start with the Kubernetes magic 'k8s\\x00'")
    try:
        api_version, kind, encoding, raw = _envelope(memoryview(body)[len(MAGIC):])
    except ProtobufError as err:
        raise BadRequest(f"the body of the request could not be decoded: {err}") from None
    if encoding:
        raise UnsupportedMediaType(f"protobuf content encoding {encoding!r} is not supported")
    message = KINDS.get((api_version, kind))
    if message is None:
        raise UnsupportedMediaType(
            f"skiff cannot decode {kind or 'an object'} ({api_version or 'no apiVersion'}) sent "
            "as application/vnd.kubernetes.protobuf; send it as application/json"
        )
    try:
        obj = _message(raw, message)
    except ProtobufError as err:
        raise BadRequest(f"the body of the request could not be decoded as {kind}: {err}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}


def _envelope(buf: memoryview) -> tuple[str, str, str, memoryview]:
    """runtime.Unknown: typeMeta = 1 (apiVersion = 1, kind = 2), raw = 2, contentEncoding = 3."""
    api_version = kind = encoding = ""
    raw = memoryview(b"")
    for number, wire, value in _fields(buf):
        if wire != _LENGTH:
            continue
        if number == 1:
            for inner, inner_wire, text in _fields(value):
                if inner_wire == _LENGTH and inner in (1, 2):
                    if inner == 1:
                        api_version = _text(text, "apiVersion")
                    else:
                        kind = _text(text, "kind")
        elif number == 2:
            raw = value
        elif number == 3:
            encoding = _text(value, "contentEncoding")
    return api_version, kind, encoding, raw


# -- the wire format -------------------------------------------------------------------


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint longer than 10 bytes")


def _fields(buf: memoryview) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) for every field, in order."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        value: Any
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LENGTH:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ProtobufError(f"field {number} runs past the end of the message")
            value, pos = buf[pos:pos + size], pos + size
        elif wire in (_FIXED64, _FIXED32):
            width = 8 if wire == _FIXED64 else 4
            if pos + width > len(buf):
                raise ProtobufError(f"field {number} runs past the end of the message")
            value, pos = int.from_bytes(buf[pos:pos + width], "little"), pos + width
        else:
            raise ProtobufError(f"unsupported wire type {wire} in field {number}")
        out.append((number, wire, value))
    return out


def _signed(value: int, bits: int) -> int:
    """Two's complement: negative int32/int64 travel as ten-byte varints."""
    value &= (1 << 64) - 1
    if bits == 32:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value & 0x80000000 else value
    return value - (1 << 64) if value & (1 << 63) else value


# -- typed decoding --------------------------------------------------------------------


def _message(buf: memoryview, name: str) -> dict[str, Any]:
    schema = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, wire, raw in _fields(buf):
        field = schema.get(number)
        if field is None:
            continue  # a field skiff does not model, as any protobuf reader would skip it
        if field.inline:
            out.update(_message(_bytes_of(raw, wire, field), field.type))
        elif field.map_value is not None:
            key, value = _map_entry(_bytes_of(raw, wire, field), field.map_value)
            out.setdefault(field.name, {})[key] = value
        elif field.repeated:
            out.setdefault(field.name, []).extend(_repeated(raw, wire, field))
        else:
            value = _value(raw, wire, field)
            if value is _ABSENT or (not field.ptr and _is_zero(value, field.type)):
                out.pop(field.name, None)
            else:
                out[field.name] = value
    return out


_ABSENT: Any = object()


def _bytes_of(raw: Any, wire: int, field: Field) -> memoryview:
    if wire != _LENGTH:
        raise ProtobufError(f"field {field.name} should be length-delimited, got wire type {wire}")
    return raw  # type: ignore[no-any-return]


def _value(raw: Any, wire: int, field: Field) -> Any:
    kind = field.type
    if kind in (INT32, INT64, BOOL):
        if wire != _VARINT:
            raise ProtobufError(f"field {field.name} should be a varint, got wire type {wire}")
        if kind == BOOL:
            return bool(raw)
        return _signed(raw, 32 if kind == INT32 else 64)
    data = _bytes_of(raw, wire, field)
    if kind == STRING:
        return _text(data, field.name)
    if kind == BYTES:
        return base64.b64encode(data).decode()
    return _special(data, kind) if kind in _SPECIALS else _message(data, kind)


def _repeated(raw: Any, wire: int, field: Field) -> list[Any]:
    if field.type in (INT32, INT64) and wire == _LENGTH:  # packed
        values: list[Any] = []
        pos = 0
        while pos < len(raw):
            value, pos = _varint(raw, pos)
            values.append(_signed(value, 32 if field.type == INT32 else 64))
        return values
    value = _value(raw, wire, field)
    return [] if value is _ABSENT else [value]


def _map_entry(buf: memoryview, value_type: str) -> tuple[str, Any]:
    key, value = "", _EMPTY_MAP_VALUE.get(value_type, "")
    value_field = Field("value", value_type)
    for number, wire, raw in _fields(buf):
        if number == 1:
            key = _text(_bytes_of(raw, wire, value_field), "map key")
        elif number == 2:
            value = _value(raw, wire, value_field)
    return key, value


_EMPTY_MAP_VALUE = {QUANTITY: "0", BYTES: ""}


def _text(data: memoryview, name: str) -> str:
    try:
        return bytes(data).decode()
    except UnicodeDecodeError:
        raise ProtobufError(f"field {name} is not UTF-8 text") from None


def _is_zero(value: Any, kind: str) -> bool:
    """The zero value Go's omitempty JSON would leave out."""
    if kind in (STRING, BYTES, INT32, INT64, BOOL):
        return not value
    if kind == QUANTITY:
        return value == "0"
    if kind == INT_OR_STRING:
        return value == 0
    return False


# -- messages with a JSON form of their own --------------------------------------------


def _time(buf: memoryview, micro: bool) -> Any:
    seconds = nanos = 0
    for number, wire, raw in _fields(buf):
        if number == 1 and wire == _VARINT:
            seconds = _signed(raw, 64)
        elif number == 2 and wire == _VARINT:
            nanos = _signed(raw, 32)
    if not buf:
        return _ABSENT  # Go writes a zero Time as an empty message; JSON says null
    when = datetime.fromtimestamp(seconds, UTC)
    if micro:
        return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _quantity(buf: memoryview) -> str:
    for number, wire, raw in _fields(buf):
        if number == 1 and wire == _LENGTH:
            return _text(raw, "quantity")
    return "0"


def _int_or_string(buf: memoryview) -> int | str:
    kind, int_value, str_value = 0, 0, ""
    for number, wire, raw in _fields(buf):
        if number == 1 and wire == _VARINT:
            kind = raw
        elif number == 2 and wire == _VARINT:
            int_value = _signed(raw, 32)
        elif number == 3 and wire == _LENGTH:
            str_value = _text(raw, "intOrString")
    return str_value if kind == 1 else int_value


def _raw_json(buf: memoryview) -> Any:
    for number, wire, raw in _fields(buf):
        if number == 1 and wire == _LENGTH:
            try:
                return orjson.loads(bytes(raw))
            except orjson.JSONDecodeError as err:
                raise ProtobufError(f"embedded JSON is malformed: {err}") from None
    return _ABSENT


def _special(buf: memoryview, kind: str) -> Any:
    return _SPECIALS[kind](buf)


_SPECIALS: dict[str, Any] = {
    TIME: lambda buf: _time(buf, micro=False),
    MICRO_TIME: lambda buf: _time(buf, micro=True),
    QUANTITY: _quantity,
    INT_OR_STRING: _int_or_string,
    RAW_EXTENSION: _raw_json,
    FIELDS_V1: _raw_json,
}
