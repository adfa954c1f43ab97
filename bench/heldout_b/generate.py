#!/usr/bin/env python3
"""Held-out corpus B for lae-robot: fictitious LÆ-like PDFs, mails and truth.jsonl.

Written blind to the robot's code (issue 8) by a session that read only DOMAIN.md, the README and the rule
files; the robot was then corrected against what it found, so it is a development set now (README, "Accuracy").

    .venv/bin/python bench/heldout_b/generate.py [--seed 8008] [--out /tmp/heldout_b]

Needs reportlab and fpdf2 (the project's dev virtualenv has both) and Debian's chromium, libreoffice-writer and
ghostscript.

Producers: reportlab (incl. AcroForm fields, scans, encryption), fpdf2, Chromium headless
print-to-pdf, LibreOffice (from .docx and .html written here) and Ghostscript (from
hand-written PostScript). Everything is fictitious. Deterministic for a given seed
(PDF bytes may differ in embedded timestamps; truth does not).
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import html
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from email.headerregistry import Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cprlib import mod11, valid_date, century  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONTB = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONTS = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
CHROMIUM = "/usr/bin/chromium"

# ----------------------------------------------------------------------------- data
FIRST_M = ["Søren", "Bjørn", "Jørgen", "Lars", "Jens", "Niels", "Peter", "Ole", "Bent", "Rasmus", "Mads",
           "Frederik", "Kasper", "Jesper", "Henrik", "Thomas", "Michael", "Martin", "Karsten", "Torben",
           "Flemming", "Preben", "Poul", "Knud", "Erik", "Svend", "Kåre", "Børge", "Aksel", "Anders", "Morten",
           "Mikkel", "Jakob", "Emil", "Oliver", "Asger", "Steffen", "Bo", "Jan", "Claus"]
FIRST_F = ["Mette", "Anne", "Kirsten", "Hanne", "Sofie", "Ida", "Freja", "Emma", "Mathilde", "Louise",
           "Camilla", "Maja", "Bodil", "Grethe", "Birgitte", "Inger", "Tove", "Lone", "Pia", "Dorthe",
           "Susanne", "Gitte", "Helle", "Malene", "Trine", "Ea", "Asta", "Åse", "Bente", "Karen", "Signe",
           "Rikke", "Line", "Tine", "Jytte", "Solvej", "Ulla", "Vibeke", "Marianne", "Nanna"]
SURN = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
        "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen",
        "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen", "Mikkelsen", "Østergaard",
        "Bækgaard", "Damgaard", "Lauritsen", "Frøkjær", "Skøtt", "Kjærsgaard", "Søndergaard", "Holm", "Lund",
        "Dahl", "Bech", "Kragh", "Winther", "Ågaard", "Brøndum", "Nørgaard", "Kirkegaard", "Vestergaard",
        "Højer", "Læsø", "Bødker", "Toft", "Fog", "Iversen", "Friis", "Schmidt"]
MIDDLE = ["Bo", "Juul", "Skov", "Krogh", "Holm", "Bach", "Dam", "Lykke", "Marie", "Louise", "Kjær", "Bjerre",
          "Møller", "Kirstine", "Emil", "Aagaard", "Brink", "Lind"]
TOWNS = [("9000", "Aalborg"), ("9800", "Hjørring"), ("9400", "Nørresundby"), ("8000", "Aarhus C"),
         ("7100", "Vejle"), ("5000", "Odense C"), ("6700", "Esbjerg"), ("4000", "Roskilde"),
         ("4700", "Næstved"), ("2400", "København NV"), ("3400", "Hillerød"), ("9900", "Frederikshavn"),
         ("8600", "Silkeborg"), ("7400", "Herning"), ("4200", "Slagelse"), ("9700", "Brønderslev")]
STREETS = ["Vestergade", "Østergade", "Søndergade", "Nørregade", "Havnegade", "Kirkevej", "Skolevej",
           "Bøgevej", "Egevej", "Åboulevarden", "Stationsvej", "Møllevej", "Engvej", "Markvej", "Strandvejen",
           "Hobrovej", "Ryesgade", "Frederiksgade", "Kærvej", "Løvstræde"]
CLINICS = [
    ("Psykiatrien, Region Nordjylland", "Psykiatrisk Ambulatorium {town}", "rn.dk", "psykiatri.rn.dk"),
    ("Aalborg Universitetshospital – Psykiatrien", "Afsnit S{n}, Mølleparkvej", "rn.dk", "rn.dk"),
    ("Region Hovedstadens Psykiatri", "Psykiatrisk Center {town}", "regionh.dk", "regionh.dk"),
    ("Psykiatrien i Region Syddanmark", "Psykiatrisk Afdeling {town}", "rsyd.dk", "psykiatrien.rsyd.dk"),
    ("Regionspsykiatrien Midt", "Afdeling P{n}", "rm.dk", "ps.rm.dk"),
    ("Aarhus Universitetshospital, Psykiatrien", "Ambulatorium for depression og angst", "rm.dk", "rm.dk"),
    ("Psykiatrien Region Sjælland", "Distriktspsykiatrien {town}", "regionsjaelland.dk", "regionsjaelland.dk"),
    ("Sjællands Universitetshospital", "Medicinsk Afdeling {n}", "regionsjaelland.dk", "suh.regionsjaelland.dk"),
    ("Region Nordjylland, Sygehus Vendsyssel", "Ortopædkirurgisk Ambulatorium", "rn.dk", "rn.dk"),
    ("Rigshospitalet", "Neurologisk Klinik {n}", "regionh.dk", "regionh.dk"),
    ("Odense Universitetshospital", "Reumatologisk Afdeling C", "rsyd.dk", "ouh.rsyd.dk"),
]
GP_CLINICS = ["Lægerne i {street}", "Lægehuset ved Åen", "Lægeklinikken {town}", "Speciallæge i psykiatri {doc}",
              "Lægehuset {street} {no}", "Almen praksis {doc}", "Lægecentret {town} Syd"]
DOC_TITLES = ["Overlæge", "Afdelingslæge", "Reservelæge", "Speciallæge", "Læge", "1. reservelæge", "Praktiserende læge"]

FORMS = {
    "105": "Journaloplysninger fra sygehus", "115": "Journaloplysninger fra speciallægepraksis",
    "125": "Statusattest", "135": "Specifik helbredsattest", "145": "Generel helbredsattest",
    "155": "Speciallægeattest", "165": "Forslag om socialmedicinsk sagsbehandling",
    "225": "Attest vedr. kronisk sygdom", "265": "Lægeattest til rehabiliteringsteam",
    "275": "Lægeattest fra klinisk funktion", "285": "Attest til sygedagpengeopfølgning",
}
REQUESTS = {"121": "Anmodning om statusattest", "131": "Anmodning om specifik helbredsattest",
            "141": "Anmodning om generel helbredsattest", "221": "Anmodning om attest vedr. kronisk sygdom",
            "261": "Anmodning om lægeattest til rehabiliteringsteam",
            "281": "Anmodning om attest til sygedagpengeopfølgning"}
FORM_WEIGHTS = [("125", 30), ("285", 14), ("105", 10), ("265", 10), ("135", 5), ("145", 5), ("155", 6),
                ("115", 5), ("225", 5), ("275", 5), ("165", 2)]

PAT_LABELS = ["CPR-nr.", "CPR nr.", "Cpr. nr", "CPR-nummer", "Personnummer", "Pers.nr.", "Personnr.", "CPR",
              "Cpr.nr.", "CPR.nr.", "cpr-nr", "CPR-NR", "Borgerens CPR-nr.", "Patientens CPR-nummer",
              "Personnummer (CPR)", "CPR-nr. (patient)", "Sikredes CPR-nr.", "Cpr nummer", "Person-nr.",
              "Personens cpr.nr.", "Borgers personnummer", "Pt. CPR", "Cpr-nr./Personnr."]
NAME_LABELS = ["Navn", "Patientens navn", "Borgerens navn", "Navn på borger", "Patient", "Fulde navn", "Navn (fulde)"]

RELATIONS = ["far", "mor", "ægtefælle", "samlever", "barn", "søn", "datter", "værge", "kontaktperson",
             "hustru", "ægtemand", "bror", "søster", "partner", "plejemor", "bisidder", "nærmeste pårørende",
             "kæreste", "forælder", "svigerdatter"]
REL_HEADINGS = ["Pårørende", "Oplysninger om pårørende", "Nærmeste pårørende", "Kontaktperson",
                "Værge / pårørende", "PÅRØRENDE", "Kontaktoplysninger på pårørende", "Familie"]

# Forms of writing a CPR number (key -> needs unicode beyond latin-1)
CPR_FORMS = {
    "std": False, "space": False, "spdash": False, "pairs": False, "dots": False, "plain": False,
    "nbsp": False, "thin": True, "nnbsp": True, "endash": True, "slash": False, "dashes": False,
    "dots_space": False, "nbhyph": True, "pairs_all": False, "thin_dash": True, "yyyy": False,
    "space2": False,
}
UNUSUAL = [k for k in CPR_FORMS if k != "std"]


def fmt_cpr(c: str, form: str) -> str:
    d, m, y, s = c[0:2], c[2:4], c[4:6], c[6:]
    return {
        "std": f"{d}{m}{y}-{s}", "space": f"{d}{m}{y} {s}", "spdash": f"{d}{m}{y} - {s}",
        "pairs": f"{d} {m} {y}-{s}", "dots": f"{d}.{m}.{y}-{s}", "plain": f"{d}{m}{y}{s}",
        "nbsp": f"{d}{m}{y}\u00a0{s}", "thin": f"{d}{m}{y}\u2009{s}", "nnbsp": f"{d}{m}{y}\u202f{s}",
        "endash": f"{d}{m}{y}\u2013{s}", "slash": f"{d}{m}{y}/{s}", "dashes": f"{d}-{m}-{y}-{s}",
        "dots_space": f"{d}.{m}.{y} {s}", "nbhyph": f"{d}{m}{y}\u2011{s}", "pairs_all": f"{d} {m} {y} {s}",
        "thin_dash": f"{d}{m}{y}\u2009-\u2009{s}", "space2": f"{d}{m}{y}  {s}",
        "yyyy": f"{d}.{m}.{full_year(c)}-{s}",
    }[form]


def full_year(c: str) -> str:
    return str(century(int(c[4:6]), int(c[6])) + int(c[4:6]))


# ----------------------------------------------------------------------------- random helpers
class R:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.used = set()

    def __getattr__(self, k):
        return getattr(self.r, k)

    def wchoice(self, pairs):
        return self.r.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    def digits(self, n, first_nonzero=True):
        s = str(self.r.randint(1, 9)) if first_nonzero else str(self.r.randint(0, 9))
        return s + "".join(str(self.r.randint(0, 9)) for _ in range(n - 1))

    def cpr(self, year_lo=1950, year_hi=2004, m11=None, jan1=None, unique=True):
        """A fictitious CPR number with a valid date and century digit."""
        for _ in range(10000):
            year = self.r.randint(year_lo, year_hi)
            if jan1 is None:
                j1 = self.r.random() < 0.05
            else:
                j1 = jan1
            if j1:
                mo, da = 1, 1
            else:
                mo = self.r.randint(1, 12)
                da = self.r.randint(1, 28 if mo == 2 else (30 if mo in (4, 6, 9, 11) else 31))
            yy = year % 100
            if year >= 2000:
                d7 = self.r.choice([4, 5, 6, 7, 8, 9])
            else:
                d7 = self.r.choice([0, 1, 2, 3] + ([4, 9] if yy >= 37 else []))
            want = m11 if m11 is not None else (self.r.random() > 0.18)
            base = f"{da:02d}{mo:02d}{yy:02d}{d7}"
            cands = []
            for rest in range(1000):
                s = base + f"{rest:03d}"
                if mod11(s) == want:
                    cands.append(s)
                    if len(cands) > 30:
                        break
            if not cands:
                continue
            s = self.r.choice(cands)
            assert valid_date(s)
            if unique and s in self.used:
                continue
            self.used.add(s)
            return s
        raise RuntimeError("no cpr")

    def tendigit_nodate(self):
        while True:
            s = self.digits(10)
            if not valid_date(s):
                return s

    def date(self, y0=2023, y1=2025):
        return dt.date(y0, 1, 1) + dt.timedelta(days=self.r.randint(0, 365 * (y1 - y0) + 300))


# ----------------------------------------------------------------------------- names
def translit(s):
    return (s.replace("æ", "ae").replace("Æ", "Ae").replace("ø", "oe").replace("Ø", "Oe")
            .replace("å", "aa").replace("Å", "Aa"))


@dataclass
class Person:
    first: str
    middle: str
    last: str
    cpr: str

    @property
    def full(self):
        return " ".join(x for x in (self.first, self.middle, self.last) if x)


def new_person(rr: R, cpr=None, female=None, **kw):
    female = rr.random() < 0.55 if female is None else female
    first = rr.choice(FIRST_F if female else FIRST_M)
    mids = [m for m in MIDDLE if m not in (("Emil",) if female else ("Marie", "Louise", "Kirstine"))]
    middle = rr.choice(mids) if rr.random() < 0.35 else ""
    last = rr.choice(SURN)
    if rr.random() < 0.1:
        last = last + "-" + rr.choice(SURN)
    return Person(first, middle, last, cpr or rr.cpr(**kw))


def print_name(rr: R, p: Person):
    v = rr.wchoice([("plain", 40), ("comma", 20), ("upper_last", 8), ("translit", 12), ("nomiddle", 8),
                    ("upper", 6), ("initial", 6)])
    if v == "plain":
        return p.full
    if v == "comma":
        return f"{p.last}, {' '.join(x for x in (p.first, p.middle) if x)}"
    if v == "upper_last":
        return f"{p.last.upper()}, {p.first}" + (f" {p.middle}" if p.middle else "")
    if v == "translit":
        return translit(p.full)
    if v == "nomiddle":
        return f"{p.first} {p.last}"
    if v == "upper":
        return p.full.upper()
    return f"{p.first} {p.middle[0] + '. ' if p.middle else ''}{p.last}"


# ----------------------------------------------------------------------------- document model
@dataclass
class Doc:
    name: str
    producer: str
    scenario: str
    blocks: list = field(default_factory=list)
    header: list = field(default_factory=list)   # lines repeated at the top of each page
    footer: str = ""                            # line repeated at the bottom of each page
    truth: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)   # (kind, text line) of every line that carries a CPR-like number
    scan: bool = False
    encrypt: str | None = None                  # None | "owner" | "user"
    merge_with: "Doc | None" = None
    hard_share: float = 0.0                     # share of ten-digit decoys with a valid birth date + mod 11

    def add(self, *b):
        self.blocks.append(tuple(b))

    def note(self, what, text):
        self.lines.append({"what": what, "line": text})


def unicode_ok(producer):
    return producer != "gs"


# ----------------------------------------------------------------------------- content pools
SECTIONS = {
    "Diagnose": ["Moderat depressiv enkeltepisode (DF32.1).", "Generaliseret angst (DF41.1).",
                 "Belastningsreaktion (DF43.2) med søvnforstyrrelser.", "Kroniske lænderygsmerter (DM54.5).",
                 "Tilbagevendende depression, aktuelt moderat episode (DF33.1).", "Bipolar affektiv sindslidelse, stabil.",
                 "Posttraumatisk belastningsreaktion (DF43.1).", "Skulderimpingement højre side."],
    "Anamnese": ["Borgeren har været sygemeldt siden {d1} efter en periode med tiltagende træthed og koncentrationsbesvær.",
                 "Patienten er fulgt i ambulatoriet siden {d1}. Der er sket en langsom bedring.",
                 "Henvist fra egen læge {d1} pga. forværring af angstsymptomer.",
                 "Tidligere velfungerende. Debut af symptomer i forbindelse med skilsmisse i foråret."],
    "Objektiv undersøgelse": ["Velorienteret, samarbejdende, let nedtrykt stemningsleje. Ingen psykotiske symptomer.",
                              "Normal gang. Nedsat bevægelighed i lænd. Neurologisk upåfaldende.",
                              "Afdæmpet, god kontakt. Ingen selvmordstanker."],
    "Behandling": ["Sertralin 100 mg dagligt samt samtaleforløb hver 14. dag.",
                   "Fysioterapi to gange ugentligt. Smertestillende efter behov.",
                   "Psykoedukation og kognitiv adfærdsterapi, 12 sessioner."],
    "Prognose": ["Forventet delvis raskmelding inden for 8-12 uger.", "Prognosen er god ved fortsat behandling.",
                 "Usikker; afhænger af effekt af igangværende behandling."],
    "Funktionsevne": ["Kan aktuelt varetage lettere opgaver 10-15 timer ugentligt.",
                      "Bør undgå tunge løft og natarbejde.", "Skånehensyn: rolige omgivelser, faste rammer."],
}


# ----------------------------------------------------------------------------- corpus builder
class Builder:
    def __init__(self, rr: R):
        self.rr = rr
        self.docs: list[Doc] = []
        self.n = 0

    # producers ---------------------------------------------------------------
    def pick_producer(self, allowed=None):
        pairs = [("reportlab", 28), ("fpdf2", 24), ("chromium", 20), ("soffice", 16), ("gs", 12)]
        if allowed:
            pairs = [p for p in pairs if p[0] in allowed]
        return self.rr.wchoice(pairs)

    def new_doc(self, scenario, producer=None, allowed=None):
        self.n += 1
        producer = producer or self.pick_producer(allowed)
        d = Doc(name=f"hb_{self.n:03d}_{producer}.pdf", producer=producer, scenario=scenario)
        self.docs.append(d)
        return d

    # pieces ------------------------------------------------------------------
    def clinic(self):
        rr = self.rr
        postal, town = rr.choice(TOWNS)
        doc = new_person(rr, cpr="0000000000")
        docname = f"{rr.choice(DOC_TITLES)} {doc.first} {doc.last}"
        if rr.random() < 0.6:
            org, unit, dom, sub = rr.choice(CLINICS)
            unit = unit.format(town=town, n=rr.randint(1, 9))
        else:
            org = rr.choice(GP_CLINICS).format(street=rr.choice(STREETS), town=town, doc=f"{doc.first} {doc.last}",
                                               no=rr.randint(1, 80))
            unit, dom, sub = "", "laeger.example.dk", "laeger.example.dk"
        addr = f"{rr.choice(STREETS)} {rr.randint(1, 120)}, {postal} {town}"
        return {"org": org, "unit": unit, "addr": addr, "domain": dom, "sub": sub, "doctor": docname, "town": town}

    def decoy(self, d: Doc, kind=None, hard=None):
        """One line with a CPR-like number that is not a person's; noted in truth."""
        rr = self.rr
        hard = rr.random() < d.hard_share if hard is None else hard
        ten = rr.cpr(year_lo=1940, year_hi=2019, m11=True) if hard else rr.tendigit_nodate()
        kinds = ["dokid", "henvid", "henvid2", "rekv", "sag", "journal", "bank", "bank2", "bank3", "phone",
                 "cvr", "pnr", "yder", "ean", "date", "amount", "period", "journal2", "ref", "ordre", "brev",
                 "kontakt", "sor", "dokid2", "pnr2"]
        kind = kind or rr.choice(kinds)
        dstr = rr.date().strftime("%d.%m.%Y")
        reg = rr.digits(4)
        tmpl = {
            "dokid": (rr.choice(["Dokument-ID", "Dokument ID", "Dok.-ID", "DokumentID", "Dokument-id"]), ten),
            "dokid2": (rr.choice(["Dok.nr.", "Dokumentnummer", "Dokument nr.", "Brevnummer", "Forsendelses-ID"]), ten),
            "henvid": (rr.choice(["Henvisnings-ID", "Henv.-ID", "Henvisnings ID", "Henvisningsnr.", "Henv.nr."]), ten),
            "henvid2": (rr.choice(["Rekvisitions-ID", "Rekvisitionsnr.", "Bestillings-ID", "Konsultations-ID"]), ten),
            "rekv": (rr.choice(["Rekv.nr.", "Rekv. nr", "Rekvisition nr.", "Labnr."]), ten),
            "sag": (rr.choice(["Sag nr.", "Sagsnr.", "Sags-ID", "Sagsnummer", "Deres sagsnr.", "Kommunens sag nr."]), ten),
            "journal": (rr.choice(["Journalnr.", "J.nr.", "Journal nr.", "Journalnummer"]), ten),
            "journal2": (rr.choice(["J.nr.", "Journalnr."]), f"{dstr[:2]}.{dstr[3:5]}.{dstr[8:]}-G01-{rr.digits(4)}-{rr.digits(2)}"),
            "ref": (rr.choice(["Vores ref.", "Deres ref.", "Ref.nr.", "Reference", "Løbenr."]), ten),
            "ordre": (rr.choice(["Ordre nr.", "Faktura nr.", "Fakturanr.", "Ekspeditionsnr."]), ten),
            "brev": (rr.choice(["Brev-ID", "Besked-ID", "Meddelelses-ID", "Kuvert-ID"]), ten),
            "kontakt": (rr.choice(["Kontakt-ID", "Forløbs-ID", "Indlæggelses-ID", "Episode-ID"]), ten),
            "bank": ("Bankkonto", f"{reg} {ten}"),
            "bank2": ("Reg.nr.", f"{reg} Konto {ten}"),
            "bank3": (rr.choice(["Kontonr.", "Konto nr.", "Udbetales til konto"]), f"{reg}-{ten}"),
            "phone": (rr.choice(["Tlf.", "Telefon", "Tlf. nr.", "Mobil", "Direkte tlf."]),
                      rr.choice([f"{rr.digits(2)} {rr.digits(2, False)} {rr.digits(2, False)} {rr.digits(2, False)}",
                                 f"+45 {rr.digits(8)}", f"{rr.digits(4)} {rr.digits(4, False)}"])),
            "cvr": (rr.choice(["CVR-nr.", "CVR", "SE-nr.", "CVR nr."]), rr.digits(8)),
            "pnr": (rr.choice(["P-nr.", "P-nummer", "Produktionsenhed (P-nr.)"]), ten),
            "pnr2": (rr.choice(["P-nr.", "Pnr."]), f"{ten[:4]} {ten[4:]}"),
            "yder": (rr.choice(["Ydernr.", "Yder-nr.", "Ydernummer", "Ydernr"]), rr.digits(6)),
            "ean": (rr.choice(["EAN-nr.", "EAN", "Lokationsnr.", "GLN", "EAN-lokationsnummer"]), "579" + rr.digits(10, False)),
            "sor": (rr.choice(["SOR-id", "SOR-kode"]), rr.digits(15)),
            "date": (rr.choice(["Dato", "Udskrevet", "Modtaget", "Undersøgt d.", "Sidst set"]),
                     rr.choice([dstr, dstr.replace(".", "-"), rr.date().strftime("%Y-%m-%d"), rr.date().strftime("%d%m%y"),
                                rr.date().strftime("%d/%m-%y"), rr.date().strftime("%d.%m.%y kl. %H.%M")])),
            "period": (rr.choice(["Periode", "Indlagt", "Sygemeldt i perioden"]),
                       f"{rr.date().strftime('%d%m%y')}-{rr.date().strftime('%d%m%y')}"),
            "amount": (rr.choice(["Honorar", "Beløb", "Takst"]), f"kr. {rr.randint(1, 99)}.{rr.digits(3, False)},{rr.choice(['00', '50'])}"),
        }[kind]
        label, value = tmpl
        digits = "".join(ch for ch in value if ch.isdigit())
        entry = {"what": f"decoy:{kind}", "label": label, "value": value}
        if len(digits) >= 10:
            for i in range(len(digits) - 9):
                t = digits[i:i + 10]
                if valid_date(t):
                    entry.setdefault("cpr_like", []).append(t)
        d.truth.setdefault("others", []).append(entry)
        d.note(f"decoy:{kind}", f"{label}: {value}")
        return label, value

    def form_heading(self, d: Doc, code, variant=None):
        rr = self.rr
        title = FORMS.get(code) or REQUESTS.get(code) or "Lægeattest"
        variant = variant or rr.wchoice([("std", 30), ("nospace", 12), ("dash", 10), ("lower", 6), ("lae", 8),
                                         ("dots", 3), ("lae_lower", 3), ("blanket", 8), ("paren", 8), ("upper_title", 6)])
        code_s = {"std": f"LÆ {code}", "nospace": f"LÆ{code}", "dash": f"LÆ-{code}", "lower": f"Læ {code}",
                  "lae": f"LAE {code}", "dots": f"L.Æ. {code}", "lae_lower": f"Lae {code}",
                  "blanket": f"Blanket LÆ {code}", "paren": f"{title} (LÆ {code})", "upper_title": f"LÆ {code}"}[variant]
        if variant == "paren":
            d.add("h", code_s, 0)
        elif variant == "upper_title":
            d.add("h", f"{code_s} – {title.upper()}", 0)
        else:
            if rr.random() < 0.5:
                d.add("h", f"{code_s} {title}", 0)
            else:
                d.add("h", code_s, 0)
                d.add("h", title, 1)
        d.truth["form_written"] = code_s

    def letterhead(self, d: Doc, cl, decoys=True):
        rr = self.rr
        d.add("h", cl["org"], 2)
        if cl["unit"]:
            d.add("l", cl["unit"])
        d.add("l", cl["addr"])
        if decoys:
            bits = []
            for k in rr.sample(["phone", "cvr", "ean", "pnr", "yder", "sor"], rr.randint(1, 3)):
                lab, val = self.decoy(d, k)
                bits.append(f"{lab} {val}")
            d.add("l", "  ·  ".join(bits))

    def meta_decoys(self, d: Doc, n, hard_share=None, kinds=None):
        rr = self.rr
        rows = []
        hs = d.hard_share if hard_share is None else hard_share
        for _ in range(n):
            k = rr.choice(kinds) if kinds else None
            rows.append(self.decoy(d, k, hard=rr.random() < hs))
        return rows

    def patient_block(self, d: Doc, p: Person, form_key, label=None, layout=None, extra_rows=None):
        """Render the patient's name and CPR. Returns the CPR text as written."""
        rr = self.rr
        label = label or rr.choice(PAT_LABELS)
        written = fmt_cpr(p.cpr, form_key)
        pname = print_name(rr, p)
        d.truth.update(cpr=p.cpr, name=p.full, name_printed=pname, cpr_written=written, cpr_form=form_key,
                       cpr_label=label)
        nlabel = rr.choice(NAME_LABELS)
        layout = layout or rr.wchoice([("inline", 30), ("cells", 20), ("nextline", 12), ("vedr", 12),
                                       ("rowhead", 8), ("combined", 8), ("patline", 10)])
        d.truth["patient_layout"] = layout
        extra_rows = extra_rows or []
        addr = f"{rr.choice(STREETS)} {rr.randint(1, 99)}, {' '.join(rr.choice(TOWNS))}"
        if layout == "inline":
            rows = [(nlabel, pname), (label, written), ("Adresse", addr)] + extra_rows
            if rr.random() < 0.4:
                rows[0], rows[1] = rows[1], rows[0]
            d.add("kv", rows, "inline")
            d.note("patient", f"{label}: {written}")
        elif layout == "cells":
            rows = [(nlabel, pname), (label, written), ("Adresse", addr)] + extra_rows
            d.add("kv", rows, "cells")
            d.note("patient", f"{label} | {written}")
        elif layout == "nextline":
            rows = [(nlabel, pname), (label, written), ("Adresse", addr)] + extra_rows
            d.add("kv", rows, "nextline")
            d.note("patient", f"{label}\n{written}")
        elif layout == "rowhead":
            d.add("tbl", [nlabel, label, "Adresse"], [[pname, written, addr]])
            d.note("patient", f"{label} (header) / {written} (row below)")
            if extra_rows:
                d.add("kv", extra_rows, "inline")
        elif layout == "vedr":
            lab = rr.choice(["Vedr.", "Vedrørende", "Vedr", "VEDR.", "Angående", "Ang."])
            sep = rr.choice([", ", " – ", " ", ", CPR ", ", cpr.nr. ", " (", ", CPR-nr. "])
            txt = f"{lab}: {pname}{sep}{written}{')' if sep == ' (' else ''}"
            d.truth["cpr_label"] = lab
            d.add("l", txt)
            d.note("patient", txt)
            if extra_rows:
                d.add("kv", extra_rows, "inline")
        elif layout == "combined":
            lab = rr.choice(["Navn og CPR-nr.", "Navn/CPR", "Navn, cpr.nr.", "Patient (navn, CPR)", "Borger (navn og personnummer)"])
            txt = f"{lab}: {pname}, {written}"
            d.truth["cpr_label"] = lab
            d.add("l", txt)
            d.note("patient", txt)
            if extra_rows:
                d.add("kv", extra_rows, "inline")
        elif layout == "patline":
            lab = rr.choice(["Patient", "Borger", "Pt.", "Klient", "Sygemeldte", "Ansøger"])
            txt = rr.choice([f"{lab}: {pname}, {written}", f"{lab}: {pname} ({written})",
                             f"{lab}: {written} {pname}", f"{lab}: {pname}  CPR {written}"])
            d.truth["cpr_label"] = lab
            d.add("l", txt)
            d.note("patient", txt)
            if extra_rows:
                d.add("kv", extra_rows, "inline")
        return written

    def body(self, d: Doc, n=None, refs=False):
        rr = self.rr
        secs = rr.sample(list(SECTIONS), n or rr.randint(3, 5))
        for s in secs:
            d.add("h", s, 1)
            txt = rr.choice(SECTIONS[s]).format(d1=rr.date().strftime("%d.%m.%Y"))
            if rr.random() < 0.4:
                txt += " " + rr.choice(SECTIONS[rr.choice(list(SECTIONS))]).format(d1=rr.date().strftime("%d.%m.%y"))
            d.add("p", txt)

    def signature(self, d: Doc, cl, doctor_cpr=None):
        rr = self.rr
        d.add("sp")
        d.add("l", f"{cl['town']}, den {rr.date().strftime('%d.%m.%Y')}")
        d.add("l", cl["doctor"])
        if doctor_cpr:
            lab = rr.choice(["CPR-nr.", "Lægens CPR-nr.", "Attestudsteders CPR", "Cpr."])
            txt = f"{lab}: {fmt_cpr(doctor_cpr, 'std')}"
            d.add("l", txt)
            d.note("doctor", txt)
        else:
            lab, val = self.decoy(d, rr.choice(["yder", "yder", "sor"]))
            d.add("l", f"{lab} {val}")

    def reference_line(self, d: Doc, own):
        rr = self.rr
        other = rr.choice([c for c in list(FORMS) + list(REQUESTS) if c != own])
        date = rr.date().strftime("%d.%m.%Y")
        txt = rr.choice([f"Tidligere fremsendt LÆ {other} d. {date}.", f"Jf. kommunens anmodning (LÆ {other}) af {date}.",
                         f"Se også vedlagte LÆ{other} fra {date}.", f"Der henvises til LÆ {other} udfyldt {date}.",
                         f"Seneste LÆ-{other} er fra {date}.", f"Svar på anmodning om LÆ {other}.",
                         f"Sidste attest (LÆ {other}) blev sendt {date}.", f"I forlængelse af LÆ {other} af {date}."])
        d.truth.setdefault("form_refs", []).append(txt)
        return txt

    # ------------------------------------------------------------------ certificates
    def certificate(self, scenario, *, producer=None, allowed=None, pat_form=None, pat_layout=None, n_decoys=None,
                    hard_decoys=0.0, decoy_kinds=None, relatives=0, rel_style=None, second_patient=False,
                    doctor_cpr=False, form_variant=None, title_only=False, split_code=False, footer_code=False,
                    head_ref=None, body_refs=False, multipage=False, header_cpr=False, cover=False, prose=False,
                    code=None, fileable=True, must_escalate=False, boxes=False, fields=None, decoys_in_table=False,
                    patient=None, notes=""):
        rr = self.rr
        d = self.new_doc(scenario, producer, allowed)
        d.hard_share = hard_decoys
        code = code or rr.wchoice(FORM_WEIGHTS)
        p = patient or new_person(rr)
        uni = unicode_ok(d.producer)
        if pat_form is None:
            pat_form = "std"
        if not uni and CPR_FORMS[pat_form]:
            pat_form = rr.choice([k for k in UNUSUAL if not CPR_FORMS[k]])
        cl = self.clinic()
        d.truth.update(form=f"LÆ {code}", fileable=fileable, must_escalate=must_escalate, notes=notes,
                       sender_domain=cl["sub"], route_files=(code != "165"))
        if cover:
            self.letterhead(d, cl)
            d.add("h", rr.choice(["Følgebrev", "Fremsendelse af lægeattest", "Til Jobcentret", "Følgeskrivelse"]), 0)
            wr = fmt_cpr(p.cpr, pat_form)
            pn = print_name(rr, p)
            txt = rr.choice([f"Hermed fremsendes {FORMS[code].lower()} (LÆ {code}) vedrørende {pn}, CPR-nr. {wr}.",
                             f"Vedlagt følger LÆ {code} for {pn}, cpr. {wr}, som aftalt.",
                             f"Som ønsket sendes hermed attest vedr. {pn} ({wr})."])
            d.add("p", txt)
            d.note("patient", txt)
            d.add("p", "Med venlig hilsen")
            d.add("l", cl["doctor"])
            d.add("br")
        # header repeated on every page
        if multipage or header_cpr:
            hdr = [f"{cl['org']}"]
            if header_cpr:
                hdr.append(f"{print_name(rr, p)} · {rr.choice(['CPR', 'Cpr.nr.', 'CPR-nr.'])} {fmt_cpr(p.cpr, pat_form)}")
                d.note("patient(header)", hdr[-1])
            d.header = hdr
        if footer_code or multipage or rr.random() < 0.3:
            fbits = []
            if footer_code:
                fbits.append(f"LÆ {code} · {FORMS[code]}")
            if rr.random() < 0.5:
                lab, val = self.decoy(d, rr.choice(["dokid", "brev", "dokid2", "ean"]), hard=rr.random() < hard_decoys)
                fbits.append(f"{lab}: {val}")
            fbits.append("Side {page}")
            d.footer = " · ".join(fbits)
        if not cover:
            self.letterhead(d, cl)
        if head_ref:
            d.add("l", head_ref)
            d.truth.setdefault("form_refs", []).append(head_ref)
        if title_only:
            t = FORMS[code]
            d.add("h", rr.choice([t, t.upper(), f"{t} til kommunen"] if False else [t, t.upper()]), 0)
            d.truth["form_written"] = "(title only)"
        elif footer_code:
            d.add("h", rr.choice(["Lægeattest", "Attest", "Lægeerklæring til jobcentret"]), 0)
            d.truth["form_written"] = "(code in footer only)"
        elif split_code:
            d.add("l", f"{rr.choice(['Attest', 'Lægeattest', 'Blanket'])} {rr.choice(['LÆ', 'LAE', 'Læ'])}")
            d.add("h", f"{code} {FORMS[code]}", 0)
            d.truth["form_written"] = "(split over line break)"
        else:
            self.form_heading(d, code, form_variant)
        # meta (decoys)
        nd = rr.randint(1, 4) if n_decoys is None else n_decoys
        meta = self.meta_decoys(d, nd, hard_decoys, decoy_kinds)
        extra = meta if decoys_in_table else []
        if not decoys_in_table and meta:
            d.add("kv", meta, rr.choice(["inline", "cells", "inline"]))
        d.add("sp")
        d.add("h", rr.choice(["Patientoplysninger", "Oplysninger om borgeren", "Patient", "Personoplysninger",
                              "Borger", "Identifikation"]), 1)
        if boxes:
            groups = rr.choice([[6, 4], [2, 2, 2, 4], [10], [6, 4]])
            lab = rr.choice(["CPR-nr.", "Personnummer", "CPR-nummer", "Cpr.nr."])
            pn = print_name(rr, p)
            d.add("kv", [(rr.choice(NAME_LABELS), pn)], "inline")
            d.add("boxes", lab, p.cpr, groups, rr.random() < 0.6)
            d.truth.update(cpr=p.cpr, name=p.full, name_printed=pn, cpr_written="(one digit per box)",
                           cpr_form="boxes" + "-".join(map(str, groups)), cpr_label=lab, patient_layout="boxes")
            d.note("patient", f"{lab} [boxes {groups}]")
        elif fields:
            lab = rr.choice(["CPR-nr.", "Personnummer", "CPR-nummer", "Cpr.nr.", "Patientens CPR"])
            pn = print_name(rr, p)
            d.add("kv", [(rr.choice(NAME_LABELS), pn)], "inline")
            fname = rr.choice(["cpr", "CPR_nr", "Personnummer", "patient_cpr", "Tekstfelt12", "Text3", "felt_7"])
            if fields == "one":
                val = fmt_cpr(p.cpr, rr.choice(["std", "std", "plain", "space"]))
                d.add("field", lab, val, fname)
                d.truth.update(cpr_written=f"(form field '{fname}') {val}", cpr_form="field")
            else:
                d.add("dfields", lab, p.cpr, fname, rr.choice([[6, 4], [2, 2, 2, 4], [10]]))
                d.truth.update(cpr_written=f"(one digit per form field '{fname}_N')", cpr_form="digit_fields")
            d.truth.update(cpr=p.cpr, name=p.full, name_printed=pn, cpr_label=lab, patient_layout="field")
            d.note("patient", f"{lab} [form field {fname}]")
        elif prose:
            pn = print_name(rr, p)
            wr = fmt_cpr(p.cpr, pat_form)
            lab = rr.choice(["cpr.nr.", "CPR", "cpr-nr.", "personnummer", "cpr"])
            txt = rr.choice([
                f"Vedrørende {pn}, {lab} {wr}, som er sygemeldt fra sit arbejde som pædagogmedhjælper.",
                f"Jeg har den {rr.date().strftime('%d.%m.%Y')} set {pn} ({lab} {wr}) i klinikken.",
                f"Undertegnede har efter anmodning fra jobcentret udfyldt attesten for {pn}, {wr}, på baggrund af journalen.",
                f"{pn} med {lab} {wr} har været i behandling i ambulatoriet siden {rr.date().strftime('%B %Y')}."])
            d.add("p", txt)
            d.note("patient", txt)
            d.truth.update(cpr=p.cpr, name=p.full, name_printed=pn, cpr_written=wr, cpr_form=pat_form, cpr_label=lab,
                           patient_layout="prose")
        else:
            self.patient_block(d, p, pat_form, layout=pat_layout, extra_rows=extra)
        # other persons
        if relatives:
            for _ in range(relatives):
                self.relative(d, rel_style)
        if second_patient:
            self.second_patient(d)
        if body_refs:
            d.add("p", self.reference_line(d, code))
        self.body(d)
        if multipage:
            d.add("br")
            self.body(d, n=rr.randint(2, 4))
            if rr.random() < 0.5:
                d.add("br")
                self.body(d, n=2)
        self.signature(d, cl, doctor_cpr=rr.cpr(year_lo=1950, year_hi=1985) if doctor_cpr else None)
        if doctor_cpr:
            d.truth.setdefault("others", []).append({"what": "doctor", "cpr_like": [d.lines[-1]["line"][-11:].replace("-", "")]})
        return d

    def relative(self, d: Doc, style=None):
        rr = self.rr
        rel = rr.choice(RELATIONS)
        child = rel in ("barn", "søn", "datter")
        fem = True if rel in ("mor", "hustru", "datter", "søster", "plejemor", "svigerdatter") else (
            False if rel in ("far", "søn", "bror", "ægtemand") else None)
        q = new_person(rr, female=fem, **({"year_lo": 2006, "year_hi": 2022} if child else {"year_lo": 1935, "year_hi": 2000}))
        wr = fmt_cpr(q.cpr, "std")
        style = style or rr.choice(["same_line", "after", "block", "table", "prose", "rel_first", "block_nolabel"])
        qn = print_name(rr, q)
        if style == "same_line":
            txt = rr.choice([f"Pårørende: {qn} ({rel}), CPR {wr}", f"Nærmeste pårørende: {rel} {qn}, cpr.nr. {wr}",
                             f"Kontaktperson ({rel}): {qn} – {wr}", f"Pårørende: {rel}, {qn}, CPR-nr. {wr}"])
            d.add("l", txt)
        elif style == "rel_first":
            txt = f"{rel.capitalize()}: {qn}, CPR-nr. {wr}"
            d.add("l", txt)
        elif style == "after":
            txt = rr.choice([f"{qn}, {wr} ({rel})", f"{qn} {wr} – {rel} til patienten", f"{qn}, CPR {wr}, er borgerens {rel}"])
            d.add("l", txt)
        elif style == "block":
            d.add("h", rr.choice(REL_HEADINGS), 1)
            rows = [("Navn", qn), ("Relation", rel), (rr.choice(["CPR-nr.", "CPR", "Personnummer"]), wr)]
            rr.shuffle(rows)
            d.add("kv", rows, rr.choice(["inline", "cells", "nextline"]))
            txt = f"[{rel}] CPR-nr.: {wr}"
        elif style == "block_nolabel":
            d.add("h", rr.choice(REL_HEADINGS), 1)
            txt = f"{qn} ({rel}), {wr}"
            d.add("l", txt)
        elif style == "table":
            hdr = rr.choice([["Relation", "Navn", "CPR-nr."], ["Navn", "CPR-nr.", "Relation"]])
            row = [rel, qn, wr] if hdr[0] == "Relation" else [qn, wr, rel]
            d.add("h", rr.choice(REL_HEADINGS), 1)
            d.add("tbl", hdr, [row])
            txt = " | ".join(row)
        else:
            txt = rr.choice([f"Patienten bor sammen med sin {rel} {qn} (cpr {wr}), som deltog i samtalen.",
                             f"Ved samtalen deltog {rel} {qn}, CPR-nr. {wr}, som bisidder.",
                             f"Borgerens {rel}, {qn} ({wr}), er selv sygemeldt."])
            d.add("p", txt)
        d.truth.setdefault("others", []).append({"what": f"relative:{rel}", "style": style, "cpr_like": [q.cpr],
                                                 "name": q.full})
        d.note(f"relative:{rel}", txt)

    def second_patient(self, d: Doc):
        rr = self.rr
        q = new_person(rr)
        wr = fmt_cpr(q.cpr, rr.choice(["std", "std", "space"]))
        d.add("h", rr.choice(["Patient 2", "Attesten vedrører også", "Yderligere borger", "Søskende (samme forløb)"]), 1)
        rows = [("Navn", print_name(rr, q)), (rr.choice(["CPR-nr.", "Personnummer"]), wr)]
        d.add("kv", rows, rr.choice(["inline", "cells"]))
        d.truth.setdefault("others", []).append({"what": "second_patient", "cpr_like": [q.cpr], "name": q.full})
        d.note("second_patient", f"{rows[1][0]}: {wr}")

    # ------------------------------------------------------------------ non-certificates
    def request(self, scenario="request_anmodning"):
        rr = self.rr
        d = self.new_doc(scenario)
        d.hard_share = 0.3
        code = rr.choice(list(REQUESTS))
        p = new_person(rr)
        town = rr.choice(TOWNS)[1]
        d.add("h", f"Jobcenter {town}", 2)
        d.add("l", f"{rr.choice(STREETS)} {rr.randint(1, 50)}, {town}")
        self.form_heading(d, code)
        self.meta_decoys(d, rr.randint(0, 2))
        self.patient_block(d, p, rr.choice(["std", "space", "std"]))
        d.add("p", f"Jobcentret anmoder om, at attesten udfyldes og returneres senest {rr.date().strftime('%d.%m.%Y')}. "
                   f"Svaret gives på LÆ {int(code) + 4}.")
        d.add("p", "Honorar udbetales efter gældende overenskomst.")
        d.truth.update(form=None, request_form=f"LÆ {code}", fileable=False, must_escalate=True, route_files=False)
        return d

    def receipt(self, scenario="receipt_kvittering"):
        rr = self.rr
        d = self.new_doc(scenario)
        code = rr.choice(list(FORMS))
        p = new_person(rr)
        title = rr.choice(["Kvittering for modtagelse", "Modtagelseskvittering", "KVITTERING", "Kvittering – LÆ-attest",
                           "Bekræftelse på modtagelse", "Modtagelsesbekræftelse", "Leveringsbevis",
                           "Din forsendelse er modtaget"])
        d.add("h", rr.choice(["Sundhedsportalen", "MedCom Korrespondance", "Attestportalen", "Digital Post – Kommunen"]), 2)
        d.add("h", title, 0)
        d.add("l", f"Vi har modtaget LÆ {code} ({FORMS[code]}) den {rr.date().strftime('%d.%m.%Y')} kl. {rr.randint(8, 16)}.{rr.randint(10, 59)}.")
        self.meta_decoys(d, rr.randint(1, 2), kinds=["dokid", "brev", "ref"])
        self.patient_block(d, p, "std", layout=rr.choice(["inline", "vedr"]))
        d.add("p", "Denne kvittering er ikke en lægeattest. Attesten sendes til sagsbehandleren.")
        d.truth.update(form=None, receipt_title=title, fileable=False, must_escalate=True, route_files=False)
        return d

    def employer_doc(self, scenario="employer_doc"):
        rr = self.rr
        d = self.new_doc(scenario)
        p = new_person(rr)
        title = rr.choice(["Mulighedserklæring", "Friattest", "Varighedserklæring", "Fastholdelsesplan",
                           "Lægeerklæring til arbejdsgiver"])
        d.add("h", rr.choice(["Virksomheden A/S", "Kommunens Hjemmepleje", "Tømrerfirmaet Holm ApS"]), 2)
        d.add("h", title, 0)
        d.add("l", rr.choice(["Del 1 – udfyldes af arbejdsgiver og medarbejder", "Udfyldes af lægen efter arbejdsgivers anmodning"]))
        self.meta_decoys(d, 1, kinds=["cvr", "pnr", "phone"])
        self.patient_block(d, p, "std", layout="inline")
        if rr.random() < 0.5:
            d.add("p", f"Der er tidligere udarbejdet LÆ {rr.choice(['125', '285'])} til kommunen.")
        self.body(d, 2)
        d.truth.update(form=None, employer_title=title, fileable=False, must_escalate=True, route_files=False)
        return d

    def letter_noform(self):
        rr = self.rr
        d = self.new_doc("no_form")
        p = new_person(rr)
        cl = self.clinic()
        self.letterhead(d, cl)
        d.add("h", rr.choice(["Epikrise", "Ambulatorienotat", "Journalnotat", "Udskrivningsbrev"]), 0)
        self.patient_block(d, p, "std")
        self.body(d)
        self.signature(d, cl)
        d.truth.update(form=None, fileable=False, must_escalate=True, route_files=False)
        return d

    def no_cpr(self):
        rr = self.rr
        d = self.certificate("no_cpr", fileable=False, must_escalate=True)
        # replace patient CPR lines with no usable number
        p_cpr = d.truth["cpr"]
        how = rr.choice(["born", "masked", "missing", "partial"])
        bday = f"{p_cpr[0:2]}.{p_cpr[2:4]}.{full_year(p_cpr)}"
        repl = {"born": f"født {bday}", "masked": f"{p_cpr[:6]}-xxxx", "missing": "ikke oplyst",
                "partial": f"{p_cpr[:6]}-"}[how]
        self._replace_value(d, d.truth["cpr_written"], repl)
        d.truth.update(cpr=None, cpr_written=repl, notes=f"patient CPR not given ({how})")
        d.lines = [x for x in d.lines if x["what"] != "patient"]
        return d

    def invalid_cpr(self):
        rr = self.rr
        d = self.certificate("invalid_cpr", fileable=False, must_escalate=True)
        p_cpr = d.truth["cpr"]
        how = rr.choice(["feb31", "month13", "eleven", "nine"])
        if how == "feb31":
            bad = "3102" + p_cpr[4:]
        elif how == "month13":
            bad = p_cpr[:2] + "13" + p_cpr[4:]
        elif how == "eleven":
            bad = p_cpr + str(rr.randint(0, 9))
        else:
            bad = p_cpr[:9]
        wr = f"{bad[:6]}-{bad[6:]}"
        self._replace_value(d, d.truth["cpr_written"], wr)
        d.truth.update(cpr=None, cpr_written=wr, notes=f"labelled CPR is no valid number ({how})")
        return d

    def _replace_value(self, d, old, new):
        def fix(x):
            if isinstance(x, str):
                return x.replace(old, new)
            if isinstance(x, list):
                return [fix(y) for y in x]
            if isinstance(x, tuple):
                return tuple(fix(y) for y in x)
            return x
        d.blocks = [fix(b) for b in d.blocks]
        d.header = [fix(h) for h in d.header]


# ----------------------------------------------------------------------------- corpus plan
def plan(rr: R) -> list[Doc]:
    b = Builder(rr)
    C = b.certificate
    U = lambda: rr.choice(UNUSUAL)  # noqa: E731
    # ---- fileable
    for _ in range(28):
        C("plain_label", pat_form="std")
    for _ in range(46):
        C("cpr_written_forms", pat_form=U(), n_decoys=rr.randint(0, 2))
    for _ in range(24):
        C("label_value_tables", pat_form=rr.choice(["std", "std"] + UNUSUAL),
          pat_layout=rr.choice(["cells", "nextline", "rowhead"]), decoys_in_table=rr.random() < 0.5)
    for _ in range(14):
        C("digit_boxes", boxes=True, n_decoys=rr.randint(0, 3))
    for _ in range(10):
        C("acroform_field", producer="reportlab", fields="one", n_decoys=rr.randint(0, 2))
    for _ in range(8):
        C("acroform_digit_fields", producer="reportlab", fields="digits", n_decoys=rr.randint(0, 2))
    for _ in range(18):
        C("realistic_mix", pat_form=rr.choice(["std", "std", "space", "plain"] + UNUSUAL), n_decoys=rr.randint(1, 3),
          hard_decoys=0.3)
    for _ in range(26):
        C("decoys_hard", pat_form=rr.choice(["std", "std", "space", "plain"]), n_decoys=rr.randint(2, 5),
          hard_decoys=0.9, decoys_in_table=rr.random() < 0.3)
    for _ in range(24):
        C("unusual_patient_plus_decoys", pat_form=U(), n_decoys=rr.randint(2, 4), hard_decoys=0.9,
          decoy_kinds=["dokid", "henvid", "henvid2", "rekv", "sag", "journal", "bank", "bank2", "ref", "brev",
                       "kontakt", "pnr", "dokid2", "ordre"],
          decoys_in_table=rr.random() < 0.4)
    for i in range(26):
        kw = rr.choice([dict(split_code=True), dict(title_only=True), dict(footer_code=True), dict(body_refs=True),
                        dict(form_variant=rr.choice(["lae", "lower", "dash", "nospace", "dots", "lae_lower"])),
                        dict(head_ref=None)])
        if i % 5 == 0:
            own = rr.wchoice(FORM_WEIGHTS)
            req = {"125": "121", "135": "131", "145": "141", "225": "221", "265": "261", "285": "281"}.get(own, "121")
            kw = dict(code=own, head_ref=rr.choice([f"Svar på jeres anmodning LÆ {req} af {rr.date().strftime('%d.%m.%Y')}",
                                                   f"Vedr. kommunens bestilling af LÆ {req}",
                                                   f"Modtaget rekvisition LÆ {req} den {rr.date().strftime('%d.%m.%Y')}",
                                                   f"Besvarelse af LÆ {req}"]))
        C("form_spelling_refs", pat_form=rr.choice(["std", "space", "std"]), **kw)
    for _ in range(14):
        C("multipage_headers", multipage=True, header_cpr=rr.random() < 0.7, pat_form=rr.choice(["std"] + UNUSUAL))
    for _ in range(12):
        C("prose_letter", prose=True, pat_form=rr.choice(["std", "space", "plain"] + UNUSUAL), n_decoys=rr.randint(0, 2))
    for _ in range(9):
        C("cover_letter", cover=True, pat_form=rr.choice(["std", "space"]))
    for _ in range(4):
        d = C("owner_password_only", producer="reportlab", pat_form=rr.choice(["std", "space"]))
        d.encrypt = "owner"
    # ---- must escalate
    for _ in range(18):
        C("relative_plain", relatives=1, pat_form="std", fileable=False, must_escalate=True)
    for _ in range(26):
        C("relative_hard", relatives=1, pat_form=U(), fileable=False, must_escalate=True,
          pat_layout=rr.choice([None, "inline", "cells", "patline", "vedr"]))
    for _ in range(4):
        C("relative_in_field_doc", producer="reportlab", fields="one", relatives=1, fileable=False, must_escalate=True)
    for _ in range(7):
        C("second_patient", second_patient=True, pat_form=rr.choice(["std", "space"] + UNUSUAL), fileable=False,
          must_escalate=True)
    for _ in range(4):
        a = C("merged_two_certificates", fileable=False, must_escalate=True, pat_form=rr.choice(["std", "space"]))
        bdoc = C("merged_part", producer=a.producer, pat_form=rr.choice(["std", "space", "plain"]))
        a.merge_with = bdoc
        a.truth.setdefault("others", []).append({"what": "second_patient(merged page)", "cpr_like": [bdoc.truth["cpr"]],
                                                 "name": bdoc.truth["name"]})
        a.lines += [dict(x, what="second_patient:" + x["what"]) for x in bdoc.lines if x["what"] == "patient"]
        b.docs.remove(bdoc)
    for _ in range(5):
        C("doctor_cpr", doctor_cpr=True, pat_form=rr.choice(["std"] + UNUSUAL), fileable=False, must_escalate=True)
    for _ in range(8):
        b.no_cpr()
    for _ in range(5):
        b.invalid_cpr()
    for _ in range(9):
        b.request()
    for _ in range(8):
        b.receipt()
    for _ in range(5):
        b.employer_doc()
    for _ in range(3):
        b.letter_noform()
    for _ in range(7):
        d = C("scan", producer="reportlab", fileable=False, must_escalate=True)
        d.scan = True
    for _ in range(2):
        d = C("encrypted", producer="reportlab", fileable=False, must_escalate=True)
        d.encrypt = "user"
    for _ in range(3):
        d = C("unknown_form", fileable=False, must_escalate=True, code="125")
        bad = rr.choice(["175", "195", "305", "126", "250"])
        b._replace_value(d, "LÆ 125", f"LÆ {bad}")
        b._replace_value(d, "LÆ125", f"LÆ{bad}")
        b._replace_value(d, "LÆ-125", f"LÆ-{bad}")
        b._replace_value(d, "Læ 125", f"Læ {bad}")
        b._replace_value(d, "LAE 125", f"LAE {bad}")
        b._replace_value(d, "Lae 125", f"Lae {bad}")
        b._replace_value(d, "L.Æ. 125", f"L.Æ. {bad}")
        b._replace_value(d, "Statusattest", "Lægeattest")
        b._replace_value(d, "STATUSATTEST", "LÆGEATTEST")
        d.truth.update(form=None, notes=f"unknown form LÆ {bad}", route_files=False)
    # ---- neutral: substitute numbers (erstatningsnummer)
    for _ in range(3):
        d = C("erstatningsnummer", fileable=False, must_escalate=False, pat_form="std")
        old = d.truth["cpr"]
        new = str(int(old[0]) + 6) + old[1:]
        b._replace_value(d, fmt_cpr(old, "std"), fmt_cpr(new, "std"))
        d.truth.update(cpr=new, cpr_written=fmt_cpr(new, "std"), notes="substitute number (day+60); either outcome acceptable")
    # derived truth
    for d in b.docs:
        t = d.truth
        t.setdefault("others", [])
        others = [c for o in t["others"] if not o["what"].startswith("decoy") for c in o.get("cpr_like", [])]
        if t.get("fileable") and others:
            raise AssertionError(d.name)
    return b.docs


# ----------------------------------------------------------------------------- renderers
def esc_ps(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch in "()\\":
            out.append("\\" + ch)
        elif o < 128:
            out.append(ch)
        elif o < 256:
            out.append("\\%03o" % o)
        elif ch in "\u2013\u2014":
            out.append("-")
        else:
            out.append(" ")
    return "".join(out)


def flatten_lines(d: Doc):
    """For scans: the document as plain lines."""
    out = []
    for b in d.blocks:
        k = b[0]
        if k in ("h", "l", "p"):
            out.append(b[1])
        elif k == "kv":
            out += [f"{a}: {v}" for a, v in b[1]]
        elif k == "tbl":
            out.append("   ".join(b[1]))
            out += ["   ".join(r) for r in b[2]]
        elif k == "boxes":
            out.append(f"{b[1]}: {' '.join(b[2])}")
        elif k in ("field",):
            out.append(f"{b[1]}: {b[2]}")
        elif k == "dfields":
            out.append(f"{b[1]}: {' '.join(b[2])}")
    return out


def render_reportlab(d: Doc, path: Path, rr: random.Random):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    from reportlab.lib.utils import simpleSplit
    from reportlab.lib import pdfencrypt
    try:
        pdfmetrics.getFont("DV")
    except KeyError:
        pdfmetrics.registerFont(TTFont("DV", FONT))
        pdfmetrics.registerFont(TTFont("DVB", FONTB))
        pdfmetrics.registerFont(TTFont("DVS", FONTS))
    enc = None
    if d.encrypt == "owner":
        enc = pdfencrypt.StandardEncryption("", ownerPassword="ejer-" + d.name, canPrint=1, canModify=0)
    elif d.encrypt == "user":
        enc = pdfencrypt.StandardEncryption("hemmelig", ownerPassword="ejer", canPrint=1)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=enc, invariant=1)
    c.setTitle("Lægeattest")
    W_, H_ = A4
    L, Rm, T, B = 56, 56, 60, 60
    body_font = rr.choice(["DV", "DVS"])
    state = {"y": H_ - T, "page": 1}

    def deco():
        y = H_ - 30
        for h in d.header:
            c.setFont("DV", 8)
            c.drawString(L, y, h)
            y -= 10
        if d.footer:
            c.setFont("DV", 7.5)
            c.drawString(L, 30, d.footer.replace("{page}", str(state["page"])))
        if d.header:
            state["y"] = min(state["y"], H_ - 40 - 10 * len(d.header))

    def newpage():
        c.showPage()
        state["page"] += 1
        state["y"] = H_ - T
        deco()

    def need(h):
        if state["y"] - h < B:
            newpage()

    def line(txt, font=None, size=10, x=L):
        need(size + 4)
        c.setFont(font or body_font, size)
        c.drawString(x, state["y"] - size, txt)
        state["y"] -= size + 4

    deco()
    fieldno = [0]
    for b in d.blocks:
        k = b[0]
        if k == "h":
            size = {0: 15, 1: 11.5, 2: 12}[b[2]]
            line(b[1], "DVB", size)
            if b[2] == 0:
                state["y"] -= 4
        elif k == "l":
            for t in simpleSplit(b[1], body_font, 10, W_ - L - Rm):
                line(t)
        elif k == "p":
            for t in simpleSplit(b[1], body_font, 10, W_ - L - Rm):
                line(t)
            state["y"] -= 3
        elif k == "sp":
            state["y"] -= 8
        elif k == "br":
            newpage()
        elif k == "kv":
            mode = b[2]
            for lab, val in b[1]:
                if mode == "inline":
                    line(f"{lab}: {val}")
                elif mode == "nextline":
                    line(lab, "DVB", 9)
                    line(val)
                else:
                    need(18)
                    y = state["y"]
                    c.rect(L, y - 16, 150, 16)
                    c.rect(L + 150, y - 16, W_ - L - Rm - 150, 16)
                    c.setFont("DVB", 9)
                    c.drawString(L + 4, y - 12, lab)
                    c.setFont(body_font, 10)
                    c.drawString(L + 154, y - 12, val)
                    state["y"] -= 16
            state["y"] -= 4
        elif k == "tbl":
            hdr, rows = b[1], b[2]
            cw = (W_ - L - Rm) / len(hdr)
            for ri, row in enumerate([hdr] + rows):
                need(18)
                y = state["y"]
                for ci, cell in enumerate(row):
                    c.rect(L + ci * cw, y - 16, cw, 16)
                    c.setFont("DVB" if ri == 0 else body_font, 9)
                    c.drawString(L + ci * cw + 4, y - 12, cell)
                state["y"] -= 16
            state["y"] -= 4
        elif k == "boxes":
            lab, digs, groups, dash = b[1], b[2], b[3], b[4]
            need(26)
            y = state["y"]
            c.setFont("DVB", 9)
            c.drawString(L, y - 14, lab)
            x = L + 110
            i = 0
            for gi, g in enumerate(groups):
                for _ in range(g):
                    c.rect(x, y - 20, 16, 18)
                    c.setFont("DV", 11)
                    c.drawCentredString(x + 8, y - 15, digs[i])
                    i += 1
                    x += 16
                if gi < len(groups) - 1:
                    if dash:
                        c.setFont("DV", 11)
                        c.drawCentredString(x + 6, y - 15, "-")
                    x += 12
            state["y"] -= 28
        elif k == "field":
            lab, val, name = b[1], b[2], b[3]
            need(24)
            y = state["y"]
            c.setFont("DVB", 9)
            c.drawString(L, y - 14, lab)
            c.acroForm.textfield(name=name, value=val, x=L + 120, y=y - 20, width=160, height=18,
                                 fontName="Helvetica", fontSize=10, borderWidth=1, forceBorder=True)
            state["y"] -= 26
        elif k == "dfields":
            lab, digs, name, groups = b[1], b[2], b[3], b[4]
            need(24)
            y = state["y"]
            c.setFont("DVB", 9)
            c.drawString(L, y - 14, lab)
            x = L + 120
            i = 0
            for gi, g in enumerate(groups):
                for _ in range(g):
                    fieldno[0] += 1
                    c.acroForm.textfield(name=f"{name}_{i + 1}", value=digs[i], x=x, y=y - 20, width=15, height=18,
                                         fontName="Helvetica", fontSize=10, borderWidth=1, forceBorder=True, maxlen=1)
                    i += 1
                    x += 16
                if gi < len(groups) - 1:
                    c.setFont("DV", 11)
                    c.drawCentredString(x + 5, y - 15, "-")
                    x += 10
            state["y"] -= 26
    c.showPage()
    c.save()


def render_scan(d: Doc, path: Path, rr: random.Random):
    from PIL import Image, ImageDraw, ImageFont, ImageFilter
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    from reportlab.lib.utils import ImageReader
    lines = flatten_lines(d)
    img = Image.new("L", (1240, 1754), 250)
    dr = ImageDraw.Draw(img)
    f = ImageFont.truetype(FONT, 24)
    y = 90
    for t in lines:
        if y > 1650:
            break
        dr.text((100 + rr.randint(-3, 3), y), t[:85], fill=20, font=f)
        y += 36
    img = img.rotate(rr.uniform(-1.2, 1.2), fillcolor=250).filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    buf.seek(0)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.drawImage(ImageReader(buf), 0, 0, *A4)
    c.showPage()
    c.save()


def render_fpdf(d: Doc, path: Path, rr: random.Random):
    from fpdf import FPDF

    class P(FPDF):
        def header(self):
            if d.header:
                self.set_font("DV", "", 8)
                for h in d.header:
                    self.cell(0, 4, h, new_x="LMARGIN", new_y="NEXT")
                self.ln(3)

        def footer(self):
            if d.footer:
                self.set_y(-14)
                self.set_font("DV", "", 7.5)
                self.cell(0, 5, d.footer.replace("{page}", str(self.page_no())))

    pdf = P(format="A4")
    pdf.add_font("DV", "", FONT)
    pdf.add_font("DV", "B", FONTB)
    pdf.set_auto_page_break(True, 18)
    pdf.set_margins(20, 16, 20)
    pdf.add_page()
    pdf.set_creator("fpdf2")
    pdf.set_creation_date(dt.datetime(2025, 2, 1, 9, 30, tzinfo=dt.timezone.utc))
    for b in d.blocks:
        k = b[0]
        if k == "h":
            pdf.set_font("DV", "B", {0: 15, 1: 11.5, 2: 12}[b[2]])
            pdf.multi_cell(0, 7 if b[2] == 0 else 6, b[1], new_x="LMARGIN", new_y="NEXT")
        elif k in ("l", "p"):
            pdf.set_font("DV", "", 10)
            pdf.multi_cell(0, 5, b[1], new_x="LMARGIN", new_y="NEXT")
            if k == "p":
                pdf.ln(1.5)
        elif k == "sp":
            pdf.ln(4)
        elif k == "br":
            pdf.add_page()
        elif k == "kv":
            for lab, val in b[1]:
                if b[2] == "inline":
                    pdf.set_font("DV", "", 10)
                    pdf.cell(0, 5.5, f"{lab}: {val}", new_x="LMARGIN", new_y="NEXT")
                elif b[2] == "nextline":
                    pdf.set_font("DV", "B", 9)
                    pdf.cell(0, 5, lab, new_x="LMARGIN", new_y="NEXT")
                    pdf.set_font("DV", "", 10)
                    pdf.cell(0, 5.5, val, new_x="LMARGIN", new_y="NEXT")
                else:
                    pdf.set_font("DV", "B", 9)
                    pdf.cell(55, 7, lab, border=1)
                    pdf.set_font("DV", "", 10)
                    pdf.cell(0, 7, val, border=1, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif k == "tbl":
            hdr, rows = b[1], b[2]
            w = (pdf.w - 40) / len(hdr)
            for ri, row in enumerate([hdr] + rows):
                pdf.set_font("DV", "B" if ri == 0 else "", 9)
                for cell in row:
                    pdf.cell(w, 7, cell, border=1)
                pdf.ln(7)
            pdf.ln(2)
        elif k == "boxes":
            lab, digs, groups, dash = b[1], b[2], b[3], b[4]
            pdf.set_font("DV", "B", 9)
            pdf.cell(40, 8, lab)
            pdf.set_font("DV", "", 11)
            i = 0
            for gi, g in enumerate(groups):
                for _ in range(g):
                    pdf.cell(6, 8, digs[i], border=1, align="C")
                    i += 1
                if gi < len(groups) - 1:
                    pdf.cell(4, 8, "-" if dash else "", align="C")
            pdf.ln(11)
        else:
            raise ValueError(k)
    pdf.output(str(path))


def to_html(d: Doc, rr: random.Random, for_soffice=False):
    e = html.escape
    font = rr.choice(["Arial, Liberation Sans, sans-serif", "DejaVu Serif, serif", "DejaVu Sans, sans-serif",
                      "Liberation Serif, Times New Roman, serif"])
    css = f"""body{{font-family:{font};font-size:10.5pt;margin:0}}
h1{{font-size:16pt;margin:6px 0}} h2{{font-size:12pt;margin:10px 0 4px}} .lh{{font-size:13pt;font-weight:bold}}
table{{border-collapse:collapse;margin:4px 0}} td,th{{border:1px solid #444;padding:3px 6px;text-align:left}}
.box{{display:inline-block;width:16px;height:20px;border:1px solid #000;text-align:center;margin-right:1px}}
.lbl{{font-weight:bold;font-size:9pt}} p{{margin:3px 0}}
"""
    hf = ""
    if not for_soffice:
        css += "@page{size:A4;margin:28mm 20mm 22mm 20mm} .hdr{position:fixed;top:-20mm;left:0;font-size:8pt} .ftr{position:fixed;bottom:-14mm;left:0;font-size:8pt}"
        if d.header:
            hf += '<div class="hdr">' + "<br>".join(e(h) for h in d.header) + "</div>"
        if d.footer:
            hf += '<div class="ftr">' + e(d.footer.replace("Side {page}", "Lægeattest")) + "</div>"
    parts = []
    if for_soffice and d.header:
        parts.append("<p><small>" + "<br>".join(e(h) for h in d.header) + "</small></p>")
    for b in d.blocks:
        k = b[0]
        if k == "h":
            tag = {0: "h1", 1: "h2", 2: "div class=\"lh\""}[b[2]]
            parts.append(f"<{tag}>{e(b[1])}</{tag.split()[0]}>")
        elif k == "l":
            parts.append(f"<div>{e(b[1])}</div>")
        elif k == "p":
            parts.append(f"<p>{e(b[1])}</p>")
        elif k == "sp":
            parts.append("<div>&nbsp;</div>")
        elif k == "br":
            if for_soffice and d.footer:
                parts.append(f"<p><small>{e(d.footer.replace('Side {page}', ''))}</small></p>")
            parts.append('<div style="page-break-before:always"></div>')
            if for_soffice and d.header:
                parts.append("<p><small>" + "<br>".join(e(h) for h in d.header) + "</small></p>")
        elif k == "kv":
            if b[2] == "inline":
                parts += [f"<div>{e(a)}: {e(v)}</div>" for a, v in b[1]]
            elif b[2] == "nextline":
                parts += [f'<div class="lbl">{e(a)}</div><div>{e(v)}</div>' for a, v in b[1]]
            else:
                parts.append("<table>" + "".join(f'<tr><td class="lbl">{e(a)}</td><td>{e(v)}</td></tr>' for a, v in b[1]) + "</table>")
        elif k == "tbl":
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in b[1]) + "</tr>" +
                         "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b[2]) + "</table>")
        elif k == "boxes":
            lab, digs, groups, dash = b[1], b[2], b[3], b[4]
            if for_soffice:
                cells, i = [], 0
                for gi, g in enumerate(groups):
                    for _ in range(g):
                        cells.append(f"<td>{digs[i]}</td>")
                        i += 1
                    if gi < len(groups) - 1:
                        cells.append(f"<td style='border:none'>{'-' if dash else ''}</td>")
                parts.append(f'<div class="lbl">{e(lab)}</div><table><tr>{"".join(cells)}</tr></table>')
            else:
                s, i = [], 0
                for gi, g in enumerate(groups):
                    for _ in range(g):
                        s.append(f'<span class="box">{digs[i]}</span>')
                        i += 1
                    if gi < len(groups) - 1:
                        s.append(" - " if dash else '<span style="display:inline-block;width:10px"></span>')
                parts.append(f'<div><span class="lbl">{e(lab)}</span> {"".join(s)}</div>')
        else:
            raise ValueError(k)
    if for_soffice and d.footer:
        parts.append(f"<p><small>{e(d.footer.replace('Side {page}', ''))}</small></p>")
    return f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Attest</title><style>{css}</style></head><body>{hf}{"".join(parts)}</body></html>'


def docx_bytes(d: Doc, rr: random.Random) -> bytes:
    e = html.escape

    def run(t, bold=False, size=None):
        rpr = ""
        if bold or size:
            rpr = "<w:rPr>" + ("<w:b/>" if bold else "") + (f'<w:sz w:val="{int(size * 2)}"/>' if size else "") + "</w:rPr>"
        return f'<w:r>{rpr}<w:t xml:space="preserve">{e(t)}</w:t></w:r>'

    def para(t, bold=False, size=None):
        return f"<w:p>{run(t, bold, size)}</w:p>"

    def table(rows, bold_first_row=False, bold_first_col=False, widths=None):
        out = ['<w:tbl><w:tblPr><w:tblBorders>' + "".join(f'<w:{s} w:val="single" w:sz="4"/>' for s in
               ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders></w:tblPr>"]
        for ri, r in enumerate(rows):
            out.append("<w:tr>")
            for ci, cell in enumerate(r):
                w = widths[ci] if widths else 2400
                out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>'
                           f"{para(cell, bold=(ri == 0 and bold_first_row) or (ci == 0 and bold_first_col))}</w:tc>")
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)

    body = []
    for b in d.blocks:
        k = b[0]
        if k == "h":
            body.append(para(b[1], True, {0: 16, 1: 12, 2: 13}[b[2]]))
        elif k in ("l", "p"):
            body.append(para(b[1]))
        elif k == "sp":
            body.append("<w:p/>")
        elif k == "br":
            body.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        elif k == "kv":
            if b[2] == "inline":
                body += [para(f"{a}: {v}") for a, v in b[1]]
            elif b[2] == "nextline":
                for a, v in b[1]:
                    body += [para(a, True, 9), para(v)]
            else:
                body.append(table([[a, v] for a, v in b[1]], bold_first_col=True, widths=[2800, 5600]))
                body.append("<w:p/>")
        elif k == "tbl":
            body.append(table([b[1]] + b[2], bold_first_row=True))
            body.append("<w:p/>")
        elif k == "boxes":
            lab, digs, groups, dash = b[1], b[2], b[3], b[4]
            cells, i = [], 0
            for gi, g in enumerate(groups):
                for _ in range(g):
                    cells.append(digs[i])
                    i += 1
                if gi < len(groups) - 1:
                    cells.append("-" if dash else " ")
            body.append(para(lab, True, 9))
            body.append(table([cells], widths=[380] * len(cells)))
            body.append("<w:p/>")
        else:
            raise ValueError(k)
    ns = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
    sect = '<w:sectPr>'
    rels = ['<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>']
    extra = {}
    if d.header:
        sect += '<w:headerReference w:type="default" r:id="rIdH"/>'
        rels.append('<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>')
        extra["word/header1.xml"] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {ns}>' + "".join(para(h, size=8) for h in d.header) + "</w:hdr>"
    if d.footer:
        sect += '<w:footerReference w:type="default" r:id="rIdF"/>'
        rels.append('<Relationship Id="rIdF" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>')
        pre, _, post = d.footer.partition("{page}")
        pg = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
              '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')
        extra["word/footer1.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:ftr {ns}><w:p>'
                                     f'{run(pre, size=8)}{pg if _ else ""}{run(post, size=8)}</w:p></w:ftr>')
    sect += '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1300" w:right="1200" w:bottom="1300" w:left="1200" w:header="600" w:footer="600"/></w:sectPr>'
    docxml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {ns}><w:body>{"".join(body)}{sect}</w:body></w:document>'
    font = rr.choice(["Liberation Sans", "Liberation Serif", "DejaVu Sans", "Carlito"])
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {ns}><w:docDefaults><w:rPrDefault><w:rPr>'
              f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/><w:sz w:val="21"/><w:lang w:val="da-DK"/></w:rPr></w:rPrDefault></w:docDefaults></w:styles>')
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
          '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
          + ('<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>' if d.header else "")
          + ('<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>' if d.footer else "")
          + "</Types>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/_rels/document.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(rels) + "</Relationships>")
        z.writestr("word/document.xml", docxml)
        z.writestr("word/styles.xml", styles)
        for k, v in extra.items():
            z.writestr(k, v)
    return buf.getvalue()


def to_ps(d: Doc, rr: random.Random) -> str:
    font = rr.choice(["Helvetica", "Times-Roman", "Courier"])
    bold = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[font]
    cw = 0.6 if font == "Courier" else 0.5
    out = ["%!PS-Adobe-3.0", "%%Creator: hand-written PostScript (heldout_b)", "%%Pages: (atend)", "%%EndComments",
           "/reenc { findfont dup length dict begin {1 index /FID ne {def}{pop pop} ifelse} forall "
           "/Encoding ISOLatin1Encoding def currentdict end definefont pop } def",
           f"/F /{font} reenc /FB /{bold} reenc",
           "/S { /F findfont exch scalefont setfont } def /SB { /FB findfont exch scalefont setfont } def",
           "/T { moveto show } def", "/CT { moveto dup stringwidth pop 2 div neg 0 rmoveto show } def",
           "/BX { newpath 4 2 roll moveto 1 index 0 rlineto 0 exch rlineto neg 0 rlineto closepath 0.6 setlinewidth stroke } def"]
    W_, H_, L = 595, 842, 56
    st = {"y": H_ - 60, "page": 1, "buf": []}

    def emit(s):
        st["buf"].append(s)

    def deco():
        y = H_ - 30
        for h in d.header:
            emit(f"8 S ({esc_ps(h)}) {L} {y} T")
            y -= 10
        if d.footer:
            emit(f"7.5 S ({esc_ps(d.footer.replace('{page}', str(st['page'])))}) {L} 30 T")
        if d.header:
            st["y"] = min(st["y"], H_ - 40 - 10 * len(d.header))

    def start_page():
        emit(f"%%Page: {st['page']} {st['page']}")
        deco()

    def end_page():
        emit("showpage")

    def newpage():
        end_page()
        st["page"] += 1
        st["y"] = H_ - 60
        start_page()

    def need(h):
        if st["y"] - h < 60:
            newpage()

    def wrap(t, size, width=W_ - 2 * L):
        maxc = int(width / (size * cw))
        words, cur, lines = t.split(" "), "", []
        for w in words:
            if len(cur) + len(w) + 1 > maxc and cur:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}" if cur else w
        lines.append(cur)
        return lines

    def line(t, size=10, b=False, x=L):
        need(size + 4)
        emit(f"{size} {'SB' if b else 'S'} ({esc_ps(t)}) {x} {st['y'] - size:.1f} T")
        st["y"] -= size + 4

    start_page()
    for bl in d.blocks:
        k = bl[0]
        if k == "h":
            line(bl[1], {0: 15, 1: 11.5, 2: 12}[bl[2]], True)
        elif k in ("l", "p"):
            for t in wrap(bl[1], 10):
                line(t)
        elif k == "sp":
            st["y"] -= 8
        elif k == "br":
            newpage()
        elif k == "kv":
            for a, v in bl[1]:
                if bl[2] == "inline":
                    line(f"{a}: {v}")
                elif bl[2] == "nextline":
                    line(a, 9, True)
                    line(v)
                else:
                    need(18)
                    y = st["y"]
                    emit(f"{L} {y - 16} 150 16 BX {L + 150} {y - 16} {W_ - 2 * L - 150} 16 BX")
                    emit(f"9 SB ({esc_ps(a)}) {L + 4} {y - 12} T 10 S ({esc_ps(v)}) {L + 154} {y - 12} T")
                    st["y"] -= 16
            st["y"] -= 4
        elif k == "tbl":
            hdr, rows = bl[1], bl[2]
            cwid = (W_ - 2 * L) / len(hdr)
            for ri, row in enumerate([hdr] + rows):
                need(18)
                y = st["y"]
                for ci, cell in enumerate(row):
                    emit(f"{L + ci * cwid:.1f} {y - 16} {cwid:.1f} 16 BX")
                    emit(f"9 {'SB' if ri == 0 else 'S'} ({esc_ps(cell)}) {L + ci * cwid + 4:.1f} {y - 12} T")
                st["y"] -= 16
            st["y"] -= 4
        elif k == "boxes":
            lab, digs, groups, dash = bl[1], bl[2], bl[3], bl[4]
            need(26)
            y = st["y"]
            emit(f"9 SB ({esc_ps(lab)}) {L} {y - 14} T")
            x, i = L + 110, 0
            for gi, g in enumerate(groups):
                for _ in range(g):
                    emit(f"{x} {y - 20} 16 18 BX 11 S ({digs[i]}) {x + 8} {y - 15} CT")
                    i += 1
                    x += 16
                if gi < len(groups) - 1:
                    if dash:
                        emit(f"11 S (-) {x + 6} {y - 15} CT")
                    x += 12
            st["y"] -= 28
        else:
            raise ValueError(k)
    end_page()
    out += st["buf"]
    out += ["%%Trailer", f"%%Pages: {st['page']}", "%%EOF"]
    return "\n".join(out) + "\n"


def merge_pdfs(a: Path, b: Path, out: Path):
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={out}", str(a), str(b)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def render_all(docs: list[Doc], pdfdir: Path, work: Path, seed: int):
    """Render every Doc with its producer. Returns list of failures."""
    jobs_chrome, jobs_soffice_docx, jobs_soffice_html = [], [], []
    fails = []
    for i, d in enumerate(docs):
        targets = [d] + ([d.merge_with] if d.merge_with else [])
        for j, x in enumerate(targets):
            rr = random.Random(f"{seed}-{x.name}-{j}")
            dest = pdfdir / x.name if j == 0 and not d.merge_with else work / f"part{j}_{d.name}"
            try:
                if x.scan:
                    render_scan(x, dest, rr)
                elif x.producer == "reportlab":
                    render_reportlab(x, dest, rr)
                elif x.producer == "fpdf2":
                    render_fpdf(x, dest, rr)
                elif x.producer == "gs":
                    ps = work / (dest.stem + ".ps")
                    ps.write_text(to_ps(x, rr), encoding="latin-1")
                    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                                    "-sPAPERSIZE=a4", f"-sOutputFile={dest}", str(ps)], check=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                elif x.producer == "chromium":
                    h = work / (dest.stem + ".html")
                    h.write_text(to_html(x, rr), encoding="utf-8")
                    jobs_chrome.append((h, dest))
                elif x.producer == "soffice":
                    if rr.random() < 0.6:
                        src = work / (dest.stem + ".docx")
                        src.write_bytes(docx_bytes(x, rr))
                        jobs_soffice_docx.append((src, dest))
                    else:
                        src = work / (dest.stem + ".html")
                        src.write_text(to_html(x, rr, for_soffice=True), encoding="utf-8")
                        jobs_soffice_html.append((src, dest))
            except Exception as exc:  # pragma: no cover
                fails.append((x.name, repr(exc)))

    def chrome(job):
        h, dest = job
        with tempfile.TemporaryDirectory(prefix="hb-chr-") as ud:
            r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                f"--user-data-dir={ud}", "--no-pdf-header-footer", f"--print-to-pdf={dest}",
                                h.resolve().as_uri()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        return dest, r.returncode

    with cf.ThreadPoolExecutor(2) as ex:
        for dest, rc in ex.map(chrome, jobs_chrome):
            if rc or not dest.exists():
                fails.append((dest.name, f"chromium rc={rc}"))

    for jobs, extra in ((jobs_soffice_docx, []), (jobs_soffice_html, ["--infilter=HTML (StarWriter)"])):
        if not jobs:
            continue
        outdir = work / "soffice_out"
        outdir.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hb-lo-") as prof:
            subprocess.run(["soffice", f"-env:UserInstallation=file://{prof}", "--headless", *extra,
                            "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir), *[str(s) for s, _ in jobs]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        for src, dest in jobs:
            o = outdir / (src.stem + ".pdf")
            if o.exists():
                shutil.move(str(o), dest)
            else:
                fails.append((dest.name, "soffice produced nothing"))
    for d in docs:
        if d.merge_with:
            merge_pdfs(work / f"part0_{d.name}", work / f"part1_{d.name}", pdfdir / d.name)
    return fails


# ----------------------------------------------------------------------------- mails
AUTHSERV = "mx.kommune.example"
REGION_DOMAINS = ["rn.dk", "regionh.dk", "rsyd.dk", "rm.dk", "regionsjaelland.dk", "regionmidtjylland.dk"]
SUBS = {"rn.dk": ["psykiatri.rn.dk", "rn.dk", "aalborguh.rn.dk", "sygehus-vendsyssel.rn.dk"],
        "regionh.dk": ["regionh.dk", "psykiatri.regionh.dk", "rigshospitalet.regionh.dk"],
        "rsyd.dk": ["rsyd.dk", "psykiatrien.rsyd.dk", "ouh.rsyd.dk"],
        "rm.dk": ["rm.dk", "ps.rm.dk", "auh.rm.dk"], "regionmidtjylland.dk": ["regionmidtjylland.dk"],
        "regionsjaelland.dk": ["regionsjaelland.dk", "suh.regionsjaelland.dk", "psykiatri.regionsjaelland.dk"]}


def org_domain(dom):
    for r in REGION_DOMAINS:
        if dom == r or dom.endswith("." + r):
            return r
    return dom


def ar_pass(dom, authserv=AUTHSERV):
    od = org_domain(dom)
    return f"{authserv}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={od} header.s=sel1; dmarc=pass (p=reject) header.from={od}"


def build_mails(rr: R, docs: list[Doc], pdfdir: Path, maildir: Path):
    truth = []
    bydoc = {d.name: d for d in docs}
    fileable = [d for d in docs if d.truth.get("fileable") and not d.encrypt]
    escal = [d for d in docs if d.truth.get("must_escalate") and d.scenario not in ("encrypted",)]
    rr.shuffle(fileable)
    rr.shuffle(escal)
    pool_f, pool_e = list(fileable), list(escal)
    now = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    plans = []
    # legit mails
    for i in range(50):
        plans.append(("legit", [pool_f.pop()], {}))
    for i in range(8):   # two PDFs
        plans.append(("legit_two_pdfs", [pool_f.pop(), pool_f.pop()], {}))
    for i in range(6):
        plans.append(("legit_patient_cpr_in_subject_or_name", [pool_f.pop()], {"cpr_in": rr.choice(["subject", "body", "filename", "filename", "subject"])}))
    for i in range(4):
        plans.append(("legit_other_cpr_in_subject_or_body", [pool_f.pop()], {"other_in": rr.choice(["subject", "body"])}))
    for i in range(20):
        plans.append(("legit_must_escalate_pdf", [pool_e.pop()], {}))
    # forged / dubious
    forged_kinds = (["gw_fail"] * 5 + ["dkim_unaligned"] * 3 + ["other_authserv"] * 3 + ["no_ar"] * 3 +
                    ["zwsp"] * 2 + ["homoglyph"] * 2 + ["punycode"] * 1 + ["lookalike_dash"] * 1 + ["lookalike_suffix"] * 1 +
                    ["two_from"] * 2 + ["forged_ar_below"] * 2 + ["displayname_trick"] * 1)
    for k in forged_kinds:
        plans.append(("forged:" + k, [pool_f.pop()], {}))
    rr.shuffle(plans)
    used_ids = set()
    for n, (kind, pdocs, opt) in enumerate(plans, 1):
        first = pdocs[0]
        dom = first.truth.get("sender_domain") or "rn.dk"
        if org_domain(dom) not in REGION_DOMAINS:
            dom = rr.choice(SUBS[rr.choice(REGION_DOMAINS)])
        local = rr.choice(["sekretariat", "psykiatri.attester", "lae-attester", "ambulatorie", "no-reply", "afs4.sekr", "laegesekretaer"])
        msg = EmailMessage()
        from_addr = f"{local}@{dom}"
        env_from = f"bounce+{n}@{dom}"
        ars = [ar_pass(dom)]
        forged = kind.startswith("forged:")
        fk = kind.split(":", 1)[1] if forged else None
        from_hdr = f"{rr.choice(['Psykiatrien', 'Lægesekretariatet', 'Ambulatoriet', 'Afsnit S4'])} <{from_addr}>"
        if fk == "gw_fail":
            ars = [f"{AUTHSERV}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail (p=reject) header.from={org_domain(dom)}"]
            env_from = f"x{n}@{rr.choice(['mailer.example.net', 'bulk.example.org'])}"
        elif fk == "dkim_unaligned":
            ev = rr.choice(["mailer.example.net", "sendgrid-like.example.com", "rn-dk.com"])
            ars = [f"{AUTHSERV}; spf=softfail smtp.mailfrom={ev}; dkim=pass header.d={ev}; dmarc=fail header.from={org_domain(dom)}"]
            if rr.random() < 0.4:
                ars = [f"{AUTHSERV}; spf=none smtp.mailfrom={ev}; dkim=pass header.d={ev}"]
            env_from = f"x{n}@{ev}"
        elif fk == "other_authserv":
            other = rr.choice(["mx.rn.dk", "mx.kommune.example.attacker.net", "mail.example.org", "kommune.example"])
            ars = [ar_pass(dom, other)]
        elif fk == "no_ar":
            ars = []
        elif fk == "forged_ar_below":
            ars = [f"{AUTHSERV}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail header.from={org_domain(dom)}", ar_pass(dom)]
        elif fk == "zwsp":
            bad = "rn\u200b.dk" if rr.random() < 0.5 else "region\u200bh.dk"
            from_hdr = f"Psykiatrien <{local}@{bad}>"
            ars = [f"{AUTHSERV}; spf=pass smtp.mailfrom=attacker.example; dkim=none; dmarc=none"]
            env_from = f"x{n}@attacker.example"
        elif fk == "homoglyph":
            bad = rr.choice(["regiоnh.dk", "rsуd.dk", "rм.dk", "region\u0455jaelland.dk"])  # Cyrillic о, у, м, ѕ
            from_hdr = f"Psykiatrien <{local}@{bad}>"
            ars = [f"{AUTHSERV}; spf=pass smtp.mailfrom=attacker.example; dkim=none; dmarc=none"]
            env_from = f"x{n}@attacker.example"
        elif fk == "punycode":
            bad = "xn--rgionh-7ua.dk" if rr.random() < 0.5 else "xn--rsd-0pa.dk"
            from_hdr = f"Psykiatrien <{local}@{bad}>"
            ars = [ar_pass(bad)]
            env_from = f"x{n}@{bad}"
        elif fk == "lookalike_dash":
            bad = rr.choice(["rn-dk.com", "regionh-dk.net", "rsyd.dk-mail.com"])
            from_hdr = f"Psykiatrien <{local}@{bad}>"
            ars = [ar_pass(bad)]
            env_from = f"x{n}@{bad}"
        elif fk == "lookalike_suffix":
            bad = rr.choice(["rn.dk.example.com", "regionh.dk.attacker.net"])
            from_hdr = f"Psykiatrien <{local}@{bad}>"
            ars = [ar_pass(bad)]
            env_from = f"x{n}@{bad}"
        elif fk == "two_from":
            from_hdr = None
        elif fk == "displayname_trick":
            from_hdr = f'"{local}@{dom}" <post@attacker.example>'
            ars = [ar_pass("attacker.example")]
            env_from = f"x{n}@attacker.example"
        # headers
        msg["Return-Path"] = f"<{env_from}>"
        for a in ars:
            msg["Authentication-Results"] = a
        msg["Received"] = (f"from smtp.{org_domain(dom) if not forged else 'relay.example.net'} "
                           f"(smtp.example [192.0.2.{rr.randint(2, 250)}]) by {AUTHSERV} with ESMTPS; "
                           f"{format_datetime(now + dt.timedelta(minutes=n * 7))}")
        if from_hdr is None:
            if rr.random() < 0.5:
                msg["From"] = f"Psykiatrien <{from_addr}>, Attacker <post@attacker.example>"
            else:
                msg["From"] = f"Psykiatrien <{from_addr}>"
                msg._headers.append(("From", "Attacker <post@attacker.example>"))
        else:
            try:
                msg["From"] = from_hdr
            except Exception:
                msg._headers.append(("From", from_hdr))
        msg["To"] = "lae-robot@kommune.example"
        msg["Date"] = format_datetime(now + dt.timedelta(minutes=n * 7))
        mid = f"<hb{n:03d}.{rr.digits(8)}@{org_domain(dom) if not forged else 'relay.example.net'}>"
        msg["Message-ID"] = mid
        code = first.truth.get("form") or "lægeattest"
        subj = rr.choice([f"{code} – attest", f"Lægeattest ({code})", "Attest fra Psykiatrien", f"Svar på anmodning – {code}",
                          "Sikker mail: lægeattest", "Vedr. jeres borger", f"SV: Anmodning om {code}"])
        body = rr.choice(["Hermed fremsendes attest vedrørende jeres borger.\n\nMed venlig hilsen\nLægesekretariatet",
                          "Se vedhæftede.\n\nVenlig hilsen\nAmbulatoriet",
                          "Til sagsbehandler\n\nVedlagt attest som ønsket.\n\nMvh\nSekretær"])
        other_cpr = None
        if opt.get("cpr_in"):
            pc = first.truth["cpr"]
            where = opt["cpr_in"]
            if where == "subject":
                subj = f"{code} vedr. {fmt_cpr(pc, rr.choice(['std', 'plain', 'space']))}"
            elif where == "body":
                body = f"Attest vedr. CPR {fmt_cpr(pc, rr.choice(['std', 'space']))} vedlagt.\n\nMvh\nSekretariatet"
        if opt.get("other_in"):
            other_cpr = rr.cpr()
            if opt["other_in"] == "subject":
                subj = f"{code} vedr. {fmt_cpr(other_cpr, 'std')}"
            else:
                body = f"Attest vedr. borger med CPR-nr. {fmt_cpr(other_cpr, 'std')}.\n\nMvh"
        msg["Subject"] = subj
        msg.set_content(body)
        att_names = []
        for d in pdocs:
            data = (pdfdir / d.name).read_bytes()
            if opt.get("cpr_in") == "filename" and d is first:
                an = f"LÆ{(d.truth['form'] or 'LÆ 125')[3:]}_{d.truth['cpr']}.pdf"
            else:
                an = rr.choice([f"{(d.truth.get('form') or 'attest').replace(' ', '')}_attest.pdf", "attest.pdf",
                                f"Lægeattest_{rr.randint(1000, 9999)}.pdf", d.name, "Statusattest.pdf" if d.truth.get('form') == "LÆ 125" else "dokument.pdf"])
            while an in att_names:
                an = "2_" + an
            att_names.append(an)
            msg.add_attachment(data, maintype="application", subtype="pdf", filename=an)
        fname = f"m{n:03d}_{kind.replace(':', '_')}.eml"
        raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n", utf8=True)) if fk in ("homoglyph", "zwsp") else msg.as_bytes()
        (maildir / fname).write_bytes(raw)
        docs_t = []
        for d, an in zip(pdocs, att_names):
            t = d.truth
            expect_file = (not forged and bool(t.get("fileable")) and t.get("route_files", True) and other_cpr is None)
            docs_t.append({"pdf": d.name, "attachment": an, "cpr": t.get("cpr"), "form": t.get("form"),
                           "scenario": d.scenario, "fileable": t.get("fileable"), "must_escalate": t.get("must_escalate"),
                           "expect_filed": expect_file})
        truth.append({"file": fname, "kind": kind, "forged": forged, "from": from_hdr or "(two From)",
                      "other_cpr_in_mail": other_cpr, "cpr_in": opt.get("cpr_in"), "docs": docs_t})
    return truth


# ----------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=8008)
    ap.add_argument("--out", default="/tmp/heldout_b")
    ap.add_argument("--check", action="store_true", help="check every PDF's text layer with pypdfium2 (if installed)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    pdfdir, maildir, work = out / "pdf", out / "mail", out / "work"
    for p in (pdfdir, maildir, work):
        p.mkdir(parents=True)
    t0 = dt.datetime.now()
    rr = R(a.seed)
    docs = plan(rr)
    fails = render_all(docs, pdfdir, work, a.seed)
    if fails:
        print(f"{len(fails)} render failures:", file=sys.stderr)
        for f in fails:
            print("  ", f, file=sys.stderr)
    docs = [d for d in docs if (pdfdir / d.name).exists()]
    with open(out / "truth.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            t = dict(d.truth)
            rec = {"file": f"pdf/{d.name}", "producer": d.producer, "scenario": d.scenario,
                   "cpr": t.pop("cpr", None), "form": t.pop("form", None), "name": t.pop("name", None),
                   "fileable": t.pop("fileable"), "must_escalate": t.pop("must_escalate"),
                   "others": t.pop("others", []), "lines": d.lines,
                   "scan": d.scan, "encrypted": d.encrypt}
            rec.update(t)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    mtruth = build_mails(rr, docs, pdfdir, maildir)
    with open(out / "mail_truth.jsonl", "w", encoding="utf-8") as fh:
        for m in mtruth:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    shutil.rmtree(work)
    from collections import Counter
    print(f"{len(docs)} PDFs, {len(mtruth)} mails in {out} ({(dt.datetime.now() - t0).total_seconds():.0f} s)")
    print("producers:", dict(Counter(d.producer for d in docs)))
    print("fileable:", sum(1 for d in docs if d.truth["fileable"]), "must_escalate:", sum(1 for d in docs if d.truth["must_escalate"]))
    if a.check:
        check(out)


def check(out: Path):
    """Sanity check: the patient's CPR digits appear in the text layer (or fields) of every fileable PDF."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        print("pypdfium2 not installed; --check skipped")
        return
    import re
    bad = 0
    for line in open(out / "truth.jsonl", encoding="utf-8"):
        t = json.loads(line)
        if not t["fileable"] or t.get("cpr_form") in ("field", "digit_fields"):
            continue
        doc = pdfium.PdfDocument(str(out / t["file"]))
        txt = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        digits = re.sub(r"\D", "", txt)
        if t["cpr"] not in digits and t["cpr"][:6] + t["cpr"][6:] not in digits:
            bad += 1
            print("CHECK: patient digits not found in text of", t["file"], t["scenario"], t.get("cpr_form"))
    print(f"check: {bad} fileable PDFs without the patient's digits in their text")


if __name__ == "__main__":
    main()
