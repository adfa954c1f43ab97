"""Combines a PDF's content into one Extraction: the citizen and the form, or the reason it cannot be placed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from robot.extract.blanket import find_blanket
from robot.extract.cpr import find_cpr
from robot.extract.patient_name import conflicting_names, find_patient_names
from robot.model import Extraction, PdfContent, PdfFailure, PersonFindings, Reason
from robot.rules.catalogue import CERTIFICATE_KINDS, Catalogue


def analyse(read: PdfContent | PdfFailure, catalogue: Catalogue, today: date | None = None) -> Extraction:
    """The whole reading in one process (tests, tools); the robot reads the people in its parser processes."""
    people = read_people(read, today) if isinstance(read, PdfContent) and read.has_text else None
    return combine(read, people, catalogue)


def read_people(read: PdfContent, today: date | None = None) -> PersonFindings:
    """The document's CPR and the patient names beside it; two different patient names make the CPR ambiguous."""
    cpr = find_cpr(read, today)
    names = find_patient_names(read, cpr)
    if conflicting_names(names) is not None:
        # the CPR stands beside one person and the document names another as its patient: whose number is it?
        cpr = replace(cpr, cpr=None, reason=Reason.AMBIGUOUS_CPR,
                      detail="the document prints two different names for its patient: the CPR number may be "
                             "someone else's")
        names = ()
    return PersonFindings(cpr, names)


def combine(read: PdfContent | PdfFailure, people: PersonFindings | None, catalogue: Catalogue) -> Extraction:
    """The content, whom it is about and its form (read now, with the catalogue in force) into one Extraction.
    Precedence of reasons: reading > not a certificate > the citizen > the form."""
    if isinstance(read, PdfFailure):
        return Extraction(reason=read.reason, cpr=None, blanket=None, detail=read.detail)
    if not read.has_text:
        return Extraction(reason=Reason.NO_TEXT_LAYER, cpr=None, blanket=None, pages=read.pages, engine=read.engine,
                          detail="no text on any page and no filled form field (scanned image?)")
    if people is None:  # a parser answer with text but no people: read them rather than trust an absence
        people = read_people(read)
    cpr, names = people.cpr, people.names
    blanket = find_blanket(read, catalogue)
    reason: Reason | None
    if blanket.kind is not None and blanket.kind not in CERTIFICATE_KINDS:
        reason, detail = Reason.NOT_CERTIFICATE, f"the document is a {blanket.kind}: {blanket.why}"
    elif cpr.reason is not None:
        reason, detail = cpr.reason, cpr.detail or _cpr_detail(cpr.reason)
    elif blanket.reason is not None:
        reason, detail = blanket.reason, blanket.why
    else:
        reason, detail = None, blanket.why
    return Extraction(reason=reason, cpr=cpr, blanket=blanket, detail=detail, pages=read.pages, engine=read.engine,
                      content=read, patient_names=names)


def _cpr_detail(reason: Reason) -> str:
    return {
        Reason.NO_CPR: "no CPR number that can be trusted",
        Reason.AMBIGUOUS_CPR: "more than one person's CPR number (a relative, a second patient?)",
        Reason.INVALID_CPR: "a number labelled CPR that is no valid CPR number",
    }[reason]
