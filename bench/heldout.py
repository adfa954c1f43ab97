"""Held-out corpus: ~300 realistic LÆ documents made by producers the samples never use, read by the robot, scored.

`samples/generate.py` makes its PDFs with reportlab, fpdf2 and LibreOffice from .fodt, and the unit tests were
written beside it. This script makes an independent corpus with other producers and other layouts, so the
extraction rules can be measured on documents they were not tuned on:

* Chromium (headless print-to-pdf of HTML with @page margin boxes),
* WeasyPrint (HTML, Danish hyphenation through pyphen, margin boxes),
* LibreOffice from .docx written by python-docx (real page headers and footers with PAGE/NUMPAGES fields),
* Ghostscript from hand-written PostScript (own line layout; a third of them with the plain ISOLatin1Encoding
  of old PostScript drivers, where "-" is the glyph /minus),
* groff (ms macros and tbl tables).

Layouts: letterheads, label and value in separate table cells, headers and footers repeated on every page with
the CPR and the form code ("LÆ 125 – side 2 af 3"), CPR in a page header only, form code in a footer only, a bold
title with the code in small print below, hyphenation, 1-3 pages, cover letters, image-only pages; and the traps
of DOMAIN.md (a relative's CPR, two patients, location/phone/CVR/P-nr/bank/journal/provider numbers, dates,
references to other forms, receipts, requests, employer documents, unknown form numbers, scans). About 60 mails
(.eml) carry some of the PDFs. The ground truth is the generator's own data (`truth.jsonl` in the output).

The evaluator runs the real CLI (`.venv/bin/lae-robot extract --json --reveal-cpr`) over the corpus and prints:
the number of documents; every document reported `ok` with a wrong CPR or a wrong form (must be none); recall,
the share of documents carrying exactly one patient CPR and one known attest form that come out `ok` with both
right (target >= 95 %); and every miss with the expected values and the robot's status and detail, grouped by
cause. Documents whose right answer is a matter of judgement are marked `debatable` and reported apart. Exit code
0 only when nothing non-debatable is wrong and recall >= 95 %; 2 when a producer is missing.

Generation needs tools outside the project's virtualenv (Debian packages and a separate virtualenv):

    apt-get install chromium ghostscript groff libreoffice-writer fonts-dejavu fonts-liberation
    python3 -m venv /tmp/heldout-venv && /tmp/heldout-venv/bin/pip install weasyprint python-docx

    /tmp/heldout-venv/bin/python bench/heldout.py [--out /tmp/lae-heldout] [--evaluate-only] [--reveal-cpr]

Everything is fictitious: people, CPR numbers, clinics and case numbers are made up (seeded, deterministic).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from html import escape
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path("/tmp/lae-heldout")
DEFAULT_ROBOT = ROOT / ".venv" / "bin" / "lae-robot"
SEED = 20261123
TODAY = date(2026, 11, 20)  # the documents' "now"; birth dates and letters lie before it
RECALL_TARGET = 0.95

PRODUCERS = ("chromium", "weasyprint", "lo-docx", "ghostscript", "groff")
IMAGE_PRODUCERS = ("chromium", "weasyprint", "lo-docx")  # can place a scanned page image

# ---------------------------------------------------------------- the forms (DOMAIN.md)

ATTEST = {
    "105": "Journaloplysninger fra sygehus",
    "115": "Journaloplysninger fra speciallægepraksis",
    "125": "Statusattest",
    "135": "Specifik helbredsattest",
    "145": "Generel helbredsattest",
    "155": "Speciallægeattest",
    "165": "Forslag om socialmedicinsk sagsbehandling",
    "225": "Attest vedr. kronisk sygdom",
    "265": "Lægeattest til rehabiliteringsteam",
    "275": "Lægeattest fra klinisk funktion",
    "285": "Attest til sygedagpengeopfølgning",
}
REQUEST_OF = {"125": "121", "135": "131", "145": "141", "225": "221", "265": "261", "285": "281"}
REQUEST_TITLE = {
    "121": "Anmodning om statusattest",
    "131": "Anmodning om specifik helbredsattest",
    "141": "Anmodning om generel helbredsattest",
    "221": "Anmodning om attest vedr. kronisk sygdom",
    "261": "Anmodning om lægeattest til rehabiliteringsteam",
    "281": "Anmodning om attest til sygedagpengeopfølgning",
}
FORM_WEIGHTS = (("125", 30), ("265", 18), ("285", 15), ("105", 10), ("135", 6), ("145", 5), ("155", 4),
                ("225", 4), ("275", 4), ("115", 2), ("165", 2))
REGION_FORMS = ("125", "265", "105", "275", "285", "135")  # what psychiatry and hospitals answer
GP_FORMS = ("125", "285", "265", "135", "145", "225", "165")
SPECIALIST_FORMS = ("155", "115", "125")
# spellings seen in print (DOMAIN.md); the truth is always "LÆ nnn"
SPELLINGS = (("LÆ {c}", 50), ("LÆ{c}", 14), ("LÆ-{c}", 10), ("Læ {c}", 10), ("LAE {c}", 6), ("LÆ\u00a0{c}", 10))

# ---------------------------------------------------------------- people and places

FIRST = ("Anders", "Mette", "Søren", "Kirsten", "Jens", "Hanne", "Lars", "Susanne", "Peter", "Lone", "Morten",
         "Camilla", "Rasmus", "Ida", "Mikkel", "Freja", "Jørgen", "Bente", "Niels", "Åse", "Thomas", "Louise",
         "Kasper", "Signe", "Mads", "Julie", "Frederik", "Anne", "Ole", "Birgitte", "Ahmad", "Fatima", "Ali",
         "Zainab", "Piotr", "Agnieszka", "Bjørn", "Dorthe", "Ejnar", "Gitte", "Henrik", "Inger", "Karl", "Lærke")
MIDDLE = ("", "", "", "Marie ", "Juul ", "Kirstine ", "Holm ", "Skov ", "Bach ", "")
LAST = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Møller",
        "Mortensen", "Østergaard", "Ærenlund", "Bøgh", "Kjærsgaard", "Søndergaard", "Al-Hassan", "Kowalski",
        "Damgaard", "Frandsen", "Gregersen", "Iversen", "Lauridsen", "Nørgaard", "Vestergaard")
STREETS = ("Vesterbro", "Hobrovej", "Kastetvej", "Nørregade", "Østerbrogade", "Jagtvej", "Skolegade", "Bredgade",
           "Kirkevej", "Ringvejen", "Søndergade", "Haraldsgade", "Åboulevarden", "Gl. Kongevej", "Fynsgade")
TOWNS = ("9000 Aalborg", "9800 Hjørring", "9400 Nørresundby", "8000 Aarhus C", "8200 Aarhus N", "5000 Odense C",
         "2100 København Ø", "2200 København N", "4000 Roskilde", "7100 Vejle", "6700 Esbjerg", "4700 Næstved",
         "3400 Hillerød", "8800 Viborg", "9900 Frederikshavn")
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")

REGIONS = (
    {"key": "rn", "org": "Region Nordjylland", "unit": "Psykiatrien", "dept": "Klinik Psykiatri Syd, Afsnit S4",
     "street": "Mølleparkvej 10", "town": "9000 Aalborg", "phone": "97 64 30 00", "cvr": "29190941",
     "mail": "psykiatri.attester@rn.dk", "web": "www.psykiatri.rn.dk", "city": "Aalborg"},
    {"key": "regionh", "org": "Region Hovedstaden", "unit": "Psykiatrisk Center København",
     "dept": "Ambulatorium for Affektive Lidelser", "street": "Edel Sauntes Allé 10", "town": "2100 København Ø",
     "phone": "38 64 70 00", "cvr": "29190623", "mail": "pck.attester@regionh.dk",
     "web": "www.psykiatri-regionh.dk", "city": "København"},
    {"key": "rsyd", "org": "Region Syddanmark", "unit": "Psykiatrien i Region Syddanmark",
     "dept": "Distriktspsykiatrien Odense", "street": "J.B. Winsløws Vej 20", "town": "5000 Odense C",
     "phone": "99 44 30 00", "cvr": "29190909", "mail": "attester.psykiatri@rsyd.dk",
     "web": "www.psykiatrienisyddanmark.dk", "city": "Odense"},
    {"key": "rm", "org": "Region Midtjylland", "unit": "Aarhus Universitetshospital Psykiatrien",
     "dept": "Afdeling for Depression og Angst", "street": "Palle Juul-Jensens Boulevard 175",
     "town": "8200 Aarhus N", "phone": "78 47 00 00", "cvr": "29190925", "mail": "attester@ps.rm.dk",
     "web": "www.aarhuspsykiatrien.dk", "city": "Aarhus"},
    {"key": "rsj", "org": "Region Sjælland", "unit": "Psykiatrien Region Sjælland",
     "dept": "Psykiatrisk Klinik Roskilde", "street": "Smedegade 10", "town": "4000 Roskilde",
     "phone": "70 15 50 00", "cvr": "29189919", "mail": "psykiatri.attester@regionsjaelland.dk",
     "web": "www.psykiatri.regionsjaelland.dk", "city": "Roskilde"},
)
GPS = (
    {"key": "gp1", "org": "Lægehuset Vestergade", "unit": "Almen praksis", "dept": "", "street": "Vestergade 12",
     "town": "9800 Hjørring", "phone": "98 92 11 22", "cvr": "31456789",
     "mail": "laegehuset.vestergade@dadlnet.dk", "web": "www.laegehuset-vestergade.dk", "city": "Hjørring",
     "ydernr": "045123"},
    {"key": "gp2", "org": "Lægerne ved Søerne", "unit": "Almen praksis", "dept": "", "street": "Øster Søgade 48",
     "town": "2100 København Ø", "phone": "35 26 14 00", "cvr": "27894512", "mail": "soeerne@dadlnet.dk",
     "web": "www.laegernevedsoerne.dk", "city": "København", "ydernr": "012874"},
    {"key": "gp3", "org": "Lægeklinikken Åboulevarden", "unit": "Almen praksis", "dept": "",
     "street": "Åboulevarden 31", "town": "8000 Aarhus C", "phone": "86 12 44 90", "cvr": "35512388",
     "mail": "klinik.aaboulevarden@dadlnet.dk", "web": "www.aaboulevarden-laeger.dk", "city": "Aarhus",
     "ydernr": "067311"},
    {"key": "sp1", "org": "Speciallæge i psykiatri Karen Holm", "unit": "Speciallægepraksis", "dept": "",
     "street": "Klostergade 5, 1.", "town": "5000 Odense C", "phone": "66 11 72 72", "cvr": "38123456",
     "mail": "karen.holm@dadlnet.dk", "web": "", "city": "Odense", "ydernr": "098765"},
)
DOCTORS = ("Overlæge Birgitte Kjær", "Afdelingslæge Morten Lund", "Reservelæge Sara Ibsen",
           "Overlæge Niels Brandt",
           "Speciallæge Jakob Friis", "Læge Amira Haddad", "Afdelingslæge Torben Winther")
GP_DOCTORS = ("Praktiserende læge Hans Krogh", "Praktiserende læge Lene Bech", "Læge Ulla Svendsen")
JOBCENTRES = (
    ("Jobcenter Aalborg", "Team Sygedagpenge", "Boulevarden 13", "9000 Aalborg", "aalborg.dk"),
    ("Jobcenter København", "Team Ressourceforløb", "Nyropsgade 1", "1602 København V", "kk.dk"),
    ("Jobcenter Odense", "Sygedagpengeafdelingen", "Ørbækvej 100", "5220 Odense SØ", "odense.dk"),
    ("Jobcenter Aarhus", "Rehabiliteringsteamet", "Værkmestergade 15", "8000 Aarhus C", "aarhus.dk"),
    ("Jobcenter Roskilde", "Ydelse og Afklaring", "Køgevej 80", "4000 Roskilde", "roskilde.dk"),
    ("Jobcenter Hjørring", "Sygedagpenge og Jobafklaring", "Springvandspladsen 5", "9800 Hjørring", "hjoerring.dk"),
)
DIAGNOSES = ("Depressiv enkeltepisode, moderat (DF32.1)", "Periodisk depression, aktuelt moderat (DF33.1)",
             "Generaliseret angst (DF41.1)", "Posttraumatisk belastningsreaktion (DF43.1)",
             "Paranoid skizofreni (DF20.0)", "Bipolar affektiv sindslidelse (DF31.3)",
             "Emotionelt ustabil personlighedsstruktur, borderline type (DF60.3)",
             "Forstyrrelse af aktivitet og opmærksomhed (DF90.0)", "Obsessiv-kompulsiv tilstand (DF42.2)",
             "Tilpasningsreaktion (DF43.2)")
MEDICINE = ("sertralin 100 mg dagligt", "quetiapin 50 mg til natten", "escitalopram 15 mg", "lithium efter plan",
            "aripiprazol 10 mg", "mirtazapin 30 mg til natten", "venlafaxin 150 mg")

# Section texts. "|" marks a place where a long word may be hyphenated (soft hyphen).
TEXTS = {
    "status": (
        ("Borgeren har siden {month} været i ambulant forløb i {unit} med nedtrykthed, søvnforstyrrelser og "
         "nedsat koncentrations|evne. Tilstanden er kun delvist bedret trods behandling."),
        ("Der er tale om en kronisk forløbende lidelse med perioder med forværring. Aktuelt beskrives "
         "vedvarende angst, undgåelses|adfærd og udtalt træthed."),
        ("Patienten er kendt i distrikts|psykiatrien siden {year} og har haft {n} indlæggelser. Seneste "
         "kontakt {date}, hvor tilstanden blev vurderet som stationær."),
    ),
    "treatment": (
        "Behandles med {med} samt samtaler hver 14. dag med kontakt|person. Der er planlagt psyko|edukations|forløb.",
        "Der er iværksat medicinsk behandling med {med}. Effekten vurderes løbende, næste kontrol {date}.",
        "Behandlingen er afsluttet i {unit}; videre opfølgning hos egen læge efter aftale.",
    ),
    "prognosis": (
        "Prognosen for arbejds|markeds|rettet tilknytning vurderes som usikker de næste 6-12 måneder.",
        "Med fortsat behandling forventes gradvis bedring; en trinvis optrapning af timetal anbefales.",
        "Prognosen er god, såfremt borgeren fortsætter behandlingen og får en rolig beskæftigelses|indsats.",
    ),
    "function": (
        ("Kan aktuelt varetage lettere opgaver 8-10 timer om ugen med skåne|hensyn: faste rammer, ingen "
         "kunde|kontakt og mulighed for pauser."),
        "Funktions|evnen er nedsat især i forhold til stress|tolerance, hukommelse og planlægning.",
        "Vi anbefaler, at et jobafklarings|forløb tilrettelægges i samarbejde med rehabiliterings|teamet.",
    ),
    "journal": (
        ("Indlagt {date} til {date2} på grund af forværring af psykotiske symptomer. Udskrevet til ambulant "
         "opfølgning i {unit}."),
        "Ambulante kontakter i perioden: 14 samtaler, 3 telefon|konsultationer og 1 netværks|møde.",
        "Blodprøver og EKG uden anmærkninger. Ingen misbrug oplyst.",
    ),
}
SECTIONS = {
    "125": (("Diagnose", "diag"), ("Aktuelle helbredsforhold", "status"), ("Behandling", "treatment"),
            ("Prognose", "prognosis")),
    "265": (("Helbredsoplysninger", "status"), ("Funktionsevne", "function"), ("Behandlingsmuligheder", "treatment"),
            ("Lægens vurdering", "prognosis")),
    "285": (("Sygdom og funktionsnedsættelse", "status"), ("Forventet varighed", "prognosis"),
            ("Arbejdsevne og skånehensyn", "function")),
    "105": (("Diagnoser", "diag"), ("Journaloplysninger", "journal"), ("Aktuel behandling", "treatment")),
    "275": (("Diagnose", "diag"), ("Helbredsmæssig vurdering", "status"), ("Funktionsevne", "function"),
            ("Prognose", "prognosis")),
}
DEFAULT_SECTIONS = (("Diagnose", "diag"), ("Helbredsforhold", "status"), ("Behandling", "treatment"),
                    ("Vurdering", "prognosis"))


# ---------------------------------------------------------------- CPR numbers

_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def mod11(digits: str) -> bool:
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS)) % 11 == 0


def seventh_digits(year: int) -> tuple[int, ...]:
    """7th digits that give this birth year's century (DOMAIN.md)."""
    yy = year % 100
    if year < 1900:
        return (5, 6, 7, 8) if yy >= 58 else ()
    if year < 2000:
        return (0, 1, 2, 3, 4, 9) if yy >= 37 else (0, 1, 2, 3)
    return (4, 5, 6, 7, 8, 9) if yy <= 36 else (5, 6, 7, 8)


class Numbers:
    """Hands out unique CPR numbers and CPR-like numbers, all seeded."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def cpr(self, born: date, passes_mod11: bool = True) -> str:
        head = born.strftime("%d%m%y")
        for _ in range(1000):
            seventh = self.rng.choice(seventh_digits(born.year))
            body = head + str(seventh) + f"{self.rng.randrange(100):02d}"
            total = sum(int(d) * w for d, w in zip(body, _WEIGHTS))
            check = (-total) % 11
            if passes_mod11:
                if check == 10:
                    continue
                last = check
            else:
                last = self.rng.choice([d for d in range(10) if d != check])
            digits = body + str(last)
            if digits not in self.used:
                self.used.add(digits)
                return digits
        raise RuntimeError("no CPR left for " + head)

    def date_like(self, passes_mod11: bool = True) -> str:
        """Ten digits that read as a valid CPR (for numbers that are something else: P-nr, konto, EAN tails)."""
        born = date(self.rng.randrange(1950, 1999), self.rng.randrange(1, 13), self.rng.randrange(1, 29))
        return self.cpr(born, passes_mod11)

    def digits(self, n: int) -> str:
        return str(self.rng.randrange(1, 10)) + "".join(str(self.rng.randrange(10)) for _ in range(n - 1))


def fmt_cpr(digits: str, style: str) -> str:
    return {"dash": f"{digits[:6]}-{digits[6:]}", "space": f"{digits[:6]} {digits[6:]}", "plain": digits,
            "endash": f"{digits[:6]}\u2013{digits[6:]}", "nbsp": f"{digits[:6]}\u00a0{digits[6:]}"}[style]


def mask(digits: str | None, reveal: bool) -> str:
    if not digits:
        return "-"
    return fmt_cpr(digits, "dash") if reveal else f"{digits[:6]}-xxxx"


# ---------------------------------------------------------------- the document model

# Blocks (tuples), rendered by every producer:
#   ("letterhead", left_lines, right_lines)   organisation left, contact right, no borders
#   ("lines", lines, align)                   address or info block ("left" | "right")
#   ("title", text, small)                    bold title ("\n" forces a line break), optional small print below
#   ("titlebar", left, right)                 a boxed bar: title left, form code right (separate cells)
#   ("h", text) ("p", text) ("small", text)   heading, paragraph ("|" = soft hyphen), small print
#   ("kv", rows)                              two-column table: label cell, value cell ("\n" in a value)
#   ("grid", rows)                            four-column table (label, value, label, value)
#   ("image", png_bytes)                      a scanned page: an image, no text
#   ("sig", lines)                            signature block


@dataclass
class Doc:
    name: str  # file stem
    producer: str
    pages: list[list[tuple]]
    header: tuple[str, str, str] = ("", "", "")  # left, centre, right; "{page}" and "{pages}" are filled in
    footer: tuple[str, str, str] = ("", "", "")
    header_on_first: bool = True
    theme: str = "form"  # form | letter | epj
    legacy_ps: bool = False  # ghostscript only: ISOLatin1Encoding, "-" printed as /minus


@dataclass
class Truth:
    file: str  # path relative to the output folder
    attachment: str | None
    scenario: str
    producer: str
    cpr: str | None  # the one patient the document is about, or None (nobody, or several patients)
    form: str | None  # "LÆ 125" when the document is that certificate, else None
    positive: bool  # exactly one patient CPR and one known attest form, readable as text
    expect: str  # the robot's expected status; alternatives separated by "|"
    others: dict[str, str] = field(default_factory=dict)  # other CPR-like numbers printed: digits -> what they are
    traits: list[str] = field(default_factory=list)
    debatable: str | None = None  # why the right answer is a matter of judgement
    note: str = ""
    patient_name: str = ""


# ---------------------------------------------------------------- content helpers


@dataclass
class Person:
    first: str
    last: str
    cpr: str
    born: date
    street: str
    town: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


class Gen:
    """Seeded choices shared by the scenario builders."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.numbers = Numbers(self.rng)

    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def weighted(self, pairs):
        items, weights = zip(*pairs)
        return self.rng.choices(items, weights=weights)[0]

    def person(self, fail_mod11: bool | None = None) -> Person:
        if fail_mod11 is None:
            fail_mod11 = self.chance(0.1)
        if fail_mod11:  # numbers issued since 2007 that fail modulus 11 are mostly 1 January births
            born = date(self.rng.randrange(1962, 2000), 1, 1)
        else:
            born = date(self.rng.randrange(1961, 2006), self.rng.randrange(1, 13), self.rng.randrange(1, 29))
        cpr = self.numbers.cpr(born, passes_mod11=not fail_mod11)
        middle = self.pick(MIDDLE)
        return Person(self.pick(FIRST), middle + self.pick(LAST), cpr, born,
                      f"{self.pick(STREETS)} {self.rng.randrange(1, 140)}"
                      f"{self.pick(('', '', ', 2. tv', ', st.', 'B'))}",
                      self.pick(TOWNS))

    def sender(self, kind: str | None = None) -> dict:
        kind = kind or self.weighted((("region", 6), ("gp", 3), ("specialist", 1)))
        if kind == "region":
            s = dict(self.pick(REGIONS))
            s["doctor"] = self.pick(DOCTORS)
        elif kind == "gp":
            s = dict(self.pick(GPS[:3]))
            s["doctor"] = self.pick(GP_DOCTORS)
        else:
            s = dict(GPS[3])
            s["doctor"] = "Speciallæge i psykiatri Karen Holm"
        s["kind"] = kind
        s["ean"] = "5798" + self.numbers.digits(9)
        return s

    def form_for(self, s: dict, allowed: Iterable[str] | None = None) -> str:
        pool = {"region": REGION_FORMS, "gp": GP_FORMS, "specialist": SPECIALIST_FORMS}[s["kind"]]
        weights = dict(FORM_WEIGHTS)
        pairs = [(c, weights[c]) for c in pool if allowed is None or c in allowed]
        if not pairs:
            pairs = [(c, weights[c]) for c in allowed or ()]
        return self.weighted(pairs)

    def spell(self, code: str) -> str:
        return self.weighted(SPELLINGS).format(c=code)

    def day(self, back_lo: int = 2, back_hi: int = 120) -> date:
        return TODAY - timedelta(days=self.rng.randrange(back_lo, back_hi))

    def fmt_date(self, d: date, style: str | None = None) -> str:
        style = style or self.pick(("dot", "dot", "dot", "long", "iso", "slash", "short"))
        return {"dot": d.strftime("%d.%m.%Y"), "long": f"{d.day}. {MONTHS[d.month - 1]} {d.year}",
                "iso": d.isoformat(), "slash": f"{d.day}/{d.month}-{d.year}", "short": d.strftime("%d.%m.%y"),
                "dash": d.strftime("%d-%m-%Y")}[style]

    def cpr_style(self) -> str:
        return self.weighted((("dash", 70), ("space", 10), ("plain", 10), ("endash", 5), ("nbsp", 5)))

    def cpr_label(self) -> str:
        return self.pick(("CPR-nr.:", "CPR-nr.", "CPR nr.:", "Cpr.nr.:", "CPR:", "Personnummer:", "Pers.nr.:",
                          "CPR-nummer:", "Personnr.:"))

    def table_cpr_label(self) -> str:
        return self.pick(("CPR-nr.", "CPR-nummer", "Personnummer", "CPR", "Cpr.nr.", "Personnummer (CPR)",
                          "Borgerens CPR-nr."))

    def text(self, key: str, s: dict) -> str:
        if key == "diag":
            return self.pick(DIAGNOSES)
        d = self.day(20, 400)
        return self.pick(TEXTS[key]).format(
            month=MONTHS[self.rng.randrange(12)], unit=s.get("dept") or s["org"], year=self.rng.randrange(2012, 2025),
            n=self.rng.randrange(1, 5), date=self.fmt_date(d), date2=self.fmt_date(d + timedelta(days=12)),
            med=self.pick(MEDICINE))

    def sections(self, code: str, s: dict, count: int | None = None) -> list[tuple]:
        chosen = SECTIONS.get(code, DEFAULT_SECTIONS)
        if count is not None:
            chosen = chosen[:count]
        blocks: list[tuple] = []
        for heading, key in chosen:
            blocks.append(("h", heading))
            blocks.append(("p", self.text(key, s)))
        return blocks


def letterhead(s: dict) -> tuple:
    left = [s["org"], s["unit"]] + ([s["dept"]] if s.get("dept") else []) + [s["street"], s["town"]]
    right = [f"Tlf. {s['phone']}", s["mail"]] + ([s["web"]] if s.get("web") else [])
    right.append(f"CVR-nr. {s['cvr']}")
    if s.get("ydernr"):
        right.append(f"Ydernr. {s['ydernr']}")
    return ("letterhead", left, right)


def recipient(jc: tuple) -> tuple:
    return ("lines", [jc[0], jc[1], jc[2], jc[3]], "left")


def signature(g: Gen, s: dict, d: date) -> tuple:
    return ("sig", [f"{s['city']}, den {g.fmt_date(d, 'long')}", "", s["doctor"], s["org"]])


def patient_rows(g: Gen, p: Person, label: str | None = None, style: str | None = None) -> list[tuple[str, str]]:
    rows = [("Navn", p.name), (label or g.table_cpr_label(), fmt_cpr(p.cpr, style or g.cpr_style())),
            ("Adresse", f"{p.street}, {p.town}")]
    if g.chance(0.3):
        rows.insert(0, ("Dato", g.fmt_date(g.day(1, 10), "dot")))
    return rows


def sender_rows(s: dict) -> list[tuple[str, str]]:
    rows = [("Afsender", s["org"] + (f", {s['dept']}" if s.get("dept") else "")),
            ("Adresse", f"{s['street']}, {s['town']}"), ("Telefon", s["phone"]), ("Udfyldt af", s["doctor"])]
    return rows


def title_blocks(g: Gen, code: str, mode: str) -> list[tuple]:
    title, spelled = ATTEST[code], g.spell(code)
    if mode == "code_title":
        return [("title", f"{spelled} {title}" if g.chance(0.6) else f"{title} ({spelled})", None)]
    if mode == "title_small":
        small = g.pick((f"Blanket {spelled}", f"{spelled} · udgave 01.2024", f"Lægeforeningens blanket {spelled}",
                        spelled))
        return [("title", title, small)]
    if mode == "titlebar":
        return [("titlebar", title, spelled)]
    if mode == "code_split":  # the code in a narrow cell, split over two lines
        prefix, number = spelled.replace("-", " ").split(" ", 1) if " " in spelled.replace("-", " ") else ("LÆ", code)
        return [("titlebar", title, f"{prefix}\n{number}")]
    if mode == "title_only":
        return [("title", title.upper() if g.chance(0.25) else title, None)]
    raise ValueError(mode)


def new_truth(name: str, producer: str, scenario: str, p: Person | None, code: str | None, *,
              positive: bool, expect: str = "ok", traits: Iterable[str] = (), debatable: str | None = None,
              note: str = "") -> Truth:
    return Truth(file=f"pdf/{name}.pdf", attachment=None, scenario=scenario, producer=producer,
                 cpr=p.cpr if p else None, form=f"LÆ {code}" if code else None, positive=positive, expect=expect,
                 traits=list(traits), debatable=debatable, note=note, patient_name=p.name if p else "")


def paginate(blocks: list[tuple], n_pages: int) -> list[list[tuple]]:
    """Split a block list into n pages at heading boundaries (roughly even)."""
    if n_pages <= 1:
        return [blocks]
    cuts = [i for i, b in enumerate(blocks) if b[0] == "h" and i > 0]
    pages, start = [], 0
    for k in range(1, n_pages):
        want = len(blocks) * k // n_pages
        cut = min((c for c in cuts if c > start), key=lambda c: abs(c - want), default=None)
        if cut is None:
            break
        pages.append(blocks[start:cut])
        start = cut
    pages.append(blocks[start:])
    return [p for p in pages if p]


def more_text(g: Gen, s: dict) -> list[tuple]:
    """Extra sections to fill a second or third page."""
    out: list[tuple] = []
    for heading, key in (("Supplerende oplysninger", "journal"), ("Sociale forhold", "function"),
                         ("Samlet vurdering", "prognosis")):
        out += [("h", heading), ("p", g.text(key, s)), ("p", g.text(key, s))]
    return out


# ---------------------------------------------------------------- scenarios: certificates (positives)


def sc_form_std(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """An official-looking form: title and code at the top, patient and sender in label/value tables."""
    s = g.sender()
    p, code = g.person(), None
    code = g.form_for(s)
    mode = g.weighted((("code_title", 3), ("title_small", 2), ("titlebar", 3), ("code_split", 1)))
    traits = [mode]
    blocks = title_blocks(g, code, mode)
    blocks.append(("kv", patient_rows(g, p)))
    blocks.append(("kv", sender_rows(s)))
    blocks += g.sections(code, s)
    n_pages = g.weighted(((1, 5), (2, 4), (3, 1)))
    if n_pages > 1:
        blocks += more_text(g, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, n_pages)
    footer = ("", "", "Side {page} af {pages}") if len(pages) > 1 else ("", "", "")
    doc = Doc(name, producer, pages, footer=footer, theme="form")
    return doc, new_truth(name, producer, "form_std", p, code, positive=True, traits=traits)


def sc_letter(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A hospital or practice letter: letterhead, recipient, 'Vedr.' line, bold title with the code in small print."""
    s = g.sender(g.weighted((("region", 3), ("gp", 1))))
    p = g.person()
    code = g.form_for(s)
    jc = g.pick(JOBCENTRES)
    d = g.day(1, 6)
    traits = []
    top: list[tuple] = [letterhead(s)]
    where = g.weighted((("vedr", 6), ("box_labelled", 2), ("box_unlabelled", 2)))
    traits.append("cpr_" + where)
    if where == "vedr":
        top.append(recipient(jc))
    else:
        number = fmt_cpr(p.cpr, "dash")
        if where == "box_labelled":
            number = f"{g.pick(('CPR-nr.:', 'Cpr.nr.', 'CPR'))} {number}"
        right = ["Vedrørende:", p.name, number]
        top.append(("lines2", [jc[0], jc[1], jc[2], jc[3]], right))
    top.append(("lines", [f"{s['city']}, {g.fmt_date(d, 'long')}"], "right"))
    if where == "vedr":
        top.append(("p", f"Vedr.: {p.name}, {g.cpr_label()} {fmt_cpr(p.cpr, g.cpr_style())}"))
    else:
        top.append(("p", f"Vedr.: {p.name}"))
    mode = g.weighted((("title_small", 4), ("code_title", 1)))
    traits.append(mode)
    top += title_blocks(g, code, mode)
    asked = g.fmt_date(d - timedelta(days=g.rng.randrange(5, 30)))
    body = [("p", f"Som svar på jeres henvendelse af {asked} fremsendes hermed de ønskede oplysninger.")]
    body += g.sections(code, s)
    n_pages = g.weighted(((1, 4), (2, 4), (3, 1)))
    if n_pages > 1:
        body += more_text(g, s)
    body.append(signature(g, s, d))
    pages = paginate(top + body, n_pages)
    footer = (f"{s['org']} · {s['street']} · {s['town']}", "", "Side {page} af {pages}")
    doc = Doc(name, producer, pages, footer=footer, theme="letter")
    return doc, new_truth(name, producer, "letter_hospital", p, code, positive=True, traits=traits)


def sc_repeated_hf(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Header with the patient's name and CPR and footer with the form code on every page; body without CPR."""
    s = g.sender("region")
    p = g.person()
    code = g.form_for(s)
    spelled = g.spell(code)
    cpr = fmt_cpr(p.cpr, g.pick(("dash", "dash", "space", "plain")))
    header = g.pick(((p.name, "", f"CPR-nr. {cpr}"), (f"Patient: {p.name}", "", f"Cpr.nr.: {cpr}"),
                     (f"{p.name} ({fmt_cpr(p.cpr, 'dash')})", "", s["org"]),
                     (s["org"], "", f"{p.name} · CPR {cpr}")))
    footer = g.pick(((f"{spelled} – {ATTEST[code]}", "", "side {page} af {pages}"),
                     ("", f"{spelled} – side {{page}} af {{pages}}", ""),
                     (s["dept"], "", f"{spelled} · Side {{page}}/{{pages}}")))
    traits = ["cpr_only_in_header", "code_in_footer"]
    blocks: list[tuple] = []
    if g.chance(0.5):
        blocks.append(("title", ATTEST[code], None))
        traits.append("title")
    else:
        blocks.append(("title", "Lægeattest", "Udfyldt på baggrund af journaloplysninger"))
        traits.append("generic_title")
    blocks.append(("kv", [("Afdeling", s["dept"]), ("Ansvarlig læge", s["doctor"]),
                          ("Dato", g.fmt_date(g.day(1, 6), "dot"))]))
    blocks += g.sections(code, s) + more_text(g, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    n_pages = g.pick((2, 2, 3))
    pages = paginate(blocks, n_pages)
    doc = Doc(name, producer, pages, header=header, footer=footer, theme="epj", header_on_first=True)
    return doc, new_truth(name, producer, "repeated_header_footer", p, code, positive=True, traits=traits)


def sc_footer_code_only(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A generic title ('Lægeattest'), the CPR in a table, the form code only in the footer."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s)
    spelled = g.spell(code)
    blocks: list[tuple] = [letterhead(s)] if g.chance(0.5) else []
    blocks.append(("title", g.pick(("Lægeattest", "Lægelige oplysninger", "Attest")), None))
    blocks.append(("kv", patient_rows(g, p)))
    blocks += g.sections(code, s)
    n_pages = g.pick((1, 2, 2))
    if n_pages > 1:
        blocks += more_text(g, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, n_pages)
    footer = g.pick((("", f"Blanket {spelled}", "Side {page} af {pages}"),
                     (f"{spelled} ({ATTEST[code]})", "", "{page}/{pages}"),
                     ("", f"{spelled} – side {{page}} af {{pages}}", "")))
    doc = Doc(name, producer, pages, footer=footer, theme=g.pick(("form", "letter")))
    return doc, new_truth(name, producer, "footer_code_only", p, code, positive=True, traits=["code_in_footer"])


def sc_refs(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A certificate that names other forms with a reference word ('tidligere fremsendt LÆ 265', 'jf. LÆ 121')."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s, REQUEST_OF)
    other = g.pick([c for c in ("265", "125", "105", "285") if c != code])
    req = REQUEST_OF[code]
    d = g.day(10, 60)
    refline = g.pick((f"Svar på anmodning af {g.fmt_date(d, 'dot')} (LÆ {req})",
                      f"Jf. LÆ {req} af {g.fmt_date(d, 'dot')}",
                      f"I henhold til LÆ {req} modtaget {g.fmt_date(d, 'dot')}",
                      f"Jeres anmodning LÆ {req} af {g.fmt_date(d, 'dot')}"))
    bodyref = g.pick((f"Der henvises i øvrigt til tidligere fremsendt LÆ {other} af {g.fmt_date(d - timedelta(90))}.",
                      f"Se også vedlagte LÆ {other}, som er udfyldt samme dag.",
                      f"Oplysningerne i den tidligere fremsendte LÆ {other} er fortsat dækkende.",
                      f"Jf. LÆ {other} af {g.fmt_date(d - timedelta(120))} er der ikke sket ændringer."))
    blocks = title_blocks(g, code, g.pick(("code_title", "titlebar", "title_small")))
    if g.chance(0.5):
        blocks.insert(0, ("p", refline))  # the reference above the title
    else:
        blocks.append(("p", refline))
    blocks.append(("kv", patient_rows(g, p)))
    sections = g.sections(code, s)
    sections.insert(2, ("p", bodyref))
    blocks += sections
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, g.pick((1, 2)))
    doc = Doc(name, producer, pages, footer=("", "", "Side {page} af {pages}"), theme="form")
    return doc, new_truth(name, producer, "refs_with_reference_words", p, code, positive=True,
                          traits=["ref_in_heading", "ref_in_body"], note=f"{refline!r}; {bodyref!r}")


def sc_request_named(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A certificate whose heading names the request it answers in everyday words, without a reference word."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s, REQUEST_OF)
    req = REQUEST_OF[code]
    d = g.fmt_date(g.day(10, 60), "dot")
    line = g.pick((f"Besvarelse af kommunens anmodning LÆ {req} af {d}",
                   f"Anmodning (LÆ {req}) modtaget {d}",
                   f"Svar på anmodning om {ATTEST[code].lower()} (LÆ {req}) af {d}",
                   f"Rekvireret af Jobcenter {g.pick(JOBCENTRES)[0].split()[-1]} på LÆ {req}, {d}",
                   f"Vedr. {REQUEST_TITLE[req].lower()} af {d}"))
    before = g.chance(0.6)
    blocks = title_blocks(g, code, g.pick(("code_title", "titlebar", "title_small")))
    blocks = ([("p", line)] + blocks) if before else (blocks + [("p", line)])
    blocks.append(("kv", patient_rows(g, p)))
    blocks += g.sections(code, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, g.pick((1, 2)))
    doc = Doc(name, producer, pages, theme=g.pick(("form", "letter")))
    trait = "request_line_before_title" if before else "request_line_after_title"
    return doc, new_truth(name, producer, "request_named_in_heading", p, code, positive=True, traits=[trait],
                          note=line)


def sc_number_traps(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A certificate full of numbers that look like CPR numbers and are not."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s)
    others: dict[str, str] = {}
    traits: list[str] = []
    lh = letterhead(s)
    right = list(lh[2])
    kinds = g.rng.sample(("location", "employer", "bank", "journal", "dates", "provider", "relative_named",
                          "phone_datelike"), 4)
    rows = patient_rows(g, p)
    extra_rows: list[tuple[str, str]] = []
    body_extra: list[tuple] = []
    for kind in kinds:
        traits.append(kind)
        if kind == "location":
            tail = g.numbers.date_like()
            others[tail] = "last 10 digits of a 13-digit location number"
            right.append(g.pick(("Lokationsnr. ", "EAN-lokationsnummer ", "EAN ")) + "579" + tail)
        elif kind == "employer":
            pnr = g.numbers.date_like()
            others[pnr] = "P-nummer (10 digits, date-like, mod 11)"
            firm = g.pick(("Nordisk Rengøring ApS", "Vognmand Sørensen A/S", "Café Åen I/S"))
            pnr_label = g.pick(("P-nr.", "P-nummer", "Produktionsenhedsnr."))
            extra_rows.append(("Arbejdsgiver", f"{firm}, CVR-nr. {g.numbers.digits(8)}, {pnr_label} {pnr}"))
        elif kind == "bank":
            konto = g.numbers.date_like()
            others[konto] = "bank account number (date-like)"
            reg = g.numbers.digits(4)
            text = g.pick((f"Reg.nr. {reg} Kontonr. {konto}", f"Reg. {reg} konto {konto}", f"Konto: {reg}-{konto}",
                           f"Reg.- og kontonr.: {reg} {konto}"))
            body_extra += [("h", "Honorar"), ("p", f"Honoraret bedes indbetalt på {text}.")]
        elif kind == "journal":
            jnr = f"27.12.08-G01-{g.rng.randrange(1000, 9999)}-{g.rng.randrange(20, 27)}"
            extra_rows.append((g.pick(("Jeres j.nr.", "Sagsnr.", "Kommunens journalnr.")), jnr))
            extra_rows.append(("Vores ref.", f"{g.rng.randrange(2024, 2027)}-{g.numbers.digits(6)}"))
        elif kind == "dates":
            d = g.day(30, 300)
            seen = (f"{g.fmt_date(d + timedelta(7), 'iso')}, {g.fmt_date(d + timedelta(21), 'dot')} og "
                    f"{g.fmt_date(d + timedelta(35), 'short')}")
            next_visit = g.fmt_date(d + timedelta(70), "long")
            visits = f"Sygemeldt fra {g.fmt_date(d, 'slash')}. Set i ambulatoriet {seen}."
            body_extra.append(("p", f"{visits} Næste kontrol {next_visit} kl. 10.30."))
        elif kind == "provider":
            extra_rows.append(("Ydernummer / SOR", f"{g.numbers.digits(6)} / {g.numbers.digits(15)}"))
        elif kind == "relative_named":
            who = f"{g.pick(('Ægtefælle', 'Mor', 'Søster'))} {g.pick(FIRST)} {g.pick(LAST)}"
            phone = " ".join(g.numbers.digits(2) for _ in range(4))
            extra_rows.append(("Pårørende", f"{who}, tlf. {phone}"))
        elif kind == "phone_datelike":
            phone = g.numbers.date_like()[:8]
            extra_rows.append(("Kontakttelefon", f"{phone[:4]} {phone[4:]}" if g.chance(0.5) else phone))
    blocks: list[tuple] = [("letterhead", lh[1], right)]
    blocks += title_blocks(g, code, g.pick(("code_title", "titlebar", "title_small")))
    blocks.append(("kv", rows + extra_rows))
    blocks += g.sections(code, s) + body_extra
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, g.pick((1, 2)))
    doc = Doc(name, producer, pages, footer=("", "", "Side {page} af {pages}"), theme=g.pick(("form", "letter")))
    t = new_truth(name, producer, "number_traps", p, code, positive=True, traits=traits)
    t.others = others
    return doc, t


def scan_png(lines: list[str], seed: int) -> bytes:
    """A grey 'scan' of a page of text, rendered by Ghostscript from PostScript (no text layer survives)."""
    ps = [PS_PROLOG, "/DKF 11 selectfont"]
    y = 760
    for line in lines:
        ps.append(f"60 {y} moveto {ps_string(line, False)} show")
        y -= 16
    ps.append(f"0.6 setgray 40 {40 + seed % 30} moveto 500 {seed % 20} rlineto 2 setlinewidth stroke showpage")
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "s.ps"), Path(tmp, "s.png")
        src.write_text("\n".join(ps), encoding="latin-1")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray", "-r60",
                        f"-sOutputFile={out}", str(src)], check=True, capture_output=True)
        return out.read_bytes()


def sc_image_page(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A text certificate with a scanned page (image only) appended or prepended."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s)
    blocks = title_blocks(g, code, g.pick(("code_title", "titlebar")))
    blocks.append(("kv", patient_rows(g, p)))
    blocks += g.sections(code, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    scan = scan_png([f"{s['org']}", "Bilag: Epikrise", f"Patient: {p.name}", f"CPR-nr. {fmt_cpr(p.cpr, 'dash')}",
                     "Udskrevet til ambulant opfølgning."], g.rng.randrange(1000))
    first = g.chance(0.3)
    pages = [[("image", scan)], blocks] if first else [blocks, [("image", scan)]]
    doc = Doc(name, producer, pages, theme="form")
    return doc, new_truth(name, producer, "image_page", p, code, positive=True,
                          traits=["scan_first" if first else "scan_last"])


def sc_title_only(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """No form code anywhere: only the printed title names the form (sometimes split over two lines)."""
    s = g.sender()
    p = g.person()
    split = g.chance(0.5)
    code = g.form_for(s, ("265", "285", "135", "145") if split else ("125", "265", "285", "135", "145"))
    title = ATTEST[code]
    traits = ["title_only"]
    if split:  # a narrow title box breaks the title over two lines
        words = title.split()
        if code == "265" and g.chance(0.5):
            title = "Lægeattest til rehabiliterings-\nteam"
            traits.append("title_hyphenated")
        elif code == "285" and g.chance(0.5):
            title = "Attest til sygedagpenge-\nopfølgning"
            traits.append("title_hyphenated")
        else:
            cut = len(words) // 2 or 1
            title = " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
            traits.append("title_split")
    blocks: list[tuple] = [letterhead(s)] if g.chance(0.4) else []
    blocks.append(("title", title.upper() if g.chance(0.2) else title, None))
    blocks.append(("kv", patient_rows(g, p)))
    blocks += g.sections(code, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, paginate(blocks, g.pick((1, 2))), theme=g.pick(("form", "letter")))
    return doc, new_truth(name, producer, "title_only", p, code, positive=True, traits=traits,
                          note="no form code printed: only the title names the form")


def cover_letter_blocks(g: Gen, s: dict, p: Person, code: str, jc: tuple, mention: str) -> list[tuple]:
    d = g.day(1, 5)
    text = {"code": f"Hermed fremsendes {ATTEST[code].lower()} ({'LÆ ' + code}) vedrørende ovennævnte borger.",
            "reference": f"Vedlagt LÆ {code} vedrørende ovennævnte borger.",
            "words": "Hermed fremsendes den ønskede lægeattest vedrørende ovennævnte borger.",
            "title": f"Hermed fremsendes {ATTEST[code].lower()} vedrørende ovennævnte borger."}[mention]
    return [letterhead(s), recipient(jc), ("lines", [f"{s['city']}, {g.fmt_date(d, 'long')}"], "right"),
            ("title", "Følgebrev", None),
            ("p", f"Vedr.: {p.name}, CPR-nr. {fmt_cpr(p.cpr, 'dash')}"),
            ("p", text), ("p", "Spørgsmål kan rettes til afdelingens sekretariat på telefon " + s["phone"] + "."),
            ("sig", ["Med venlig hilsen", "", s["doctor"], s["org"]])]


def sc_cover_page(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Page 1 a cover letter, then the certificate."""
    s = g.sender("region")
    p = g.person()
    code = g.form_for(s)
    jc = g.pick(JOBCENTRES)
    mention = g.pick(("code", "reference", "words", "title"))
    cover = cover_letter_blocks(g, s, p, code, jc, mention)
    att = title_blocks(g, code, g.pick(("code_title", "titlebar", "title_small")))
    att.append(("kv", patient_rows(g, p)))
    att += g.sections(code, s)
    att.append(signature(g, s, g.day(1, 5)))
    pages = [cover] + paginate(att, g.pick((1, 2)))
    doc = Doc(name, producer, pages, footer=("", "", "Side {page} af {pages}"), theme="letter")
    return doc, new_truth(name, producer, "cover_page", p, code, positive=True, traits=["cover_" + mention])


def sc_other_form_in_body(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Code only in the footer; the text names another form (or its title) without a reference word."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s, ("125", "265", "285", "105", "275"))
    other = g.pick([c for c in ("265", "125", "105", "285", "145") if c != code])
    spelled = g.spell(code)
    d = g.fmt_date(g.day(60, 300), "dot")
    variant = g.pick(("code_in_body", "code_in_body", "title_in_heading"))
    blocks: list[tuple] = [("title", "Lægeattest", None)]
    if variant == "title_in_heading":
        blocks.append(("p", f"Opfølgning på {ATTEST[other].lower()} af {d}"))
    blocks.append(("kv", patient_rows(g, p)))
    sections = g.sections(code, s)
    if variant == "code_in_body":
        sections.insert(2, ("p", g.pick((f"Borgeren er tidligere beskrevet i LÆ {other} af {d}.",
                                         f"Oplysningerne supplerer LÆ {other} fra {d}.",
                                         f"Der er samtidig udfyldt LÆ {other} til kommunen."))))
    blocks += sections
    blocks.append(signature(g, s, g.day(1, 5)))
    pages = paginate(blocks, g.pick((1, 2)))
    footer = ("", f"{spelled} – side {{page}} af {{pages}}", "")
    doc = Doc(name, producer, pages, footer=footer, theme="form")
    return doc, new_truth(name, producer, "other_form_named_in_body", p, code, positive=True,
                          traits=["code_in_footer", variant], note=f"other form {other}")


def sc_mulighed_in_285(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A compact LÆ 285 whose first answers mention the employer's mulighedserklæring."""
    s = g.sender("gp")
    p = g.person()
    code = "285"
    blocks = title_blocks(g, code, g.pick(("code_title", "titlebar")))
    blocks.append(("kv", [("Navn", p.name), ("CPR-nr.", fmt_cpr(p.cpr, "dash"))]))
    dated = g.fmt_date(g.day(20, 60), "dot")
    blocks.append(("p", g.pick((f"Der foreligger mulighedserklæring fra arbejdsgiver af {dated}.",
                                "Mulighedserklæring er udfyldt og vedlægges ikke.",
                                "Borgeren har afleveret friattest til arbejdsgiver for de første 14 dage."))))
    blocks += g.sections(code, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, [blocks], theme="form")
    return doc, new_truth(name, producer, "employer_word_in_285", p, code, positive=True,
                          traits=["employer_word_early"])


# ---------------------------------------------------------------- scenarios: traps that must escalate (negatives)


def sc_relative_cpr(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """The patient's and a relative's CPR: two persons, must escalate."""
    s = g.sender()
    p, rel = g.person(), g.person()
    code = g.form_for(s)
    role = g.pick(("Mor", "Far", "Ægtefælle", "Barn", "Samlever"))
    rel_cpr = fmt_cpr(rel.cpr, g.pick(("dash", "dash", "space", "plain")))
    traits = []
    if g.chance(0.3):  # a letter: the patient in a 'Vedrørende' box beside the recipient's address
        jc = g.pick(JOBCENTRES)
        blocks = [letterhead(s), ("lines2", [jc[0], jc[1], jc[2], jc[3]],
                                  ["Vedrørende:", p.name, fmt_cpr(p.cpr, "dash")])]
        blocks += title_blocks(g, code, "title_small")
        rows = [("Dato", g.fmt_date(g.day(1, 6), "dot"))]
        traits.append("patient_in_box_beside_address")
    else:
        blocks = title_blocks(g, code, g.pick(("code_title", "titlebar", "title_small")))
        rows = patient_rows(g, p)
    how = g.pick(("row", "text", "grid"))
    traits.append(how)
    if how == "row":
        rows.append((f"Pårørende ({role.lower()})", f"{rel.name}, {g.cpr_label()} {rel_cpr}"))
        blocks.append(("kv", rows))
    elif how == "grid":
        blocks.append(("kv", rows))
        blocks.append(("grid", [("Pårørende", rel.name, "Relation", role),
                                ("CPR-nr.", rel_cpr, "Tlf.", g.numbers.digits(8))]))
    else:
        blocks.append(("kv", rows))
    sections = g.sections(code, s)
    if how == "text":
        lives_with = f"Borgeren bor sammen med sin {role.lower()}, {rel.name} (cpr.nr. {rel_cpr})"
        sections.insert(2, ("p", f"{lives_with}, som også er i behandling."))
    blocks += sections
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, paginate(blocks, g.pick((1, 2))), theme="form")
    t = new_truth(name, producer, "relative_cpr", p, code, positive=False, expect="ambiguous_cpr", traits=traits)
    t.others = {rel.cpr: f"relative ({role.lower()})"}
    return doc, t


def sc_two_patients(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Two certificates for two citizens scanned/merged into one file."""
    s = g.sender()
    code = g.form_for(s)
    people = [g.person(), g.person()]
    pages = []
    for p in people:
        blocks = title_blocks(g, code, "code_title") + [("kv", patient_rows(g, p))] + g.sections(code, s, 2)
        blocks.append(signature(g, s, g.day(1, 5)))
        pages.append(blocks)
    doc = Doc(name, producer, pages, theme="form")
    t = new_truth(name, producer, "two_patients", None, None, positive=False, expect="ambiguous_cpr")
    t.others = {people[0].cpr: "first patient", people[1].cpr: "second patient"}
    return doc, t


def sc_no_cpr(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Name, birth date and address but no CPR."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s)
    blocks = title_blocks(g, code, g.pick(("code_title", "titlebar")))
    blocks.append(("kv", [("Navn", p.name), ("Født", g.fmt_date(p.born, "dot")),
                          ("Adresse", f"{p.street}, {p.town}")]))
    blocks += g.sections(code, s)
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, [blocks], theme="form")
    t = new_truth(name, producer, "no_cpr", None, code, positive=False, expect="no_cpr")
    return doc, t


def sc_request(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A jobcentre's request (anmodning), sometimes naming the answer form it wants."""
    p = g.person()
    answer = g.pick(list(REQUEST_OF))
    req = REQUEST_OF[answer]
    jc = g.pick(JOBCENTRES)
    d = g.day(3, 40)
    style = g.weighted((("coded", 5), ("letter_names_answer", 2), ("letter_title", 2)))
    left = [jc[0], jc[1], jc[2], jc[3]]
    right = [f"Dato: {g.fmt_date(d, 'dot')}", f"Sagsnr.: 27.12.08-G01-{g.rng.randrange(1000, 9999)}-26",
             f"CVR-nr. {g.numbers.digits(8)}"]
    blocks: list[tuple] = [("letterhead", left, right)]
    if style == "coded":
        blocks.append(("titlebar", REQUEST_TITLE[req], g.spell(req)))
    elif style == "letter_title":
        blocks.append(("title", REQUEST_TITLE[req], None))
    else:
        blocks.append(("title", f"Anmodning om lægeattest – {g.spell(answer)}", None))
    blocks.append(("kv", [("Borgerens navn", p.name), (g.table_cpr_label(), fmt_cpr(p.cpr, "dash")),
                          ("Adresse", f"{p.street}, {p.town}")]))
    deadline = g.fmt_date(d + timedelta(14), "long")
    blocks.append(("p", (f"Jobcentret beder om en {ATTEST[answer].lower()} til brug for sagens videre behandling. "
                         f"Attesten udfyldes på blanket LÆ {answer} og returneres senest {deadline}.")))
    blocks.append(("p", "Honorar afregnes efter overenskomsten. Spørgsmål kan rettes til sagsbehandleren."))
    blocks.append(("sig", ["Med venlig hilsen", "", f"Sagsbehandler {g.pick(FIRST)} {g.pick(LAST)}", jc[0]]))
    doc = Doc(name, producer, [blocks], theme="letter")
    return doc, new_truth(name, producer, "request", p, None, positive=False, expect="not_certificate",
                          traits=[style], note=f"LÆ {req} asking for LÆ {answer}")


def sc_receipt(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A portal's receipt for a posted request or certificate."""
    p = g.person()
    code = g.pick(("121", "261", "281", "125", "265"))
    style = g.weighted((("kvittering", 6), ("bekraeftelse", 2)))
    title = {"kvittering": g.pick(("Kvittering for modtagelse", "Modtagelseskvittering", "KVITTERING")),
             "bekraeftelse": "Bekræftelse på afsendelse"}[style]
    sent = f"Sendt {g.fmt_date(g.day(1, 9), 'dot')} kl. {g.rng.randrange(8, 16)}:{g.rng.randrange(10, 59)}"
    blocks: list[tuple] = [("lines", ["Sikker Post – Regionernes portal", sent], "left"),
                           ("title", title, None),
                           ("kv", [("Dokument", f"LÆ {code} {ATTEST.get(code) or REQUEST_TITLE[code]}"),
                                   ("Vedrørende", f"{p.name}, CPR-nr. {fmt_cpr(p.cpr, 'dash')}"),
                                   ("Modtager", g.pick(JOBCENTRES)[0]), ("Forsendelses-id", g.numbers.digits(12))]),
                           ("p", (f"Din LÆ {code} er afsendt og modtaget af modtagerens system. Denne besked er "
                                  "sendt automatisk og kan ikke besvares."))]
    doc = Doc(name, producer, [blocks], theme="form")
    return doc, new_truth(name, producer, "receipt", p, None, positive=False, expect="not_certificate",
                          traits=[style])


def sc_employer(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """Employer documents: mulighedserklæring, friattest, varighedserklæring (not LÆ forms)."""
    p = g.person()
    kind = g.weighted((("Mulighedserklæring", 5), ("Friattest", 3), ("Varighedserklæring", 1)))
    employer = g.pick(("Nordisk Rengøring ApS", "Vognmand Sørensen A/S", "Café Åen I/S", "Aalborg Tømrerfirma"))
    pnr = g.numbers.date_like()
    blocks: list[tuple] = [("title", kind, "Udfyldes af arbejdsgiver og medarbejder" if kind[0] == "M" else None),
                           ("kv", [("Medarbejderens navn", p.name), ("CPR-nr.", fmt_cpr(p.cpr, "dash")),
                                   ("Arbejdsgiver", employer), ("CVR-nr.", g.numbers.digits(8)), ("P-nr.", pnr)]),
                           ("h", "Del 2 – udfyldes af lægen"),
                           ("p", "Lægen vurderer, at medarbejderen kan genoptage arbejdet delvist med skånehensyn. "
                                 + ("Er der behov for yderligere oplysninger, kan kommunen anmode om LÆ 285."
                                    if g.chance(0.4) else ""))]
    doc = Doc(name, producer, [blocks], theme="form")
    expect = "not_certificate" if kind != "Varighedserklæring" else "not_certificate|no_blanket"
    t = new_truth(name, producer, "employer_document", p, None, positive=False, expect=expect, traits=[kind])
    t.others = {pnr: "P-nummer"}
    return doc, t


def sc_unknown_form(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A form number that is not in the catalogue."""
    s = g.sender()
    p = g.person()
    code = g.pick(("195", "175", "205", "355", "107"))
    blocks: list[tuple] = [("titlebar", g.pick(("Lægeattest vedr. fleksjob", "Attest til brug for boligsag",
                                                 "Lægeerklæring om helbredsforhold")), g.spell(code))]
    blocks.append(("kv", patient_rows(g, p)))
    blocks += g.sections("125", s, 2)
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, [blocks], theme="form")
    return doc, new_truth(name, producer, "unknown_form", p, None, positive=False, expect="unknown_blanket",
                          note=f"LÆ {code}")


def sc_image_only(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A scanned certificate: every page an image, no text layer."""
    s = g.sender()
    p = g.person()
    code = g.form_for(s)
    text = [f"LÆ {code} {ATTEST[code]}", s["org"], f"Navn: {p.name}", f"CPR-nr.: {fmt_cpr(p.cpr, 'dash')}",
            g.text("status", s)[:70]]
    pages = [[("image", scan_png(text, g.rng.randrange(99)))] for _ in range(g.pick((1, 2)))]
    doc = Doc(name, producer, pages, theme="form")
    return doc, new_truth(name, producer, "image_only", p, code, positive=False, expect="no_text_layer")


def sc_no_form_letter(g: Gen, name: str, producer: str) -> tuple[Doc, Truth]:
    """A doctor's letter or journal note with the CPR but no LÆ form (may refer to one)."""
    s = g.sender()
    p = g.person()
    title = g.pick(("Epikrise", "Ambulant notat", "Udskrivningsbrev", "Lægeerklæring", "Journaludskrift"))
    blocks: list[tuple] = [letterhead(s), ("title", title, None),
                           ("p", f"Vedr.: {p.name}, {g.cpr_label()} {fmt_cpr(p.cpr, 'dash')}")]
    blocks += g.sections("105", s)
    if g.chance(0.5):
        blocks.append(("p", f"Der henvises til tidligere fremsendt LÆ {g.pick(('125', '265'))}."))
    blocks.append(signature(g, s, g.day(1, 5)))
    doc = Doc(name, producer, paginate(blocks, g.pick((1, 2))), theme="letter")
    return doc, new_truth(name, producer, "no_form_letter", p, None, positive=False, expect="no_blanket",
                          traits=[title])


def sc_cover_alone(g: Gen, name: str, producer: str, p: Person | None = None,
                   code: str | None = None) -> tuple[Doc, Truth]:
    """A cover letter as its own PDF (the certificate travels as another attachment of the same mail)."""
    s = g.sender("region")
    p = p or g.person()
    code = code or g.form_for(s)
    mention = g.pick(("code", "reference", "words", "title"))
    doc = Doc(name, producer, [cover_letter_blocks(g, s, p, code, g.pick(JOBCENTRES), mention)], theme="letter")
    t = new_truth(name, producer, "cover_letter_alone", p, None, positive=False, expect="no_blanket",
                  traits=["cover_" + mention],
                  debatable="a cover letter is not the form, but it names the certificate it comes with and the same "
                            "citizen; filing it beside that certificate is harmless")
    return doc, t


# name, count, builder, producers
SCENARIOS: tuple[tuple[str, int, Callable[[Gen, str, str], tuple[Doc, Truth]], tuple[str, ...]], ...] = (
    ("form_std", 36, sc_form_std, PRODUCERS),
    ("letter_hospital", 30, sc_letter, PRODUCERS),
    ("repeated_header_footer", 28, sc_repeated_hf, PRODUCERS),
    ("footer_code_only", 14, sc_footer_code_only, PRODUCERS),
    ("refs_with_reference_words", 18, sc_refs, PRODUCERS),
    ("request_named_in_heading", 16, sc_request_named, PRODUCERS),
    ("number_traps", 30, sc_number_traps, PRODUCERS),
    ("image_page", 10, sc_image_page, IMAGE_PRODUCERS),
    ("title_only", 10, sc_title_only, PRODUCERS),
    ("cover_page", 10, sc_cover_page, PRODUCERS),
    ("other_form_named_in_body", 10, sc_other_form_in_body, PRODUCERS),
    ("employer_word_in_285", 5, sc_mulighed_in_285, PRODUCERS),
    ("relative_cpr", 12, sc_relative_cpr, PRODUCERS),
    ("two_patients", 6, sc_two_patients, PRODUCERS),
    ("no_cpr", 6, sc_no_cpr, PRODUCERS),
    ("request", 14, sc_request, PRODUCERS),
    ("receipt", 8, sc_receipt, PRODUCERS),
    ("employer_document", 9, sc_employer, PRODUCERS),
    ("unknown_form", 7, sc_unknown_form, PRODUCERS),
    ("image_only", 6, sc_image_only, IMAGE_PRODUCERS),
    ("no_form_letter", 7, sc_no_form_letter, PRODUCERS),
)
COVER_LETTERS_IN_MAILS = 8


# ---------------------------------------------------------------- HTML (Chromium, WeasyPrint)

THEME_CSS = {
    "form": "body{font-family:'Liberation Sans','DejaVu Sans',sans-serif;font-size:10pt;line-height:1.3}",
    "letter": "body{font-family:'Liberation Serif','DejaVu Serif',serif;font-size:11pt;line-height:1.35}"
              "p{text-align:justify}",
    "epj": "body{font-family:'DejaVu Sans Mono',monospace;font-size:9pt;line-height:1.3}",
}
HTML_CSS = """
@page { size: A4; margin: 24mm 18mm 22mm 20mm; %(boxes)s }
%(first)s
%(theme)s
p { margin: 0 0 6pt 0; hyphens: auto; }
h3 { font-size: 10.5pt; margin: 10pt 0 3pt 0; }
.title { font-size: 17pt; font-weight: bold; margin: 10pt 0 0 0; }
.small { font-size: 7pt; color: #333; margin: 1pt 0 8pt 0; }
table { border-collapse: collapse; width: 100%%; margin: 4pt 0 8pt 0; }
table.kv td, table.grid td { border: 0.6pt solid #555; padding: 2pt 4pt; vertical-align: top; }
table.kv td.l, table.grid td.l { width: 34%%; font-weight: bold; background: #eee; }
table.grid td.l { width: 16%%; }
table.lh td { vertical-align: top; padding: 0; font-size: 8.5pt; }
table.lh td.r { width: 38%%; }
table.lh td.first { font-size: 9pt; }
table.lh b { font-size: 12pt; }
table.tb td { border: 1pt solid #000; padding: 4pt 6pt; }
table.tb td.tt { font-size: 15pt; font-weight: bold; }
table.tb td.code { width: 14mm; text-align: right; font-weight: bold; font-size: 12pt; }
.lines { margin: 6pt 0 8pt 0; }
.right { text-align: right; }
.sig { margin-top: 14pt; }
img.scan { width: 170mm; }
.pb { break-before: page; }
"""


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def css_content(template: str) -> str:
    parts = []
    for part in re.split(r"(\{page\}|\{pages\})", template):
        if part == "{page}":
            parts.append("counter(page)")
        elif part == "{pages}":
            parts.append("counter(pages)")
        elif part:
            parts.append(css_string(part))
    return " ".join(parts)


def h(text: str) -> str:
    return escape(text).replace("|", "&shy;").replace("\n", "<br>")


def html_block(block: tuple) -> str:
    kind = block[0]
    if kind in ("letterhead", "lines2"):
        left = "<br>".join(h(x) for x in block[1])
        if kind == "letterhead" and block[1]:
            left = f"<b>{h(block[1][0])}</b><br>" + "<br>".join(h(x) for x in block[1][1:])
        right = "<br>".join(h(x) for x in block[2])
        return f'<table class="lh"><tr><td class="first">{left}</td><td class="r">{right}</td></tr></table>'
    if kind == "lines":
        return f'<div class="lines {block[2]}">' + "<br>".join(h(x) for x in block[1]) + "</div>"
    if kind == "title":
        small = f'<div class="small">{h(block[2])}</div>' if block[2] else ""
        return f'<div class="title">{h(block[1])}</div>{small}'
    if kind == "titlebar":
        cells = f'<td class="tt">{h(block[1])}</td><td class="code">{h(block[2])}</td>'
        return f'<table class="tb"><tr>{cells}</tr></table>'
    if kind == "h":
        return f"<h3>{h(block[1])}</h3>"
    if kind == "p":
        return f"<p>{h(block[1])}</p>"
    if kind == "small":
        return f'<div class="small">{h(block[1])}</div>'
    if kind == "kv":
        rows = "".join(f'<tr><td class="l">{h(a)}</td><td>{h(b)}</td></tr>' for a, b in block[1])
        return f'<table class="kv">{rows}</table>'
    if kind == "grid":
        rows = "".join("<tr>" + "".join(f'<td class="{"l" if i % 2 == 0 else ""}">{h(c)}</td>'
                                        for i, c in enumerate(r)) + "</tr>" for r in block[1])
        return f'<table class="grid">{rows}</table>'
    if kind == "image":
        return f'<img class="scan" src="data:image/png;base64,{base64.b64encode(block[1]).decode()}">'
    if kind == "sig":
        return '<div class="sig">' + "<br>".join(h(x) if x else "&nbsp;" for x in block[1]) + "</div>"
    raise ValueError(kind)


def render_html(doc: Doc) -> str:
    positions = ("left", "center", "right")
    boxes = []
    for where, texts in (("top", doc.header), ("bottom", doc.footer)):
        for pos, text in zip(positions, texts):
            if text:
                boxes.append(f"@{where}-{pos} {{ content: {css_content(text)}; font-size: 7.5pt; }}")
    first = ""
    if not doc.header_on_first and any(doc.header):
        first = "@page :first { " + " ".join(f"@top-{pos} {{ content: none; }}" for pos in positions) + " }"
    css = HTML_CSS % {"boxes": " ".join(boxes), "first": first, "theme": THEME_CSS[doc.theme]}
    body = '<div class="pb"></div>'.join("".join(html_block(b) for b in page) for page in doc.pages)
    return (f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>{escape(doc.name)}</title>'
            f"<style>{css}</style></head><body>{body}</body></html>")


# ---------------------------------------------------------------- .docx (python-docx, converted by LibreOffice)


def render_docx(doc: Doc) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt

    d = Document()
    section = d.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    normal = d.styles["Normal"]
    normal.font.name = {"form": "Liberation Sans", "letter": "Liberation Serif", "epj": "DejaVu Sans Mono"}[doc.theme]
    normal.font.size = Pt(10 if doc.theme != "epj" else 9)

    def text(value: str) -> str:
        return value.replace("|", "\u00ad")

    def fill(paragraph, template: str) -> None:
        for part in re.split(r"(\{page\}|\{pages\})", template):
            if part in ("{page}", "{pages}"):
                fld = OxmlElement("w:fldSimple")
                fld.set(qn("w:instr"), "PAGE" if part == "{page}" else "NUMPAGES")
                run = OxmlElement("w:r")
                t = OxmlElement("w:t")
                t.text = "1"
                run.append(t)
                fld.append(run)
                paragraph._p.append(fld)
            elif part:
                paragraph.add_run(part)

    def margin_line(paragraph, texts: tuple[str, str, str]) -> None:
        left, centre, right = texts
        fill(paragraph, left)
        paragraph.add_run("\t")
        fill(paragraph, centre)
        paragraph.add_run("\t")
        fill(paragraph, right)
        for run in paragraph.runs:
            run.font.size = Pt(7.5)

    if any(doc.header):
        section.different_first_page_header_footer = not doc.header_on_first
        margin_line(section.header.paragraphs[0], doc.header)
    if any(doc.footer):
        margin_line(section.footer.paragraphs[0], doc.footer)
        if not doc.header_on_first and any(doc.header):
            margin_line(section.first_page_footer.paragraphs[0], doc.footer)

    def para(value: str, *, bold=False, size=None, align=None, space_after=4):
        p = d.add_paragraph()
        for n, line in enumerate(value.split("\n")):
            run = p.add_run(text(line))
            run.bold = bold
            if size:
                run.font.size = Pt(size)
            if n < len(value.split("\n")) - 1:
                run.add_break()
        if align == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif doc.theme == "letter":
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.space_after = Pt(space_after)
        return p

    def cell(c, value: str, bold=False, size=None, align=None):
        c.paragraphs[0].text = ""
        lines = value.split("\n")
        for n, line in enumerate(lines):
            run = c.paragraphs[0].add_run(text(line))
            run.bold = bold
            if size:
                run.font.size = Pt(size)
            if n < len(lines) - 1:
                run.add_break()
        if align == "right":
            c.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT

    for number, page in enumerate(doc.pages):
        if number:
            d.add_page_break()
        for block in page:
            kind = block[0]
            if kind in ("letterhead", "lines2"):
                table = d.add_table(rows=1, cols=2)
                table.autofit = False
                left, right = table.rows[0].cells
                left.width, right.width = Cm(10.5), Cm(6.5)
                cell(left, "\n".join(block[1]), size=9)
                if kind == "letterhead" and left.paragraphs[0].runs:
                    left.paragraphs[0].runs[0].bold = True
                cell(right, "\n".join(block[2]), size=8.5)
            elif kind == "lines":
                para("\n".join(block[1]), align=block[2], space_after=8)
            elif kind == "title":
                para(block[1], bold=True, size=17, space_after=1 if block[2] else 8)
                if block[2]:
                    para(block[2], size=7, space_after=8)
            elif kind == "titlebar":
                table = d.add_table(rows=1, cols=2)
                table.style = "Table Grid"
                table.autofit = False
                a, b = table.rows[0].cells
                a.width, b.width = Cm(14.5), Cm(2.5)
                cell(a, block[1], bold=True, size=15)
                cell(b, block[2], bold=True, size=12, align="right")
            elif kind == "h":
                para(block[1], bold=True, size=10.5, space_after=2)
            elif kind == "p":
                para(block[1])
            elif kind == "small":
                para(block[1], size=7)
            elif kind in ("kv", "grid"):
                cols = 2 if kind == "kv" else 4
                table = d.add_table(rows=len(block[1]), cols=cols)
                table.style = "Table Grid"
                table.autofit = False
                widths = (Cm(5.5), Cm(11.5)) if cols == 2 else (Cm(3), Cm(5.5), Cm(3), Cm(5.5))
                for r, row in enumerate(block[1]):
                    for c, value in enumerate(row):
                        table.rows[r].cells[c].width = widths[c]
                        cell(table.rows[r].cells[c], value, bold=(c % 2 == 0))
                d.add_paragraph().paragraph_format.space_after = Pt(2)
            elif kind == "image":
                d.add_picture(BytesIO(block[1]), width=Cm(16.5))
            elif kind == "sig":
                para("\n".join(x or " " for x in block[1]), space_after=4)
            else:
                raise ValueError(kind)
    out = BytesIO()
    d.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- PostScript (Ghostscript)


def ps_prolog(legacy: bool, family: str = "Helvetica") -> str:
    bold = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[family]
    encoding = "ISOLatin1Encoding" if legacy else "DKEnc"
    return "\n".join((
        "/DKEnc ISOLatin1Encoding 256 array copy def",
        "DKEnc 45 /hyphen put DKEnc 150 /endash put DKEnc 151 /emdash put DKEnc 146 /quoteright put",
        ("/mkfont { /enc exch def findfont dup length dict begin { 1 index /FID ne { def } { pop pop } ifelse }"
         " forall /Encoding enc def currentdict end definefont pop } bind def"),
        f"/DKF /{family} {encoding} mkfont",
        f"/DKB /{bold} {encoding} mkfont",
    ))


PS_PROLOG = ps_prolog(False)


def ps_string(text: str, legacy: bool) -> str:
    out = []
    for ch in text:
        if ch in "()\\":
            out.append("\\" + ch)
        elif ch == "\u00ad" or ch == "|":
            continue
        elif ch in "\u2013\u2014":
            out.append("-" if legacy else ("\\226" if ch == "\u2013" else "\\227"))
        elif ch in "\u2018\u2019":
            out.append("'")
        elif ch in "\u201c\u201d":
            out.append('"')
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        elif ord(ch) < 256:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append("?")
    return "(" + "".join(out) + ")"


PS_CHAR_WIDTH = {"Helvetica": 0.54, "Times-Roman": 0.47, "Courier": 0.6}  # average glyph width per point size


class PsLayout:
    """A small line layout for PostScript pages: wrapping by estimated width, tables, header and footer."""

    W, H = 595, 842
    L, R, TOP, BOTTOM = 62, 533, 770, 74
    def __init__(self, family: str):
        self.char = PS_CHAR_WIDTH[family]
        self.pages: list[list[tuple]] = [[]]
        self.y: float = self.TOP

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return len(text.replace("|", "")) * size * self.char * (1.1 if bold else 1.0)

    def new_page(self) -> None:
        self.pages.append([])
        self.y = float(self.TOP)

    def need(self, height: float) -> None:
        if self.y - height < self.BOTTOM:
            self.new_page()

    def put(self, x: float, y: float, text: str, font: str, size: float, align: str = "left") -> None:
        self.pages[-1].append(("t", x, y, font, size, text, align))

    def rule(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.pages[-1].append(("l", x1, y1, x2, y2))

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current = ""
            for word in paragraph.split(" "):
                parts = word.split("|")
                whole = "".join(parts)
                candidate = (current + " " + whole).strip()
                if self.width(candidate, size, bold) <= width:
                    current = candidate
                    continue
                for k in range(len(parts) - 1, 0, -1):  # hyphenate at the last soft hyphen that fits
                    head = (current + " " + "".join(parts[:k]) + "-").strip()
                    if self.width(head, size, bold) <= width:
                        lines.append(head)
                        current = "".join(parts[k:])
                        break
                else:
                    if current:
                        lines.append(current)
                    current = whole
            lines.append(current)
        return lines

    def text_lines(self, lines: list[str], x: float, size: float, font: str = "DKF", lead: float | None = None,
                   align: str = "left") -> None:
        lead = lead or size * 1.3
        for line in lines:
            self.need(lead)
            self.y -= lead
            self.put(x, self.y, line, font, size, align)

    def block(self, block: tuple) -> None:
        kind = block[0]
        if kind in ("letterhead", "lines2"):
            left, right = block[1], block[2]
            rows = max(len(left), len(right))
            self.need(rows * 11 + 10)
            for i in range(rows):
                self.y -= 11
                if i < len(left):
                    first = kind == "letterhead" and i == 0
                    self.put(self.L, self.y, left[i], "DKB" if first else "DKF", 11 if first else 9)
                if i < len(right):
                    self.put(360, self.y, right[i], "DKF", 8.5)
            self.y -= 12
        elif kind == "lines":
            x, align = (self.R, "right") if block[2] == "right" else (self.L, "left")
            self.text_lines(block[1], x, 10, align=align)
            self.y -= 8
        elif kind == "title":
            self.y -= 8
            self.text_lines(block[1].split("\n"), self.L, 16, "DKB", 19)
            if block[2]:
                self.text_lines([block[2]], self.L, 7, lead=10)
            self.y -= 8
        elif kind == "titlebar":
            code_lines = block[2].split("\n")
            height = max(24, 14 * len(code_lines) + 10)
            self.need(height + 8)
            top = self.y - 4
            self.rule(self.L, top, self.R, top)
            self.rule(self.L, top - height, self.R, top - height)
            self.rule(self.L, top, self.L, top - height)
            self.rule(self.R, top, self.R, top - height)
            self.rule(self.R - 50, top, self.R - 50, top - height)
            self.put(self.L + 6, top - 17, block[1], "DKB", 14)
            for i, line in enumerate(code_lines):
                self.put(self.R - 6, top - 17 - 14 * i, line, "DKB", 12, "right")
            self.y = top - height - 8
        elif kind == "h":
            self.y -= 6
            self.text_lines([block[1]], self.L, 10.5, "DKB")
        elif kind == "p":
            self.text_lines(self.wrap(block[1], 10, self.R - self.L), self.L, 10)
            self.y -= 4
        elif kind == "small":
            self.text_lines([block[1]], self.L, 7)
        elif kind in ("kv", "grid"):
            cols = 2 if kind == "kv" else 4
            widths = [150, self.R - self.L - 150] if cols == 2 else [70, 165, 70, self.R - self.L - 305]
            self.y -= 4
            for row in block[1]:
                wrapped = [self.wrap(value, 9.5, widths[c] - 8, c % 2 == 0) for c, value in enumerate(row)]
                height = max(len(w) for w in wrapped) * 12 + 5
                if self.y - height < self.BOTTOM:
                    self.new_page()
                top = self.y
                x = self.L
                self.rule(self.L, top, self.R, top)
                for c, lines in enumerate(wrapped):
                    for i, line in enumerate(lines):
                        self.put(x + 4, top - 11 - 12 * i, line, "DKB" if c % 2 == 0 else "DKF", 9.5)
                    self.rule(x, top, x, top - height)
                    x += widths[c]
                self.rule(self.R, top, self.R, top - height)
                self.y = top - height
                self.rule(self.L, self.y, self.R, self.y)
            self.y -= 8
        elif kind == "sig":
            self.y -= 10
            self.text_lines([x for x in block[1]], self.L, 10)
        elif kind == "image":
            raise ValueError("the PostScript producer places no images")
        else:
            raise ValueError(kind)


def render_ps(doc: Doc) -> str:
    family = {"form": "Helvetica", "letter": "Times-Roman", "epj": "Courier"}[doc.theme]
    layout = PsLayout(family)
    for number, page in enumerate(doc.pages):
        if number:
            layout.new_page()
        for block in page:
            layout.block(block)
    total = len(layout.pages)
    out = ["%!PS-Adobe-3.0", f"%%Pages: {total}", "%%EndComments", ps_prolog(doc.legacy_ps, family)]
    for number, ops in enumerate(layout.pages, start=1):
        out.append(f"%%Page: {number} {number}")
        margins = []
        if number > 1 or doc.header_on_first:
            margins += [(y, t) for y, t in ((808, doc.header),)]
        margins.append((40, doc.footer))
        for y, texts in margins:
            for x, align, template in zip((layout.L, layout.W / 2, layout.R), ("left", "center", "right"), texts):
                if template:
                    ops.append(("t", x, y, "DKF", 7.5,
                                template.replace("{page}", str(number)).replace("{pages}", str(total)), align))
        for op in ops:
            if op[0] == "l":
                out.append(f"0.5 setlinewidth {op[1]:.1f} {op[2]:.1f} moveto {op[3]:.1f} {op[4]:.1f} lineto stroke")
                continue
            _, x, y, font, size, text, align = op
            s = ps_string(text, doc.legacy_ps)
            out.append(f"/{font} {size} selectfont")
            if align == "left":
                out.append(f"{x:.1f} {y:.1f} moveto {s} show")
            elif align == "right":
                out.append(f"{s} dup stringwidth pop {x:.1f} exch sub {y:.1f} moveto show")
            else:
                out.append(f"{s} dup stringwidth pop 2 div {x:.1f} exch sub {y:.1f} moveto show")
        out.append("showpage")
    out.append("%%EOF")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- groff (ms macros, tbl)


def groff_escape(text: str, soft: bool = True) -> str:
    text = text.replace("\\", "\\e").replace("\u00ad", "")
    text = text.replace("|", "\\%" if soft else "")
    return text


def groff_line(text: str) -> str:
    return "\\&" + groff_escape(text)


def groff_cell(text: str) -> str:
    lines = text.split("\n")
    if len(lines) == 1 and len(text) < 40:
        return groff_escape(text, soft=False)
    return "T{\n" + "\n.br\n".join(groff_line(line) for line in lines) + "\nT}"


def groff_margin(text: str, total: int) -> str:
    return groff_escape(text, soft=False).replace("'", "\u2019").replace("{page}", "%").replace("{pages}", str(total))


def render_groff(doc: Doc) -> str:
    total = len(doc.pages)
    out = [".nr PS 10", ".nr VS 13", ".nr LL 16c", ".nr PO 2.4c", ".nr HM 2c", ".nr FM 2c"]
    for key, value in zip(("LH", "CH", "RH", "LF", "CF", "RF"), (*doc.header, *doc.footer)):
        out.append(f'.ds {key} "{groff_margin(value, total)}')
    if doc.header_on_first and any(doc.header):
        out.append(".P1")
    if doc.theme == "letter":
        out.append(".fam T")
    elif doc.theme == "epj":
        out.append(".fam C")
    else:
        out.append(".fam H")
    out.append(".LP")
    for number, page in enumerate(doc.pages):
        if number:
            out.append(".bp")
        for block in page:
            kind = block[0]
            if kind in ("letterhead", "lines2"):
                rows = max(len(block[1]), len(block[2]))
                out += [".TS", "tab(\t);", "lw(9.5c) l."]
                for i in range(rows):
                    left = block[1][i] if i < len(block[1]) else ""
                    right = block[2][i] if i < len(block[2]) else ""
                    if kind == "letterhead" and i == 0:
                        left = "\\fB" + groff_escape(left, False) + "\\fP"
                    else:
                        left = groff_escape(left, False)
                    out.append(f"{left}\t{groff_escape(right, False)}")
                out += [".TE", ".LP"]
            elif kind == "lines":
                out.append(".LP")
                if block[2] == "right":
                    out.append(f".rj {len(block[1])}")
                for line in block[1]:
                    out += [groff_line(line), ".br"]
            elif kind == "title":
                out += [".LP", ".sp 0.5"]
                for line in block[1].split("\n"):
                    out += ["\\&\\s[16]\\fB" + groff_escape(line, False) + "\\fP\\s[0]", ".br"]
                if block[2]:
                    out += ["\\&\\s[7]" + groff_escape(block[2], False) + "\\s[0]", ".br"]
                out.append(".sp 0.5")
            elif kind == "titlebar":
                out += [".TS", "box tab(\t);", "lw(12.5c) | r."]
                out.append("\\s[14]\\fB" + groff_escape(block[1], False) + "\\fP\\s[0]\t" + groff_cell(block[2]))
                out += [".TE", ".LP"]
            elif kind == "h":
                out += [".SH", groff_line(block[1]), ".LP"]
            elif kind == "p":
                out += [".PP" if doc.theme == "letter" else ".LP", groff_line(block[1])]
            elif kind == "small":
                out += [".LP", "\\&\\s[7]" + groff_escape(block[1], False) + "\\s[0]"]
            elif kind in ("kv", "grid"):
                spec = "lw(4.5c) lw(11c)." if kind == "kv" else "lw(2.4c) lw(5.2c) lw(2.4c) lw(5.2c)."
                out += [".TS", "allbox tab(\t);", spec]
                for row in block[1]:
                    cells = [("\\fB" + groff_escape(c, False) + "\\fP") if i % 2 == 0 and "\n" not in c
                             and len(c) < 40 else groff_cell(c) for i, c in enumerate(row)]
                    out.append("\t".join(cells))
                out += [".TE", ".LP"]
            elif kind == "sig":
                out += [".LP", ".sp"]
                for line in block[1]:
                    out += [groff_line(line) if line else ".sp 0.3", ".br"]
            elif kind == "image":
                raise ValueError("the groff producer places no images")
            else:
                raise ValueError(kind)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- building and rendering the corpus

MAIL_DOCS = 66  # documents moved from pdf/ into mails (8 of them beside a cover letter, 12 two to a mail)
COVER_PAIRS, DOUBLE_MAILS = COVER_LETTERS_IN_MAILS, 6


def build_documents(seed: int) -> list[tuple[Doc, Truth]]:
    g = Gen(seed)
    made: list[tuple[Doc, Truth]] = []
    for index, (scenario, count, builder, producers) in enumerate(SCENARIOS):
        for i in range(count):
            producer = producers[(i + index) % len(producers)]
            stem = f"{len(made) + 1:03d}_{scenario}_{producer}"
            doc, truth = builder(g, stem, producer)
            if producer == "ghostscript" and (i // len(producers)) % 3 == 1:
                doc.legacy_ps = True
                truth.traits.append("ps_isolatin1_minus")
            made.append((doc, truth))
    return made


def place_in_mails(g: Gen, made: list[tuple[Doc, Truth]]) -> list[tuple[str, dict, list[tuple[Doc, Truth, str]]]]:
    """Move some documents into mails and add cover letters; returns (mail stem, headers, [(doc, truth, name)])."""
    rng = random.Random(g.rng.random())
    chosen = rng.sample(range(len(made)), MAIL_DOCS)
    cover_partners = [i for i in chosen if made[i][1].positive][:COVER_PAIRS]
    rest = [i for i in chosen if i not in cover_partners]
    groups: list[list[tuple[Doc, Truth]]] = []
    for n, i in enumerate(cover_partners):
        doc, truth = made[i]
        producer = PRODUCERS[n % len(PRODUCERS)]
        stem = f"{len(made) + n + 1:03d}_cover_letter_alone_{producer}"
        first, _, last = truth.patient_name.partition(" ")
        person = Person(first, last, truth.cpr or "", date(1990, 1, 1), "", "")
        code = (truth.form or "LÆ 125").split()[-1]
        groups.append([(doc, truth), sc_cover_alone(g, stem, producer, person, code)])
    for k in range(DOUBLE_MAILS):
        groups.append([made[rest[2 * k]], made[rest[2 * k + 1]]])
    groups += [[made[i]] for i in rest[2 * DOUBLE_MAILS:]]
    mails = []
    senders = [r["mail"] for r in REGIONS] + [s["mail"] for s in GPS]
    for m, group in enumerate(groups, start=1):
        sender = senders[m % len(senders)]
        jc = JOBCENTRES[m % len(JOBCENTRES)]
        headers = {"from": sender, "to": f"sygedagpenge@{jc[4]}",
                   "subject": rng.choice(("Statusattest", "Sikker mail: Svar på anmodning", "Lægeattest vedr. borger",
                                          "Fremsendelse af attest", "[SIKKER] Attest", "Svar: Anmodning om attest")),
                   "style": rng.choice(("plain", "plain", "plain", "html", "octet", "forward"))}
        attached, names = [], set()
        for doc, truth in group:
            code = truth.form.split()[-1] if truth.form else ""
            name = rng.choice((f"LÆ{code} {truth.patient_name.split(' ')[-1]}.pdf" if code else "Dokument.pdf",
                               f"Attest_{truth.patient_name.replace(' ', '_')}.pdf", "Attest.pdf",
                               f"{doc.name.split('_')[0]}_svar.pdf", "Scan_0001.pdf"))
            if truth.scenario == "cover_letter_alone":
                name = "Følgebrev.pdf"
            while name in names:
                name = name.replace(".pdf", "_2.pdf")
            names.add(name)
            attached.append((doc, truth, name))
        mails.append((f"{m:02d}_{sender.split('@')[1].replace('.', '_')}", headers, attached))
    return mails


def render_all(docs: list[Doc], src: Path, jobs: int) -> None:
    """Every document to src/<name>.pdf with its producer."""
    by: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        by[doc.producer].append(doc)
    profile = Path(tempfile.mkdtemp(prefix="heldout-lo-"))
    lo = None
    if by["lo-docx"]:
        for doc in by["lo-docx"]:
            (src / f"{doc.name}.docx").write_bytes(render_docx(doc))
        lo = subprocess.Popen(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                               "--convert-to", "pdf", "--outdir", str(src),
                               *[str(src / f"{d.name}.docx") for d in by["lo-docx"]]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def chromium(doc: Doc) -> None:
        page = src / f"{doc.name}.html"
        page.write_text(render_html(doc), encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="heldout-chrome-") as home:
            subprocess.run([shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--no-first-run", "--no-pdf-header-footer",
                            f"--user-data-dir={home}", f"--print-to-pdf={src / (doc.name + '.pdf')}",
                            page.as_uri()], check=True, capture_output=True, timeout=120)

    def ghostscript(doc: Doc) -> None:
        source = src / f"{doc.name}.ps"
        source.write_text(render_ps(doc), encoding="latin-1")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                        f"-sOutputFile={src / (doc.name + '.pdf')}", str(source)], check=True, capture_output=True,
                       timeout=120)

    def groff(doc: Doc) -> None:
        source = src / f"{doc.name}.ms"
        source.write_text(render_groff(doc), encoding="utf-8")
        with open(src / f"{doc.name}.pdf", "wb") as pdf:
            subprocess.run(["groff", "-k", "-t", "-ms", "-Tpdf", str(source)], check=True, stdout=pdf,
                           stderr=subprocess.PIPE, timeout=120)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(chromium, by["chromium"]))
        list(pool.map(ghostscript, by["ghostscript"]))
        list(pool.map(groff, by["groff"]))
    if by["weasyprint"]:
        import weasyprint

        for doc in by["weasyprint"]:
            page = src / f"{doc.name}.html"
            page.write_text(render_html(doc), encoding="utf-8")
            weasyprint.HTML(string=page.read_text(encoding="utf-8")).write_pdf(src / f"{doc.name}.pdf")
    if lo is not None:
        lo.wait(timeout=600)
    shutil.rmtree(profile, ignore_errors=True)
    missing = [d.name for d in docs if not (src / f"{d.name}.pdf").is_file() or
               (src / f"{d.name}.pdf").stat().st_size < 200]
    if missing:
        raise RuntimeError(f"{len(missing)} documents were not rendered, e.g. {missing[:5]}")


def write_mail(path: Path, headers: dict, attached: list[tuple[Doc, Truth, str]], src: Path, n: int) -> None:
    when = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(hours=7 * n)
    msg = EmailMessage()
    msg["From"] = headers["from"]
    msg["To"] = headers["to"]
    msg["Subject"] = headers["subject"]
    msg["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Message-ID"] = f"<heldout-{n:03d}@{headers['from'].split('@')[1]}>"
    body = "Hermed fremsendes det ønskede.\n\nMed venlig hilsen\nSekretariatet\n"
    msg.set_content(body)
    if headers["style"] == "html":
        msg.add_alternative(f"<p>{escape(body)}</p>", subtype="html")
    carrier = msg
    if headers["style"] == "forward":
        inner = EmailMessage()
        inner["From"] = headers["from"]
        inner["To"] = "jobcenter.ydelse@" + headers["to"].split("@")[1]
        inner["Subject"] = headers["subject"]
        inner["Date"] = msg["Date"]
        inner.set_content(body)
        carrier = inner
        msg.replace_header("From", "kollega@" + headers["to"].split("@")[1])
        msg.replace_header("Subject", "VS: " + headers["subject"])
    for doc, _truth, name in attached:
        data = (src / f"{doc.name}.pdf").read_bytes()
        subtype = "octet-stream" if headers["style"] == "octet" else "pdf"
        carrier.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    if carrier is not msg:
        msg.add_attachment(carrier)
    path.write_bytes(msg.as_bytes(policy=policy.SMTP))


MARKER = ".heldout-corpus"


def generate(out: Path, seed: int, jobs: int) -> list[Truth]:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"{out} exists and is not a held-out corpus folder; choose another --out")
    for sub in ("pdf", "mail", "src"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    (out / MARKER).write_text("made by bench/heldout.py\n")
    made = build_documents(seed)
    mails = place_in_mails(Gen(seed + 1), made)
    in_mail = {id(doc) for _, _, attached in mails for doc, _, _ in attached}
    docs = [doc for doc, _ in made] + [doc for _, _, attached in mails for doc, t, _ in attached
                                        if t.scenario == "cover_letter_alone"]
    render_all(docs, out / "src", jobs)
    truths: list[Truth] = []
    for doc, truth in made:
        if id(doc) not in in_mail:
            shutil.copyfile(out / "src" / f"{doc.name}.pdf", out / "pdf" / f"{doc.name}.pdf")
            truths.append(truth)
    for n, (stem, headers, attached) in enumerate(mails, start=1):
        write_mail(out / "mail" / f"{stem}.eml", headers, attached, out / "src", n)
        for _doc, truth, name in attached:
            truth.file, truth.attachment = f"mail/{stem}.eml", name
            truth.traits.append(f"mail_{headers['style']}")
            truths.append(truth)
    with open(out / "truth.jsonl", "w", encoding="utf-8") as handle:
        for truth in truths:
            handle.write(json.dumps(asdict(truth), ensure_ascii=False) + "\n")
    return truths


def load_truths(out: Path) -> list[Truth]:
    with open(out / "truth.jsonl", encoding="utf-8") as handle:
        return [Truth(**json.loads(line)) for line in handle if line.strip()]


# ---------------------------------------------------------------- evaluation


def run_robot(robot: Path, out: Path) -> tuple[list[dict], float]:
    started = time.monotonic()
    proc = subprocess.run([str(robot), "extract", "--json", "--reveal-cpr", str(out / "pdf"), str(out / "mail")],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if proc.returncode not in (0,):
        sys.stderr.write(proc.stderr[-2000:])
        raise SystemExit(f"the robot exited with {proc.returncode}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], time.monotonic() - started


def match(truths: list[Truth], records: list[dict], out: Path) -> tuple[list[tuple[Truth, dict | None]], list[dict]]:
    def rel(record: dict) -> str:
        try:
            return Path(record["file"]).resolve().relative_to(out.resolve()).as_posix()
        except ValueError:
            return record["file"]

    pool: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        pool[rel(record)].append(record)
    pairs: list[tuple[Truth, dict | None]] = []
    for truth in truths:
        candidates = pool.get(truth.file, [])
        wanted = unicodedata.normalize("NFC", truth.attachment) if truth.attachment else None
        found = next((r for r in candidates if r.get("attachment") == wanted), None)
        if found is None and candidates and truth.attachment is not None:
            found = next((r for r in candidates if r.get("attachment")), None)
        if found is not None:
            candidates.remove(found)
        pairs.append((truth, found))
    leftover = [r for rs in pool.values() for r in rs]
    return pairs, leftover


def digits_of(value: str | None) -> str | None:
    return value.replace("-", "") if value else None


def is_right(truth: Truth, record: dict | None) -> bool:
    """`ok` with the patient's CPR and the document's form."""
    if record is None:
        return False
    return record["status"] == "ok" and digits_of(record["cpr"]) == truth.cpr and record["blanket"] == truth.form


def is_wrong(truth: Truth, record: dict | None) -> bool:
    """`ok` with a CPR or form that is not the document's: the error that must never happen."""
    return record is not None and record["status"] == "ok" and not is_right(truth, record)


def mentions(record: dict) -> str:
    out = []
    for m in (record.get("evidence") or {}).get("blanket", []):
        flags = ",".join(f for f, on in (("heading", m.get("heading")), ("ref", m.get("reference"))) if on)
        where = f"p{m.get('page')}l{m.get('line')}" if m.get("page") else (m.get("field") or "")
        out.append(f"{m.get('code')}@{where}" + (f"[{flags}]" if flags else ""))
    return " ".join(out) or "none"


def cause_of(truth: Truth, record: dict | None) -> str:
    if record is None:
        return "no record from the robot"
    status = record["status"]
    evidence = record.get("evidence") or {}
    if status == "ok":
        wrong = [what for what, bad in (("CPR", digits_of(record["cpr"]) != truth.cpr),
                                        ("form", record["blanket"] != truth.form)) if bad]
        return f"ok with a wrong {' and '.join(wrong)} (rule: {evidence.get('form_rule')})"
    if status in ("no_cpr", "ambiguous_cpr", "invalid_cpr"):
        parts: list[str] = []
        candidates = evidence.get("cpr", [])
        own = [c for c in candidates if digits_of(c["value"]) == truth.cpr]
        if truth.cpr and not any(c["verdict"] == "accepted" for c in own):
            parts.append("patient's CPR not a candidate" if not own else
                         f"patient's CPR {own[0]['verdict']}: {own[0]['why']}")
        for c in candidates:
            number = digits_of(c["value"])
            if number != truth.cpr and c["verdict"] in ("accepted", "doubtful", "invalid"):
                role = truth.others.get(number or "", "an unlisted number")
                parts.append(f"{role} {c['verdict']}: {c['why']}")
        return f"{status}: " + "; ".join(dict.fromkeys(parts))
    rule = evidence.get("form_rule") or record.get("detail") or ""
    rule = re.sub(r"\('.*?'\)|\(\".*?\"\)", "(…)", rule)
    return f"{status}: {rule}"


def group_key(cause: str) -> str:
    return re.sub(r"\b\d{3}\b", "nnn", cause)


def why_wrong(truth: Truth, record: dict, reveal: bool) -> str:
    reasons = []
    got = digits_of(record["cpr"])
    if got != truth.cpr:
        role = truth.others.get(got or "", "not a person in the ground truth")
        reasons.append(f"CPR {mask(got, reveal)} is the {role}; expected {mask(truth.cpr, reveal)}")
    if record["blanket"] != truth.form:
        rule = (record.get("evidence") or {}).get("form_rule")
        reasons.append(f"form {record['blanket']} but the document is "
                       f"{truth.form or 'no certificate (' + truth.scenario + ')'}; rule: {rule}")
    return "; ".join(reasons)


def describe(truth: Truth, record: dict | None, reveal: bool) -> str:
    where = truth.file + (f" [{truth.attachment}]" if truth.attachment else "")
    got = "no record" if record is None else (
        f"{record['status']} cpr={mask(digits_of(record['cpr']), reveal)} blanket={record['blanket']} "
        f"detail={record.get('detail')!r} mentions={mentions(record)}")
    return (f"    {where}\n      {truth.scenario} / {truth.producer} / {', '.join(truth.traits) or '-'}\n"
            f"      expected {truth.expect} cpr={mask(truth.cpr, reveal)} form={truth.form}"
            + (f"  ({truth.note})" if truth.note else "") + f"\n      got {got}")


def evaluate(truths: list[Truth], records: list[dict], out: Path, reveal: bool, seconds: float) -> int:
    pairs, leftover = match(truths, records, out)
    positives = [(t, r) for t, r in pairs if t.positive]
    right = [(t, r) for t, r in positives if is_right(t, r)]
    wrong = [(t, r) for t, r in pairs if r is not None and is_wrong(t, r) and not t.debatable]
    debatable_wrong = [(t, r) for t, r in pairs if r is not None and is_wrong(t, r) and t.debatable]
    misses = [(t, r) for t, r in positives if not is_right(t, r)]
    recall = len(right) / len(positives) if positives else 0.0
    mails = {t.file for t in truths if t.attachment is not None}

    print(f"Held-out corpus {out}: {len(truths)} documents ({sum(1 for t in truths if t.attachment is None)} bare "
          f"PDFs, {sum(1 for t in truths if t.attachment is not None)} attached to {len(mails)} mails); robot ran "
          f"{seconds:.1f} s")
    print("  by producer: " + ", ".join(f"{p} {n}" for p, n in sorted(Counter(t.producer for t in truths).items())))
    print()
    print(f"WRONG (ok with a wrong CPR or form): {len(wrong)}")
    for truth, record in wrong:
        print(describe(truth, record, reveal))
        print(f"      WHY: {why_wrong(truth, record, reveal)}")
    if debatable_wrong:
        print(f"\nDebatable (ok where the ground truth says otherwise, judgement call): {len(debatable_wrong)}")
        for truth, record in debatable_wrong:
            print(describe(truth, record, reveal))
            print(f"      WHY: {why_wrong(truth, record, reveal)}\n      DEBATABLE: {truth.debatable}")
    print()
    print(f"RECALL: {len(right)}/{len(positives)} = {recall:.1%} of documents with one patient CPR and one known "
          f"attest form come out ok with both right (target {RECALL_TARGET:.0%})")
    for label, key in (("producer", lambda t: t.producer), ("scenario", lambda t: t.scenario)):
        totals = Counter(key(t) for t, _ in positives)
        hits = Counter(key(t) for t, _ in right)
        print(f"  by {label}: " + ", ".join(f"{k} {hits[k]}/{n}" for k, n in sorted(totals.items())))
    missed_traits = Counter(trait for t, _ in misses for trait in t.traits if not trait.startswith("mail_"))
    for trait, n in missed_traits.most_common(6):
        rest = [(t, r) for t, r in positives if trait not in t.traits]
        print(f"  trait {trait}: {n} of the misses; recall without the "
              f"{len(positives) - len(rest)} documents that have it: "
              f"{sum(1 for t, r in rest if is_right(t, r)) / max(1, len(rest)):.1%}")
    print()
    groups: dict[str, list[tuple[Truth, dict | None]]] = defaultdict(list)
    for truth, maybe in misses:
        groups[group_key(cause_of(truth, maybe))].append((truth, maybe))
    print(f"MISSES ({len(misses)}), grouped by cause:")
    for cause, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"\n  [{len(members)}] {cause}")
        for truth, maybe in members:
            print(describe(truth, maybe, reveal))
    print()
    negatives = [(t, r) for t, r in pairs if not t.positive]
    table = Counter((t.scenario, t.expect, (r["status"] if r else "no record") +
                     (" (wrong)" if is_wrong(t, r) else " (values right)" if is_right(t, r) else ""))
                    for t, r in negatives)
    print(f"Documents that must escalate ({len(negatives)}): scenario, expected -> got")
    for (scenario, expect, got), n in sorted(table.items()):
        flag = "" if got in expect.split("|") else ("  <- WRONG" if "(wrong)" in got else "  (other reason)")
        print(f"  {scenario:<26} {expect:<28} -> {got:<18} {n}{flag}")
    if leftover:
        print(f"\nRecords not matched to a document ({len(leftover)}):")
        for extra in leftover:
            print(f"    {extra['file']} [{extra.get('attachment')}] {extra['status']} {extra.get('detail')}")
    with open(out / "results.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"truth": asdict(t), "record": r, "right": is_right(t, r), "wrong": is_wrong(t, r),
                                     "cause": cause_of(t, r)}, ensure_ascii=False) + "\n" for t, r in pairs)
    passed = not wrong and recall >= RECALL_TARGET
    print(f"\n{'PASS' if passed else 'FAIL'}: wrong={len(wrong)} (must be 0), recall={recall:.1%} "
          f"(target >= {RECALL_TARGET:.0%}); debatable={len(debatable_wrong)}; details in {out / 'results.jsonl'}")
    return 0 if passed else 1


def check_producers() -> list[str]:
    missing = [tool for tool in ("chromium", "gs", "groff", "soffice") if shutil.which(tool) is None]
    for module in ("weasyprint", "docx"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"corpus folder (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--robot", type=Path, default=DEFAULT_ROBOT, help="the lae-robot command")
    parser.add_argument("--jobs", type=int, default=2, help="parallel producer processes")
    parser.add_argument("--evaluate-only", action="store_true", help="score an existing corpus")
    parser.add_argument("--generate-only", action="store_true", help="make the corpus, do not run the robot")
    parser.add_argument("--reveal-cpr", action="store_true", help="print full (fictitious) CPR numbers")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if args.evaluate_only:
        truths = load_truths(out)
    else:
        missing = check_producers()
        if missing:
            print("missing producers: " + ", ".join(missing) + " (see the module docstring)", file=sys.stderr)
            return 2
        started = time.monotonic()
        truths = generate(out, args.seed, args.jobs)
        print(f"generated {len(truths)} documents in {out} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.generate_only:
        return 0
    if not args.robot.exists():
        print(f"no robot at {args.robot} (run `make run` first, or pass --robot)", file=sys.stderr)
        return 2
    records, seconds = run_robot(args.robot, out)
    return evaluate(truths, records, out, args.reveal_cpr, seconds)


if __name__ == "__main__":
    sys.exit(main())
