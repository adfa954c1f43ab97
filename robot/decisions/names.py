"""Checks the patient names a document prints against the citizen's name in the case system (the second factor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from robot.model import Case, PrintedName
from robot.name_match import names_match


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
