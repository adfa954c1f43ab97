"""The translation of the spaces and dashes PDF producers and OCR write into the plain ones people type."""

from __future__ import annotations

# NBSP, narrow NBSP and figure space read as a space; every dash and minus sign (U+2212 is what PostScript's
# ISOLatin1 "minus" glyph reads back as) as "-", so CPR numbers, labels and form codes look as typed. A module of
# its own: the daemon's main process needs it (through the OCR options) without the PDF libraries pdf.py loads.
SPACES_AND_DASHES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ",
                                   "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                                   "\u2212": "-", "\ufe63": "-", "\uff0d": "-", "\u2043": "-"})
