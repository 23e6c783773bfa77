"""Docker's stream framing, log options, container choice and the remote command protocols."""

from __future__ import annotations

import datetime as dt

import docker
import orjson
import pytest

from apimachinery.errors import BadRequest
from kubelet import remotecommand as rc
from kubelet.streaming import (
    STDERR,
    STDOUT,
    ByteLimit,
    Demuxer,
    DockerAddress,
    LogOptions,
    TerminalSize,
    pick_container,
    restart_count,
)


def frame(stream: int, data: bytes) -> bytes:
    return bytes((stream, 0, 0, 0)) + len(data).to_bytes(4, "big") + data


# -- Docker's framing ------------------------------------------------------------------


def test_demuxer_splits_stdout_and_stderr_frames_in_order() -> None:
    demux = Demuxer(tty=False)
    data = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"more\n")
    assert demux.feed(data) == [(STDOUT, b"out\n"), (STDERR, b"err\n"), (STDOUT, b"more\n")]


def test_demuxer_reassembles_frames_that_arrive_a_byte_at_a_time() -> None:
    demux = Demuxer(tty=False)
    data = frame(1, b"hello") + frame(2, b"world")
    pieces = [p for i in range(len(data)) for p in demux.feed(data[i:i + 1])]
    assert pieces == [(STDOUT, b"hello"), (STDERR, b"world")]
    assert demux.pending == 0


def test_demuxer_keeps_an_unfinished_frame_for_the_next_read() -> None:
    demux = Demuxer(tty=False)
    assert demux.feed(frame(1, b"abcdef")[:10]) == []
    assert demux.pending == 10


def test_demuxer_sends_dockers_own_errors_to_stderr_and_drops_empty_frames() -> None:
    demux = Demuxer(tty=False)
    assert demux.feed(frame(3, b"oci error") + frame(1, b"")) == [(STDERR, b"oci error")]


def test_a_tty_stream_is_passed_through_unframed() -> None:
    demux = Demuxer(tty=True)
    raw = frame(1, b"looks like a frame")
    assert demux.feed(raw) == [(STDOUT, raw)]
    assert demux.feed(b"") == []


def test_byte_limit_lets_through_exactly_the_limit() -> None:
    limit = ByteLimit(5)
    assert limit.take(b"abc") == b"abc"
    assert not limit.exhausted
    assert limit.take(b"defgh") == b"de"
    assert limit.exhausted
    assert limit.take(b"x") == b""
    assert ByteLimit(None).take(b"anything") == b"anything"


# -- log options -----------------------------------------------------------------------


def test_log_defaults_ask_docker_for_everything_on_both_streams() -> None:
    assert LogOptions.from_query({}).docker_params(now=1000.0) == {
        "stdout": "1", "stderr": "1", "tail": "all"}


def test_log_options_become_dockers_follow_tail_and_timestamps() -> None:
    options = LogOptions.from_query({"follow": "true", "tailLines": "3", "timestamps": "1"})
    assert options.docker_params(now=0) == {
        "stdout": "1", "stderr": "1", "tail": "3", "follow": "1", "timestamps": "1"}


def test_since_seconds_counts_back_from_now() -> None:
    params = LogOptions.from_query({"sinceSeconds": "60"}).docker_params(now=1000.5)
    assert float(params["since"]) == pytest.approx(940.5)


def test_since_time_is_an_rfc3339_instant() -> None:
    options = LogOptions.from_query({"sinceTime": "2024-01-02T03:04:05Z"})
    expected = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC).timestamp()
    assert float(options.docker_params(now=0)["since"]) == pytest.approx(expected)


def test_previous_and_limit_bytes_are_kept_for_the_kubelet() -> None:
    options = LogOptions.from_query({"previous": "true", "limitBytes": "10"})
    assert options.previous and options.limit_bytes == 10
    assert "previous" not in options.docker_params(now=0)


@pytest.mark.parametrize(("query", "message"), [
    ({"sinceSeconds": "5", "sinceTime": "2024-01-02T03:04:05Z"}, "at most one of"),
    ({"tailLines": "-1"}, "tailLines: must be greater than or equal to 0"),
    ({"tailLines": "ten"}, 'tailLines: invalid value "ten"'),
    ({"limitBytes": "0"}, "limitBytes must be greater than 0"),
    ({"sinceTime": "yesterday"}, "RFC 3339"),
])
def test_bad_log_options_are_refused_with_the_reason(query: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        LogOptions.from_query(query)


# -- which container -------------------------------------------------------------------


def container(name: str, created: int = 0) -> dict[str, object]:
    return {"Id": name, "Names": [f"/{name}"], "Created": created}


def test_the_restart_count_is_the_last_part_of_the_name() -> None:
    assert restart_count(container("skiff_app_web_default_1234abcd_12")) == 12
    assert restart_count({"Name": "/skiff_app_web_default_1234abcd_0"}) == 0
    assert restart_count(container("someone-elses")) == -1
    labelled = {**container("skiff_app_web_default_1234abcd_2"),
                "Labels": {"io.skiff.container.attempt": "5"}}
    assert restart_count(labelled) == 5  # the kubelet's own label wins when it sets one


def test_the_current_container_has_the_highest_restart_count() -> None:
    found = [container("skiff_app_p_ns_u_1"), container("skiff_app_p_ns_u_2"),
             container("skiff_app_p_ns_u_0")]
    assert pick_container(found, previous=False)["Id"] == "skiff_app_p_ns_u_2"  # type: ignore[index]
    assert pick_container(found, previous=True)["Id"] == "skiff_app_p_ns_u_1"  # type: ignore[index]


def test_there_is_no_previous_container_before_the_first_restart_or_across_a_gap() -> None:
    assert pick_container([container("skiff_app_p_ns_u_0")], previous=True) is None
    gap = [container("skiff_app_p_ns_u_3"), container("skiff_app_p_ns_u_1")]
    assert pick_container(gap, previous=True) is None
    assert pick_container([], previous=False) is None


# -- where Docker is -------------------------------------------------------------------


def test_the_docker_address_comes_from_the_kubelets_docker_client() -> None:
    client = docker.DockerClient(base_url="unix:///run/other/docker.sock", version="1.41")
    address = DockerAddress.of(client)
    assert (address.unix_path, address.api_version) == ("/run/other/docker.sock", "1.41")


@pytest.mark.parametrize(("url", "expected"), [
    ("unix:///var/run/docker.sock", DockerAddress(unix_path="/var/run/docker.sock")),
    ("tcp://127.0.0.1:2375", DockerAddress(host="127.0.0.1", port=2375)),
    ("", DockerAddress(unix_path="/var/run/docker.sock")),
])
def test_docker_urls(url: str, expected: DockerAddress) -> None:
    assert DockerAddress.parse(url) == expected


def test_tls_docker_is_refused_rather_than_spoken_to_in_plain_text() -> None:
    with pytest.raises(ValueError, match="plain tcp"):
        DockerAddress.parse("https://docker.example:2376")


# -- remote command protocols ----------------------------------------------------------


def test_protocols_are_chosen_in_the_clients_order() -> None:
    chosen = rc.negotiate(["v4.channel.k8s.io", "v5.channel.k8s.io"], rc.EXEC_PROTOCOLS)
    assert chosen is not None and chosen.name == "v4.channel.k8s.io"


def test_a_client_that_offers_no_protocol_gets_the_binary_channels() -> None:
    chosen = rc.negotiate([], rc.EXEC_PROTOCOLS)
    assert chosen is not None and (chosen.name, chosen.base64, chosen.status_errors) == ("", False, False)


def test_unknown_protocols_are_not_negotiated() -> None:
    assert rc.negotiate(["v9.channel.k8s.io"], rc.EXEC_PROTOCOLS) is None
    assert rc.negotiate(["v5.channel.k8s.io"], rc.PORTFORWARD_PROTOCOLS) is None


V5 = rc.EXEC_PROTOCOLS["v5.channel.k8s.io"]
V4 = rc.EXEC_PROTOCOLS["v4.channel.k8s.io"]
V4_BASE64 = rc.EXEC_PROTOCOLS["v4.base64.channel.k8s.io"]
V1 = rc.EXEC_PROTOCOLS["channel.k8s.io"]


def test_binary_frames_start_with_the_channel_byte() -> None:
    assert rc.encode(V4, 1, b"out") == b"\x01out"
    assert rc.decode(V4, b"\x00in") == rc.Frame(0, b"in")


def test_base64_frames_carry_the_channel_as_a_digit() -> None:
    assert rc.encode(V4_BASE64, 2, b"err\n") == "2ZXJyCg=="
    assert rc.decode(V4_BASE64, "0Zm9vCg==") == rc.Frame(0, b"foo\n")
    assert rc.decode(V4_BASE64, "0not base64!") is None


def test_v5_close_signal_half_closes_a_channel() -> None:
    assert rc.decode(V5, b"\xff\x00") == rc.Frame(0, b"", close=True)
    assert rc.decode(V5, b"\xff\x00\x00") is None  # a close names exactly one channel


def test_before_v5_byte_255_is_just_an_unknown_channel() -> None:
    assert rc.decode(V4, b"\xff\x00") == rc.Frame(255, b"\x00")
    assert rc.decode(V4, b"") is None


def test_resize_messages_are_json_width_and_height() -> None:
    assert rc.parse_resize(b'{"Width":80,"Height":24}') == [TerminalSize(80, 24)]
    assert rc.parse_resize(b'{"Width":80,"Height":24}{"Width":100,"Height":30}') == [
        TerminalSize(80, 24), TerminalSize(100, 30)]
    assert rc.parse_resize(b'{"Width":0,"Height":24} nonsense') == []


def test_a_clean_exit_is_a_success_status_from_v4_on() -> None:
    assert orjson.loads(rc.exit_status(V5, 0)) == {"metadata": {}, "status": "Success"}
    assert rc.exit_status(V1, 0) == b""


def test_a_non_zero_exit_carries_its_code_where_kubectl_reads_it() -> None:
    status = orjson.loads(rc.exit_status(V5, 3, ["sh", "-c", "exit 3"]))
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    assert "error executing command [sh -c exit 3], exit code 3" in status["message"]


def test_before_v4_the_error_channel_carries_text() -> None:
    assert rc.exit_status(V1, 2, ["false"]) == (
        b"command terminated with non-zero exit code: error executing command [false], exit code 2")


def test_a_runtime_failure_is_an_internal_error_status() -> None:
    status = orjson.loads(rc.exit_status(V4, None, error="runtime gone"))
    assert (status["reason"], status["message"]) == ("InternalError", "runtime gone")
