"""SPDY/3.1 framing: what kubectl port-forward sends, read back; what we send, readable."""

from __future__ import annotations

import zlib

import pytest

from kubelet import spdy

# The first bytes kubectl 1.32 sent through its WebSocket tunnel for one forwarded
# connection (captured from a real `kubectl port-forward web 18777:80`): the error
# stream's SYN_STREAM and FIN, the data stream's SYN_STREAM, a request and a FIN. The
# header blocks were compressed by Go's zlib with the SPDY/3 dictionary.
KUBECTL_FRAMES = bytes.fromhex(
    "800300010000003d0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a08086"
    "14cb45a024cc6461c0c0c0c0590489c44c50e2663400000000ffff000000010100000080030001000000"
    "1800000003000000000000c2aa15540a2512d209000000ffff000000030000001c474554202f696e6465"
    "782e68746d6c20485454502f312e300d0a0d0a0000000301000000"
)


def test_the_dictionary_is_the_one_the_spec_defines() -> None:
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2  # the id Go's zlib header names


def test_frames_from_kubectl_are_read_back() -> None:
    frames = spdy.FrameReader().feed(KUBECTL_FRAMES)
    headers = {"streamtype": ["error"], "port": ["80"], "requestid": ["0"]}
    assert frames == [
        spdy.SynStream(1, headers),
        spdy.Data(1, b"", fin=True),
        spdy.SynStream(3, {**headers, "streamtype": ["data"]}),
        spdy.Data(3, b"GET /index.html HTTP/1.0\r\n\r\n"),
        spdy.Data(3, b"", fin=True),
    ]
    assert frames[0].header("streamType") == "error"  # type: ignore[union-attr]


def test_frames_split_anywhere_are_reassembled() -> None:
    reader = spdy.FrameReader()
    frames = [f for i in range(len(KUBECTL_FRAMES)) for f in reader.feed(KUBECTL_FRAMES[i:i + 1])]
    assert len(frames) == 5
    assert frames[3] == spdy.Data(3, b"GET /index.html HTTP/1.0\r\n\r\n")


def test_written_frames_read_back_with_one_compression_context_per_direction() -> None:
    writer, reader = spdy.FrameWriter(), spdy.FrameReader()
    wire = (writer.syn_stream(1, {"streamType": "error", "port": "8080"})
            + writer.syn_reply(1, {"x": ["a", "b"]}, fin=True)
            + writer.syn_stream(3, {"streamType": "data", "port": "8080"}, priority=3))
    assert reader.feed(wire) == [
        spdy.SynStream(1, {"streamtype": ["error"], "port": ["8080"]}),
        spdy.SynReply(1, {"x": ["a", "b"]}, fin=True),
        spdy.SynStream(3, {"streamtype": ["data"], "port": ["8080"]}, priority=3),
    ]


def test_a_later_header_block_cannot_be_read_without_the_earlier_ones() -> None:
    writer = spdy.FrameWriter()
    writer.syn_reply(1)
    second = writer.syn_reply(3)
    with pytest.raises(spdy.ProtocolError, match="bad header block"):
        spdy.FrameReader().feed(second)


def test_control_frames_round_trip() -> None:
    writer = spdy.FrameWriter()
    wire = writer.ping(7) + writer.rst_stream(5, spdy.CANCEL) + writer.goaway(9)
    assert spdy.FrameReader().feed(wire) == [spdy.Ping(7), spdy.RstStream(5, spdy.CANCEL),
                                             spdy.GoAway(9, 0)]


def test_data_frames_carry_payload_and_fin() -> None:
    writer = spdy.FrameWriter()
    assert spdy.FrameReader().feed(writer.data(3, b"bytes") + writer.data(3, fin=True)) == [
        spdy.Data(3, b"bytes"), spdy.Data(3, b"", fin=True)]


def test_settings_and_window_updates_are_skipped() -> None:
    settings = bytes.fromhex("80030004" "00000004" "00000000")
    window = bytes.fromhex("80030009" "00000008" "00000001" "00010000")
    ping = spdy.FrameWriter().ping(1)
    assert spdy.FrameReader().feed(settings + window + ping) == [spdy.Ping(1)]


def test_another_spdy_version_is_a_protocol_error() -> None:
    with pytest.raises(spdy.ProtocolError, match="version 2"):
        spdy.FrameReader().feed(bytes.fromhex("80020006" "00000004" "00000001"))


def test_a_truncated_control_frame_is_a_protocol_error() -> None:
    with pytest.raises(spdy.ProtocolError, match="truncated RST_STREAM"):
        spdy.FrameReader().feed(bytes.fromhex("80030003" "00000004" "00000001"))


def test_header_blocks_join_repeated_values_with_nul() -> None:
    raw = spdy.encode_header_block({"Accept": ["a", "b"], "port": "1"})
    assert raw == (b"\x00\x00\x00\x02" b"\x00\x00\x00\x06accept" b"\x00\x00\x00\x03a\x00b"
                   b"\x00\x00\x00\x04port" b"\x00\x00\x00\x011")
    assert spdy.decode_header_block(raw) == {"accept": ["a", "b"], "port": ["1"]}
