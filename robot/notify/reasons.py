"""Each escalation reason in plain Danish for the operators' notices, with what to do about it."""

from __future__ import annotations

from robot.model import Reason

REASON_TEXT: dict[Reason, str] = {
    Reason.PDF_ENCRYPTED: "PDF'en er beskyttet med adgangskode",
    Reason.NO_TEXT_LAYER: "PDF'en har ingen tekst (scannet billede)",
    Reason.PDF_UNREADABLE: "PDF'en kan ikke læses (beskadiget eller for tung)",
    Reason.PDF_TIMEOUT: "PDF'en tog for lang tid at læse",
    Reason.PDF_TOO_LARGE: "PDF'en er større end grænsen",
    Reason.NO_CPR: "der er intet CPR-nummer, robotten kan stole på",
    Reason.AMBIGUOUS_CPR: "dokumentet nævner flere personers CPR-numre",
    Reason.INVALID_CPR: "et nummer mærket CPR er ikke et gyldigt CPR-nummer",
    Reason.NO_BLANKET: "blanketten kan ikke bestemmes",
    Reason.UNKNOWN_BLANKET: "blanketnummeret findes ikke i kataloget",
    Reason.AMBIGUOUS_BLANKET: "dokumentet nævner flere blanketter",
    Reason.NOT_CERTIFICATE: "dokumentet er ikke en lægeattest (anmodning, kvittering o.l.)",
    Reason.MAIL_TOO_LARGE: "mailen er større end grænsen",
    Reason.MAIL_TIMEOUT: "mailen tog for lang tid at læse",
    Reason.PARSER_CRASHED: "mailen fik læseprogrammet til at gå ned",
    Reason.TOO_MANY_PARTS: "mailen har for mange dele",
    Reason.MIME_TOO_DEEP: "mailen er for dybt indlejret",
    Reason.MALFORMED_MIME: "mailen er beskadiget",
    Reason.NO_PDF: "mailen har ingen PDF",
    Reason.TOO_MANY_PDFS: "mailen har for mange PDF'er",
    Reason.ZIP_UNSAFE: "en zip-fil overskrider grænserne",
    Reason.ZIP_UNREADABLE: "en zip-fil kan ikke læses",
    Reason.SMIME_ENCRYPTED: "mailen er krypteret, og robotten kan ikke dekryptere den",
    Reason.UNTRUSTED_SENDER: "afsenderen er ikke på listen over betroede afsendere",
    Reason.NO_ROUTE: "ingen regel i routing.toml dækker dokumentet",
    Reason.ROUTED_TO_HUMAN: "en regel i routing.toml sender denne slags dokument til manuel behandling",
    Reason.NO_CASE: "borgeren har ingen åben sag af en tilladt type",
    Reason.AMBIGUOUS_CASE: "borgeren har flere mulige sager",
    Reason.CPR_CONFLICT: "mailens emne eller tekst nævner et andet CPR-nummer end PDF'en",
    Reason.NAME_MISMATCH: "navnet i dokumentet passer ikke med borgerens navn i sagssystemet",
    Reason.ARCHIVE_UNAVAILABLE: "sagsarkivet har ikke svaret i længere tid",
    Reason.ARCHIVE_REJECTED: "sagsarkivet afviste dokumentet",
    Reason.INTERNAL_ERROR: "robotten kunne ikke behandle mailen",
}


def reason_text(reason: Reason) -> str:
    return REASON_TEXT.get(reason, reason.value)
