"""Hypothesis strategies for LÆ-like documents: a patient block in a random label variant and written form, decoy
numbers that look like CPR numbers, optionally a relative or a second patient, shuffled with filler text.

The generator knows the truth (whose number is whose) so the properties can be checked; it is written from Danish
conventions (how clinics, hospitals and GPs print a patient's number), not from the reader's rules."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import strategies as st

from robot.model import FormField, PdfContent, TextLine

TODAY = date(2026, 11, 23)
_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)

FIRST = ("Anders", "Mette", "Søren", "Kirsten", "Jens", "Hanne", "Lars", "Åse", "Ida", "Mikkel", "Fatima", "Piotr",
         "Bjørn", "Lærke", "Ole", "Birgitte", "Ahmad", "Ingrid", "David", "Astrid", "Saga")
LAST = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Østergaard", "Ærenlund", "Bøgh", "Al-Hassan", "Kowalski",
        "Damgaard", "Møller", "Kjærsgaard", "Frandsen", "Bank", "Sagild")
RELATIONS = ("pårørende", "far", "mor", "ægtefælle", "samlever", "søn", "datter", "værge", "kontaktperson",
             "bror", "søster", "barn", "partner", "plejefar", "ekskone", "nabo", "veninde", "bisidder", "tolk",
             "fuldmægtig")
SPACES = (" ", "\u00a0", "\u2009", "\u202f")
DASHES = ("-", "\u2013", "\u2011", "\u2212")

# The labels people print before the patient's number. "{name}" is the patient's name.
PATIENT_LABELS = ("CPR-nr.:", "CPR-nr.", "CPR nr.:", "Cpr. nr", "Cpr.nr.:", "CPR:", "CPR-nummer:", "Personnummer:",
                  "Pers.nr.:", "Personnr.", "Person nr.:", "Borgerens CPR-nr.:", "Patientens personnummer:",
                  "Sikredes CPR-nr.:", "Vedr.: {name},", "Vedr. {name}, CPR-nr.", "Patient: {name},",
                  "Navn og CPR-nr.: {name},", "Borger: {name}", "Pt.: {name},", "Sygemeldte: {name},")
# Labels of numbers that look like a CPR and are something else.
DECOY_LABELS = ("Dokument-ID:", "Dok.nr.:", "Sag nr.", "Sagsnr.:", "Henv.-ID:", "Henvisnings-ID:", "Rekvisitionsnr.:",
                "Modtaget i lab.:", "Taget:", "Kontakt-ID:",
                "Rekv. nr.", "Journalnr.:", "Episode-ID:", "Forløbsnummer:", "Booking-ID:", "Faktura nr.:",
                "Kvitteringsnr.:", "Vores ref.:", "Brevnr.:", "Besked-ID:", "Lab.nr.:", "P-nr.:",
                "Produktionsenhed (P-nr.):", "Ydernr.:", "Konto:", "Kontonr.:")
FILLER = ("Statusattest udfyldt på baggrund af journalen.", "Diagnose: depression, moderat episode (DF32.1).",
          "Borgeren er fortsat uarbejdsdygtig i den nuværende stilling.", "Prognosen vurderes som usikker.",
          "Behandling: samtaleforløb hver 14. dag.", "Funktionsevne", "Anamnese", "Objektiv undersøgelse",
          "Med venlig hilsen", "Overlæge Karen Winther", "Aalborg, den 12.03.2026", "Side 1 af 1",
          "Tlf. 98 12 34 56, kl. 8-12", "Kirkevej 12, 9000 Aalborg")


def mod11(digits: str) -> bool:
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS)) % 11 == 0


@st.composite
def cpr_numbers(draw: st.DrawFn, *, mod11_only: bool = False) -> str:
    """A valid CPR number (DOMAIN.md's century rule), as ten digits; modulus 11 passing or not."""
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=TODAY - timedelta(days=1)))
    if born.year < 2000:
        seventh = draw(st.sampled_from((0, 1, 2, 3) if born.year < 1937 else (0, 1, 2, 3, 4, 9)))
    else:
        seventh = draw(st.sampled_from((4, 5, 6, 7, 8, 9) if born.year <= 2036 else (4,)))
    stem = f"{born:%d%m%y}{seventh}"
    serials = [f"{n:03d}" for n in range(1000)]
    if mod11_only:
        serials = [s for s in serials if mod11(stem + s)]
    serial = draw(st.sampled_from(serials))
    return stem + serial


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """The number in a written form people use."""
    d, m, y, s = digits[0:2], digits[2:4], digits[4:6], digits[6:]
    space = draw(st.sampled_from(SPACES))
    dash = draw(st.sampled_from(DASHES))
    form = draw(st.sampled_from(("classic", "space", "spaced_dash", "plain", "pairs_dash", "pairs_space",
                                 "dotted", "dotted_space", "boxes", "boxes_dash", "slash", "serial_split")))
    return {
        "classic": f"{d}{m}{y}{dash}{s}",
        "space": f"{d}{m}{y}{space}{s}",
        "spaced_dash": f"{d}{m}{y}{space}{dash}{space}{s}",
        "plain": digits,
        "pairs_dash": f"{d}{space}{m}{space}{y}{dash}{s}",
        "pairs_space": f"{d}{space}{m}{space}{y}{space}{s}",
        "dotted": f"{d}.{m}.{y}{dash}{s}",
        "dotted_space": f"{d}.{m}.{y}{space}{s}",
        "boxes": " ".join(digits),
        "boxes_dash": " ".join(d + m + y) + f" {dash} " + " ".join(s),
        "slash": f"{d}{m}{y}/{s}",
        "serial_split": f"{d}{m}{y}{dash}{s[:2]} {s[2:]}",
    }[form]


@dataclass
class Document:
    """A generated document and its truth."""

    blocks: list[list[str]]
    fields: list[FormField] = field(default_factory=list)
    patient: str = ""
    others: set[str] = field(default_factory=set)  # CPRs of other persons printed in it
    name: str = ""

    def content(self, seed: int) -> PdfContent:
        """The blocks shuffled (a block keeps its lines together) onto one or two pages."""
        rng = random.Random(seed)
        blocks = list(self.blocks)
        rng.shuffle(blocks)
        lines = [line for block in blocks for line in block]
        split = rng.randrange(len(lines) + 1) if rng.random() < 0.3 else len(lines)
        text = [TextLine(1, n + 1, t) for n, t in enumerate(lines[:split])]
        text += [TextLine(2, n + 1, t) for n, t in enumerate(lines[split:])]
        return PdfContent(pages=2 if split < len(lines) else 1, lines=tuple(text), fields=tuple(self.fields))


@st.composite
def names(draw: st.DrawFn) -> str:
    name = f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"
    return name.upper() if draw(st.integers(0, 4)) == 0 else name


@st.composite
def patient_block(draw: st.DrawFn, digits: str, name: str, fields: bool = True) -> tuple[list[str], list[FormField]]:
    """The patient's number beside its label: on one line, the value on the next line, a table (header row above,
    or label and value cells), or a form field."""
    label = draw(st.sampled_from(PATIENT_LABELS)).format(name=name)
    value = draw(written(digits))
    layout = draw(st.sampled_from(("line", "line", "next_line", "header_row", "cells", "banner", "banner_age",
                                   *(("field",) if fields else ()))))
    if layout == "banner":  # an EPJ printout's patient banner: the number, then the name (never ten bare digits
        # without any label: that is how identifiers are printed, and the reader does not take it)
        return [f"{value if not value.isdigit() else digits[:6] + '-' + digits[6:]} {name}"], []
    if layout == "banner_age":
        return [f"{name.split()[-1].upper()}, {name.split()[0]} {label if 'CPR' in label else 'CPR-nr.'} "
                f"{value if ' ' not in value else digits[:6] + '-' + digits[6:]} {draw(st.integers(18, 80))} år"], []
    if layout == "next_line":
        return [label, value], []
    if layout == "header_row":
        return ["Navn  CPR-nr.  Adresse", f"{name}  {value}  Vestergade 3, 9000 Aalborg"], []
    if layout == "cells":
        return [f"Navn  {name}", f"{label}  {value}"], []
    if layout == "field":
        field_name = draw(st.sampled_from(("cpr", "CPR_nr", "Personnummer", "patient.cpr", "borger_cpr")))
        return [f"Navn: {name}"], [FormField(field_name, None, value)]
    return [f"{label} {value}"], []


@st.composite
def decoy_block(draw: st.DrawFn) -> list[str]:
    """An identifier, account or phone number with its label; ten-digit ones often read as a valid birth date."""
    label = draw(st.sampled_from(DECOY_LABELS))
    kind = draw(st.sampled_from(("ten", "ten", "bank", "phone", "location", "date", "range", "table", "barcode")))
    if kind == "table":  # a lab table: an identifier's column under a header row, its rows without labels
        header = draw(st.sampled_from(("Dato  Analyse  Resultat  Prøvenr.", "Dato Analyse Resultat Labnr.",
                                       "Kontakt-ID:  Rekv.nr.  Fravær:", "Ordrenr.:  Deres ref.:  Udskrevet:")))
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            number = draw(cpr_numbers())
            value = draw(st.sampled_from((number, f"{number[:6]}-{number[6:]}")))
            day = draw(st.dates(min_value=date(2019, 1, 1), max_value=TODAY))
            rows.append(draw(st.sampled_from((f"{day:%d.%m.%Y} P-Litium 9.6 {value}", f"{value}  {day:%d.%m.%y}",
                                              f"{day:%d.%m.%Y} B-Leukocytter 3.4 {value}"))))
        return [header, *rows]
    if kind == "barcode":
        number = draw(cpr_numbers())
        return [f"{draw(st.sampled_from(('Stregkode:', 'Dok.-stregkode')))} *{number[:6]}-{number[6:]}*"]
    if kind == "ten":
        number = draw(cpr_numbers(mod11_only=draw(st.booleans())))
        value = draw(st.sampled_from((number, f"{number[:6]}-{number[6:]}")))
        return [f"{label} {value}"]
    if kind == "bank":
        account = draw(cpr_numbers())
        reg = draw(st.integers(1000, 9999))
        return draw(st.sampled_from(([f"Bankkonto: {reg} {account}"], [f"Reg.nr. {reg} Kontonr. {account}"],
                                     [f"Reg.- og kontonr.: {reg}-{account}"],
                                     [f"Reg.nr./kontonr.: {reg}", account])))  # wrapped in a narrow cell
    if kind == "phone":
        return [f"Tlf.: {draw(st.integers(20000000, 99999999))}"]
    if kind == "location":
        return [f"Lokationsnummer: 579{draw(st.integers(10**9, 10**10 - 1))}"]
    if kind == "range":
        first = draw(st.dates(min_value=date(2020, 1, 1), max_value=TODAY))
        last = first + timedelta(days=draw(st.integers(1, 300)))
        shape = draw(st.sampled_from(("%d.%m.%Y", "%d.%m.%y")))
        return [f"Sygemeldt i perioden {first.strftime(shape)} - {last.strftime(shape)}"]
    day = draw(st.dates(min_value=date(2020, 1, 1), max_value=TODAY))
    return [f"Dato: {day:%d.%m.%Y}"]


@st.composite
def relative_block(draw: st.DrawFn, digits: str) -> list[str]:
    """Another person's number where the document says who they are to the patient."""
    relation = draw(st.sampled_from(RELATIONS))
    name = draw(names())
    value = draw(written(digits))
    label = draw(st.sampled_from(("CPR-nr.", "CPR", "cpr.nr.:", "Personnummer:", "")))
    layouts = [
        [f"Pårørende: {name} ({relation}), {label} {value}"],
        [f"{relation.capitalize()}: {name}, {label} {value}"],
        ["Pårørende", f"Navn: {name}", f"Relation: {relation}", f"{label or 'CPR-nr.'} {value}"],
        ["Nærmeste pårørende", f"{name} ({relation})", f"{label or 'CPR-nr.'} {value}"],
        [f"{name} ({relation})  {value}"],
        [f"Patientens {relation}, {name} ({label or 'CPR'} {value}), er orienteret."],
        [f"Navn: {name}", f"{label or 'CPR-nr.'} {value}", f"Relation: {relation}"],
        [f"Ledsaget af {name}, {label or 'cpr.nr.'} {value}"],
        [f"Oplysninger givet af {name}, {label or 'CPR'} {value}"],
        [f"Kontakt ved behov: {name} ({label or 'CPR nr.'} {value}), tlf. 46 93 26 15"],
        ["Behandlende læge", f"Navn: {name}", f"{label or 'cpr.nr.'} {value}"],
        [f"Underskrivende læge: {name}", f"{label or 'CPR-nr.:'} {value}"],
        [f"{relation.capitalize()}s {label or 'CPR-nr.'} {value} ({name})"],  # "Barns CPR-nr.", "Mors CPR"
        ["Navn: {0}  Navn: {0}".format(name), f"Patientens CPR-nr.: Se vedlagte  CPR-nr.: {value}",  # two columns
         f"Adresse: Vestergade 3  Relation: {relation}"],
        ["Dato  Analyse  Resultat  Prøvenr.", "12.03.2026 P-Litium 9.6 1203651038",  # a row of an id table
         f"{name} ({relation})  {value}"],
    ]
    return draw(st.sampled_from(layouts))


@st.composite
def documents(draw: st.DrawFn, *, relative: bool | None = None, second: bool | None = None,
              fields: bool = True, absent: bool = False) -> Document:
    """A certificate-like document. `relative`/`second`: force (True), forbid (False) or draw (None) a relative's
    number and a second patient; `fields`: whether a number may sit in a form field; `absent`: the patient's number
    is not printed at all, only the name."""
    patient = draw(cpr_numbers())
    name = draw(names())
    if absent:  # the name without a number, or with it masked or garbled
        masked = draw(st.sampled_from(("", " CPR-nr. ******-****", ", cpr.nr. xxxxxx-xxxx", ", CPR: 110BB7-2337")))
        lines, form_fields = [draw(st.sampled_from((f"Patient: {name}", f"Navn: {name}", f"Borgerens navn {name}",
                                                    f"Vedr.: {name}"))) + masked], []
    else:
        lines, form_fields = draw(patient_block(patient, name, fields))
    blocks = [["LÆ 125", "Statusattest"], lines]
    blocks += [draw(decoy_block()) for _ in range(draw(st.integers(0, 4)))]
    blocks += [[line] for line in draw(st.lists(st.sampled_from(FILLER), max_size=6))]
    document = Document(blocks, form_fields, patient=patient, name=name)
    if relative if relative is not None else draw(st.booleans()):
        other = draw(cpr_numbers().filter(lambda d: d != patient))
        document.blocks.append(draw(relative_block(other)))
        document.others.add(other)
    if second if second is not None else draw(st.integers(0, 5)) == 0:
        other = draw(cpr_numbers().filter(lambda d: d != patient and d not in document.others))
        other_name = draw(names())
        block, more_fields = draw(patient_block(other, other_name, fields))
        document.blocks.append(block)
        document.fields.extend(more_fields)
        document.others.add(other)
    return document
