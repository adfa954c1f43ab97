"""Compares the patient name a document prints with the citizen's name in the case system, tolerantly: order,
middle names, case, hyphens, accents and æ/ae, ø/oe, å/aa do not matter; different names do."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from robot.model import Case, PrintedName

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"})
_NOT_LETTER = re.compile(r"[^a-z]+")
# At least this many whole words (not initials) of the two names must agree.
MIN_SHARED_WORDS = 2


def name_words(name: str) -> tuple[str, ...]:
    """A name as comparable words: lower case, Danish letters spelt out, accents dropped, split at anything else."""
    text = name.casefold().translate(_DANISH)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return tuple(word for word in _NOT_LETTER.split(text) if word)


def names_match(known: str, printed: str) -> bool:
    """Every word of the shorter name is in the longer one (an initial matches a word it begins), and at least
    MIN_SHARED_WORDS whole words agree: "Anders Juul Jensen" ~ "Jensen, Anders" ~ "ANDERS JENSEN"; "Hans Jensen" is
    not "Anders Jensen"."""
    a, b = name_words(known), name_words(printed)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if not shorter:
        return False
    shared = 0
    for word in shorter:
        if len(word) == 1:
            if not any(other.startswith(word) for other in longer):
                return False
        elif word in longer:
            shared += 1
        else:
            return False
    return shared >= MIN_SHARED_WORDS


@dataclass(frozen=True)
class NameCheck:
    """The second factor's answer: None when the case system knows no name; else whether the printed name agrees."""

    matches: bool | None
    why: str
    known: tuple[str, ...] = ()
    printed: tuple[str, ...] = ()


def check_names(cases: Sequence[Case], printed: Sequence[PrintedName]) -> NameCheck:
    """The citizen's name(s) in the case system against every name the document prints for the patient."""
    known = tuple(dict.fromkeys(c.citizen_name.strip() for c in cases if c.citizen_name and c.citizen_name.strip()))
    if not known:
        return NameCheck(None, "the case system has no name for the citizen: the name check is not active")
    shown = tuple(name.text for name in printed)
    if not printed:
        return NameCheck(False, "the case system knows the citizen's name, and the document prints no patient name "
                                "beside the CPR number", known, shown)
    strangers = [name.text for name in printed if not any(names_match(k, name.text) for k in known)]
    if strangers:
        return NameCheck(False, f"the patient name printed in the document ({'; '.join(strangers)}) is not the "
                                f"citizen's name in the case system ({'; '.join(known)})", known, shown)
    return NameCheck(True, f"the printed patient name matches the case system's ({len(printed)} place(s))", known,
                     shown)
