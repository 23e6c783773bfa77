"""Timestamps an object is stamped with read as the moment it was made."""

from __future__ import annotations

from datetime import UTC, datetime

from apimachinery.timeutil import format_time, now, parse_time


def test_now_is_stamped_with_the_current_second() -> None:
    # format_time() keeps the text of the current second; it must never hand out
    # a second that has passed.
    for _ in range(3):
        before = now().replace(microsecond=0)
        stamp = parse_time(format_time())
        after = now()

        assert before <= stamp <= after


def test_a_given_moment_is_stamped_in_utc_to_the_second() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 999999, tzinfo=UTC)

    assert format_time(moment) == "2024-05-06T07:08:09Z"
    assert format_time() != format_time(moment)
