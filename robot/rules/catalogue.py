"""The catalogue of LÆ forms and other known documents, loaded and validated from rules/blankets.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.rules.rulefile import RuleFile, RuleFileError, RuleProblem

CERTIFICATE_KINDS = ("attest",)
BLANKET_KINDS = ("attest", "anmodning")
DOCUMENT_KINDS = ("kvittering", "andet")

_TOP_KEYS = {"prefixes", "reference_words", "reference_line_words", "blanket", "document"}
_BLANKET_KEYS = {"code", "title", "kind", "aliases", "answer"}
_DOCUMENT_KEYS = {"name", "kind", "heading_words"}


@dataclass(frozen=True)
class Blanket:
    """One LÆ form: its three-digit code, title, kind and other spellings of its title."""

    code: str
    title: str
    kind: str
    aliases: tuple[str, ...] = ()
    answer: str | None = None  # a request (anmodning): the certificate form that answers it ("121" -> "125")

    @property
    def label(self) -> str:
        return f"LÆ {self.code}"


@dataclass(frozen=True)
class KnownDocument:
    """A document that is not an LÆ certificate, recognised by words in its heading."""

    name: str
    kind: str
    heading_words: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """Everything the form reader needs to know, as data."""

    prefixes: tuple[str, ...]
    reference_words: tuple[str, ...]
    reference_line_words: tuple[str, ...]
    blankets: dict[str, Blanket]
    documents: tuple[KnownDocument, ...]

    def request_pairs(self) -> dict[str, str]:
        """Every request form and the certificate form that answers it."""
        return {code: blanket.answer for code, blanket in self.blankets.items() if blanket.answer}

    def request_answered_by(self, answer_form: str) -> str | None:
        """The one request form the certificate form answers (None: none, or several)."""
        requests = [code for code, answer in self.request_pairs().items() if answer == answer_form]
        return requests[0] if len(requests) == 1 else None


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate the catalogue; raises RuleFileError listing every problem."""
    rules = RuleFile.read(path)
    problems: list[RuleProblem] = []
    data = rules.data
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(rules.problem(f"unknown key '{key}' (expected one of {sorted(_TOP_KEYS)})", key=key))
    prefixes = _string_list(rules, problems, data, "prefixes", required=True)
    reference_words = _string_list(rules, problems, data, "reference_words", required=False)
    reference_line_words = _string_list(rules, problems, data, "reference_line_words", required=False)
    blankets = _blankets(rules, problems, data.get("blanket", []))
    documents = _documents(rules, problems, data.get("document", []))
    _check_answers(rules, problems, data.get("blanket", []), blankets)
    if problems:
        raise RuleFileError(problems)
    return Catalogue(tuple(prefixes), tuple(w.lower() for w in reference_words),
                     tuple(w.lower() for w in reference_line_words), blankets, tuple(documents))


def _string_list(rules: RuleFile, problems: list[RuleProblem], table: dict[str, Any], key: str, *,
                 required: bool, table_name: str | None = None, index: int | None = None) -> list[str]:
    value = table.get(key)
    if value is None:
        if required:
            problems.append(rules.problem(f"missing key '{key}' (expected a list of strings)", table_name, index))
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(rules.problem(f"'{key}' must be a list of non-empty strings", table_name, index, key))
        return []
    if required and not value:
        problems.append(rules.problem(f"'{key}' must not be empty", table_name, index, key))
    return [v.strip() for v in value]


def _blankets(rules: RuleFile, problems: list[RuleProblem], entries: Any) -> dict[str, Blanket]:
    if not isinstance(entries, list):
        problems.append(rules.problem("'blanket' must be an array of tables: [[blanket]]", key="blanket"))
        return {}
    blankets: dict[str, Blanket] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(rules.problem("each 'blanket' must be a table: [[blanket]]", "blanket", index))
            continue
        for key in sorted(set(entry) - _BLANKET_KEYS):
            problems.append(rules.problem(f"unknown key '{key}' in [[blanket]] (expected one of "
                                          f"{sorted(_BLANKET_KEYS)})", "blanket", index, key))
        code = entry.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"\d{3}", code):
            problems.append(rules.problem("'code' must be three digits as a string, e.g. \"125\"",
                                          "blanket", index, "code" if "code" in entry else None))
            continue
        if code in blankets:
            problems.append(rules.problem(f"form code {code} is listed twice", "blanket", index, "code"))
        title = entry.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(rules.problem("'title' must be a non-empty string", "blanket", index, "title"))
            title = ""
        kind = entry.get("kind")
        if kind not in BLANKET_KINDS:
            problems.append(rules.problem(f"'kind' must be one of {list(BLANKET_KINDS)}, got {kind!r}",
                                          "blanket", index, "kind" if "kind" in entry else None))
        aliases = _string_list(rules, problems, entry, "aliases", required=False, table_name="blanket", index=index)
        answer = entry.get("answer")
        if answer is not None and (not isinstance(answer, str) or not re.fullmatch(r"\d{3}", answer)):
            problems.append(rules.problem("'answer' must be the three-digit code of the certificate form that answers "
                                          "this request, e.g. \"125\"", "blanket", index, "answer"))
            answer = None
        blankets[code] = Blanket(code=code, title=title.strip(), kind=str(kind), aliases=tuple(aliases),
                                 answer=answer)
    return blankets


def _check_answers(rules: RuleFile, problems: list[RuleProblem], entries: Any, blankets: dict[str, Blanket]) -> None:
    """A request names, as its answer, a form of kind attest listed in the catalogue; only requests name one."""
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        code = entry.get("code") if isinstance(entry, dict) else None
        blanket = blankets.get(code) if isinstance(code, str) else None
        if blanket is None or blanket.answer is None:
            continue
        if blanket.kind != "anmodning":
            problems.append(rules.problem(f"only a request (kind \"anmodning\") names the form that answers it; "
                                          f"LÆ {code} is a {blanket.kind}", "blanket", index, "answer"))
        answer = blankets.get(blanket.answer)
        if answer is None or answer.kind != "attest":
            problems.append(rules.problem(f"'answer' {blanket.answer!r} is no certificate (kind \"attest\") in this "
                                          "catalogue", "blanket", index, "answer"))


def _documents(rules: RuleFile, problems: list[RuleProblem], entries: Any) -> list[KnownDocument]:
    if not isinstance(entries, list):
        problems.append(rules.problem("'document' must be an array of tables: [[document]]", key="document"))
        return []
    documents: list[KnownDocument] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(rules.problem("each 'document' must be a table: [[document]]", "document", index))
            continue
        for key in sorted(set(entry) - _DOCUMENT_KEYS):
            problems.append(rules.problem(f"unknown key '{key}' in [[document]] (expected one of "
                                          f"{sorted(_DOCUMENT_KEYS)})", "document", index, key))
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(rules.problem("'name' must be a non-empty string", "document", index, "name"))
            name = ""
        kind = entry.get("kind")
        if kind not in DOCUMENT_KINDS:
            problems.append(rules.problem(f"'kind' must be one of {list(DOCUMENT_KINDS)}, got {kind!r}",
                                          "document", index, "kind" if "kind" in entry else None))
        words = _string_list(rules, problems, entry, "heading_words", required=True, table_name="document",
                             index=index)
        documents.append(KnownDocument(name=name, kind=str(kind), heading_words=tuple(w.lower() for w in words)))
    return documents
