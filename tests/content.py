"""Builds PdfContent values by hand, for tests of the pure readers."""

from __future__ import annotations

from robot.model import FormField, PdfContent, TextLine


def page_text(*lines: str, page: int = 1) -> PdfContent:
    """One page whose non-empty lines are `lines`."""
    return PdfContent(pages=page, lines=tuple(TextLine(page, n + 1, text) for n, text in enumerate(lines)))


def pages(*pages_lines: list[str], fields: tuple[FormField, ...] = ()) -> PdfContent:
    """Several pages of lines, and form fields."""
    lines = tuple(
        TextLine(number + 1, n + 1, text) for number, texts in enumerate(pages_lines) for n, text in enumerate(texts)
    )
    return PdfContent(pages=max(1, len(pages_lines)), lines=lines, fields=fields)
