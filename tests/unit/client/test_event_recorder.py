"""Event recording: the Event written, aggregation of repeats, never blocking or raising."""

from __future__ import annotations

import httpx

from apimachinery import errors
from apimachinery.core_v1 import Pod
from apimachinery.meta import ObjectMeta
from apimachinery.registry import lookup
from client import Client, EventRecorder, FakeClock
from client.testing import FakeApiServer

POD = Pod(metadata=ObjectMeta(name="web-1", namespace="prod", uid="u-1", resource_version="7"))
EVENTS = lookup("events")


def events(fake: FakeApiServer) -> list[dict]:
    assert EVENTS is not None
    return fake.all(EVENTS)


async def test_an_event_names_its_object_reason_and_source(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    recorder = EventRecorder(api, "replicaset-controller", "host-1", clock=clock)
    recorder.event(POD, "Normal", "Scheduled", "Successfully assigned prod/web-1 to n1")
    await recorder.flush()
    [event] = events(fake)
    assert event["metadata"]["namespace"] == "prod"
    assert event["metadata"]["name"].startswith("web-1.")
    assert event["involvedObject"] == {"apiVersion": "v1", "kind": "Pod", "namespace": "prod",
                                       "name": "web-1", "uid": "u-1", "resourceVersion": "7"}
    assert (event["type"], event["reason"], event["count"]) == ("Normal", "Scheduled", 1)
    assert event["message"] == "Successfully assigned prod/web-1 to n1"
    assert event["source"] == {"component": "replicaset-controller", "host": "host-1"}
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2024-01-01T00:00:00Z"
    await recorder.stop()


async def test_repeats_are_aggregated_with_a_patch(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    recorder = EventRecorder(api, "kubelet", "n1", clock=clock)
    recorder.event(POD, "Warning", "BackOff", "Back-off restarting failed container")
    await recorder.flush()
    clock.step(30)
    recorder.event(POD, "Warning", "BackOff", "Back-off restarting failed container")
    recorder.event(POD, "Warning", "BackOff", "Back-off restarting failed container")
    await recorder.flush()
    [event] = events(fake)
    assert event["count"] == 3
    assert event["firstTimestamp"] == "2024-01-01T00:00:00Z"
    assert event["lastTimestamp"] == "2024-01-01T00:00:30Z"
    assert [(a.verb, a.content_type) for a in fake.actions] == [
        ("create", "application/json"),
        ("patch", "application/merge-patch+json"),
        ("patch", "application/merge-patch+json"),
    ]
    await recorder.stop()


async def test_a_different_message_or_object_is_a_new_event(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    other = Pod(metadata=ObjectMeta(name="web-2", namespace="prod", uid="u-2"))
    recorder = EventRecorder(api, "kubelet", "n1", clock=clock)
    recorder.event(POD, "Normal", "Pulled", "image a")
    recorder.event(POD, "Normal", "Pulled", "image b")
    recorder.event(other, "Normal", "Pulled", "image a")
    await recorder.flush()
    assert sorted((e["involvedObject"]["name"], e["message"]) for e in events(fake)) == [
        ("web-1", "image a"), ("web-1", "image b"), ("web-2", "image a")]
    await recorder.stop()


async def test_an_aggregated_event_deleted_on_the_server_is_created_again(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    assert EVENTS is not None
    recorder = EventRecorder(api, "kubelet", "n1", clock=clock)
    recorder.event(POD, "Normal", "Started", "Started container")
    await recorder.flush()
    [event] = events(fake)
    fake.remove(EVENTS, "prod", event["metadata"]["name"])
    recorder.event(POD, "Normal", "Started", "Started container")
    await recorder.flush()
    [again] = events(fake)
    assert again["count"] == 1 and again["metadata"]["name"] != event["metadata"]["name"]
    await recorder.stop()


async def test_recording_never_raises_and_a_full_buffer_drops(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    recorder = EventRecorder(api, "kubelet", "n1", clock=clock, buffer_size=2)
    for i in range(5):
        recorder.event(POD, "Normal", "Spam", f"message {i}")  # returns at once
    assert recorder.dropped == 3
    recorder.event(object(), "Normal", "Odd", "not an API object")  # a caller bug: logged
    assert recorder.dropped == 4
    await recorder.flush()
    assert len(events(fake)) == 2
    await recorder.stop()


async def test_server_errors_are_retried_with_backoff_then_given_up(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    recorder = EventRecorder(api, "kubelet", "n1", clock=clock)
    fake.fail(httpx.ConnectError("refused"), verb="create", times=1)
    recorder.event(POD, "Normal", "Started", "once the server is back")
    await clock.advance(0)
    assert clock.pending == 1  # waiting out a backoff, not spinning
    await clock.advance(3)
    await recorder.flush()
    assert len(events(fake)) == 1

    fake.fail(errors.Forbidden("events are forbidden"), verb="create", times=5)
    recorder.event(POD, "Normal", "Denied", "not retried: a 403 will not go away")
    await recorder.flush()
    assert [a.verb for a in fake.actions].count("create") == 3
    await recorder.stop()
