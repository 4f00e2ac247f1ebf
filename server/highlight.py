"""Lay evidence spans over a text as properly nested marks, for the article page.

Spans of evidence overlap: a quote of a fact may sit inside the quote of a claim, or two quotes may
cross. HTML elements nest, so a span that crosses the end of an enclosing one is split there, and
its pieces carry the same index; joined in document order, they give back the span's exact text.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass


@dataclass(frozen=True)
class Mark:
    """A span to lay over the text: ``index`` names it among the marks, ``kind`` says how to show it."""

    start: int
    end: int
    index: int
    kind: str


@dataclass(frozen=True)
class Piece:
    """One token of the laid-out text: ``text``, or the opening (first piece or not) or closing of ``mark``."""

    text: str | None = None
    mark: Mark | None = None
    first: bool = False
    close: bool = False


def lay_out(text: str, marks: list[Mark]) -> list[Piece]:
    """``text`` as text pieces and properly nested open/close pieces for ``marks``.

    >>> pieces = lay_out("abcdef", [Mark(0, 4, 0, "x"), Mark(2, 6, 1, "y")])
    >>> "".join(p.text or ("</>" if p.close else f"<{p.mark.index}>") for p in pieces)
    '<0>ab<1>cd</></><1>ef</>'
    """
    queue = [(m.start, -m.end, n, m, True) for n, m in enumerate(marks) if m.end > m.start]
    heapq.heapify(queue)
    pieces: list[Piece] = []
    stack: list[tuple[int, Mark]] = []  # the open marks and their ends, innermost last
    position = 0
    counter = len(queue)

    def text_to(end: int) -> None:
        nonlocal position
        if end > position:
            pieces.append(Piece(text=text[position:end]))
            position = end

    def close(end: int, mark: Mark) -> None:
        text_to(end)
        pieces.append(Piece(mark=mark, close=True))

    while queue:
        start, negative_end, _, mark, first = heapq.heappop(queue)
        end = -negative_end
        while stack and stack[-1][0] <= start:
            close(*stack.pop())
        text_to(start)
        if stack and end > stack[-1][0]:  # crosses the end of the innermost open mark: split there
            heapq.heappush(queue, (stack[-1][0], -end, counter, mark, False))
            counter += 1
            end = stack[-1][0]
        if end > start:
            pieces.append(Piece(mark=mark, first=first))
            stack.append((end, mark))
    while stack:
        close(*stack.pop())
    text_to(len(text))
    return pieces
