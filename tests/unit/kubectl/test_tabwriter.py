"""Go's text/tabwriter rules, which decide where every column of kubectl output starts."""

from __future__ import annotations

import io

import pytest

from kubectl.tabwriter import TabWriter, align


def _get(text: str) -> str:
    out = io.StringIO()
    writer = TabWriter(out)
    writer.write(text)
    writer.flush()
    return out.getvalue()


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("NAME\tAGE\nweb\t5s\n", "NAME   AGE\nweb    5s\n",
                 id="a column is as wide as its widest cell plus three"),
    pytest.param("A\tB\nlonger-name\tx\n", "A             B\nlonger-name   x\n",
                 id="the widest cell sets the column"),
    pytest.param("a\tb\tc\n", "a     b     c\n", id="short columns still get the minimum six"),
    pytest.param("x\ty  \n", "x     y  \n", id="the last cell is never padded or trimmed"),
])
def test_get_settings(text: str, expected: str) -> None:
    assert _get(text) == expected


def test_a_line_without_tabs_ends_the_column_block() -> None:
    text = "Name:\tweb\nLabels:\ta=b\nEvents:\nType\tReason\nNormal\tPulled\n"
    assert align(text) == ("Name:    web\nLabels:  a=b\nEvents:\nType    Reason\n"
                           "Normal  Pulled\n")


def test_nested_blocks_align_each_column_over_its_own_lines() -> None:
    text = "a\tb\tc\naaaa\tb\nx\tyy\tz\n"
    # column 0 spans all three lines; column 1 only lines 1 and 3 (line 2 has no
    # terminated second cell), so it is cut into two blocks
    assert align(text) == "a     b  c\naaaa  b\nx     yy  z\n"


def test_widths_are_remembered_across_flushes_for_watches() -> None:
    out = io.StringIO()
    writer = TabWriter(out, remember_widths=True)
    writer.write("NAME\tAGE\nlong-pod-name\t1s\n")
    writer.flush()
    writer.write("x\t2s\n")
    writer.flush()
    assert out.getvalue().splitlines() == ["NAME            AGE", "long-pod-name   1s",
                                           "x               2s"]
