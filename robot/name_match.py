"""Compares two printed names of a person tolerantly: order, middle names, initials, case, hyphens, accents and
æ/ae, ø/oe, å/aa, ü/ue do not matter; different names do."""

from __future__ import annotations

import re
import unicodedata

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"})
_GERMAN = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae"})  # "Würtz" is also written "Wuertz"
_NOT_LETTER = re.compile(r"[^a-z]+")
# At least this many whole words (not initials) of the two names must agree.
MIN_SHARED_WORDS = 2


def name_words(name: str, *, german: bool = False) -> tuple[str, ...]:
    """A name as comparable words: lower case, Danish letters spelt out (and, with `german`, ü/ö/ä as ue/oe/ae),
    other accents dropped, split at anything else."""
    words = []
    for raw in re.split(r"[\W\d_]+", name.casefold()):
        if not raw:
            continue
        text = raw.translate(_DANISH)
        if german:
            text = text.translate(_GERMAN)
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        text = _NOT_LETTER.sub("", text)
        # an initial stays one letter ("Ø." is an initial, not the word "oe")
        words.append(text[:1] if len(raw) == 1 else text)
    return tuple(word for word in words if word)


def names_match(known: str, printed: str) -> bool:
    """Every word of the shorter name is in the longer one (an initial matches a word it begins), and at least
    MIN_SHARED_WORDS whole words agree: "Anders Juul Jensen" ~ "Jensen, Anders" ~ "ANDERS JENSEN" ~ "Anders J.
    Jensen"; "Hans Jensen" is not "Anders Jensen", "Anders K. Jensen" is not "Anders Juul Jensen". Spelt with ü or
    ue alike."""
    return any(_words_match(name_words(known, german=g1), name_words(printed, german=g2))
               for g1 in (False, True) for g2 in (False, True))


def _words_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    full_a, full_b = {w for w in a if len(w) > 1}, {w for w in b if len(w) > 1}
    if not full_a or not full_b:
        return False
    smaller, larger = (full_a, full_b) if len(full_a) <= len(full_b) else (full_b, full_a)
    if not smaller <= larger:
        return False
    # an initial must stand for a word of the other name, unless that name is the shorter and omits middle names
    # ("Mette M. J. Frølich" ~ "Frølich, Mette")
    initials_known = len(b) < len(a) or all(any(w.startswith(i) for w in b) for i in a if len(i) == 1)
    initials_printed = len(a) < len(b) or all(any(w.startswith(i) for w in a) for i in b if len(i) == 1)
    return initials_known and initials_printed and len(full_a & full_b) >= MIN_SHARED_WORDS
