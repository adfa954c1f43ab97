"""Each escalation reason, and each kind of active content in a PDF, in plain Danish for notices and sidecars."""

from __future__ import annotations

from robot.model import ActiveFinding, NoSuggestion, Reason

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
    Reason.TNEF_UNREADABLE: "en Outlook-vedhæftning (winmail.dat) kan ikke læses",
    Reason.MSG_UNREADABLE: "en vedhæftet Outlook-mail (.msg) kan ikke læses",
    Reason.SMIME_ENCRYPTED: "mailen er krypteret til en anden modtager end kommunens certifikater (eller robotten "
                            "har ingen nøgle)",
    Reason.SMIME_UNDECRYPTABLE: "mailen er krypteret til kommunens certifikat, men kan ikke dekrypteres "
                                "(beskadiget, forkert nøgle eller en krypteringsmetode, robotten ikke understøtter)",
    Reason.UNTRUSTED_SENDER: "afsenderen er ikke på listen over betroede afsendere",
    Reason.NO_ROUTE: "ingen regel i routing.toml dækker dokumentet",
    Reason.ROUTED_TO_HUMAN: "en regel i routing.toml sender denne slags dokument til manuel behandling",
    Reason.ACTIVE_PDF_CONTENT: "PDF'en indeholder aktivt indhold (JavaScript, programstart eller vedhæftede filer), "
                               "og afsenderreglerne sender den slags til manuel behandling",
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


# What a PDF carries that could act when opened; the robot files the PDF as it came and never runs any of it.
ACTIVE_TEXT: dict[ActiveFinding, str] = {
    ActiveFinding.JAVASCRIPT: "PDF'en indeholder JavaScript (ikke kørt)",
    ActiveFinding.LAUNCH: "PDF'en indeholder en handling, der kan starte et program eller åbne en fil (ikke kørt)",
    ActiveFinding.EMBEDDED_FILE: "PDF'en indeholder indlejrede filer (ikke åbnet)",
    ActiveFinding.NOT_CHECKED: "PDF'en kunne ikke undersøges for JavaScript og indlejrede filer",
}


def active_warnings(codes: tuple[str, ...]) -> tuple[str, ...]:
    """One Danish sentence per finding (codes as ActiveFinding values; an unknown code is shown as it is)."""
    known = {finding.value: text for finding, text in ACTIVE_TEXT.items()}
    return tuple(known.get(code, code) for code in codes)


def active_paragraph(codes: tuple[str, ...]) -> str:
    """The findings as one line for a notice: "Bemærk: PDF'en indeholder JavaScript (ikke kørt). ..."; "" if none."""
    warnings = active_warnings(codes)
    if not warnings:
        return ""
    return "Bemærk: " + " ".join(f"{text}." for text in warnings) + " Åbn den med forsigtighed."


# Why OCR suggests nothing, or not all of citizen, form and case, for a scan: for the CLI and the desk.
NO_SUGGESTION_WORDS: dict[str, str] = {
    NoSuggestion.OCR_OFF.value: "OCR er slået fra (extract.ocr = false)",
    NoSuggestion.TESSERACT_MISSING.value: "OCR-programmet tesseract (eller dets danske sprogdata) er ikke installeret",
    NoSuggestion.OCR_TIMEOUT.value: "OCR blev ikke færdig inden for tidsgrænsen (extract.ocr_seconds)",
    NoSuggestion.OCR_FAILED.value: "OCR mislykkedes på scanningen",
    NoSuggestion.NOTHING_READ.value: "OCR kunne ikke læse nogen tekst",
    NoSuggestion.TWO_PEOPLE.value: "OCR læste mere end én person: intet forslag",
    NoSuggestion.CPR_INVALID.value: "CPR-nummeret OCR læste overholder ikke datoreglerne: intet forslag",
    NoSuggestion.NO_CPR.value: "OCR læste intet CPR-nummer",
    NoSuggestion.UNSURE_CPR.value: "OCR læste CPR-nummeret for usikkert",
    NoSuggestion.NO_FORM.value: "OCR læste intet kendt blanketnummer",
    NoSuggestion.NO_CASE.value: "borgeren har ikke præcis én sag, reglerne ville arkivere i",
}
