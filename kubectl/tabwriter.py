"""Go's ``text/tabwriter``, the aligner behind every kubectl table and describe page.

kubectl writes cells separated by tabs and lets tabwriter pad them; the padding rules
(a column block is the run of consecutive lines that have a cell in that column, the
last cell of a line is never padded) decide exactly where each value lands. Users read
``get`` and ``describe`` output by eye and scripts cut it by column, so skiffctl aligns
with the same algorithm rather than an approximation of it.

Two configurations matter: ``get`` (min width 6, padding 3, widths remembered across
flushes so a watch keeps its columns) and ``describe`` (min width 0, padding 2).
"""

from __future__ import annotations

from typing import TextIO

__all__ = ["TabWriter", "align"]


class TabWriter:
    """Buffers tab-separated text and writes it aligned on :meth:`flush`."""

    def __init__(self, out: TextIO, *, min_width: int = 6, padding: int = 3,
                 remember_widths: bool = False) -> None:
        self.out = out
        self.min_width = min_width
        self.padding = padding
        self.remember_widths = remember_widths
        self._text: list[str] = []
        self._remembered: list[int] = []

    def write(self, text: str) -> None:
        self._text.append(text)

    def reset_widths(self) -> None:
        self._remembered = []

    def flush(self) -> None:
        text = "".join(self._text)
        self._text = []
        if not text:
            return
        self.out.write(self.render(text))
        self.out.flush()

    def render(self, text: str) -> str:
        """``text`` aligned; a trailing partial line is kept as it is."""
        trailing = not text.endswith("\n")
        lines = [line.split("\t") for line in text.split("\n")]
        if not trailing:
            lines.pop()
        widths: list[int] = []
        out: list[str] = []
        self._format(lines, 0, len(lines), widths, out)
        rendered = "\n".join(out)
        return rendered if trailing else rendered + "\n"

    def _format(self, lines: list[list[str]], start: int, end: int, widths: list[int],
                out: list[str]) -> None:
        column = len(widths)
        line0 = start
        this = start
        while this < end:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            self._emit(lines, line0, this, widths, out)
            line0 = this
            width = self.min_width
            while this < end and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + self.padding)
                this += 1
            if self.remember_widths:
                if column < len(self._remembered):
                    width = max(width, self._remembered[column])
                    self._remembered[column] = width
                else:
                    self._remembered.append(width)
            self._format(lines, line0, this, [*widths, width], out)
            line0 = this
        self._emit(lines, line0, end, widths, out)

    @staticmethod
    def _emit(lines: list[list[str]], start: int, end: int, widths: list[int],
              out: list[str]) -> None:
        for cells in lines[start:end]:
            parts = []
            for j, cell in enumerate(cells):
                if j < len(cells) - 1 and j < len(widths):
                    parts.append(cell.ljust(widths[j]))
                else:
                    parts.append(cell)
            out.append("".join(parts))


def align(text: str, *, min_width: int = 0, padding: int = 2) -> str:
    """Align ``text`` once (describe's settings by default)."""
    import io

    writer = TabWriter(io.StringIO(), min_width=min_width, padding=padding)
    return writer.render(text)
