#!/usr/bin/env python3
"""Deterministic generator of sample LÆ documents and mails for the lae-robot.

Run from the repository root (paths are taken relative to this file)::

    .venv/bin/python samples/generate.py

It deletes and rewrites

* ``samples/pdf/*.pdf``     bare PDFs: certificates, requests, receipts and traps,
* ``samples/mail/*.eml``    mails as a jobcentre's mailbox receives them,
* ``samples/expected.jsonl`` the ground truth, one JSON object per document,
* ``samples/README.md``      a table of every sample, its trap and its expected outcome.

Everything is fictitious: people, CPR numbers, addresses, clinics, wards,
doctors and case numbers are made up (the regions and towns are real). The
CPR numbers have valid dates and century digits, and most pass modulus 11.

Three real PDF producers are used, spread over the forms:

* reportlab (``invariant=1``: fixed dates and document id),
* fpdf2 (fixed creation date, DejaVuSans TTF embedded so æøå are real Unicode),
* LibreOffice (a flat ODT ``.fodt`` written here and converted with
  ``soffice --headless --convert-to pdf``).

Besides these, special PDFs are made from raw PDF objects (an AcroForm whose
CPR and form code live only in field values), with reportlab's acroForm, with
Pillow + reportlab (an image-only scan), with pypdf's encryption and by
truncating a PDF.

Determinism: one ``random.Random(SEED)`` drives every choice; reportlab runs
invariant, fpdf2 with a fixed creation date, pypdf's encryption with salts and
file ids drawn from a seeded generator (``secrets.token_bytes`` is patched
while encrypting), the zip has fixed timestamps, and mails have fixed Date,
Message-ID and MIME boundaries, so those files are byte-identical between runs.
LibreOffice output carries its own timestamp (acceptable): soffice stamps the
conversion time as CreationDate plus a fresh trailer /ID and /DocChecksum, and
that cannot be switched off from the command line. To keep reruns from
churning the tree, the generator overwrites exactly those stamps with fixed
values of the same length (offsets and xref stay valid; see
``normalise_libreoffice``). With that, reruns on the same LibreOffice version
came out byte-identical in our tests, but this is not guaranteed: once we saw
a font-subset stream come out different, and another version may stamp other
things. Text and layout are stable. No mail embeds a LibreOffice PDF, so every
``.eml`` file is byte-stable regardless.

Ground truth in ``expected.jsonl`` comes from this generator's own data (whose
CPR was printed where, which form a document is, what makes it unreadable),
never from running an extractor. Outcome rules, in order of precedence:

1. PDF read failures (``pdf_encrypted``, ``no_text_layer``, ``pdf_unreadable``):
   cpr, blanket and kind are null (nothing can be read by the robot).
2. ``not_certificate`` for kind anmodning/kvittering/andet; cpr is filled when
   the document names exactly one person, blanket is the request's own form
   (an anmodning) or null (kvittering, mulighedserklæring).
3. CPR reasons: ``ambiguous_cpr`` (more than one distinct person's CPR),
   ``no_cpr``, ``invalid_cpr`` (only CPR-labelled numbers with impossible
   dates); cpr is null, blanket/kind are filled.
4. Form reasons: ``unknown_blanket`` (code not in rules/blankets.toml),
   ``no_blanket``; blanket and kind are null, cpr is filled.
5. Otherwise ``ok``.

Numbers that merely look like a CPR (phone, CVR, P-nummer, location numbers,
bank accounts, journal and case numbers, dates, provider numbers) never count.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PDF_DIR = HERE / "pdf"
MAIL_DIR = HERE / "mail"
EXPECTED = HERE / "expected.jsonl"
README = HERE / "README.md"
CATALOGUE_FILE = REPO / "rules" / "blankets.toml"

SEED = 20250304
CET = timezone(timedelta(hours=1))
FIXED_DT = datetime(2025, 3, 4, 9, 0, 0, tzinfo=CET)
TODAY = date(2025, 3, 4)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# The mail policy: CRLF like SMTP, and headers we set as raw strings are kept
# exactly as written (no re-folding into RFC 2231).
MAIL_POLICY = email_policy.SMTP.clone(refold_source="none")

rng = random.Random(SEED)


# ====================================================================== catalogue


def load_catalogue() -> dict[str, dict]:
    with open(CATALOGUE_FILE, "rb") as fh:
        data = tomllib.load(fh)
    return {b["code"]: b for b in data["blanket"]}


CATALOGUE = load_catalogue()


# ====================================================================== CPR

WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
USED_NUMBERS: set[str] = set()


def century(yy: int, d7: int) -> int | None:
    """The century a CPR's 7th digit gives for two-digit year yy (DOMAIN.md table)."""
    if d7 <= 3:
        return 1900
    if d7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    if yy <= 36:
        return 2000
    if yy >= 58:
        return 1800
    return None  # 37-57 with 5-8: not issued


def mod11_ok(digits: str) -> bool:
    return sum(int(c) * w for c, w in zip(digits, WEIGHTS, strict=True)) % 11 == 0


def cpr_birth_date(digits: str) -> date | None:
    """The birth date a 10-digit CPR-shaped number encodes, or None when impossible."""
    dd, mm, yy, d7 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    c = century(yy, d7)
    if c is None:
        return None
    try:
        return date(c + yy, mm, dd)
    except ValueError:
        return None


def make_cpr(born: date, *, mod11: bool = True, sevens: tuple[int, ...] | None = None) -> str:
    """A fictitious CPR for birth date `born`: right century digit (optionally from `sevens`), mod 11 as asked."""
    yy = born.year % 100
    sevens = [d for d in (sevens or range(10)) if century(yy, d) == born.year - yy]
    if not sevens:
        raise ValueError(f"no century digit for {born}")
    while True:
        head = f"{born:%d%m}{yy:02d}{rng.choice(sevens)}{rng.randrange(10)}{rng.randrange(10)}"
        s = sum(int(c) * w for c, w in zip(head, WEIGHTS[:9], strict=True))
        if mod11:
            last = (-s) % 11
            if last == 10:
                continue
        else:
            last = rng.choice([x for x in range(10) if (s + x) % 11 != 0])
        number = head + str(last)
        assert (mod11_ok(number) == mod11) and cpr_birth_date(number) == born
        if number not in USED_NUMBERS:
            USED_NUMBERS.add(number)
            return number


def date_like_number(first_day_digit: int | None = None, *, mod11: bool = True) -> str:
    """A 10-digit number that is NOT anyone's CPR but would pass as one (valid date, mod 11)."""
    while True:
        day = rng.randrange(10, 20) if first_day_digit == 1 else rng.randrange(1, 29)
        born = date(rng.randrange(1935, 2000), rng.randrange(1, 13), day)
        number = make_cpr(born, mod11=mod11)
        if first_day_digit is None or number[0] == str(first_day_digit):
            return number


def fmt_cpr(digits: str, style: str = "dash") -> str:
    if style == "dash":
        return f"{digits[:6]}-{digits[6:]}"
    if style == "space":
        return f"{digits[:6]} {digits[6:]}"
    return digits


def mask_cpr(digits: str | None) -> str:
    return "" if not digits else f"{digits[:6]}-xxxx"


def random_birth(lo: int = 1962, hi: int = 2001) -> date:
    return date(lo, 1, 1) + timedelta(days=rng.randrange((date(hi, 12, 31) - date(lo, 1, 1)).days))


# ====================================================================== people and places

FEMALE = [
    "Mette",
    "Anne",
    "Kirsten",
    "Hanne",
    "Susanne",
    "Lene",
    "Camilla",
    "Signe",
    "Ida",
    "Line",
    "Maja",
    "Sofie",
    "Birgitte",
    "Tove",
    "Nadia",
    "Fatima",
    "Julie",
    "Louise",
    "Pernille",
    "Rikke",
    "Åse",
    "Gitte",
    "Dorthe",
    "Malene",
]
MALE = [
    "Jens",
    "Søren",
    "Lars",
    "Peter",
    "Mads",
    "Rasmus",
    "Frederik",
    "Morten",
    "Henrik",
    "Thomas",
    "Niels",
    "Bjørn",
    "Jørgen",
    "Ahmed",
    "Kasper",
    "Mikkel",
    "Anders",
    "Ole",
    "Kim",
    "Torben",
    "Aage",
    "Jesper",
    "Brian",
    "Kenneth",
]
MIDDLE = ["Lund", "Bach", "Krogh", "Friis", "Vestergaard", "Dam", "Munk", "Bøgh", "Holst", "Kjær"]
LAST = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Østergaard",
    "Bæk",
    "Aagaard",
    "Frandsen",
    "Holm",
    "Skovgaard",
    "Dahl",
    "Lauridsen",
    "Bertelsen",
    "Søgaard",
    "Kaya",
    "Hussein",
    "Ærenlund",
]
STREETS = [
    "Vestergade",
    "Søndergade",
    "Nørregade",
    "Østergade",
    "Bøgevej",
    "Egevej",
    "Skovbrynet",
    "Åbyvej",
    "Kærvej",
    "Mølleløkken",
    "Æblehaven",
    "Ryesgade",
    "Fredensgade",
    "Kirkestræde",
    "Strandvejen",
    "Lærkevej",
    "Fasanvej",
    "Engtoften",
    "Højvangen",
    "Tøndervej",
    "Græsholmen",
    "Hyldebærvej",
    "Præstevænget",
]
TOWNS = {
    "N": [
        "9000 Aalborg",
        "9400 Nørresundby",
        "9800 Hjørring",
        "9900 Frederikshavn",
        "9700 Brønderslev",
        "9200 Aalborg SV",
    ],
    "H": [
        "2100 København Ø",
        "2200 København N",
        "2400 København NV",
        "2610 Rødovre",
        "3400 Hillerød",
        "2750 Ballerup",
    ],
    "S": ["5000 Odense C", "6700 Esbjerg", "7100 Vejle", "6000 Kolding", "5700 Svendborg", "6200 Aabenraa"],
    "M": ["8000 Aarhus C", "8800 Viborg", "8600 Silkeborg", "7400 Herning", "8900 Randers C", "8700 Horsens"],
    "Z": ["4000 Roskilde", "4700 Næstved", "4200 Slagelse", "4600 Køge", "4800 Nykøbing F", "4300 Holbæk"],
}
USED_NAMES: set[str] = set()


@dataclass
class Person:
    first: str
    middle: str | None
    last: str
    female: bool
    street: str
    town: str
    born: date
    cpr: str

    @property
    def name(self) -> str:
        return " ".join(x for x in (self.first, self.middle, self.last) if x)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.town}"

    @property
    def pron(self) -> dict[str, str]:
        if self.female:
            p = {"han": "hun", "ham": "hende", "hans": "hendes"}
        else:
            p = {"han": "han", "ham": "ham", "hans": "hans"}
        p.update({k.capitalize(): v.capitalize() for k, v in p.items()})
        p["navn"] = self.first
        return p


def make_person(
    region: str, *, born: date | None = None, cpr: str | None = None, mod11: bool = True, female: bool | None = None
) -> Person:
    while True:
        fem = rng.random() < 0.55 if female is None else female
        first = rng.choice(FEMALE if fem else MALE)
        middle = rng.choice(MIDDLE) if rng.random() < 0.3 else None
        last = rng.choice(LAST)
        full = " ".join(x for x in (first, middle, last) if x)
        if full not in USED_NAMES:
            USED_NAMES.add(full)
            break
    suffix = rng.choice(["", "", ", 1. tv.", ", 2. th.", ", st. th.", "B", ", 3. mf."])
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 140)}{suffix}"
    born = born or random_birth()
    return Person(first, middle, last, fem, street, rng.choice(TOWNS[region]), born, cpr or make_cpr(born, mod11=mod11))


@dataclass(frozen=True)
class Sender:
    key: str
    region: str
    org: str  # region or clinic name
    unit: str  # ward or practice
    address: str
    phone: str
    doctor: str
    title: str
    mail: str


SENDERS = {
    s.key: s
    for s in [
        Sender(
            "rn",
            "N",
            "Region Nordjylland",
            "Psykiatrien, Ambulatorium for Affektive Lidelser, Afsnit A3",
            "Brøndlundvej 14, 9000 Aalborg",
            "97 64 21 30",
            "Birgitte Aagaard Lund",
            "Overlæge",
            "psykiatri.attester@rn.dk",
        ),
        Sender(
            "rn2",
            "N",
            "Region Nordjylland",
            "Psykiatrien, Distriktspsykiatrien Hjørring, Team Vest",
            "Kirkefennevej 7, 9800 Hjørring",
            "97 64 88 15",
            "Ulrik Steen Mølgaard",
            "Afdelingslæge",
            "psykiatri.attester@rn.dk",
        ),
        Sender(
            "regionh",
            "H",
            "Region Hovedstaden",
            "Psykiatrisk Center Nordhavn, Distriktspsykiatrien Østerbro",
            "Strandboulevarden 201, 2100 København Ø",
            "38 64 77 10",
            "Jonas Kjærgaard",
            "Afdelingslæge",
            "attester.psykiatri@regionh.dk",
        ),
        Sender(
            "rsyd",
            "S",
            "Region Syddanmark",
            "Psykiatrisk Afdeling Esbjerg, Ambulant Team Vest",
            "Gl. Skolevej 110, 6700 Esbjerg",
            "79 18 42 00",
            "Hanne Skovgaard Bech",
            "Overlæge",
            "psykiatrien.attester@rsyd.dk",
        ),
        Sender(
            "rm",
            "M",
            "Region Midtjylland",
            "Regionspsykiatrien Midt, Ambulatorium for Psykoser, Viborg",
            "Hedebrinken 4, 8800 Viborg",
            "78 47 61 00",
            "Ahmad Rahimi",
            "Afdelingslæge",
            "attester@ps.rm.dk",
        ),
        Sender(
            "rmkf",
            "M",
            "Region Midtjylland",
            "Klinisk Funktion, Regionshospitalet Silkeborg",
            "Lyngbakken 12, 8600 Silkeborg",
            "78 41 50 70",
            "Inger Marie Brix",
            "Overlæge",
            "kliniskfunktion@rm.dk",
        ),
        Sender(
            "rmsyg",
            "M",
            "Region Midtjylland",
            "Regionshospitalet Randers, Ortopædkirurgisk Afdeling",
            "Skovlyvej 25, 8930 Randers NØ",
            "78 42 33 10",
            "Kristian Ravn",
            "Overlæge",
            "journal.ortopaedi@rm.dk",
        ),
        Sender(
            "sj",
            "Z",
            "Region Sjælland",
            "Psykiatrien Region Sjælland, Distriktspsykiatrien Næstved",
            "Ringstedvej 61, 4700 Næstved",
            "56 31 42 90",
            "Camilla Frost",
            "Overlæge",
            "psykiatri.attester@regionsjaelland.dk",
        ),
        Sender(
            "gp_hj",
            "N",
            "Lægerne Vestergade",
            "Praktiserende læger",
            "Vestergade 21, 9800 Hjørring",
            "98 92 11 40",
            "Morten Bach",
            "Praktiserende læge",
            "laegerne.vestergade@dadlnet.dk",
        ),
        Sender(
            "gp_od",
            "S",
            "Lægehuset Bøgely",
            "Praktiserende læger",
            "Bøgely 3, 5250 Odense SV",
            "66 17 24 24",
            "Sara Lindholm",
            "Praktiserende læge",
            "laegehuset.bogely@dadlnet.dk",
        ),
        Sender(
            "gp_aa",
            "M",
            "Lægeklinikken Åboulevarden",
            "Praktiserende læger",
            "Åboulevarden 44, 8000 Aarhus C",
            "86 12 90 33",
            "Peter Holst Frederiksen",
            "Praktiserende læge",
            "klinik.aaboulevarden@dadlnet.dk",
        ),
        Sender(
            "gp_kbh",
            "H",
            "Lægerne på Nørrebrogade",
            "Praktiserende læger",
            "Nørrebrogade 190, 2200 København N",
            "35 85 44 10",
            "Yasmin Haddad",
            "Praktiserende læge",
            "laegerne.noerrebro@dadlnet.dk",
        ),
        Sender(
            "spec",
            "Z",
            "Speciallæge i psykiatri Karen Winther",
            "Klinik for Psykiatri",
            "Jernbanegade 7, 4000 Roskilde",
            "46 35 12 70",
            "Karen Winther",
            "Speciallæge i psykiatri",
            "klinik.winther@dadlnet.dk",
        ),
        Sender(
            "lookalike",
            "N",
            "Region Nordjylland",
            "Psykiatrien, Ambulatorium for Affektive Lidelser, Afsnit A3",
            "Brøndlundvej 14, 9000 Aalborg",
            "97 64 21 30",
            "Birgitte Aagaard Lund",
            "Overlæge",
            "psykiatri.attester@rn-dk.com",
        ),
    ]
}


@dataclass(frozen=True)
class Jobcenter:
    name: str
    unit: str
    address: str
    caseworker: str
    phone: str
    mail: str


JOBCENTRE = {
    "N": Jobcenter(
        "Jobcenter Aalborg",
        "Sygedagpengeafdelingen",
        "Boulevarden 13, 9000 Aalborg",
        "Lone Holm Riis",
        "99 31 22 45",
        "jobcenter.attester@aalborg.dk",
    ),
    "H": Jobcenter(
        "Jobcenter København",
        "Jobcenter Nørrebro, Team Sundhed",
        "Bispebjerg Bakke 20, 2400 København NV",
        "Ditte Marie Schou",
        "33 66 91 20",
        "jobcenter.attester@kk.dk",
    ),
    "S": Jobcenter(
        "Jobcenter Odense",
        "Ressourceforløb og Jobafklaring",
        "Østre Stationsvej 15, 5000 Odense C",
        "Michael Tang",
        "65 51 10 88",
        "jobcenter.attester@odense.dk",
    ),
    "M": Jobcenter(
        "Jobcenter Viborg",
        "Sygedagpenge og Fleksjob",
        "Prinsens Allé 5, 8800 Viborg",
        "Hans Henrik Vinther",
        "87 87 51 21",
        "jobcenter.attester@viborg.dk",
    ),
    "Z": Jobcenter(
        "Jobcenter Næstved",
        "Rehabilitering og Sundhed",
        "Kompagnistræde 2, 4700 Næstved",
        "Annette Brix Mogensen",
        "55 88 40 07",
        "jobcenter.attester@naestved.dk",
    ),
}


def ddmmyyyy(d: date) -> str:
    return f"{d:%d.%m.%Y}"


MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]


def long_date(d: date) -> str:
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


# ====================================================================== clinical texts

SCENARIOS = [
    dict(
        key="depression",
        dx="Moderat depressiv enkeltepisode",
        icd="DF32.1",
        anamnese="{navn} blev henvist af egen læge i {start} på grund af tiltagende nedtrykthed, søvnforstyrrelser og "
        "koncentrationsbesvær gennem cirka et halvt år. Symptomerne debuterede i forbindelse med en "
        "omstrukturering på arbejdspladsen og et samlivsophør. {Han} har ingen tidligere psykiatriske kontakter "
        "og intet misbrug.",
        fund="Ved seneste samtale fremtrådte {navn} velsoigneret, men let psykomotorisk hæmmet med sænket "
        "stemningsleje og affladet affekt. Der var ingen psykotiske symptomer, og {han} afkræftede aktuelle "
        "selvmordstanker. HAM-D6 var 11 point mod 14 point ved behandlingsstart.",
        behandling="{Han} er i behandling med sertralin, aktuelt 100 mg dagligt, og har gennemført et gruppeforløb med "
        "kognitiv adfærdsterapi over 12 sessioner. Der er fortsat samtaler hver tredje uge hos sygeplejerske "
        "og lægelig opfølgning hver anden måned.",
        prognose="Prognosen vurderes som god, idet der ses gradvis bedring. Det forventes, at {navn} inden for 3–6 "
        "måneder kan påbegynde en gradvis tilbagevenden til arbejdsmarkedet, i begyndelsen med få timer.",
        funktion="{navn} beskriver nedsat udholdenhed og hukommelse. {Han} kan overskue daglige gøremål i hjemmet, men "
        "trætter hurtigt og har brug for pauser ved krav om koncentration i mere end en time ad gangen.",
        skaan="Opstart med 8–10 timer ugentligt fordelt på flere dage, uden tidspres og med fast kontaktperson. "
        "Skiftende arbejdstider og natarbejde frarådes.",
    ),
    dict(
        key="angst",
        dx="Generaliseret angst",
        icd="DF41.1",
        anamnese="{navn} har gennem flere år haft udtalt bekymringstendens med indre uro, muskelspændinger og "
        "søvnbesvær. Tilstanden forværredes i {start}, hvor {han} fik hyppige angstanfald og begyndte at "
        "undgå offentlig transport og indkøb. {Han} blev henvist fra egen læge.",
        fund="{navn} var vågen, klar og orienteret. Der var tydelig motorisk uro og anspændthed, men ingen tegn på "
        "depression af betydning eller psykose. GAD-7 blev opgjort til 15 point.",
        behandling="Der er iværksat behandling med escitalopram 15 mg dagligt samt et individuelt forløb med kognitiv "
        "terapi med fokus på eksponering. {navn} har deltaget stabilt og møder op til aftalerne.",
        prognose="Der ses moderat bedring. Prognosen afhænger af fortsat behandling og en gradvis eksponering for "
        "arbejdsrelaterede situationer. Det vurderes realistisk, at {han} på sigt kan varetage et arbejde på "
        "nedsat tid.",
        funktion="{navn} kan klare kortere opgaver i rolige omgivelser. Støj, mange mennesker og uforudsigelige krav "
        "udløser angst og har tidligere ført til fravær.",
        skaan="Arbejde i et lille team med forudsigelige opgaver og mulighed for at trække sig tilbage ved "
        "angstsymptomer. Ingen skrankebetjening i den første periode.",
    ),
    dict(
        key="ptsd",
        dx="Posttraumatisk belastningsreaktion (PTSD)",
        icd="DF43.1",
        anamnese="{navn} var i {start} involveret i et alvorligt trafikuheld, hvor en kollega omkom. Siden har {han} "
        "haft genoplevelser, mareridt og udtalt undgåelsesadfærd. {Han} har været sygemeldt fra sit arbejde "
        "som chauffør siden ulykken.",
        fund="{navn} fremtræder anspændt med øget vagtsomhed og bliver let grådlabil, når ulykken omtales. Der er "
        "ingen psykotiske symptomer. Søvnen er fragmenteret med 3–4 timers søvn pr. nat.",
        behandling="{Han} har gennemført 10 sessioner traumefokuseret kognitiv terapi og behandles med mirtazapin "
        "30 mg til natten. Der er planlagt yderligere 8 sessioner frem mod sommeren.",
        prognose="Prognosen er usikker, men der er tegn på bedring. Det forventes ikke, at {navn} kan vende tilbage "
        "til arbejde som chauffør. Omskoling til andet arbejde vurderes realistisk.",
        funktion="{navn} kan klare personlig pleje og lettere husligt arbejde. Koncentration og hukommelse er "
        "påvirket, og {han} undgår trafikerede områder.",
        skaan="Ikke arbejde med kørsel eller i trafikken. Forudsigelige rammer og mulighed for pauser.",
    ),
    dict(
        key="skizofreni",
        dx="Paranoid skizofreni",
        icd="DF20.0",
        anamnese="{navn} fik diagnosen paranoid skizofreni efter første indlæggelse og har siden været fulgt i OPUS og "
        "senere i Distriktspsykiatrien. Der har været to genindlæggelser, senest i {start}, i forbindelse med "
        "pausering af medicinen.",
        fund="Aktuelt er {navn} stabil uden produktive psykotiske symptomer, men med udtalte negative symptomer i form "
        "af initiativløshed, social tilbagetrækning og nedsat tempo.",
        behandling="Der gives depotinjektion med aripiprazol hver fjerde uge, og {navn} har tilknyttet case manager "
        "fra Distriktspsykiatrien. {Han} deltager i et kognitivt træningsforløb.",
        prognose="Der er tale om en kronisk lidelse med betydelig og varig påvirkning af funktionsevnen. Der forventes "
        "ikke væsentlig bedring inden for de næste år.",
        funktion="{navn} klarer egen husholdning med bostøtte to gange ugentligt. {Han} har vanskeligt ved at "
        "overholde aftaler og har brug for påmindelser.",
        skaan="Skærmet arbejde med få timer, fast struktur, kendte opgaver og en fast kontaktperson. Intet tidspres.",
    ),
    dict(
        key="ryg",
        dx="Lændesmerter med udstråling til venstre ben (diskusprolaps L5–S1)",
        icd="DM51.1",
        anamnese="{navn} har siden {start} haft lændesmerter med udstråling til venstre ben efter et løft på "
        "arbejdet som pædagogmedhjælper. MR-skanning har vist diskusprolaps L5–S1 uden tegn på "
        "rodpåvirkning af operationskrævende grad.",
        fund="Nedsat bevægelighed i lænden, fingerspids-gulv-afstand 35 cm, positiv Lasègue på venstre side ved 50 "
        "grader. Normale reflekser og normal kraft i benene.",
        behandling="Fysioterapi med genoptræning to gange ugentligt og smertestillende behandling med paracetamol og "
        "ibuprofen efter behov. Der er ikke indikation for operation efter vurdering på Rygcentret.",
        prognose="Prognosen vurderes som god. Der forventes gradvis bedring over de kommende 3 måneder.",
        funktion="{navn} kan gå cirka 1 km og sidde 30 minutter ad gangen. Løft og foroverbøjede stillinger "
        "provokerer smerterne.",
        skaan="Ingen løft over 10 kg, mulighed for vekslende arbejdsstillinger, undgå vrid og foroverbøjede "
        "stillinger.",
    ),
    dict(
        key="stress",
        dx="Belastningsreaktion med udtalte stresssymptomer",
        icd="DF43.8",
        anamnese="{navn} har været sygemeldt siden {start} efter en længere periode med højt arbejdspres og samtidig "
        "sygdom i familien. {Han} beskriver hjertebanken, hovedpine, hukommelsesbesvær og tankemylder.",
        fund="Ved konsultationen fremstod {navn} træt og let grådlabil, men med normal kontakt. Blodprøver inklusive "
        "stofskifte var normale. Ingen tegn på depression af behandlingskrævende grad.",
        behandling="Samtaleforløb hos psykolog via sygesikringen (8 samtaler) og støttende samtaler i praksis. "
        "Der er ikke givet medicin.",
        prognose="Prognosen er god. Der forventes delvis raskmelding inden for 4–8 uger og fuld raskmelding inden for "
        "3 måneder.",
        funktion="{navn} kan overskue kortere opgaver, men har nedsat hukommelse og koncentration.",
        skaan="Gradvis tilbagevenden med 3 timer dagligt de første to uger, uden ledelsesopgaver og uden deadlines.",
    ),
    dict(
        key="bipolar",
        dx="Bipolar affektiv sindslidelse, aktuelt i remission",
        icd="DF31.7",
        anamnese="{navn} har siden 20'erne haft tilbagevendende depressive og maniske episoder. Seneste maniske "
        "episode i {start} førte til indlæggelse i fire uger. {Han} har siden været stabil.",
        fund="Euthym, velorienteret og samarbejdende. Ingen psykotiske symptomer. Lithiumkoncentrationen er i "
        "terapeutisk niveau.",
        behandling="Vedligeholdelsesbehandling med lithium og quetiapin til natten samt psykoedukation i gruppe. "
        "Fast opfølgning hver tredje måned i ambulatoriet.",
        prognose="Prognosen er afhængig af stabil medicinsk behandling og en regelmæssig døgnrytme. Med de rette "
        "rammer vurderes {navn} at kunne varetage et arbejde på nedsat tid.",
        funktion="{navn} fungerer godt i hverdagen, men er sårbar over for søvnmangel og skiftende vagter.",
        skaan="Faste arbejdstider i dagtimerne, ingen nattevagter, gradvis optrapning.",
    ),
    dict(
        key="diabetes",
        dx="Type 2-diabetes med neuropati og nedsat nyrefunktion",
        icd="DE11.4",
        anamnese="{navn} fik konstateret type 2-diabetes for 12 år siden. Siden {start} er der tilkommet smertefuld "
        "neuropati i fødderne og let nedsat nyrefunktion. Der er hyppige kontroller i diabetesambulatoriet.",
        fund="Nedsat følesans på begge fødder, HbA1c 64 mmol/mol, eGFR 52 ml/min. Blodtryk 142/88 mmHg.",
        behandling="Behandling med metformin, semaglutid og insulin til natten samt gabapentin mod neuropatismerter. "
        "Fodterapeut hver sjette uge.",
        prognose="Der er tale om en kronisk og fremadskridende sygdom. Med god regulering kan forløbet stabiliseres.",
        funktion="{navn} kan ikke stå eller gå længe på grund af smerter i fødderne og har perioder med træthed.",
        skaan="Siddende arbejde med mulighed for at gå til kontroller og tage pauser ved lavt blodsukker.",
    ),
    dict(
        key="adhd",
        dx="ADHD og emotionelle forstyrrelser",
        icd="DF90.0",
        anamnese="{navn} blev udredt i børne- og ungdomspsykiatrien i {start} på grund af koncentrationsbesvær, "
        "impulsivitet og tiltagende skolefravær. {Han} bor hjemme hos sin mor.",
        fund="Urolig under samtalen, let afledelig, men med god kontakt. Ingen tegn på depression eller psykose.",
        behandling="Behandling med methylphenidat med god effekt og et familieforløb med psykoedukation.",
        prognose="Prognosen er god med fortsat behandling og tæt samarbejde mellem hjem, skole og ungeindsats.",
        funktion="{navn} kan følge korte, strukturerede forløb og har brug for en voksen, der følger op.",
        skaan="Korte dage med tydelig struktur og en fast kontaktperson.",
    ),
]
SCN = {s["key"]: s for s in SCENARIOS}


def fill(text: str, p: Person, **extra: str) -> str:
    values = dict(p.pron)
    values.update(extra)
    return text.format(**values)


# Section plans per attest form: (heading, scenario field or generic key).
FORM_PLAN: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "105": (
        "Journaloplysninger udleveres efter anmodning fra jobcentret og med borgerens samtykke. "
        "Oplysningerne er et uddrag af sygehusjournalen.",
        [
            ("Kontakter", "contacts"),
            ("Diagnose", "dx"),
            ("Anamnese", "anamnese"),
            ("Objektive fund", "fund"),
            ("Behandling", "behandling"),
            ("Prognose", "prognose"),
        ],
    ),
    "115": (
        "Journaloplysninger fra speciallægepraksis udleveret med borgerens samtykke.",
        [
            ("Henvisning og kontakter", "contacts"),
            ("Anamnese", "anamnese"),
            ("Fund", "fund"),
            ("Diagnose", "dx"),
            ("Behandling", "behandling"),
            ("Vurdering", "prognose"),
        ],
    ),
    "125": (
        "Attesten er udfærdiget på baggrund af journaloplysninger uden fornyet konsultation, "
        "jf. jobcentrets anmodning af {req}.",
        [
            ("1. Helbredsmæssige forhold", "anamnese"),
            ("2. Diagnose", "dx"),
            ("3. Behandling og forløb", "behandling"),
            ("4. Prognose", "prognose"),
            ("5. Skånehensyn", "skaan"),
        ],
    ),
    "135": (
        "Borgeren er undersøgt ved konsultation den {consult}. Attesten besvarer kommunens konkrete spørgsmål.",
        [
            ("Spørgsmål 1: Hvilke helbredsmæssige begrænsninger har borgeren?", "funktion"),
            ("Spørgsmål 2: Kan borgeren deltage i virksomhedspraktik, og med hvilke hensyn?", "skaan"),
            ("Objektive fund ved konsultationen", "fund"),
            ("Diagnose", "dx"),
        ],
    ),
    "145": (
        "Generel helbredsattest efter konsultation den {consult}.",
        [
            ("Anamnese", "anamnese"),
            ("Objektive fund", "fund"),
            ("Diagnose", "dx"),
            ("Behandling", "behandling"),
            ("Funktionsevne", "funktion"),
            ("Prognose", "prognose"),
        ],
    ),
    "155": (
        "Attesten er udarbejdet efter undersøgelse i klinikken den {consult} og gennemgang af de tilsendte akter.",
        [
            ("Baggrund", "anamnese"),
            ("Undersøgelse", "fund"),
            ("Konklusion og diagnose", "dx"),
            ("Behandlingsmuligheder", "behandling"),
            ("Arbejdsevne og prognose", "prognose"),
            ("Skånehensyn", "skaan"),
        ],
    ),
    "165": (
        "Jeg retter henvendelse til kommunen på eget initiativ, da jeg vurderer, at borgeren har behov for "
        "en helhedsorienteret socialmedicinsk indsats.",
        [("Begrundelse", "anamnese"), ("Helbredsforhold", "dx"), ("Funktionsevne", "funktion"), ("Forslag", "forslag")],
    ),
    "225": (
        "Attesten udstedes til brug for en aftale efter sygedagpengelovens § 56 om refusion fra første fraværsdag.",
        [
            ("Lidelsens art", "dx"),
            ("Sygehistorie", "anamnese"),
            ("Forventet fravær", "fravaer"),
            ("Behandling", "behandling"),
        ],
    ),
    "265": (
        "Lægeattest til brug for rehabiliteringsteamets behandling af sagen den {meeting}.",
        [
            ("Helbredsoplysninger", "anamnese"),
            ("Diagnoser", "dx"),
            ("Undersøgelsesfund", "fund"),
            ("Behandling – afsluttet, igangværende og planlagt", "behandling"),
            ("Funktionsevne i hverdagen", "funktion"),
            ("Prognose", "prognose"),
            ("Skånehensyn", "skaan"),
        ],
    ),
    "275": (
        "Udtalelse fra klinisk funktion til kommunens rehabiliteringsteam efter gennemgang af sagens akter og "
        "samtale med borgeren den {consult}.",
        [
            ("Sagens akter", "akter"),
            ("Lægefaglig vurdering", "anamnese"),
            ("Diagnoser", "dx"),
            ("Funktionsevne", "funktion"),
            ("Behandlingsmuligheder og prognose", "prognose"),
        ],
    ),
    "285": (
        "Attesten besvarer jobcentrets spørgsmål til brug for opfølgning på sygedagpengesagen.",
        [
            ("Sygdommens art", "dx"),
            ("Oplysninger om forløbet", "anamnese"),
            ("Behandling", "behandling"),
            ("Forventet varighed", "varighed"),
            ("Mulighed for delvis genoptagelse af arbejdet", "skaan"),
        ],
    ),
}

GENERIC = {
    "contacts": "Ambulant forløb i {unit} fra {start} og fortsat. Seneste kontakt {consult}. "
    "Der foreligger i alt {n} ambulante kontakter i perioden.",
    "forslag": "Jeg foreslår, at jobcentret tager stilling til et ressourceforløb eller et jobafklaringsforløb og "
    "indkalder til en rundbordssamtale med deltagelse af borgeren, jobcentret og behandlerne. "
    "Jeg deltager gerne telefonisk.",
    "fravaer": "Det forventes, at lidelsen vil medføre mindst 10 fraværsdage årligt, typisk i perioder på 2–5 dage "
    "ad gangen i forbindelse med forværring og kontroller.",
    "akter": "Sagen er belyst med statusattest fra egen læge, journaloplysninger fra psykiatrien og jobcentrets "
    "beskrivelse af de hidtidige indsatser, herunder to afsluttede virksomhedspraktikker.",
    "varighed": "Sygdommen forventes at vare yderligere 6–8 uger. Fuld raskmelding forventes derefter, "
    "forudsat at behandlingen forløber som planlagt.",
}

ANMODNING = {
    # code: (answer form, lead text, questions)
    "121": (
        "125",
        "Jobcentret anmoder hermed om en statusattest på grundlag af journalen, uden konsultation.",
        [
            "Hvilke helbredsmæssige forhold har betydning for borgerens arbejdsevne?",
            "Hvilken behandling er iværksat eller planlagt, og hvad er forløbet indtil nu?",
            "Hvad er prognosen, og er der skånehensyn, jobcentret bør kende?",
        ],
    ),
    "131": (
        "135",
        "Jobcentret anmoder om en specifik helbredsattest efter konsultation.",
        [
            "Kan borgeren deltage i virksomhedspraktik 10 timer ugentligt?",
            "Er der helbredsmæssige hensyn ved løft, stående arbejde eller arbejdstider?",
        ],
    ),
    "141": (
        "145",
        "Jobcentret anmoder om en generel helbredsattest efter konsultation.",
        [
            "Beskriv borgerens aktuelle helbredstilstand og funktionsevne.",
            "Er der igangværende eller planlagt behandling?",
            "Hvad er prognosen for arbejdsevnen?",
        ],
    ),
    "221": (
        "225",
        "Arbejdsgiveren har anmodet om en aftale efter sygedagpengelovens § 56. Jobcentret anmoder derfor "
        "om en attest vedrørende kronisk sygdom.",
        [
            "Hvilken kronisk eller langvarig lidelse har borgeren?",
            "Forventes lidelsen at medføre mindst 10 fraværsdage om året?",
        ],
    ),
    "261": (
        "265",
        "Borgerens sag skal forelægges rehabiliteringsteamet den {meeting}. Jobcentret anmoder om en "
        "lægeattest til brug for teamets behandling.",
        [
            "Beskriv helbredsoplysninger, diagnoser og behandling.",
            "Hvordan påvirker helbredet borgerens funktionsevne i hverdagen?",
            "Hvad er prognosen, og hvilke skånehensyn er relevante?",
        ],
    ),
    "281": (
        "285",
        "Borgeren er sygemeldt fra {sick}. Jobcentret anmoder om en attest til brug for opfølgningen "
        "på sygedagpengesagen.",
        [
            "Hvad er sygdommens art og forventede varighed?",
            "Kan borgeren delvist genoptage arbejdet, og i givet fald hvornår?",
        ],
    ),
}


# ====================================================================== the document model


@dataclass
class Para:
    text: str
    style: str = "body"  # body | h2 | small | bold


@dataclass
class KV:
    rows: list[tuple[str, str]]
    layout: str = (
        "inline"  # inline: "Label value" lines; cells: label cell | value cell; stacked: labels row, values row
    )


@dataclass
class Grid:
    rows: list[list[str]]
    header: bool = False
    widths: list[float] | None = None


@dataclass
class PageBreak:
    pass


@dataclass
class Doc:
    name: str  # file stem
    producer: str  # reportlab | fpdf2 | libreoffice | raw | reportlab-acroform | image | encrypted | truncated
    letterhead: list[str]
    heading: list[str]
    blocks: list
    footer: str | None = None
    title: str = "Lægeattest"
    # ground truth
    cprs: list[str] = field(default_factory=list)  # distinct persons' valid CPRs present in the document
    invalid_cprs: list[str] = field(default_factory=list)  # CPR-labelled numbers with impossible dates
    code: str | None = None  # the form the document IS (its heading), e.g. "125"; "999" for unknown
    doc_kind: str | None = None  # kvittering | andet for documents that are not LÆ forms
    read_failure: str | None = None
    note: str = ""
    traps: list[str] = field(default_factory=list)
    base: str | None = None  # producer of the underlying PDF for special documents
    fields: list[dict] = field(default_factory=list)  # AcroForm fields for raw/acroform docs
    image_lines: list[str] = field(default_factory=list)
    bare: bool = True  # written to samples/pdf


def outcome(doc: Doc) -> dict:
    """The expected result for a document, from the generator's own data and the precedence rules."""
    if doc.read_failure:
        return dict(cpr=None, blanket=None, kind=None, status=doc.read_failure)
    known = doc.code in CATALOGUE if doc.code else False
    if doc.doc_kind:
        kind, blanket = doc.doc_kind, None
    elif known:
        kind, blanket = CATALOGUE[doc.code]["kind"], "LÆ " + doc.code
    else:
        kind, blanket = None, None
    cpr = fmt_cpr(doc.cprs[0]) if len(doc.cprs) == 1 else None
    if kind in ("anmodning", "kvittering", "andet"):
        status = "not_certificate"
    elif len(doc.cprs) > 1:
        status, cpr = "ambiguous_cpr", None
    elif not doc.cprs:
        status, cpr = ("invalid_cpr" if doc.invalid_cprs else "no_cpr"), None
    elif doc.code is None:
        status = "no_blanket"
    elif not known:
        status = "unknown_blanket"
    else:
        status = "ok"
    return dict(cpr=cpr, blanket=blanket, kind=kind, status=status)


# ====================================================================== document builders


def spell_code(code: str, spelling: str) -> str:
    return {
        "LÆ 125": f"LÆ {code}",
        "LÆ125": f"LÆ{code}",
        "LÆ-125": f"LÆ-{code}",
        "Læ 125": f"Læ {code}",
        "LAE 125": f"LAE {code}",
        "L.Æ. 125": f"L.Æ. {code}",
    }[spelling]


def heading_lines(code: str, title: str, spelling: str, split: bool = False) -> list[str]:
    if split:
        # the form code broken over a line break: "LÆ" ends one line, the number starts the next
        return ["Attest til kommunen – blanket LÆ", f"{code} {title}"]
    form = spell_code(code, spelling)
    return [f"{form}  {title}"] if rng.random() < 0.5 else [form, title]


def letterhead(s: Sender) -> list[str]:
    if s.key.startswith("gp") or s.key == "spec":
        return [s.org, f"{s.address} · Tlf. {s.phone}"]
    return [f"{s.org} · {s.unit}", f"{s.address} · Tlf. {s.phone}"]


def patient_blocks(p: Person, label: str | None = "CPR-nr.:", style: str = "dash", layout: str = "inline") -> list:
    cpr = fmt_cpr(p.cpr, style)
    if label is None and layout == "inline":  # no label at all: "Vedr.: name, number"
        return [Para(f"Vedr.: {p.name}, {cpr}", "bold"), Para(p.address)]
    if layout == "row":  # only in a table row, no label next to it
        return [Para("Borger", "h2"), Grid([[p.name, cpr, p.address]], widths=[0.32, 0.2, 0.48])]
    if layout == "stacked":  # label cells on one row, values on the next
        return [
            Grid(
                [["Navn", label.rstrip(":"), "Adresse"], [p.name, cpr, p.address]],
                header=True,
                widths=[0.32, 0.2, 0.48],
            )
        ]
    if layout == "cells":  # label cell beside value cell
        return [KV([("Navn", p.name), (label.rstrip(":"), cpr), ("Adresse", p.address)], "cells")]
    return [KV([("Navn:", p.name), (label, cpr), ("Adresse:", p.address)], "inline")]


def signature(s: Sender, d: date = TODAY) -> list:
    return [
        Para(f"{s.address.split(',')[-1].strip().split(' ', 1)[1]}, den {ddmmyyyy(d)}"),
        Para(f"{s.title} {s.doctor}", "bold"),
        Para(f"{s.org}, {s.unit}" if not s.key.startswith("gp") else s.org, "small"),
    ]


@dataclass
class Ctx:
    sender: Sender
    patient: Person
    scenario: dict
    jobcentre: Jobcenter
    start: str
    consult: str
    req: str
    meeting: str
    sick: str


def make_ctx(sender_key: str, scenario: str, patient: Person | None = None) -> Ctx:
    s = SENDERS[sender_key]
    p = patient or make_person(s.region)
    start = date(2024, rng.randrange(1, 10), 1)
    return Ctx(
        s,
        p,
        SCN[scenario],
        JOBCENTRE[s.region],
        f"{MONTHS[start.month - 1]} {start.year}",
        ddmmyyyy(TODAY - timedelta(days=rng.randrange(5, 30))),
        ddmmyyyy(TODAY - timedelta(days=rng.randrange(20, 40))),
        ddmmyyyy(TODAY + timedelta(days=rng.randrange(14, 30))),
        ddmmyyyy(TODAY - timedelta(days=rng.randrange(40, 90))),
    )


def section_text(c: Ctx, key: str) -> str:
    sc = c.scenario
    if key == "dx":
        return f"{sc['icd']} {sc['dx']}."
    if key in GENERIC:
        return fill(
            GENERIC[key], c.patient, unit=c.sender.unit, start=c.start, consult=c.consult, n=str(rng.randrange(6, 24))
        )
    return fill(sc[key], c.patient, start=c.start)


def attest_body(
    c: Ctx,
    code: str,
    *,
    breaks: tuple[int, ...] = (),
    extra: dict[int, list] | None = None,
    skip_recipient: bool = False,
) -> list:
    """Recipient, intro and the form's sections; `extra` inserts trap blocks before section i (or at -1: the end)."""
    intro, plan = FORM_PLAN[code]
    jc = c.jobcentre
    blocks: list = []
    if not skip_recipient:
        blocks.append(Para(f"Til: {jc.name}, {jc.unit}, {jc.address}", "small"))
    blocks.append(Para(fill(intro, c.patient, req=c.req, consult=c.consult, meeting=c.meeting)))
    extra = extra or {}
    for i, (head, key) in enumerate(plan):
        blocks.extend(extra.get(i, []))
        if i in breaks:
            blocks.append(PageBreak())
        blocks.append(Para(head, "h2"))
        blocks.append(Para(section_text(c, key)))
    blocks.extend(extra.get(-1, []))
    return blocks


def attest(
    name: str,
    producer: str,
    code: str,
    sender: str,
    scenario: str,
    *,
    spelling: str = "LÆ 125",
    split: bool = False,
    label: str | None = "CPR-nr.:",
    style: str = "dash",
    layout: str = "inline",
    breaks: tuple[int, ...] = (),
    extra: dict[int, list] | None = None,
    patient: Person | None = None,
    footer: bool = False,
    note: str = "",
    traps: list[str] | None = None,
    bare: bool = True,
    head_first: bool | None = None,
) -> Doc:
    c = make_ctx(sender, scenario, patient)
    title = CATALOGUE[code]["title"]
    head = heading_lines(code, title, spelling, split)
    lh = letterhead(c.sender)
    blocks = patient_blocks(c.patient, label, style, layout) + attest_body(c, code, breaks=breaks, extra=extra)
    blocks += signature(c.sender)
    if head_first is None:
        head_first = rng.random() < 0.5
    doc = Doc(
        name,
        producer,
        [] if head_first else lh,
        head,
        blocks if not head_first else [Para(line, "small") for line in lh] + blocks,
        title=f"{spell_code(code, 'LÆ 125')} {title}",
        cprs=[c.patient.cpr],
        code=code,
        note=note,
        traps=traps or [],
        bare=bare,
    )
    if footer:
        doc.footer = f"{c.patient.name} · CPR {fmt_cpr(c.patient.cpr, 'plain')} · LÆ {code} · Side {{page}}"
    doc._ctx = c  # type: ignore[attr-defined]
    return doc


def anmodning(
    name: str,
    producer: str,
    code: str,
    region: str,
    scenario: str,
    *,
    spelling: str = "LÆ 125",
    label: str = "CPR-nr.:",
    style: str = "dash",
    layout: str = "inline",
    note: str = "",
    bare: bool = True,
) -> Doc:
    jc = JOBCENTRE[region]
    # statusattest and rehabiliteringsteam requests go to the treating psychiatry, the others to the GP
    regional = [s for s in SENDERS.values() if s.region == region and s.key != "lookalike"]
    gps = [s for s in regional if s.key.startswith("gp")] or [s for s in regional if s.key == "spec"]
    gp = regional[0] if code in ("121", "261") or not gps else gps[0]
    p = make_person(region)
    answer, lead, questions = ANMODNING[code]
    meeting = ddmmyyyy(TODAY + timedelta(days=rng.randrange(20, 35)))
    sick = ddmmyyyy(TODAY - timedelta(days=rng.randrange(30, 80)))
    deadline = ddmmyyyy(TODAY + timedelta(days=14 if code != "281" else 8))
    title = CATALOGUE[code]["title"]
    blocks = [
        Para(f"Fra: {jc.name}, {jc.unit}, {jc.address}", "small"),
        Para(f"Sagsbehandler: {jc.caseworker}, tlf. {jc.phone}, sikker mail: {jc.mail}", "small"),
        Para(f"Til: {gp.title} {gp.doctor}, {gp.org}, {gp.address}", "small"),
        Para("Borger", "h2"),
        *patient_blocks(p, label, style, layout),
        Para("Anmodning", "h2"),
        Para(lead.format(meeting=meeting, sick=sick)),
        Para(
            f"Borgeren har den {ddmmyyyy(TODAY - timedelta(days=3))} givet samtykke til, at jobcentret indhenter "
            f"helbredsoplysninger hos {'egen læge' if gp.key.startswith('gp') else 'behandlende læge'}, "
            f"jf. forvaltningslovens § 29 og sundhedslovens § 43."
        ),
        Para("Kort om sagen", "h2"),
        Para(
            fill(
                "{navn} har været i kontakt med jobcentret i forbindelse med "
                + SCN[scenario]["dx"].lower()
                + ". Jobcentret skal vurdere, hvilken indsats der kan støtte borgeren mod arbejde eller uddannelse.",
                p,
            )
        ),
        Para("Jobcentrets spørgsmål", "h2"),
        *[Para(f"{i}. {q}") for i, q in enumerate(questions, 1)],
        Para(
            f"Svar bedes givet på blanket LÆ {answer} og sendt til jobcentret senest den {deadline} via sikker post. "
            f"Honorar betales efter overenskomsten mellem KL og PLO."
        ),
        Para(f"Med venlig hilsen\n{jc.caseworker}, {jc.name}"),
    ]
    head = heading_lines(code, title, spelling)
    return Doc(
        name,
        producer,
        [jc.name, jc.address],
        head,
        blocks,
        title=f"LÆ {code} {title}",
        cprs=[p.cpr],
        code=code,
        note=note or f"LÆ {code} anmodning from {jc.name}; mentions the answer form LÆ {answer} in the body",
        traps=["anmodning (request), not a certificate"],
        bare=bare,
    )


# ====================================================================== renderer: reportlab


def rl_styles():
    from reportlab.lib.styles import ParagraphStyle

    return {
        "h1": ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=2),
        "lh": ParagraphStyle("lh", fontName="Helvetica", fontSize=8.5, leading=10.5),
        "body": ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=5),
        "bold": ParagraphStyle("bold", fontName="Helvetica-Bold", fontSize=10, leading=13.5, spaceAfter=2),
        "small": ParagraphStyle("small", fontName="Helvetica", fontSize=8.5, leading=11, spaceAfter=3),
        "h2": ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=6, spaceAfter=2),
        "cell": ParagraphStyle("cell", fontName="Helvetica", fontSize=9.5, leading=12),
        "cellb": ParagraphStyle("cellb", fontName="Helvetica-Bold", fontSize=8.5, leading=11),
    }


def rl_text(s: str) -> str:
    return xml_escape(s).replace("\n", "<br/>")


def render_reportlab(doc: Doc) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus import PageBreak as RLPageBreak

    st = rl_styles()
    buf = io.BytesIO()
    width = A4[0] - 40 * mm

    def on_page(canvas, _doc):
        if doc.footer:
            canvas.saveState()
            canvas.setFont("Helvetica", 8)
            canvas.drawString(20 * mm, 12 * mm, doc.footer.format(page=canvas.getPageNumber()))
            canvas.restoreState()

    story = [Paragraph(rl_text(x), st["lh"]) for x in doc.letterhead]
    if doc.letterhead:
        story.append(Spacer(1, 4 * mm))
    story += [Paragraph(rl_text(x), st["h1"]) for x in doc.heading]
    story.append(HRFlowable(width="100%", thickness=0.8, color=colors.black, spaceBefore=2, spaceAfter=4 * mm))
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    for b in doc.blocks:
        if isinstance(b, Para):
            story.append(Paragraph(rl_text(b.text), st[b.style]))
        elif isinstance(b, PageBreak):
            story.append(RLPageBreak())
        elif isinstance(b, KV):
            if b.layout == "inline":
                for k, v in b.rows:
                    story.append(Paragraph(f"<b>{rl_text(k)}</b> {rl_text(v)}", st["body"]))
            else:
                t = Table(
                    [[Paragraph(rl_text(k), st["cellb"]), Paragraph(rl_text(v), st["cell"])] for k, v in b.rows],
                    colWidths=[0.25 * width, 0.75 * width],
                    style=grid,
                )
                story += [t, Spacer(1, 3 * mm)]
        elif isinstance(b, Grid):
            widths = [w * width for w in (b.widths or [1 / len(b.rows[0])] * len(b.rows[0]))]
            data = [
                [Paragraph(rl_text(x), st["cellb" if (b.header and i == 0) else "cell"]) for x in row]
                for i, row in enumerate(b.rows)
            ]
            story += [Table(data, colWidths=widths, style=grid), Spacer(1, 3 * mm)]
    d = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=doc.title,
        author=doc.letterhead[0] if doc.letterhead else "",
        subject="Lægeattest",
        creator="Journalsystem (fiktivt)",
        invariant=1,
        lang="da-DK",
    )
    d.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


# ====================================================================== renderer: fpdf2


def render_fpdf2(doc: Doc) -> bytes:
    from fpdf import FPDF

    class Pdf(FPDF):
        def footer(self):
            if doc.footer:
                self.set_y(-14)
                self.set_font("DejaVu", "", 7.5)
                self.cell(0, 5, doc.footer.format(page=self.page_no()))

    pdf = Pdf(format="A4")
    pdf.set_creation_date(FIXED_DT)
    pdf.set_title(doc.title)
    pdf.set_author(doc.letterhead[0] if doc.letterhead else "")
    pdf.set_creator("Lægesystem (fiktivt)")
    pdf.set_lang("da-DK")
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_margins(20, 16, 20)
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    nl = dict(new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    for x in doc.letterhead:
        pdf.cell(0, 4.5, x, **nl)
    if doc.letterhead:
        pdf.ln(4)
    pdf.set_font("DejaVu", "B", 15)
    for x in doc.heading:
        pdf.cell(0, 8, x, **nl)
    pdf.ln(1)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    for b in doc.blocks:
        if isinstance(b, Para):
            if b.style == "h2":
                pdf.ln(1.5)
                pdf.set_font("DejaVu", "B", 10.5)
                pdf.multi_cell(0, 5.5, b.text, **nl)
            else:
                pdf.set_font("DejaVu", "B" if b.style == "bold" else "", 8 if b.style == "small" else 9.5)
                pdf.multi_cell(0, 4.2 if b.style == "small" else 5, b.text, **nl)
                pdf.ln(1.2)
        elif isinstance(b, PageBreak):
            pdf.add_page()
        elif isinstance(b, KV) and b.layout == "inline":
            for k, v in b.rows:
                pdf.set_font("DejaVu", "B", 9.5)
                pdf.cell(36, 5.5, k)
                pdf.set_font("DejaVu", "", 9.5)
                pdf.cell(0, 5.5, v, **nl)
            pdf.ln(2)
        elif isinstance(b, (KV, Grid)):
            if isinstance(b, KV):
                rows, header, widths = [list(r) for r in b.rows], False, [0.25, 0.75]
            else:
                rows, header, widths = b.rows, b.header, b.widths or [1.0] * len(b.rows[0])
            pdf.set_font("DejaVu", "", 9)
            with pdf.table(
                col_widths=tuple(widths), first_row_as_headings=header, text_align="LEFT", line_height=5
            ) as t:
                for r in rows:
                    row = t.row()
                    for x in r:
                        row.cell(x)
            pdf.ln(3)
    return bytes(pdf.output())


# ====================================================================== renderer: LibreOffice (flat ODT)

FODT_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta><dc:title>{title}</dc:title><meta:initial-creator>{author}</meta:initial-creator>
  <dc:language>da-DK</dc:language><meta:creation-date>2025-03-04T09:00:00</meta:creation-date></office:meta>
 <office:font-face-decls>
  <style:font-face style:name="DejaVu Serif" svg:font-family="'DejaVu Serif'" style:font-family-generic="roman"/>
  <style:font-face style:name="DejaVu Sans" svg:font-family="'DejaVu Sans'" style:font-family-generic="swiss"/>
 </office:font-face-decls>
 <office:styles>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0.12cm"/>
   <style:text-properties style:font-name="DejaVu Serif" fo:font-size="10.5pt" fo:language="da" fo:country="DK"/>
  </style:default-style>
 </office:styles>
 <office:automatic-styles>
  <style:page-layout style:name="pm1">
   <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="1.6cm"
    fo:margin-bottom="1.2cm" fo:margin-left="2.2cm" fo:margin-right="2cm"/>
   <style:footer-style>
    <style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.3cm"/></style:footer-style>
  </style:page-layout>
  <style:style style:name="H1" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0.05cm"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="15pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="H1L" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0.1cm" fo:padding-bottom="0.1cm"
    fo:border-bottom="0.8pt solid #000000"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="15pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="H2" style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0.25cm" fo:margin-bottom="0.08cm" fo:keep-with-next="always"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="11pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="LH" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0cm"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="8.5pt" fo:color="#333333"/></style:style>
  <style:style style:name="SM" style:family="paragraph">
   <style:text-properties fo:font-size="8.5pt"/></style:style>
  <style:style style:name="B" style:family="paragraph">
   <style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="BR" style:family="paragraph">
   <style:paragraph-properties fo:break-before="page"/></style:style>
  <style:style style:name="GAP" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0.3cm"/></style:style>
  <style:style style:name="CellT" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0cm"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="9.5pt"/></style:style>
  <style:style style:name="CellH" style:family="paragraph">
   <style:paragraph-properties fo:margin-bottom="0cm"/>
   <style:text-properties style:font-name="DejaVu Sans" fo:font-size="8.5pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="Cell" style:family="table-cell">
   <style:table-cell-properties fo:padding="0.08cm" fo:border="0.5pt solid #808080"/></style:style>
  <style:style style:name="Tbl" style:family="table">
   <style:table-properties style:width="16.8cm" table:align="left" fo:margin-bottom="0.2cm"/></style:style>
{colstyles}
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">{footer}</style:master-page>
 </office:master-styles>
 <office:body><office:text>
"""
FODT_TAIL = """ </office:text></office:body>
</office:document>
"""


def fodt_p(text: str, style: str) -> str:
    inner = "<text:line-break/>".join(xml_escape(x) for x in text.split("\n"))
    return f'  <text:p text:style-name="{style}">{inner}</text:p>\n'


def render_fodt(doc: Doc) -> str:
    colstyles: list[str] = []
    out: list[str] = []
    tables = 0

    def table(rows: list[list[str]], widths: list[float], header: bool) -> None:
        nonlocal tables
        tables += 1

        def cell_style(r: int, i: int) -> str:  # bold header row, or bold label column of a 2-column KV table
            return "CellH" if (header and r == 0) or (len(widths) == 2 and i == 0 and not header) else "CellT"

        cols = []
        for i, w in enumerate(widths):
            name = f"T{tables}C{i}"
            colstyles.append(
                f'  <style:style style:name="{name}" style:family="table-column">'
                f'<style:table-column-properties style:column-width="{16.8 * w / sum(widths):.2f}cm"/>'
                f"</style:style>"
            )
            cols.append(f'<table:table-column table:style-name="{name}"/>')
        out.append(f'  <table:table table:name="Tabel{tables}" table:style-name="Tbl">{"".join(cols)}\n')
        for r, row in enumerate(rows):
            cells = "".join(
                f'<table:table-cell table:style-name="Cell" office:value-type="string">'
                f"{fodt_p(x, cell_style(r, i)).strip()}"
                f"</table:table-cell>"
                for i, x in enumerate(row)
            )
            out.append(f"   <table:table-row>{cells}</table:table-row>\n")
        out.append("  </table:table>\n")

    for x in doc.letterhead:
        out.append(fodt_p(x, "LH"))
    if doc.letterhead:
        out.append(fodt_p("", "LH"))
    for i, x in enumerate(doc.heading):
        out.append(fodt_p(x, "H1L" if i == len(doc.heading) - 1 else "H1"))
    out.append(fodt_p("", "GAP"))
    pending_break = False
    for b in doc.blocks:
        if isinstance(b, PageBreak):
            pending_break = True
            continue
        if pending_break:
            out.append(fodt_p("", "BR"))
            pending_break = False
        if isinstance(b, Para):
            out.append(
                fodt_p(
                    b.text,
                    {"body": "Standard", "h2": "H2", "small": "SM", "bold": "B"}[b.style]
                    if b.style != "body"
                    else "GAP",
                )
            )
        elif isinstance(b, KV) and b.layout == "inline":
            for k, v in b.rows:
                out.append(
                    f'  <text:p text:style-name="Standard"><text:span text:style-name="BoldSpan">'
                    f"{xml_escape(k)}</text:span> {xml_escape(v)}</text:p>\n"
                )
        elif isinstance(b, KV):
            table([list(r) for r in b.rows], [0.25, 0.75], False)
        elif isinstance(b, Grid):
            table(b.rows, b.widths or [1.0] * len(b.rows[0]), b.header)
    footer = ""
    if doc.footer:
        before, after = doc.footer.split("{page}")
        footer = (
            f'<style:footer><text:p text:style-name="SM">{xml_escape(before)}'
            f'<text:page-number text:select-page="current"/>{xml_escape(after)}</text:p></style:footer>'
        )
    colstyles.append(
        '  <style:style style:name="BoldSpan" style:family="text">'
        '<style:text-properties fo:font-weight="bold"/></style:style>'
    )
    head = FODT_HEAD.format(
        title=xml_escape(doc.title),
        author=xml_escape(doc.letterhead[0] if doc.letterhead else ""),
        colstyles="\n".join(colstyles),
        footer=footer,
    )
    return head + "".join(out) + FODT_TAIL


def convert_with_libreoffice(docs: list[Doc]) -> dict[str, bytes]:
    """Convert all LibreOffice documents in one soffice run (own throw-away profile, so parallel users don't clash)."""
    if not docs:
        return {}
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is needed for the LibreOffice samples")
    with tempfile.TemporaryDirectory(prefix="lae-samples-lo-") as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        src.mkdir()
        out.mkdir()
        paths = []
        for d in docs:
            path = src / f"{d.name}.fodt"
            path.write_text(render_fodt(d), encoding="utf-8")
            paths.append(str(path))
        cmd = [
            soffice,
            f"-env:UserInstallation=file://{tmp}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out),
            *paths,
        ]
        env = dict(os.environ, HOME=tmp, SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
        result = {}
        for d in docs:
            pdf = out / f"{d.name}.pdf"
            if not pdf.exists():
                raise SystemExit(f"soffice did not convert {d.name}: {proc.stdout}\n{proc.stderr}")
            result[d.name] = normalise_libreoffice(pdf.read_bytes(), d.name)
        return result


def normalise_libreoffice(data: bytes, name: str) -> bytes:
    """Overwrite soffice's run-dependent stamps (CreationDate, trailer /ID, /DocChecksum) with fixed values OF THE
    SAME LENGTH, so offsets and the xref stay valid. Anything else a LibreOffice version stamps is left alone."""
    import re

    fixed = hashlib.md5(name.encode()).hexdigest().upper().encode()
    out = re.sub(rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:20250304080000", data)
    out = re.sub(
        rb"/ID \[ <[0-9A-F]{32}>\s*<[0-9A-F]{32}> \]", lambda m: re.sub(rb"[0-9A-F]{32}", fixed, m.group(0)), out
    )
    out = re.sub(rb"/DocChecksum /[0-9A-F]{32}", b"/DocChecksum /" + fixed, out)
    assert len(out) == len(data)
    return out


# ====================================================================== special PDFs


def pdf_literal(s: str) -> bytes:
    """A PDF text string: literal (PDFDocEncoding/ASCII) when possible, else UTF-16BE with BOM as hex."""
    if all(ord(ch) < 128 for ch in s):
        esc = s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\n", "\\n")
        return f"({esc})".encode("ascii")
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


def winansi_literal(s: str) -> bytes:
    raw = s.encode("cp1252")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += f"\\{byte:03o}".encode()
    return bytes(out + b")")


def build_raw_pdf(objects: list[bytes], root: int, info: int) -> bytes:
    """Serialise numbered objects (1-based list) with a classic xref table and a fixed /ID."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    fid = hashlib.md5(bytes(out)).hexdigest().upper()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R /Info {info} 0 R /ID [<{fid}> <{fid}>] >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def render_raw_acroform(doc: Doc) -> bytes:
    """An AcroForm whose values live only in fields: NeedAppearances true, no /AP, the page shows labels only."""
    # objects: 1 catalog, 2 pages, 3 page, 4 content, 5 font, 6 info, 7.. fields
    n_fields = len(doc.fields)
    field_ids = list(range(7, 7 + n_fields))
    content = bytearray()
    y = 800
    for text in doc.letterhead:
        content += b"BT /F1 8.5 Tf 56 %d Td " % y + winansi_literal(text) + b" Tj ET\n"
        y -= 11
    y -= 14
    for text in doc.heading:
        content += b"BT /F2 15 Tf 56 %d Td " % y + winansi_literal(text) + b" Tj ET\n"
        y -= 20
    for f in doc.fields:
        x, fy = f["label_pos"]
        content += b"BT /F2 10 Tf %d %d Td " % (x, fy) + winansi_literal(f["label"]) + b" Tj ET\n"
        content += b"0.6 G 0.5 w %d %d %d %d re S\n" % tuple(
            f["rect"][:2] + [f["rect"][2] - f["rect"][0], f["rect"][3] - f["rect"][1]]
        )
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (da-DK) /AcroForm << /Fields ["
        + b" ".join(b"%d 0 R" % i for i in field_ids)
        + b"] /NeedAppearances true /DA (/Helv 10 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> "
        b"/Contents 4 0 R /Annots [" + b" ".join(b"%d 0 R" % i for i in field_ids) + b"] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Producer (lae-robot samples: raw PDF objects) /Title "
        + pdf_literal(doc.title)
        + b" /CreationDate (D:20250304090000+01'00') >>",
    ]
    # Font F2 (bold) is appended after the fields; fix its number.
    bold_id = 7 + n_fields
    objects[2] = objects[2].replace(b"/F2 7 0 R", b"/F2 %d 0 R" % bold_id)
    for f in doc.fields:
        flags = b" /Ff 4096" if f.get("multiline") else b""
        objects.append(
            b"<< /Type /Annot /Subtype /Widget /FT /Tx /F 4 /P 3 0 R /T "
            + pdf_literal(f["name"])
            + (b" /TU " + pdf_literal(f["tooltip"]) if f.get("tooltip") else b"")
            + b" /V "
            + pdf_literal(f["value"])
            + b" /DA (/Helv %s Tf 0 g)" % (b"9" if f.get("multiline") else b"10")
            + b" /Rect [%d %d %d %d]" % tuple(f["rect"])
            + flags
            + b" /MK << /BC [0.5 0.5 0.5] >> >>"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    return build_raw_pdf(objects, 1, 6)


def render_reportlab_acroform(doc: Doc) -> bytes:
    """reportlab canvas with acroForm text fields carrying the values (appearance streams made by reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(doc.title)
    c.setAuthor(doc.letterhead[0])
    y = 800
    c.setFont("Helvetica", 8.5)
    for x in doc.letterhead:
        c.drawString(56, y, x)
        y -= 11
    y -= 14
    c.setFont("Helvetica-Bold", 15)
    for x in doc.heading:
        c.drawString(56, y, x)
        y -= 20
    for f in doc.fields:
        lx, ly = f["label_pos"]
        c.setFont("Helvetica-Bold", 10)
        c.drawString(lx, ly, f["label"])
        x1, y1, x2, y2 = f["rect"]
        c.acroForm.textfield(
            name=f["name"],
            tooltip=f.get("tooltip"),
            value=f["value"],
            x=x1,
            y=y1,
            width=x2 - x1,
            height=y2 - y1,
            fontName="Helvetica",
            fontSize=10,
            borderStyle="inset",
            borderWidth=0.5,
            forceBorder=True,
            fieldFlags="multiline" if f.get("multiline") else "",
        )
    c.setFont("Helvetica", 10)
    text = c.beginText(56, 420)
    text.setLeading(14)
    for line in doc.image_lines:  # printed body text (no CPR in it)
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def render_image_only(doc: Doc) -> bytes:
    """A 'scan': the page is one PNG rendered with Pillow, no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    w, h = 1240, 1754  # A4 at 150 dpi
    img = Image.new("L", (w, h), 250)
    draw = ImageDraw.Draw(img)
    regular = ImageFont.truetype(str(FONT_REGULAR), 22)
    bold = ImageFont.truetype(str(FONT_BOLD), 34)
    small = ImageFont.truetype(str(FONT_REGULAR), 18)
    y = 90
    for x in doc.letterhead:
        draw.text((120, y), x, font=small, fill=40)
        y += 26
    y += 30
    for x in doc.heading:
        draw.text((120, y), x, font=bold, fill=10)
        y += 48
    y += 20
    for line in doc.image_lines:
        if line.startswith("## "):
            y += 10
            draw.text((120, y), line[3:], font=ImageFont.truetype(str(FONT_BOLD), 24), fill=10)
            y += 36
            continue
        words, cur = line.split(), ""
        for word in words:
            test = (cur + " " + word).strip()
            if draw.textlength(test, font=regular) > w - 240:
                draw.text((120, y), cur, font=regular, fill=20)
                y += 31
                cur = word
            else:
                cur = test
        draw.text((120, y), cur, font=regular, fill=20)
        y += 38
    # a slight scanner tilt and noise-free grey background
    img = img.rotate(0.4, resample=Image.BICUBIC, fillcolor=250)
    png = io.BytesIO()
    img.save(png, format="PNG", optimize=False)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("Scannet dokument")
    c.setCreator("Scanner (fiktiv)")
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return buf.getvalue()


@contextlib.contextmanager
def seeded_secrets(seed: int):
    """pypdf draws file ids, salts and IVs from secrets.token_bytes; seed them so encryption is reproducible."""
    r = random.Random(seed)
    original = secrets.token_bytes
    secrets.token_bytes = lambda n=32: r.randbytes(n)  # type: ignore[assignment]
    try:
        yield
    finally:
        secrets.token_bytes = original  # type: ignore[assignment]


def encrypt_pdf(data: bytes, user: str, owner: str, algorithm: str, seed: int, restrict: bool = False) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import UserAccessPermissions as UAP

    with seeded_secrets(seed):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        perms = UAP.all()
        if restrict:  # may read, print and copy text; may not change or annotate
            perms = perms & ~UAP.MODIFY & ~UAP.ADD_OR_MODIFY & ~UAP.ASSEMBLE_DOC
        writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm, permissions_flag=perms)
        buf = io.BytesIO()
        writer.write(buf)
    return buf.getvalue()


def truncate_pdf(data: bytes) -> bytes:
    """An aborted download: cut in the middle of the first page's content stream, nothing after it."""
    start = data.index(b"stream", data.index(b"/Contents") if b"/Contents" in data else 0)
    return data[: start + 60]


# ====================================================================== the documents


def build_documents() -> list[Doc]:
    docs: list[Doc] = []
    add = docs.append

    # ---------------------------------------------------------------- ordinary attests, every attest form
    add(
        attest(
            "01_lae125_rn_psykiatri_reportlab",
            "reportlab",
            "125",
            "rn",
            "depression",
            spelling="LÆ 125",
            footer=True,
            breaks=(3,),
            head_first=True,
            note="Statusattest from regional psychiatry; 'CPR-nr.:' with dash, same CPR without dash in the footer of "
            "both pages (one distinct CPR)",
            traps=["same CPR twice in two formats"],
        )
    )
    add(
        attest(
            "02_lae105_rm_sygehus_libreoffice",
            "libreoffice",
            "105",
            "rmsyg",
            "ryg",
            spelling="LÆ125",
            label="Cpr. nr:",
            style="plain",
            breaks=(2, 4),
            head_first=False,
            note="Journaloplysninger fra sygehus, 3 pages; heading 'LÆ105'; 'Cpr. nr:' without dash",
            traps=["code without space"],
        )
    )
    add(
        attest(
            "03_lae115_speciallaege_fpdf2",
            "fpdf2",
            "115",
            "spec",
            "angst",
            spelling="LÆ-125",
            label="CPR:",
            style="space",
            note="Journaloplysninger fra speciallægepraksis; heading 'LÆ-115'; 'CPR:' with a space in the number",
            traps=["code with hyphen", "CPR with space"],
        )
    )
    add(
        attest(
            "04_lae135_laege_reportlab",
            "reportlab",
            "135",
            "gp_hj",
            "stress",
            spelling="Læ 125",
            label="Personnummer:",
            style="dash",
            note="Specifik helbredsattest from a GP; heading 'Læ 135'; 'Personnummer:'",
            traps=["code in mixed case"],
        )
    )
    add(
        attest(
            "05_lae145_laege_fpdf2",
            "fpdf2",
            "145",
            "gp_od",
            "ryg",
            spelling="LAE 125",
            label="CPR-nr.:",
            style="dash",
            layout="stacked",
            note="Generel helbredsattest; heading 'LAE 145'; CPR label and value in separate table cells (label row "
            "above value row)",
            traps=["LAE spelling", "label and value in separate cells"],
        )
    )
    add(
        attest(
            "06_lae155_speciallaege_libreoffice",
            "libreoffice",
            "155",
            "spec",
            "ptsd",
            spelling="LÆ 125",
            label="CPR-nr.:",
            style="plain",
            layout="cells",
            breaks=(3,),
            note="Speciallægeattest; CPR label cell beside value cell; 2 pages",
            traps=["label and value in separate cells"],
        )
    )
    add(
        attest(
            "07_lae165_laege_split_reportlab",
            "reportlab",
            "165",
            "gp_aa",
            "skizofreni",
            split=True,
            label=None,
            style="dash",
            head_first=True,
            note="Forslag om socialmedicinsk sagsbehandling; heading split 'LÆ' / '165' over a line break; CPR "
            "with no label ('Vedr.: name, number')",
            traps=["form code split over a line break", "no CPR label"],
        )
    )
    add(
        attest(
            "08_lae225_laege_fpdf2",
            "fpdf2",
            "225",
            "gp_kbh",
            "diabetes",
            spelling="LÆ 125",
            label="CPR-nr.:",
            style="plain",
            note="Attest vedr. kronisk sygdom (§ 56); CPR without dash",
        )
    )
    add(
        attest(
            "09_lae265_rsyd_tabelraekke_libreoffice",
            "libreoffice",
            "265",
            "rsyd",
            "bipolar",
            spelling="LÆ 125",
            layout="row",
            breaks=(4,),
            note="Lægeattest til rehabiliteringsteam; the CPR only in a table row (name | number | address), no "
            "label; 2 pages",
            traps=["CPR only in a table row, unlabelled"],
        )
    )
    add(
        attest(
            "10_lae275_klinisk_funktion_reportlab",
            "reportlab",
            "275",
            "rmkf",
            "skizofreni",
            spelling="L.Æ. 125",
            note="Lægeattest fra klinisk funktion; heading 'L.Æ. 275'",
            traps=["L.Æ. prefix"],
        )
    )
    add(
        attest(
            "11_lae285_laege_fpdf2",
            "fpdf2",
            "285",
            "gp_hj",
            "stress",
            spelling="LÆ 125",
            label="Cpr. nr:",
            note="Attest til sygedagpengeopfølgning from a GP; 'Cpr. nr:'",
        )
    )
    add(
        attest(
            "12_lae125_regionh_split_libreoffice",
            "libreoffice",
            "125",
            "regionh",
            "angst",
            split=True,
            label="Personnummer:",
            style="space",
            head_first=True,
            note="Statusattest; heading split 'LÆ' / '125' over a line break (LibreOffice); 'Personnummer:' with space",
            traps=["form code split over a line break"],
        )
    )
    young = make_person("N", born=date(2010, 1, 1), cpr=make_cpr(date(2010, 1, 1), mod11=False, sevens=(4, 9)))
    assert young.cpr[6] in "49" and not mod11_ok(young.cpr)
    add(
        attest(
            "13_lae135_ung_cpr_uden_modulus11_reportlab",
            "reportlab",
            "135",
            "rn2",
            "adhd",
            patient=young,
            spelling="LÆ 125",
            note="Specifik helbredsattest for a 15-year-old born 1 January 2010 (7th digit 4/9 -> 20YY); the CPR "
            "FAILS modulus 11 and is still valid (post-2007 number)",
            traps=["valid CPR failing modulus 11"],
        )
    )
    newcomer = make_person("S", born=date(1988, 1, 1), mod11=False)
    add(
        attest(
            "14_lae285_cpr_1januar_uden_modulus11_fpdf2",
            "fpdf2",
            "285",
            "gp_od",
            "ptsd",
            patient=newcomer,
            label="CPR:",
            note="Attest til sygedagpengeopfølgning; citizen registered with birth date 1 January "
            "1988 and a CPR issued after 2007 that FAILS modulus 11 (still valid)",
            traps=["valid CPR failing modulus 11"],
        )
    )

    # ---------------------------------------------------------------- the kommune's requests (anmodninger)
    add(anmodning("20_lae121_anmodning_reportlab", "reportlab", "121", "N", "depression"))
    add(anmodning("21_lae131_anmodning_fpdf2", "fpdf2", "131", "S", "ryg", spelling="LÆ-125", label="Cpr. nr:"))
    add(
        anmodning(
            "22_lae141_anmodning_libreoffice", "libreoffice", "141", "M", "stress", spelling="LÆ125", layout="cells"
        )
    )
    add(
        anmodning(
            "23_lae221_anmodning_reportlab", "reportlab", "221", "H", "diabetes", label="Personnummer:", style="plain"
        )
    )
    add(anmodning("24_lae261_anmodning_fpdf2", "fpdf2", "261", "Z", "bipolar", spelling="Læ 125"))
    add(anmodning("25_lae281_anmodning_libreoffice", "libreoffice", "281", "N", "angst", style="space"))

    # ---------------------------------------------------------------- traps: CPR-shaped numbers that are not CPRs
    loc_run = date_like_number()
    location = "579" + loc_run
    add(
        attest(
            "30_trap_lokationsnummer_fpdf2",
            "fpdf2",
            "125",
            "rn",
            "ptsd",
            extra={
                -1: [
                    Para("Afsender", "h2"),
                    Para(f"Lokationsnummer: {location}\nEAN-nr. (faktura): 5790001234567\nSOR-id: 481971000016002"),
                ]
            },
            note=f"13-digit location number {location} whose last 10 digits are a valid, mod-11-passing "
            f"CPR-looking run; also EAN 5790001234567 and a SOR id",
            traps=["13-digit location numbers containing a CPR-like run"],
        )
    )
    phone_doc = attest(
        "31_trap_telefon_cvr_reportlab",
        "reportlab",
        "265",
        "gp_aa",
        "depression",
        breaks=(4,),
        extra={
            -1: [
                Para("Kontakt", "h2"),
                Para(
                    "Klinikkens tlf.: 86 12 90 33 · Direkte: 21031985 · Mobil: 2103 1985\n"
                    "CVR-nr.: 29190925 · Borgerens arbejdsgiver: Midtjysk Logistik ApS, CVR 31051987, "
                    "tlf. 70 20 19 87"
                ),
            ]
        },
        note="8-digit phone and CVR numbers, some date-like (21031985, 31051987)",
        traps=["8-digit phone and CVR numbers"],
    )
    add(phone_doc)
    pnr = date_like_number(first_day_digit=1)
    add(
        attest(
            "32_trap_p_nummer_libreoffice",
            "libreoffice",
            "285",
            "sj",
            "ryg",
            extra={
                2: [
                    Para("Arbejdsgiver", "h2"),
                    Para(f"Sjællands Byggemarked A/S, CVR-nr. 35210988, P-nummer: {pnr}, Ringstedvej 12, 4700 Næstved"),
                ]
            },
            note="Employer's 10-digit P-nummer with a valid date and passing modulus 11 (not a CPR)",
            traps=["10-digit P-nummer, date-like"],
        )
    )
    konto = date_like_number()
    add(
        attest(
            "33_trap_bankkonto_fpdf2",
            "fpdf2",
            "145",
            "gp_hj",
            "diabetes",
            extra={
                -1: [
                    Para("Honorar", "h2"),
                    Para(
                        f"Honorar for attesten bedes indbetalt på Reg.nr. 1234 Kontonr. 0123456789.\n"
                        f"Alternativt klinikkens honorarkonto: Reg.nr. 9570 Kontonr. {konto}."
                    ),
                ]
            },
            note="Bank accounts: Reg.nr. 1234 Kontonr. 0123456789 and a 10-digit date-like, mod-11-passing "
            "konto number",
            traps=["bank account numbers, one date-like"],
        )
    )
    add(
        attest(
            "34_trap_journalnummer_reportlab",
            "reportlab",
            "125",
            "rn2",
            "skizofreni",
            extra={
                0: [
                    Para(
                        "Jeres j.nr.: 27.12.08-G01-1234-22 · KLE 27.24.00-G01-0021-25 · Vores ref.: 2025-014523",
                        "small",
                    )
                ]
            },
            note="Kommune journal numbers in KLE form (27.12.08-G01-1234-22) and a reference number",
            traps=["journal numbers 27.12.08-G01-1234-22"],
        )
    )
    dates_doc = attest(
        "35_trap_datoformater_libreoffice",
        "libreoffice",
        "105",
        "sj",
        "bipolar",
        breaks=(3,),
        extra={
            1: [
                Para("Datoer i forløbet", "h2"),
                Para(
                    "Henvist 12.03.2024 · visiteret 2024-03-19 · første samtale 2/4-2024 · indlagt "
                    "03.01.25–17.01.25 · udskrevet d. 17/1 2025 · ambulant kontrol 11. februar 2025 kl. 13.45 · "
                    "blodprøver 110225 · næste kontrol uge 14/2025 · journaludskrift dannet 20250304-0915."
                ),
            ]
        },
        note="Many date formats (12.03.2024, 2024-03-19, 2/4-2024, 03.01.25, 110225, 20250304-0915)",
        traps=["dates in many formats"],
    )
    add(dates_doc)
    add(
        attest(
            "36_trap_ydernummer_fpdf2",
            "fpdf2",
            "135",
            "gp_od",
            "angst",
            extra={-1: [Para("Ydernummer 012345 · Ydernr. 012345 · SOR 3571000016009 · Autorisations-ID 0B6K4")]},
            note="Provider number 'Ydernummer 012345', a SOR code and an authorisation id",
            traps=["provider number (ydernummer)"],
        )
    )
    sags, journ = date_like_number(), date_like_number()
    add(
        attest(
            "37_trap_sagsnr_journalnr_reportlab",
            "reportlab",
            "285",
            "gp_kbh",
            "stress",
            extra={0: [Para(f"Jeres sagsnr.: {sags} · Journalnr.: {journ}", "small")]},
            note="'Sagsnr.' and 'Journalnr.' carrying 10-digit numbers with valid dates that pass modulus 11 "
            "(not CPRs)",
            traps=["date-like 10-digit case and journal numbers"],
        )
    )

    # ---------------------------------------------------------------- traps: CPR outcomes
    mother = make_person("S", born=date(1965, 3, 12), female=True)
    rel = attest(
        "38_trap_paaroerende_cpr_libreoffice",
        "libreoffice",
        "265",
        "rsyd",
        "skizofreni",
        breaks=(4,),
        extra={
            0: [
                Para("Pårørende", "h2"),
                Para(
                    f"Pårørende: mor, {mother.name}, CPR {fmt_cpr(mother.cpr)}, {mother.address}. "
                    f"Moren deltager i samtaler efter aftale med borgeren."
                ),
            ]
        },
        note="A relative's full CPR (the mother) besides the patient's -> two persons",
        traps=["relative's CPR"],
    )
    rel.cprs.append(mother.cpr)
    add(rel)
    two = attest(
        "39_trap_to_patienter_fpdf2",
        "fpdf2",
        "125",
        "gp_hj",
        "depression",
        note="Two statusattester for two different patients scanned into one file (page 2 is another citizen's LÆ 125)",
        traps=["two patients"],
    )
    other = attest("_", "fpdf2", "125", "gp_hj", "ryg", label="CPR:", style="plain")
    two.blocks += [PageBreak(), *[Para(x, "h2") for x in other.heading], *other.blocks]
    two.cprs.append(other.cprs[0])
    add(two)
    nocpr_c = make_ctx("gp_aa", "stress")
    p = nocpr_c.patient
    add(
        Doc(
            "40_trap_ingen_cpr_reportlab",
            "reportlab",
            letterhead(nocpr_c.sender),
            heading_lines("135", CATALOGUE["135"]["title"], "LÆ 125"),
            [
                KV([("Navn:", p.name), ("Født:", ddmmyyyy(p.born)), ("Adresse:", p.address)]),
                *attest_body(nocpr_c, "135"),
                *signature(nocpr_c.sender),
            ],
            title="LÆ 135 Specifik helbredsattest",
            code="135",
            note="Name, birth date and address but no CPR anywhere",
            traps=["no CPR"],
        )
    )
    invalid_c = make_ctx("sj", "depression")
    bad = f"310290{invalid_c.patient.cpr[6:]}"
    assert cpr_birth_date(bad) is None
    add(
        Doc(
            "46_trap_ugyldig_cpr_dato_libreoffice",
            "libreoffice",
            letterhead(invalid_c.sender),
            heading_lines("285", CATALOGUE["285"]["title"], "LÆ 125"),
            [
                KV(
                    [
                        ("Navn:", invalid_c.patient.name),
                        ("CPR-nr.:", fmt_cpr(bad)),
                        ("Adresse:", invalid_c.patient.address),
                    ]
                ),
                *attest_body(invalid_c, "285"),
                *signature(invalid_c.sender),
            ],
            title="LÆ 285",
            invalid_cprs=[bad],
            code="285",
            note="The only CPR is labelled 'CPR-nr.:' but has an impossible date (31 February 1990)",
            traps=["CPR with invalid date"],
        )
    )

    # ---------------------------------------------------------------- traps: form outcomes
    add(
        attest(
            "41_trap_tidligere_lae265_i_lae125_fpdf2",
            "fpdf2",
            "125",
            "sj",
            "bipolar",
            extra={
                0: [Para(f"Der henvises til tidligere fremsendt LÆ 265 af {ddmmyyyy(TODAY - timedelta(days=71))}.")]
            },
            note="A LÆ 125 whose body says 'tidligere fremsendt LÆ 265' -> still LÆ 125",
            traps=["reference to another form in the body"],
        )
    )
    unk_c = make_ctx("rn", "angst")
    add(
        Doc(
            "42_trap_lae999_ukendt_reportlab",
            "reportlab",
            letterhead(unk_c.sender),
            ["LÆ 999", "Lægeattest"],
            [
                *patient_blocks(unk_c.patient),
                Para(f"Til: {unk_c.jobcentre.name}", "small"),
                Para("Attesten er udfærdiget efter aftale med jobcentret på baggrund af journalen."),
                *[
                    b
                    for key, head in (
                        ("anamnese", "Helbredsforhold"),
                        ("behandling", "Behandling"),
                        ("prognose", "Prognose"),
                    )
                    for b in (Para(head, "h2"), Para(section_text(unk_c, key)))
                ],
                *signature(unk_c.sender),
            ],
            title="LÆ 999 Lægeattest",
            cprs=[unk_c.patient.cpr],
            code="999",
            note="Unknown form number 'LÆ 999' in the heading",
            traps=["unknown form code"],
        )
    )
    nob_c = make_ctx("spec", "ptsd")
    add(
        Doc(
            "43_trap_ingen_blanket_libreoffice",
            "libreoffice",
            letterhead(nob_c.sender),
            ["Lægelig udtalelse"],
            [
                *patient_blocks(nob_c.patient, "CPR-nr.:", "plain"),
                Para(f"Til: {nob_c.jobcentre.name}, {nob_c.jobcentre.unit}", "small"),
                Para("Efter aftale med borgeren fremsendes hermed en kort lægelig udtalelse."),
                *[
                    b
                    for key, head in (("anamnese", "Baggrund"), ("fund", "Undersøgelse"), ("prognose", "Vurdering"))
                    for b in (Para(head, "h2"), Para(section_text(nob_c, key)))
                ],
                *signature(nob_c.sender),
            ],
            title="Lægelig udtalelse",
            cprs=[nob_c.patient.cpr],
            code=None,
            note="A doctor's letter with a CPR but no form code and no form title anywhere",
            traps=["no form code"],
        )
    )

    # ---------------------------------------------------------------- traps: not certificates
    kv_p = make_person("N")
    add(
        Doc(
            "44_trap_kvittering_reportlab",
            "reportlab",
            ["Sikker Post · Jobcenter Aalborg"],
            ["Kvittering for modtagelse"],
            [
                Para("Din anmodning er modtaget og videresendt.", "bold"),
                Para(f"Anmodning LÆ 121 er afsendt til Lægerne Vestergade den {ddmmyyyy(TODAY)} kl. 10:14."),
                KV(
                    [
                        ("Vedr.:", kv_p.name),
                        ("CPR-nr.:", fmt_cpr(kv_p.cpr)),
                        ("Forsendelses-id:", "7f3a9c2e-5d41-4b8e-a0c4-2e91d7b3f611"),
                        ("Modtager:", "Lægerne Vestergade, Vestergade 21, 9800 Hjørring"),
                    ]
                ),
                Para(
                    "Dette er en automatisk kvittering. Der kan ikke svares på denne besked. Kvitteringen er ikke en "
                    "lægeattest og skal ikke journaliseres som en sådan.",
                    "small",
                ),
            ],
            title="Kvittering for modtagelse",
            cprs=[kv_p.cpr],
            code="121",
            doc_kind="kvittering",
            note="Portal receipt 'Kvittering for modtagelse' saying 'LÆ 121 er afsendt', with the citizen's CPR; "
            "blanket null because the document is a receipt, not the form",
            traps=["kvittering (receipt) mentioning a form"],
        )
    )
    me_c = make_ctx("gp_od", "ryg")
    me = me_c.patient
    add(
        Doc(
            "45_trap_mulighedserklaering_fpdf2",
            "fpdf2",
            ["Styrelsen for Arbejdsmarked og Rekruttering (blanketkopi)"],
            ["Mulighedserklæring"],
            [
                Para("Del 1 – udfyldes af arbejdsgiver og medarbejder", "h2"),
                KV(
                    [
                        ("Medarbejder:", me.name),
                        ("CPR-nr.:", fmt_cpr(me.cpr)),
                        ("Arbejdsgiver:", "Fynske Institutioner I/S"),
                        ("Kontaktperson:", "Leder Gitte Rask, tlf. 63 75 12 00"),
                    ]
                ),
                Para(
                    "Arbejdsfunktioner: Pædagogmedhjælper i vuggestue. Medarbejderen kan ikke løfte børn, men kan "
                    "varetage planlægning, aktiviteter ved bordet og forældrekontakt."
                ),
                Para("Del 2 – udfyldes af lægen", "h2"),
                Para(fill(SCN["ryg"]["skaan"], me)),
                Para("Forventet varighed af skånehensyn: 6 uger. Medarbejderen kan arbejde 20 timer ugentligt."),
                *signature(me_c.sender),
            ],
            title="Mulighedserklæring",
            cprs=[me.cpr],
            doc_kind="andet",
            note="Mulighedserklæring (employer document), not an LÆ form",
            traps=["mulighedserklæring"],
        )
    )

    # ---------------------------------------------------------------- special PDFs
    af_c = make_ctx("rsyd", "angst")
    af_p = af_c.patient
    answer = "\n\n".join(section_text(af_c, k) for k in ("anamnese", "fund", "dx", "behandling", "prognose"))
    add(
        Doc(
            "50_acroform_kun_feltvaerdier_raw",
            "raw",
            letterhead(af_c.sender),
            ["Elektronisk attestblanket"],
            [],
            title="Elektronisk attestblanket",
            cprs=[af_p.cpr],
            code="145",
            fields=[
                dict(
                    name="blanket",
                    tooltip="Blanketnummer",
                    value="LÆ 145",
                    label="Blanket:",
                    label_pos=(56, 700),
                    rect=[160, 694, 300, 712],
                ),
                dict(
                    name="titel",
                    tooltip="Blankettitel",
                    value="Generel helbredsattest",
                    label="Titel:",
                    label_pos=(56, 676),
                    rect=[160, 670, 450, 688],
                ),
                dict(
                    name="navn",
                    tooltip="Borgerens navn",
                    value=af_p.name,
                    label="Navn:",
                    label_pos=(56, 652),
                    rect=[160, 646, 450, 664],
                ),
                dict(
                    name="Personnummer",
                    tooltip="CPR-nr.",
                    value=fmt_cpr(af_p.cpr),
                    label="Personnummer:",
                    label_pos=(56, 628),
                    rect=[160, 622, 300, 640],
                ),
                dict(
                    name="adresse",
                    tooltip="Adresse",
                    value=af_p.address,
                    label="Adresse:",
                    label_pos=(56, 604),
                    rect=[160, 598, 540, 616],
                ),
                dict(
                    name="besvarelse",
                    tooltip="Lægens besvarelse",
                    value=answer,
                    label="Lægens besvarelse:",
                    label_pos=(56, 580),
                    rect=[56, 200, 540, 572],
                    multiline=True,
                ),
                dict(
                    name="underskrift",
                    tooltip="Dato og underskrift",
                    value=f"{ddmmyyyy(TODAY)}, {af_c.sender.title} {af_c.sender.doctor}",
                    label="Dato og underskrift:",
                    label_pos=(56, 176),
                    rect=[200, 170, 540, 188],
                ),
            ],
            note="AcroForm built from raw PDF objects: form code (LÆ 145) and CPR live ONLY in field values "
            "(NeedAppearances true, no appearance streams); the page shows only labels; CPR field "
            "'Personnummer' with tooltip 'CPR-nr.'",
            traps=["values only in AcroForm fields"],
        )
    )
    rf_c = make_ctx("gp_kbh", "stress")
    rf_p = rf_c.patient
    add(
        Doc(
            "51_acroform_reportlab",
            "reportlab-acroform",
            letterhead(rf_c.sender),
            ["LÆ 285  Attest til sygedagpengeopfølgning"],
            [],
            title="LÆ 285 Attest til sygedagpengeopfølgning",
            cprs=[rf_p.cpr],
            code="285",
            fields=[
                dict(
                    name="navn",
                    tooltip="Borgerens navn",
                    value=rf_p.name,
                    label="Navn",
                    label_pos=(56, 716),
                    rect=[160, 710, 450, 728],
                ),
                dict(
                    name="cpr",
                    tooltip="CPR-nr.",
                    value=fmt_cpr(rf_p.cpr),
                    label="CPR-nr.",
                    label_pos=(56, 692),
                    rect=[160, 686, 300, 704],
                ),
                dict(
                    name="adresse",
                    tooltip="Adresse",
                    value=rf_p.address,
                    label="Adresse",
                    label_pos=(56, 668),
                    rect=[160, 662, 540, 680],
                ),
                dict(
                    name="varighed",
                    tooltip="Forventet varighed",
                    value="6-8 uger",
                    label="Forventet varighed",
                    label_pos=(56, 644),
                    rect=[200, 638, 400, 656],
                ),
            ],
            image_lines=[
                "Sygdommens art: " + SCN["stress"]["dx"] + " (" + SCN["stress"]["icd"] + ").",
                f"Borgeren er sygemeldt og følges i praksis. Seneste konsultation {rf_c.consult}.",
                "Delvis genoptagelse af arbejdet forventes inden for 4-8 uger med 3 timer dagligt.",
                "",
                f"{rf_c.sender.title} {rf_c.sender.doctor}, {rf_c.sender.org}, den {ddmmyyyy(TODAY)}",
            ],
            note="reportlab acroForm: heading printed on the page, the CPR only in field 'cpr' (tooltip 'CPR-nr.'), "
            "with appearance streams",
            traps=["CPR only in an AcroForm field"],
        )
    )
    im_c = make_ctx("rn", "depression")
    add(
        Doc(
            "52_billede_uden_tekstlag",
            "image",
            letterhead(im_c.sender),
            ["LÆ 125  Statusattest"],
            [],
            title="Scannet dokument",
            cprs=[im_c.patient.cpr],
            code="125",
            read_failure="no_text_layer",
            image_lines=[
                f"Navn: {im_c.patient.name}",
                f"CPR-nr.: {fmt_cpr(im_c.patient.cpr)}",
                f"Adresse: {im_c.patient.address}",
                "## 1. Helbredsmæssige forhold",
                section_text(im_c, "anamnese"),
                "## 2. Behandling og forløb",
                section_text(im_c, "behandling"),
                "## 3. Prognose",
                section_text(im_c, "prognose"),
                f"{im_c.sender.title} {im_c.sender.doctor}, {ddmmyyyy(TODAY)}",
            ],
            note="Image-only scan (Pillow PNG placed by reportlab, no text layer); the picture shows a LÆ 125 with "
            "CPR-nr., but nothing can be read without OCR",
            traps=["no text layer"],
        )
    )
    enc = attest(
        "53_krypteret_adgangskode",
        "encrypted",
        "265",
        "regionh",
        "ptsd",
        note="Encrypted PDF (AES-256) with user password 'hemmelig'; inside is a LÆ 265",
        traps=["password-protected PDF"],
    )
    enc.base, enc.read_failure = "fpdf2", "pdf_encrypted"
    add(enc)
    enc2 = attest(
        "54_krypteret_kun_ejerkode",
        "encrypted",
        "265",
        "rm",
        "skizofreni",
        breaks=(3,),
        note="Encrypted PDF (AES-256) with an EMPTY user password and an owner password (editing "
        "restricted): opens without a password -> reads normally",
        traps=["owner-password-only encryption"],
    )
    enc2.base = "fpdf2"
    add(enc2)
    trunc = attest(
        "55_afkortet_korrupt",
        "truncated",
        "125",
        "rn2",
        "depression",
        note="Truncated PDF (download aborted inside the first content stream, no xref, no %EOF)",
        traps=["corrupt PDF"],
    )
    trunc.base, trunc.read_failure = "reportlab", "pdf_unreadable"
    add(trunc)
    return docs


# ====================================================================== rendering dispatch


def render_all(docs: list[Doc]) -> dict[str, bytes]:
    lo = convert_with_libreoffice([d for d in docs if d.producer == "libreoffice"])
    out: dict[str, bytes] = {}
    for i, d in enumerate(docs):
        if d.producer == "libreoffice":
            out[d.name] = lo[d.name]
        elif d.producer == "reportlab":
            out[d.name] = render_reportlab(d)
        elif d.producer == "fpdf2":
            out[d.name] = render_fpdf2(d)
        elif d.producer == "raw":
            out[d.name] = render_raw_acroform(d)
        elif d.producer == "reportlab-acroform":
            out[d.name] = render_reportlab_acroform(d)
        elif d.producer == "image":
            out[d.name] = render_image_only(d)
        elif d.producer == "encrypted":
            plain = render_fpdf2(d)
            if d.read_failure == "pdf_encrypted":
                out[d.name] = encrypt_pdf(plain, "hemmelig", "ejer-hemmelig-2025", "AES-256", SEED + i)
            else:
                out[d.name] = encrypt_pdf(plain, "", "ejer-Ø7-2025", "AES-256", SEED + i, restrict=True)
        elif d.producer == "truncated":
            out[d.name] = truncate_pdf(render_reportlab(d))
        elif d.producer == "encrypted-rc4":
            out[d.name] = encrypt_pdf(render_reportlab(d), "hemmelig", "ejer-2025", "RC4-128", SEED + i)
        else:
            raise ValueError(d.producer)
    return out


# ====================================================================== mails


@dataclass
class MailDoc:
    display: str  # the name the robot shows
    doc: Doc
    part: str  # MIME part path (IMAP numbering), for the README


@dataclass
class Mail:
    name: str
    note: str
    data: bytes = b""
    docs: list[MailDoc] = field(default_factory=list)
    status: str | None = None  # mail-level outcome: no_pdf | smime_encrypted
    traps: list[str] = field(default_factory=list)
    sender: str = ""


# The kommune's own mail gateway: its Authentication-Results are the ones the shipped rules/senders.toml believes
# (authserv_ids). Every mail from a region carries its pass; the forged ones its failure.
GATEWAY = "mx.kommune.example"


def mail_date(n: int) -> str:
    d = FIXED_DT + timedelta(hours=n * 3, minutes=7 * n)
    return d.strftime("%a, %d %b %Y %H:%M:%S +0100")


def new_mail(
    n: int, sender: str, display: str, subject: str, to: Address | None = None, auth: str | None = None
) -> EmailMessage:
    """A mail header block; addressed to the attest mailbox of the jobcentre in the sender's region."""
    m = EmailMessage()
    domain = sender.rsplit("@", 1)[1]
    if to is None:
        region = next(
            (s.region for s in SENDERS.values() if s.mail == sender), "M" if domain.endswith("rm.dk") else "N"
        )
        jc = JOBCENTRE[region]
        to = Address(f"{jc.name} Attester", addr_spec=jc.mail)
    mx = to.domain
    m["Return-Path"] = f"<{sender}>"
    m["Received"] = (
        f"from mail.{domain} (mail.{domain} [192.0.2.{10 + n}]) by mx.{mx} with ESMTPS id 4Z{n:04d}Lae; {mail_date(n)}"
    )
    m["Authentication-Results"] = auth or (
        f"{GATEWAY}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
    )
    m["From"] = Address(display, addr_spec=sender)
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = mail_date(n)
    m["Message-ID"] = f"<{20250304 + n}.{4711 + n * 13}.lae@{domain}>"
    return m


def fix_boundaries(msg: Message, prefix: str) -> None:
    counter = 0
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            counter += 1
            part.set_boundary(f"----=_Part_{prefix}_{counter}")


def pdf_part(data: bytes, content_type: str, disposition: str | None) -> Message:
    """A MIME part whose headers are written exactly as given (for RFC 2231/2047 names and odd types)."""
    p = Message()
    p["Content-Type"] = content_type
    if disposition:
        p["Content-Disposition"] = disposition
    p["Content-Transfer-Encoding"] = "base64"
    p.set_payload(base64.encodebytes(data).decode("ascii"))
    return p


def body_text(jc_sender: str, form_words: str) -> str:
    return (
        f"Til Jobcentret\n\nHermed fremsendes {form_words}.\n\nMed venlig hilsen\n{jc_sender}\n\n"
        "Denne e-mail kan indeholde fortrolige oplysninger. Er du ikke den rette modtager, bedes du "
        "slette mailen og give afsender besked.\n"
    )


def display_name(raw: str) -> str:
    """The display rule (used only to check the hand-written names below): drop Cc/Cf, keep the last path part."""
    clean = "".join(ch for ch in raw if unicodedata.category(ch) not in ("Cc", "Cf"))
    return clean.replace("\\", "/").rsplit("/", 1)[-1].strip()


def build_mails(pdfs: dict[str, bytes], mail_docs: dict[str, Doc]) -> list[Mail]:
    mails: list[Mail] = []
    D = mail_docs

    def finish(mail: Mail, msg: Message, n: int, *, broken: bool = False) -> None:
        fix_boundaries(msg, f"{n:02d}")
        data = msg.as_bytes(policy=MAIL_POLICY)
        if broken:
            closing = f"------=_Part_{n:02d}_1--".encode()
            assert data.count(closing) == 1
            data = data.replace(closing + b"\r\n", b"").replace(closing, b"")
        mail.data = data
        for md in mail.docs:
            assert md.display, md
        mails.append(mail)

    def att(m: EmailMessage, doc: Doc, filename: str) -> None:
        m.add_attachment(pdfs[doc.name], maintype="application", subtype="pdf", filename=filename)

    # 1 plain tunnel mail, one PDF (plus an inline logo that is not a PDF)
    n = 1
    s = SENDERS["rn"]
    m = new_mail(n, s.mail, "Psykiatrien Region Nordjylland", "Statusattest LÆ 125 – Jobcenter Aalborg")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "statusattest (LÆ 125) efter jeres anmodning"))
    m.add_related(
        b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(200)),
        maintype="image",
        subtype="png",
        cid="<logo-rn@rn.dk>",
        filename="logo.png",
    )
    att(m, D["m01"], "LÆ125_statusattest.pdf")
    mail = Mail(
        "01_tunnel_rn_en_pdf",
        "Tunnel mail from rn.dk with one application/pdf attachment (and an inline PNG logo that is not a PDF)",
        docs=[MailDoc("LÆ125_statusattest.pdf", D["m01"], "2")],
        sender=s.mail,
    )
    finish(mail, m, n)

    # 2 two PDFs in one mail
    n = 2
    s = SENDERS["regionh"]
    m = new_mail(n, s.mail, "Psykiatrisk Center Nordhavn", "Lægeattester vedr. jeres borger")
    m.set_content(
        body_text(
            f"{s.doctor}, {s.unit}", "lægeattest til rehabiliteringsteam (LÆ 265) samt journaloplysninger (LÆ 105)"
        )
    )
    att(m, D["m02a"], "LÆ 265 rehabiliteringsteam.pdf")
    att(m, D["m02b"], "LÆ 105 journaloplysninger.pdf")
    finish(
        Mail(
            "02_regionh_to_pdf",
            "Two PDFs (LÆ 265 and LÆ 105, same citizen) in one mail; RFC 2231 names",
            docs=[
                MailDoc("LÆ 265 rehabiliteringsteam.pdf", D["m02a"], "2"),
                MailDoc("LÆ 105 journaloplysninger.pdf", D["m02b"], "3"),
            ],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 3 application/octet-stream without a .pdf name (found by %PDF- magic), plus a damaged winmail.dat (tnef_unreadable)
    n = 3
    s = SENDERS["rsyd"]
    m = new_mail(n, s.mail, "Psykiatrien i Region Syddanmark", "Attester")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "to attester"))
    m.make_mixed()
    m.attach(pdf_part(pdfs[D["m03a"].name], "application/octet-stream", None))
    m.attach(pdf_part(pdfs[D["m03b"].name], "application/octet-stream", 'attachment; filename="LAEGEATTEST"'))
    m.attach(
        pdf_part(
            b"\x78\x9f\x3e\x22" + bytes(rng.randrange(256) for _ in range(300)),
            'application/ms-tnef; name="winmail.dat"',
            'attachment; filename="winmail.dat"',
        )
    )
    finish(
        Mail(
            "03_rsyd_octet_stream_uden_navn",
            "PDFs sent as application/octet-stream: one with no file name at "
            "all (part 2), one named 'LAEGEATTEST' without extension; both found by %PDF- magic. A winmail.dat "
            "whose TNEF is damaged (random bytes after the signature) escalates as tnef_unreadable",
            docs=[MailDoc("part-2.pdf", D["m03a"], "2"), MailDoc("LAEGEATTEST", D["m03b"], "3")],
            traps=["octet-stream PDF without name"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 4 RFC 2231 file name with æøå
    n = 4
    s = SENDERS["rmkf"]
    m = new_mail(n, s.mail, "Klinisk Funktion, Regionshospitalet Silkeborg", "Lægeattest fra klinisk funktion")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "lægeattest fra klinisk funktion (LÆ 275)"))
    m.make_mixed()
    fname = "Lægeattest Søren Ågård – LÆ 275.pdf"
    enc_name = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
        for ch in fname
    )
    m.attach(
        pdf_part(
            pdfs[D["m04"].name], f"application/pdf; name*=UTF-8''{enc_name}", f"attachment; filename*=UTF-8''{enc_name}"
        )
    )
    finish(
        Mail(
            "04_rm_rfc2231_filnavn",
            "File name in RFC 2231 form (filename*=UTF-8''...) with æøå",
            docs=[MailDoc(fname, D["m04"], "2")],
            traps=["RFC 2231 file name"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 5 RFC 2047 encoded name
    n = 5
    s = SENDERS["sj"]
    m = new_mail(n, s.mail, "Psykiatrien Region Sjælland", "Statusattest")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "statusattest"))
    m.make_mixed()
    fname = "Statusattest_Bjørn_Æbelø.pdf"
    ew = "=?UTF-8?B?" + base64.b64encode(fname.encode()).decode() + "?="
    m.attach(pdf_part(pdfs[D["m05"].name], f'application/pdf;\r\n name="{ew}"', f'attachment;\r\n filename="{ew}"'))
    finish(
        Mail(
            "05_regionsjaelland_rfc2047_filnavn",
            "File name as an RFC 2047 encoded word in name= and filename= (as Outlook sends it)",
            docs=[MailDoc(fname, D["m05"], "2")],
            traps=["RFC 2047 file name"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 6 forwarded mail: message/rfc822 holding the original with the PDF
    n = 6
    s = SENDERS["rn"]
    orig = new_mail(60, s.mail, "Psykiatrien Region Nordjylland", "Lægeattest til rehabiliteringsteam")
    orig.set_content(body_text(f"{s.doctor}, {s.unit}", "lægeattest til rehabiliteringsteam (LÆ 265)"))
    att(orig, D["m06"], "LÆ265.pdf")
    fix_boundaries(orig, "06o")
    m = new_mail(
        n, "jobcenter.ydelse@aalborg.dk", "Jobcenter Aalborg, Ydelsesteam", "VS: Lægeattest til rehabiliteringsteam"
    )
    m.set_content(
        "Hej attestpostkassen\n\nDenne mail er landet hos os ved en fejl. Videresendt som vedhæftet "
        "mail.\n\nVenlig hilsen\nYdelsesteamet\n"
    )
    m.add_attachment(orig)
    finish(
        Mail(
            "06_videresendt_rfc822",
            "Forwarded mail from a jobcentre colleague: the original (from rn.dk) is a "
            "message/rfc822 part (2) and the PDF is part 2.2 inside it",
            docs=[MailDoc("LÆ265.pdf", D["m06"], "2.2")],
            traps=["forwarded message/rfc822"],
            sender="jobcenter.ydelse@aalborg.dk",
        ),
        m,
        n,
    )

    # 7 multipart/signed with a dummy signature; the PDF has no name (part 1.2)
    n = 7
    s = SENDERS["rn2"]
    m = new_mail(n, s.mail, "Distriktspsykiatrien Hjørring", "Attest til sygedagpengeopfølgning")
    inner = EmailMessage()
    inner.set_content(body_text(f"{s.doctor}, {s.unit}", "attest til sygedagpengeopfølgning (LÆ 285)"))
    inner.make_mixed()
    inner.attach(pdf_part(pdfs[D["m07"].name], "application/pdf", "attachment"))
    sig = Message()
    sig["Content-Type"] = 'application/pkcs7-signature; name="smime.p7s"'
    sig["Content-Disposition"] = 'attachment; filename="smime.p7s"'
    sig["Content-Transfer-Encoding"] = "base64"
    sig.set_payload(
        base64.encodebytes(
            b"\x30\x82\x0b\x4a\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
            + bytes(rng.randrange(256) for _ in range(700))
        ).decode()
    )
    m["MIME-Version"] = "1.0"
    m.set_type("multipart/signed")
    m.set_param("protocol", "application/pkcs7-signature")
    m.set_param("micalg", "sha-256")
    del m["Content-Transfer-Encoding"]
    m.set_payload([inner, sig])
    finish(
        Mail(
            "07_multipart_signed",
            "multipart/signed (S/MIME signature, dummy application/pkcs7-signature); "
            "the PDF has no file name and sits at part 1.2",
            docs=[MailDoc("part-1.2.pdf", D["m07"], "1.2")],
            traps=["multipart/signed", "nameless part in a nested multipart"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 8 zip attachment holding two PDFs (and a text file)
    n = 8
    s = SENDERS["gp_od"]
    m = new_mail(n, s.mail, "Lægehuset Bøgely", "Attester")
    m.set_content(body_text(f"{s.doctor}, {s.org}", "to attester samlet i en zip-fil"))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, payload in (
            ("attest1.pdf", pdfs[D["m08a"].name]),
            ("Attester/attest2.pdf", pdfs[D["m08b"].name]),
            ("Følgebrev.txt", "Attesterne er udfyldt efter jeres anmodninger.\n".encode()),
        ):
            info = zipfile.ZipInfo(member, date_time=(2025, 3, 4, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if not member.isascii():
                info.flag_bits |= 0x800
            z.writestr(info, payload)
    m.add_attachment(zbuf.getvalue(), maintype="application", subtype="zip", filename="bilag.zip")
    finish(
        Mail(
            "08_zip_med_to_pdf",
            "A zip attachment 'bilag.zip' holding attest1.pdf, Attester/attest2.pdf and a text file",
            docs=[
                MailDoc("bilag.zip/attest1.pdf", D["m08a"], "2/zip:attest1.pdf"),
                MailDoc("bilag.zip/attest2.pdf", D["m08b"], "2/zip:Attester/attest2.pdf"),
            ],
            traps=["zip with PDFs"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 9 no attachment
    n = 9
    s = SENDERS["rsyd"]
    m = new_mail(n, s.mail, "Psykiatrien i Region Syddanmark", "Lægeattest")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "den ønskede lægeattest"))
    finish(
        Mail(
            "09_ingen_vedhaeftning",
            "The sender forgot the attachment: no PDF at all",
            status="no_pdf",
            traps=["no attachment"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 10 CPR in subject and body, same as in the PDF
    n = 10
    s = SENDERS["rm"]
    cpr10 = fmt_cpr(D["m10"].cprs[0])
    m = new_mail(n, s.mail, "Regionspsykiatrien Midt", f"Statusattest vedr. CPR {cpr10}")
    m.set_content(
        f"Til Jobcenter Viborg\n\nVedr. borger med CPR {cpr10}: statusattest vedhæftet.\n\n"
        f"Med venlig hilsen\n{s.doctor}\n"
    )
    att(m, D["m10"], "statusattest.pdf")
    finish(
        Mail(
            "10_cpr_i_emne_samme",
            "Subject and body mention the citizen's CPR, the same as in the PDF",
            docs=[MailDoc("statusattest.pdf", D["m10"], "2")],
            traps=["CPR in subject/body"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 11 CPR in body differs from the PDF's
    n = 11
    s = SENDERS["regionh"]
    wrong = make_person("H")
    m = new_mail(n, s.mail, "Psykiatrisk Center Nordhavn", "Attest til sygedagpengeopfølgning")
    m.set_content(
        f"Til Jobcentret\n\nVedr. {wrong.name}, CPR {fmt_cpr(wrong.cpr)}: attesten er vedhæftet.\n\n"
        f"Med venlig hilsen\n{s.doctor}\n"
    )
    att(m, D["m11"], "LÆ285.pdf")
    finish(
        Mail(
            "11_cpr_i_broedtekst_afviger",
            "The mail body names another person's CPR than the PDF (copy-paste "
            "slip); the document's outcome comes from the PDF",
            docs=[MailDoc("LÆ285.pdf", D["m11"], "2")],
            traps=["CPR in body differs from the PDF"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 12 hostile path names
    n = 12
    s = SENDERS["gp_kbh"]
    m = new_mail(n, s.mail, "Lægerne på Nørrebrogade", "Attester")
    m.set_content(body_text(f"{s.doctor}, {s.org}", "attester"))
    att(m, D["m12a"], "../../etc/passwd.pdf")
    m.attach(
        pdf_part(
            pdfs[D["m12b"].name],
            "application/pdf",
            "attachment; filename*=UTF-8''..%5C..%5CWindows%5CSystem32%5Cattest.pdf",
        )
    )
    finish(
        Mail(
            "12_fjendtligt_filnavn_sti",
            "Hostile file names: '../../etc/passwd.pdf' and (RFC 2231) "
            "'..\\..\\Windows\\System32\\attest.pdf'; the display name keeps only the last path component",
            docs=[MailDoc("passwd.pdf", D["m12a"], "2"), MailDoc("attest.pdf", D["m12b"], "3")],
            traps=["path traversal in file names"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 13 U+202E and NUL in file names
    n = 13
    s = SENDERS["gp_aa"]
    m = new_mail(n, s.mail, "Lægeklinikken Åboulevarden", "Attest")
    m.set_content(body_text(f"{s.doctor}, {s.org}", "attest"))
    m.make_mixed()
    rlo = "Statusattest_\u202eslx.pdf"
    m.attach(
        pdf_part(pdfs[D["m13a"].name], "application/pdf", "attachment; filename*=UTF-8''Statusattest_%E2%80%AEslx.pdf")
    )
    m.attach(pdf_part(pdfs[D["m13b"].name], "application/pdf", "attachment; filename*=UTF-8''Attest%00.pdf"))
    assert display_name(rlo) == "Statusattest_slx.pdf" and display_name("Attest\x00.pdf") == "Attest.pdf"
    finish(
        Mail(
            "13_fjendtligt_filnavn_rlo_nul",
            "File names with U+202E RIGHT-TO-LEFT OVERRIDE (shows as "
            "'Statusattest_fdp.xls') and with a NUL; control/format characters are dropped",
            docs=[MailDoc("Statusattest_slx.pdf", D["m13a"], "2"), MailDoc("Attest.pdf", D["m13b"], "3")],
            traps=["U+202E and NUL in file names"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 14 S/MIME enveloped (encrypted) mail
    n = 14
    s = SENDERS["rn"]
    m = new_mail(n, s.mail, "Psykiatrien Region Nordjylland", "Sikker post: lægeattest")
    m.set_content(
        b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03\xa0\x80"
        + bytes(rng.randrange(256) for _ in range(3000)),
        maintype="application",
        subtype="pkcs7-mime",
        params={"smime-type": "enveloped-data", "name": "smime.p7m"},
        disposition="attachment",
        filename="smime.p7m",
    )
    finish(
        Mail(
            "14_smime_krypteret",
            "S/MIME enveloped mail (application/pkcs7-mime; smime-type=enveloped-data, "
            "random payload): cannot be opened without the kommune's key",
            status="smime_encrypted",
            traps=["S/MIME encrypted"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 15 broken MIME: the closing boundary is missing, the PDF part is complete
    n = 15
    s = SENDERS["sj"]
    m = new_mail(n, s.mail, "Psykiatrien Region Sjælland", "Lægeattest til rehabiliteringsteam")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "lægeattest til rehabiliteringsteam"))
    att(m, D["m15"], "LÆ265_attest.pdf")
    finish(
        Mail(
            "15_brudt_mime_uden_slutgraense",
            "Broken MIME: the closing boundary is missing; the PDF part itself is complete and readable",
            docs=[MailDoc("LÆ265_attest.pdf", D["m15"], "2")],
            traps=["missing closing MIME boundary"],
            sender=s.mail,
        ),
        m,
        n,
        broken=True,
    )

    # 16 lookalike, untrusted sender domain
    n = 16
    s = SENDERS["lookalike"]
    m = new_mail(
        n,
        s.mail,
        "Psykiatrien Region Nordjylland",
        "Statusattest LÆ 125",
        auth=f"{GATEWAY}; spf=pass smtp.mailfrom=rn-dk.com; dkim=none; dmarc=none header.from=rn-dk.com",
    )
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "statusattest (LÆ 125)"))
    att(m, D["m16"], "LÆ125_statusattest.pdf")
    finish(
        Mail(
            "16_lookalike_afsender",
            "From the lookalike domain rn-dk.com (not rn.dk): extraction is still ok, "
            "trust is decided in a later stage",
            docs=[MailDoc("LÆ125_statusattest.pdf", D["m16"], "2")],
            traps=["untrusted lookalike sender"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 17 GP mail with text+html body (multipart/alternative), PDF at part 2
    n = 17
    s = SENDERS["gp_hj"]
    m = new_mail(n, s.mail, "Lægerne Vestergade", "Attest til sygedagpengeopfølgning")
    txt = body_text(f"{s.doctor}, {s.org}", "attest til sygedagpengeopfølgning (LÆ 285)")
    m.set_content(txt)
    m.add_alternative(
        "<html><body><p>" + txt.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p></body></html>", subtype="html"
    )
    att(m, D["m17"], "Attest LÆ285.pdf")
    finish(
        Mail(
            "17_laege_dadlnet_html",
            "GP mail (dadlnet.dk) with a text+HTML body (multipart/alternative at part 1) and the PDF at part 2",
            docs=[MailDoc("Attest LÆ285.pdf", D["m17"], "2")],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 18 a request (anmodning) returned by the region
    n = 18
    s = SENDERS["rsyd"]
    m = new_mail(n, s.mail, "Psykiatrien i Region Syddanmark", "Retur: anmodning om statusattest")
    m.set_content(
        "Til Jobcentret\n\nVi returnerer vedhæftede anmodning, da borgeren ikke er i behandling hos os.\n\n"
        f"Med venlig hilsen\n{s.unit}\n"
    )
    att(m, D["m18"], "Anmodning LÆ121.pdf")
    finish(
        Mail(
            "18_retur_anmodning",
            "The region returns the jobcentre's request (LÆ 121): not a certificate",
            docs=[MailDoc("Anmodning LÆ121.pdf", D["m18"], "2")],
            traps=["anmodning"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 19 a portal receipt (kvittering) as PDF
    n = 19
    s = SENDERS["rm"]
    m = new_mail(n, "noreply@sikkerpost.rm.dk", "Sikker Post Region Midtjylland", "Kvittering for modtagelse")
    m.set_content("Dette er en automatisk kvittering. Se vedhæftede PDF.\n")
    att(m, D["m19"], "kvittering.pdf")
    finish(
        Mail(
            "19_kvittering_pdf",
            "Automatic receipt from a regional portal (noreply@sikkerpost.rm.dk) with a "
            "'Kvittering for modtagelse' PDF: not a certificate",
            docs=[MailDoc("kvittering.pdf", D["m19"], "2")],
            traps=["kvittering"],
            sender="noreply@sikkerpost.rm.dk",
        ),
        m,
        n,
    )

    # 20 password-protected PDF (RC4-128) in a mail
    n = 20
    s = SENDERS["regionh"]
    m = new_mail(n, s.mail, "Psykiatrisk Center Nordhavn", "Statusattest (adgangskodebeskyttet)")
    m.set_content(
        "Til Jobcentret\n\nAttesten er beskyttet med adgangskode, som fremsendes i en separat mail.\n\n"
        f"Med venlig hilsen\n{s.doctor}\n"
    )
    att(m, D["m20"], "Statusattest_beskyttet.pdf")
    finish(
        Mail(
            "20_krypteret_pdf",
            "PDF encrypted with user password 'hemmelig' (RC4-128); the password 'comes in a separate mail'",
            docs=[MailDoc("Statusattest_beskyttet.pdf", D["m20"], "2")],
            traps=["password-protected PDF"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 21 single-part mail: the whole body is the PDF (part 1)
    n = 21
    s = SENDERS["spec"]
    m = new_mail(n, s.mail, "Speciallæge Karen Winther", "Speciallægeattest")
    m.set_content(
        pdfs[D["m21"].name],
        maintype="application",
        subtype="pdf",
        disposition="attachment",
        filename="LÆ 155 speciallægeattest.pdf",
    )
    finish(
        Mail(
            "21_enkeltdelt_pdf",
            "Not multipart: the mail body itself is the PDF (part 1), RFC 2231 name",
            docs=[MailDoc("LÆ 155 speciallægeattest.pdf", D["m21"], "1")],
            traps=["single-part PDF mail"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 22 forged: a region's From address, but our gateway found that SPF and DMARC fail
    n = 22
    s = SENDERS["rn"]
    m = new_mail(
        n,
        s.mail,
        "Psykiatrien Region Nordjylland",
        "Statusattest LÆ 125",
        auth=f"{GATEWAY}; spf=fail smtp.mailfrom=rn.dk; dkim=none; dmarc=fail header.from=rn.dk",
    )
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "statusattest (LÆ 125)"))
    att(m, D["m16"], "LÆ125_statusattest.pdf")
    finish(
        Mail(
            "22_forfalsket_afsender_dmarc_fail",
            "From psykiatri.attester@rn.dk, but the kommune's gateway stamped spf=fail, dkim=none, dmarc=fail: "
            "a forgery, never filed",
            docs=[MailDoc("LÆ125_statusattest.pdf", D["m16"], "2")],
            traps=["forged region sender (dmarc=fail at our gateway)"],
            sender=s.mail,
        ),
        m,
        n,
    )

    # 23 look-alike: a zero-width space inside the From domain (rn<ZWSP>.dk), and a pass for the real rn.dk
    n = 23
    m = new_mail(n, s.mail, "Psykiatrien Region Nordjylland", "Statusattest LÆ 125")
    m.set_content(body_text(f"{s.doctor}, {s.unit}", "statusattest (LÆ 125)"))
    att(m, D["m16"], "LÆ125_statusattest.pdf")
    fake = Mail(
        "23_usynligt_tegn_i_afsenderdomaene",
        "From psykiatri.attester@rn<U+200B>.dk (a zero-width space in the domain, sent as UTF-8): another domain "
        "than rn.dk, never trusted",
        docs=[MailDoc("LÆ125_statusattest.pdf", D["m16"], "2")],
        traps=["invisible character in the From domain"],
        sender=s.mail,
    )
    finish(fake, m, n)
    real_from = f"<{s.mail}>".encode()
    assert fake.data.count(real_from) == 2  # Return-Path and From
    head, sep, body = fake.data.partition(b"\r\nFrom: ")
    look_alike = "<" + s.mail.replace("@rn.dk", "@rn\u200b.dk") + ">"
    fake.data = head + sep + body.replace(real_from, look_alike.encode(), 1)
    return mails


def build_mail_documents() -> dict[str, Doc]:
    """Documents carried only by mails (reportlab/fpdf2, so the .eml bytes are deterministic)."""
    d: dict[str, Doc] = {}
    d["m01"] = attest("mail_m01", "reportlab", "125", "rn", "angst", bare=False, note="LÆ 125 from rn.dk")
    shared = make_person("H")
    d["m02a"] = attest(
        "mail_m02a",
        "fpdf2",
        "265",
        "regionh",
        "depression",
        patient=shared,
        bare=False,
        breaks=(4,),
        note="LÆ 265; same citizen as the LÆ 105 in this mail",
    )
    d["m02b"] = attest(
        "mail_m02b",
        "reportlab",
        "105",
        "regionh",
        "depression",
        patient=shared,
        bare=False,
        spelling="LÆ125",
        label="Cpr. nr:",
        style="plain",
        note="LÆ 105 ('LÆ105'); same citizen as the LÆ 265 in this mail",
    )
    d["m03a"] = attest(
        "mail_m03a",
        "fpdf2",
        "285",
        "rsyd",
        "ryg",
        bare=False,
        note="LÆ 285 sent as application/octet-stream without any name",
    )
    d["m03b"] = attest(
        "mail_m03b",
        "reportlab",
        "125",
        "rsyd",
        "ptsd",
        bare=False,
        label="CPR:",
        style="space",
        note="LÆ 125 sent as application/octet-stream named 'LAEGEATTEST'",
    )
    d["m04"] = attest(
        "mail_m04",
        "reportlab",
        "275",
        "rmkf",
        "bipolar",
        bare=False,
        spelling="LÆ-125",
        note="LÆ 275 ('LÆ-275') with an RFC 2231 æøå file name",
    )
    d["m05"] = attest(
        "mail_m05",
        "fpdf2",
        "125",
        "sj",
        "stress",
        bare=False,
        spelling="Læ 125",
        label="Personnummer:",
        note="LÆ 125 ('Læ 125') with an RFC 2047 file name",
    )
    d["m06"] = attest(
        "mail_m06",
        "reportlab",
        "265",
        "rn",
        "skizofreni",
        bare=False,
        breaks=(3,),
        note="LÆ 265 inside a forwarded message/rfc822",
    )
    d["m07"] = attest(
        "mail_m07",
        "fpdf2",
        "285",
        "rn2",
        "depression",
        bare=False,
        split=True,
        note="LÆ 285 in a multipart/signed mail; heading split 'LÆ' / '285'",
    )
    d["m08a"] = attest(
        "mail_m08a", "reportlab", "145", "gp_od", "diabetes", bare=False, note="LÆ 145, zip member attest1.pdf"
    )
    d["m08b"] = attest(
        "mail_m08b",
        "fpdf2",
        "135",
        "gp_od",
        "ryg",
        bare=False,
        spelling="LAE 125",
        note="LÆ 135 ('LAE 135'), zip member Attester/attest2.pdf",
    )
    d["m10"] = attest(
        "mail_m10",
        "fpdf2",
        "125",
        "rm",
        "skizofreni",
        bare=False,
        note="LÆ 125; the mail's subject and body carry the same CPR",
    )
    d["m11"] = attest(
        "mail_m11",
        "reportlab",
        "285",
        "regionh",
        "angst",
        bare=False,
        note="LÆ 285; the mail body carries a different person's CPR",
    )
    d["m12a"] = attest(
        "mail_m12a", "reportlab", "225", "gp_kbh", "diabetes", bare=False, note="LÆ 225 named '../../etc/passwd.pdf'"
    )
    d["m12b"] = attest(
        "mail_m12b",
        "fpdf2",
        "145",
        "gp_kbh",
        "stress",
        bare=False,
        layout="cells",
        note="LÆ 145 named '..\\..\\Windows\\System32\\attest.pdf'",
    )
    d["m13a"] = attest(
        "mail_m13a", "reportlab", "125", "gp_aa", "depression", bare=False, note="LÆ 125 whose name carries U+202E"
    )
    d["m13b"] = attest("mail_m13b", "fpdf2", "285", "gp_aa", "ryg", bare=False, note="LÆ 285 whose name carries NUL")
    d["m15"] = attest(
        "mail_m15",
        "fpdf2",
        "265",
        "sj",
        "ptsd",
        bare=False,
        breaks=(4,),
        note="LÆ 265 in a mail with a missing closing boundary",
    )
    d["m16"] = attest(
        "mail_m16",
        "reportlab",
        "125",
        "lookalike",
        "bipolar",
        bare=False,
        note="LÆ 125 from the lookalike domain rn-dk.com",
    )
    d["m17"] = attest(
        "mail_m17", "fpdf2", "285", "gp_hj", "stress", bare=False, label="Cpr. nr:", note="LÆ 285 from a GP"
    )
    d["m18"] = anmodning(
        "mail_m18", "reportlab", "121", "S", "depression", bare=False, note="LÆ 121 anmodning returned by the region"
    )
    kp = make_person("M")
    d["m19"] = Doc(
        "mail_m19",
        "fpdf2",
        ["Sikker Post · Region Midtjylland"],
        ["Kvittering for modtagelse"],
        [
            Para("Vi har modtaget jeres forsendelse.", "bold"),
            Para(
                f"LÆ 121 er afsendt til Regionspsykiatrien Midt den {ddmmyyyy(TODAY)} kl. 08:52 og er "
                f"registreret i modtagesystemet."
            ),
            KV([("Borger:", kp.name), ("CPR:", fmt_cpr(kp.cpr)), ("Kvitteringsnr.:", "SP-2025-0311-00042")]),
            Para("Denne kvittering er dannet automatisk.", "small"),
        ],
        title="Kvittering for modtagelse",
        cprs=[kp.cpr],
        code="121",
        doc_kind="kvittering",
        bare=False,
        note="Portal receipt ('Kvittering for modtagelse', 'LÆ 121 er afsendt') with the citizen's CPR",
    )
    d["m20"] = attest(
        "mail_m20",
        "encrypted-rc4",
        "125",
        "regionh",
        "ptsd",
        bare=False,
        note="LÆ 125 encrypted with user password 'hemmelig' (RC4-128)",
    )
    d["m20"].read_failure = "pdf_encrypted"
    d["m20"].base = "reportlab"
    d["m21"] = attest(
        "mail_m21",
        "reportlab",
        "155",
        "spec",
        "angst",
        bare=False,
        breaks=(3,),
        note="LÆ 155 as the whole (single-part) mail body",
    )
    return d


# ====================================================================== outputs


def write_outputs(docs: list[Doc], pdfs: dict[str, bytes], mails: list[Mail]) -> list[dict]:
    for d in (PDF_DIR, MAIL_DIR):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    rows: list[dict] = []
    for d in docs:
        path = PDF_DIR / f"{d.name}.pdf"
        path.write_bytes(pdfs[d.name])
        rows.append(
            dict(
                file=f"samples/pdf/{d.name}.pdf",
                attachment=None,
                **outcome(d),
                note=d.note,
                _producer=producer_label(d),
                _traps=d.traps,
                _doc=d,
            )
        )
    for m in mails:
        path = MAIL_DIR / f"{m.name}.eml"
        path.write_bytes(m.data)
        if m.status:
            rows.append(
                dict(
                    file=f"samples/mail/{m.name}.eml",
                    attachment=None,
                    cpr=None,
                    blanket=None,
                    kind=None,
                    status=m.status,
                    note=m.note,
                    _producer="mail",
                    _traps=m.traps,
                    _doc=None,
                    _mail=m,
                )
            )
        for md in m.docs:
            rows.append(
                dict(
                    file=f"samples/mail/{m.name}.eml",
                    attachment=md.display,
                    **outcome(md.doc),
                    note=f"{m.note} — {md.doc.note}",
                    _producer=producer_label(md.doc),
                    _traps=list(dict.fromkeys(m.traps + md.doc.traps)),
                    _doc=md.doc,
                    _mail=m,
                    _part=md.part,
                )
            )
    rows.sort(key=lambda r: (r["file"], r["attachment"] or ""))
    with open(EXPECTED, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(
                json.dumps(
                    {k: r[k] for k in ("file", "attachment", "cpr", "blanket", "kind", "status", "note")},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return rows


def producer_label(d: Doc) -> str:
    return {
        "raw": "raw PDF objects",
        "reportlab-acroform": "reportlab (acroForm)",
        "image": "Pillow + reportlab",
        "encrypted": f"{d.base} + pypdf (AES-256)",
        "encrypted-rc4": f"{d.base} + pypdf (RC4-128)",
        "truncated": f"{d.base}, truncated",
    }.get(d.producer, d.producer)


def md_cell(s: str | None) -> str:
    if s is None:
        return "–"
    return s.replace("|", "\\|").replace("\n", " ").replace("\u202e", "U+202E").replace("\x00", "NUL")


def write_readme(rows: list[dict], docs: list[Doc], mails: list[Mail]) -> None:
    from collections import Counter

    bare = [r for r in rows if r["file"].startswith("samples/pdf/")]
    mailrows = [r for r in rows if r["file"].startswith("samples/mail/")]
    prod_bare = Counter(r["_producer"] for r in bare)
    prod_mail = Counter(r["_producer"] for r in mailrows if r.get("_doc") is not None)
    status = Counter(r["status"] for r in rows)

    def form_of(d: Doc) -> str:
        if d.doc_kind == "kvittering":
            return "Kvittering (not a form)"
        if d.doc_kind:
            return "Mulighedserklæring (not a form)"
        if d.code is None:
            return "no form code"
        if d.code not in CATALOGUE:
            return f"LÆ {d.code} (unknown)"
        return f"LÆ {d.code} {CATALOGUE[d.code]['title']} ({CATALOGUE[d.code]['kind']})"

    forms = Counter(form_of(r["_doc"]) for r in rows if r.get("_doc") is not None)
    form_rows = [f"| {k} | {forms.get(k, 0)} |" for k in sorted(forms)]
    lines = [
        "# Samples",
        "",
        "Generated by `samples/generate.py` (run `.venv/bin/python samples/generate.py` from the repo root; "
        "do not edit the outputs by hand). Everything here is fictitious: people, CPR numbers, addresses, "
        "clinics, wards, doctors and case numbers are made up.",
        "",
        "* `pdf/` – bare PDFs (certificates, requests, receipts, traps and unreadable files)",
        "* `mail/` – `.eml` mails as the jobcentre's mailbox receives them",
        "* `expected.jsonl` – the ground truth, one JSON object per document, sorted by file then attachment: "
        "`file`, `attachment` (display name, null for a bare PDF or a mail-level outcome), `cpr` (full "
        "`DDMMYY-SSSS` or null), `blanket` (`LÆ 125` or null), `kind`, `status` (`ok` or a `Reason` code), `note`.",
        "",
        "Ground truth is what a careful human concludes from the generator's own data, never an extractor's "
        "output. Precedence when several things are wrong: PDF read failures (`pdf_encrypted`, "
        "`no_text_layer`, `pdf_unreadable`; cpr/blanket/kind null) > `not_certificate` (anmodning, kvittering, "
        "andet; cpr filled when exactly one, blanket only for an anmodning) > CPR reasons (`no_cpr`, "
        "`ambiguous_cpr`, `invalid_cpr`; cpr null) > form reasons (`unknown_blanket`, `no_blanket`; blanket and "
        "kind null, cpr filled).",
        "",
        "Attachment display names: the decoded file name without Unicode Cc/Cf characters (NUL, U+202E, ...), "
        "only the last path component after `/` or `\\`, trimmed; a part without a name is `part-<N>.pdf` with N "
        "the IMAP-style MIME part path; zip members are `<zip display name>/<member basename>`.",
        "",
        "Byte-determinism: every file is byte-identical between runs except possibly the LibreOffice PDFs: soffice "
        "stamps its own conversion time, /ID and /DocChecksum, which the generator overwrites with fixed values of "
        "the same length; other stamps of other LibreOffice versions may remain. Mails embed only reportlab/fpdf2 "
        "PDFs, so they are always byte-stable.",
        "",
        f"Totals: {len(bare)} bare PDFs, {len(mails)} mails ({len(mailrows)} expected lines from mails), "
        f"{len(rows)} lines in expected.jsonl.",
        "",
        "| producer | bare PDFs | PDFs in mails |",
        "|---|---|---|",
        *[f"| {k} | {prod_bare.get(k, 0)} | {prod_mail.get(k, 0)} |" for k in sorted(set(prod_bare) | set(prod_mail))],
        "",
        "| expected status | lines |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(status.items())],
        "",
        "| the document's own form (bare PDFs and PDFs in mails, whatever their outcome) | documents |",
        "|---|---|",
        *form_rows,
        "",
        "CPR numbers are masked in this table (`DDMMYY-xxxx`); the full fictitious numbers are in `expected.jsonl`.",
        "",
        "## Bare PDFs",
        "",
        "| file | producer | pages | trap | expected status | cpr | blanket | kind | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bare:
        pages = r.get("_pages", "")
        lines.append(
            f"| `{r['file'][8:]}` | {r['_producer']} | {pages} | {md_cell('; '.join(r['_traps']) or '–')} | "
            f"**{r['status']}** | {mask_cpr(r['cpr'].replace('-', '')) if r['cpr'] else '–'} | "
            f"{md_cell(r['blanket'])} | {md_cell(r['kind'])} | {md_cell(r['note'])} |"
        )
    lines += [
        "",
        "## Mails",
        "",
        "| file | attachment (display name) | MIME part | producer | trap | expected status | cpr | blanket | "
        "kind | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in mailrows:
        note = r["note"]
        lines.append(
            f"| `{r['file'][8:]}` | {md_cell(r['attachment'])} | {r.get('_part', '–')} | {r['_producer']} | "
            f"{md_cell('; '.join(r['_traps']) or '–')} | **{r['status']}** | "
            f"{mask_cpr(r['cpr'].replace('-', '')) if r['cpr'] else '–'} | {md_cell(r['blanket'])} | "
            f"{md_cell(r['kind'])} | {md_cell(note)} |"
        )
    lines += [
        "",
        "## Senders of the mails",
        "",
        "| mail | From |",
        "|---|---|",
        *[f"| `{m.name}.eml` | `{m.sender}` |" for m in mails],
        "",
    ]
    README.write_text("\n".join(lines), encoding="utf-8")


def count_pages(data: bytes) -> str:
    import logging

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # the truncated sample is broken on purpose
    try:
        from pypdf import PdfReader

        r = PdfReader(io.BytesIO(data))
        if r.is_encrypted:
            if r.decrypt("") == 0:
                return "?"
        return str(len(r.pages))
    except Exception:  # noqa: BLE001 - unreadable on purpose
        return "?"


def main() -> int:
    t0 = time.monotonic()
    docs = build_documents()
    mail_docs = build_mail_documents()
    names = [d.name for d in docs] + [d.name for d in mail_docs.values()]
    assert len(names) == len(set(names)), "duplicate document names"
    for d in [*docs, *mail_docs.values()]:  # every CPR in ground truth is a valid one
        for c in d.cprs:
            assert cpr_birth_date(c) is not None, (d.name, c)
    pdfs = render_all([*docs, *mail_docs.values()])
    mails = build_mails(pdfs, mail_docs)
    rows = write_outputs(docs, pdfs, mails)
    for r in rows:
        if r.get("_doc") is not None:
            r["_pages"] = count_pages(pdfs[r["_doc"].name])
    write_readme(rows, docs, mails)
    # coverage checks: every catalogue form appears at least once as a document's own form
    seen = {d.code for d in [*docs, *mail_docs.values()] if d.code and not d.doc_kind}
    missing = set(CATALOGUE) - seen
    assert not missing, f"forms never generated: {sorted(missing)}"
    print(
        f"wrote {len(docs)} PDFs to {PDF_DIR.relative_to(REPO)}, {len(mails)} mails to "
        f"{MAIL_DIR.relative_to(REPO)}, {len(rows)} expected lines in {time.monotonic() - t0:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
