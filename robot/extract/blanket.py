"""Tells which LÆ form (or other known document) a PDF is, from its heading first and its body second."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from robot.decisions.catalogue import Catalogue, KnownDocument
from robot.model import BlanketMention, BlanketResult, Evidence, PdfContent, Reason, TextLine

# The heading area: this many first lines of the first page with text.
HEADING_LINES = 15
# How far before a form code a reference word may stand ("tidligere fremsendt LÆ 265").
_REFERENCE_WINDOW = 40


@dataclass(frozen=True)
class _Patterns:
    code: re.Pattern[str]
    reference: re.Pattern[str]


@lru_cache(maxsize=8)
def _patterns(prefixes: tuple[str, ...], reference_words: tuple[str, ...]) -> _Patterns:
    """Regexes built from the catalogue: form codes in any of its spellings, and reference phrases."""
    spelled = []
    for prefix in prefixes:
        letters = [c for c in prefix if c.isalnum()]
        spelled.append(r"\.?\s?".join(re.escape(c) for c in letters) + r"\.?")
    code = re.compile(
        rf"(?<![^\W\d_])(?:{'|'.join(spelled)})[\s\-\u2010-\u2013:.]{{0,3}}(\d{{3}})(?!\d)", re.IGNORECASE
    )
    words = sorted(reference_words, key=len, reverse=True)
    phrases = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in words) or r"(?!x)x"
    # a date may stand between the words and the code: "svar på anmodning af 12.03.2024 (LÆ 121)"
    dated = r"(?:\s+(?:af|fra|dateret|den|modtaget)?\s*[\d./\-]{6,10})?"
    reference = re.compile(rf"(?:^|[^\w])(?:{phrases})\.?{dated}[\s(:\-\u2013,]*$", re.IGNORECASE)
    return _Patterns(code=code, reference=reference)


def find_blanket(content: PdfContent, catalogue: Catalogue) -> BlanketResult:
    """The document's form. Order: known-document words in the heading, form codes in the heading,
    form titles in the heading, then form codes elsewhere (all must agree); references never count."""
    patterns = _patterns(catalogue.prefixes, catalogue.reference_words)
    heading = _heading_lines(content.lines)
    mentions = tuple(_mentions(content, heading, patterns))
    own = [m for m in mentions if not m.reference]

    document = _known_document(heading, catalogue)
    if document is not None:
        name, kind, evidence = document
        # the document's own form is none: a receipt names the form it acknowledges, it is not that form
        return BlanketResult(code=None, title=name, kind=kind, reason=None, mentions=mentions,
                             why=f"heading names a {name.lower()} ({evidence.snippet!r})")

    in_heading = [m for m in own if m.heading]
    if in_heading:
        return _result(in_heading[0].code, catalogue, mentions, "form code in the heading")

    titled = _title_in_heading(heading, catalogue)
    if titled is not None:
        code, evidence = titled
        mention = BlanketMention(code=code, evidence=evidence, heading=True, reference=False)
        return _result(code, catalogue, (*mentions, mention), f"form title in the heading ({evidence.snippet!r})")

    codes = sorted({m.code for m in own if m.code})
    if len(codes) == 1:
        return _result(codes[0], catalogue, mentions, "the only form code the document names")
    if len(codes) > 1:
        return BlanketResult(code=None, title=None, kind=None, reason=Reason.AMBIGUOUS_BLANKET, mentions=mentions,
                             why=f"no form code in the heading and several in the text: {', '.join(codes)}")
    why = "only references to other forms" if mentions else "no form code or title found"
    return BlanketResult(code=None, title=None, kind=None, reason=Reason.NO_BLANKET, mentions=mentions, why=why)


def _result(code: str | None, catalogue: Catalogue, mentions: tuple[BlanketMention, ...], why: str) -> BlanketResult:
    blanket = catalogue.blankets.get(code or "")
    if blanket is None:
        return BlanketResult(code=None, title=None, kind=None, reason=Reason.UNKNOWN_BLANKET, mentions=mentions,
                             why=f"{why}: LÆ {code} is not in the catalogue")
    return BlanketResult(code=blanket.code, title=blanket.title, kind=blanket.kind, reason=None,
                         mentions=mentions, why=why)


def _heading_lines(lines: tuple[TextLine, ...]) -> tuple[TextLine, ...]:
    with_text = [line for line in lines if line.text.strip()]
    if not with_text:
        return ()
    first_page = with_text[0].page
    return tuple(line for line in with_text if line.page == first_page)[:HEADING_LINES]


def _mentions(content: PdfContent, heading: tuple[TextLine, ...], patterns: _Patterns) -> Iterator[BlanketMention]:
    """Every form code printed in the text (also split over two lines) or held in a form field."""
    heading_keys = {(line.page, line.line) for line in heading}
    for page_lines in _by_page(content.lines):
        joined, starts = _join(page_lines)
        for match in patterns.code.finditer(joined):
            line = page_lines[_line_index(starts, match.start())]
            reference = bool(patterns.reference.search(joined[max(0, match.start() - _REFERENCE_WINDOW):match.start()]))
            evidence = Evidence(source="text", snippet=" ".join(match.group(0).split()), page=line.page,
                                line=line.line)
            yield BlanketMention(code=match.group(1), evidence=evidence,
                                 heading=(line.page, line.line) in heading_keys, reference=reference)
    for form_field in content.fields:
        for match in patterns.code.finditer(form_field.value):
            reference = bool(patterns.reference.search(form_field.value[max(0, match.start() - _REFERENCE_WINDOW):
                                                                         match.start()]))
            evidence = Evidence(source="field", snippet=" ".join(match.group(0).split()), field=form_field.name,
                                label=form_field.label)
            yield BlanketMention(code=match.group(1), evidence=evidence, heading=True, reference=reference)


def _by_page(lines: tuple[TextLine, ...]) -> Iterator[list[TextLine]]:
    page: list[TextLine] = []
    for line in lines:
        if page and line.page != page[0].page:
            yield page
            page = []
        page.append(line)
    if page:
        yield page


def _join(lines: list[TextLine]) -> tuple[str, list[int]]:
    """The page's lines joined by newlines, and where each line starts in the joined text."""
    starts, position = [], 0
    for line in lines:
        starts.append(position)
        position += len(line.text) + 1
    return "\n".join(line.text for line in lines), starts


def _line_index(starts: list[int], offset: int) -> int:
    index = 0
    for n, start in enumerate(starts):
        if start > offset:
            break
        index = n
    return index


@lru_cache(maxsize=8)
def _document_words(documents: tuple[KnownDocument, ...]) -> re.Pattern[str] | None:
    """One regex for every known document's heading words; the group name says which document."""
    alternatives = [
        f"(?P<d{index}>" + "|".join(re.escape(word) for word in document.heading_words) + ")"
        for index, document in enumerate(documents)
    ]
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE) if alternatives else None


def _known_document(heading: tuple[TextLine, ...], catalogue: Catalogue) -> tuple[str, str, Evidence] | None:
    pattern = _document_words(catalogue.documents)
    if pattern is None:
        return None
    for line in heading:
        found = pattern.search(line.text)
        if found and found.lastgroup:
            document = catalogue.documents[int(found.lastgroup[1:])]
            evidence = Evidence(source="text", snippet=line.text.strip()[:160], page=line.page, line=line.line)
            return document.name, document.kind, evidence
    return None


def _title_in_heading(heading: tuple[TextLine, ...], catalogue: Catalogue) -> tuple[str, Evidence] | None:
    """The earliest form title (longest at the same place) printed in the heading."""
    titles = sorted(
        ((title, blanket.code) for blanket in catalogue.blankets.values() for title in (blanket.title, *blanket.aliases)),
        key=lambda pair: len(pair[0]), reverse=True,
    )
    for line in heading:
        best: tuple[int, int, str] | None = None
        for title, code in titles:
            pattern = r"\s+".join(re.escape(part) for part in title.split())
            found = re.search(rf"(?<!\w){pattern}(?!\w)", line.text, re.IGNORECASE)
            if found and (best is None or (found.start(), -len(title)) < (best[0], best[1])):
                best = (found.start(), -len(title), code)
        if best is not None:
            evidence = Evidence(source="text", snippet=line.text.strip()[:160], page=line.page, line=line.line)
            return best[2], evidence
    return None


def codes_in(text: str, catalogue: Catalogue) -> list[str]:
    """Form codes named in a short text such as a subject or a file name, references left out, in order."""
    patterns = _patterns(catalogue.prefixes, catalogue.reference_words)
    text = text.replace("_", " ")  # file names: "LAE_285_attest.pdf"
    codes = []
    for match in patterns.code.finditer(text):
        if not patterns.reference.search(text[max(0, match.start() - _REFERENCE_WINDOW):match.start()]):
            codes.append(match.group(1))
    return codes
