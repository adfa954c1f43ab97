"""Text parts to str: charset decoding that never raises, and HTML reduced to its readable text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED_ELEMENTS = frozenset({"script", "style", "head", "title"})
_BREAKING_ELEMENTS = frozenset(
    {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr"}
)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACE_RUNS = re.compile(r"[ \t\u00a0]+")


def decode_undeclared(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8 when they are valid UTF-8, else Latin-1 (never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_text(data: bytes, charset: str | None) -> str:
    """Decode a text part with its declared charset, falling back for unknown or broken charsets.

    Line ends become '\n'. LookupError: unknown name or a bytes-to-bytes codec such as 'base64';
    UnicodeError: a few codecs (idna, punycode) ignore errors="replace".
    """
    if not charset:
        return _unix_lines(decode_undeclared(data))
    try:
        return _unix_lines(data.decode(charset, errors="replace"))
    except (LookupError, ValueError):
        return _unix_lines(decode_undeclared(data))


def _unix_lines(text: str) -> str:
    """CRLF and lone CR line ends as '\n'."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TextCollector(HTMLParser):
    """Collects the character data of an HTML document outside script and style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping += 1
        elif tag in _BREAKING_ELEMENTS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKING_ELEMENTS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped, entities decoded, blank runs collapsed."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (_SPACE_RUNS.sub(" ", line).strip() for line in "".join(collector.chunks).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
