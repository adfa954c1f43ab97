"""One LÆ form, written one way everywhere ("LÆ 125"), with its catalogue code at hand."""

from __future__ import annotations

_PREFIX = "LÆ "


class Form(str):
    """An LÆ form as operators, sidecars and the ledger write it: "LÆ 125". Built from the code ("125") or from the
    written form, so there is one representation whatever the source; `code` is the catalogue's key."""

    __slots__ = ()

    def __new__(cls, text: str) -> Form:
        code = text.strip()
        if code.upper().startswith(("LÆ", "LAE")):
            code = code[3:].strip() if code.upper().startswith("LAE") else code[2:].strip()
        if not code:
            raise ValueError(f"not an LÆ form: {text!r}")
        return super().__new__(cls, f"{_PREFIX}{code}")

    @property
    def code(self) -> str:
        """The form's number as the catalogue and the routes key it: "125"."""
        return self[len(_PREFIX):]


def form_of(text: str | None) -> Form | None:
    """The Form for a code or written form; None for none."""
    return Form(text) if text else None
