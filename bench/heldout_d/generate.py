#!/usr/bin/env python3
"""Blind held-out corpus D for lae-robot: fictitious LÆ certificates (PDF) and mails.

Usage: .venv/bin/python generate.py [--seed 9191] [--out /tmp/heldout_d]

Producers: reportlab (platypus + AcroForm), fpdf2, chromium (headless print of HTML),
soffice (LibreOffice Writer from HTML), groff -Tpdf, groff|ps2pdf (gs), and gs pdfimage24
(scans without a text layer). Every person, number, address and organisation is invented.

Writes OUT/pdf/*.pdf, OUT/mail/*.eml, OUT/truth.jsonl, OUT/mail_truth.jsonl,
OUT/persons.json (every person's CPR and name, for the register and the privacy scan).
"""
import argparse, concurrent.futures as cf, datetime as dt, html, io, json, os, random, shutil
import subprocess, sys, tempfile
from email.message import EmailMessage
from email import policy
from email.utils import format_datetime, make_msgid

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONTB = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
W = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]

# ----------------------------------------------------------------------------- people
FIRST = ["Anders", "Mette", "Søren", "Birgitte", "Jørgen", "Hanne", "Mads", "Lærke", "Bjørn", "Åse",
         "Kasper", "Signe", "Niels", "Ida", "Rasmus", "Freja", "Torben", "Karen", "Mikkel", "Louise",
         "Jürgen", "Sofie", "Emil", "Anne-Marie", "Per", "Lene", "Frederik", "Camilla", "Ole", "Maja",
         "Kristoffer", "Tove", "Jens Peter", "Nanna", "Bo", "Gitte", "Henrik", "Helle", "Asger", "Ærtebjørg"]
MIDDLE = ["Juul", "Holm", "Bach", "Krogh", "Skov", "Lund", "Vestergaard", "Bøgh", "Dam", "Kjær", "Møller", "Friis"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Sørensen", "Rasmussen",
        "Jørgensen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Frandsen", "Østergaard",
        "Ågaard", "Bækgaard", "Müller", "Lauritsen", "Dalsgaard", "Brøndum", "Kjærsgaard", "Fænø",
        "Thygesen", "Iversen", "Søndergaard-Bach", "Holm-Ravn", "Mørch", "Ebbesen", "Schütt", "Kløvedal"]
STREETS = ["Birkevej", "Skovbrynet", "Mølleparken", "Kirkestien", "Havrevænget", "Lyngbakken", "Tjørnevej",
           "Æblehaven", "Søndermarken", "Rønnebærvej"]
TOWNS = ["9990 Nordby", "8899 Vesterå", "5999 Fyrreby", "4799 Sydmark", "2999 Østerkøbing", "7799 Lyngå"]


def mod11(c):
    return sum(int(a) * w for a, w in zip(c, W)) % 11 == 0


def valid_c7(year):
    yy = year % 100
    if 1900 <= year <= 1999:
        d = [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    elif 2000 <= year <= 2036:
        d = [4, 9, 5, 6, 7, 8]
    else:
        d = []
    return d


class World:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()
        self.persons = {}  # cpr -> person

    def cpr(self, y0=1941, y1=2005, want_mod=None):
        r = self.rng
        while True:
            year = r.randint(y0, y1)
            d = dt.date(year, 1, 1) + dt.timedelta(days=r.randint(0, 364))
            c7 = r.choice(valid_c7(year))
            want = (r.random() < 0.8) if want_mod is None else want_mod
            for _ in range(200):
                s = "%d%03d" % (c7, r.randint(0, 999))
                c = d.strftime("%d%m%y") + s
                if mod11(c) == want and c not in self.used:
                    self.used.add(c)
                    return c

    def person(self, role="patient", y0=1941, y1=2005):
        r = self.rng
        c = self.cpr(y0, y1)
        first = r.choice(FIRST)
        mids = [r.choice(MIDDLE)] if r.random() < 0.45 else []
        last = r.choice(LAST)
        if r.random() < 0.08 and "-" not in last:
            last = last + "-" + r.choice(["Bach", "Lund", "Krogh"])
        p = dict(cpr=c, first=first, middles=mids, last=last, role=role)
        p["name"] = " ".join([first] + mids + [last])
        self.persons[c] = p
        return p


def yyyy(c):
    yy = int(c[4:6]); c7 = int(c[6])
    if c7 <= 3: return 1900 + yy
    if c7 in (4, 9): return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy


CPR_STYLES = {
    "dash": lambda c: f"{c[:6]}-{c[6:]}",
    "plain": lambda c: c,
    "space": lambda c: f"{c[:6]} {c[6:]}",
    "spdash": lambda c: f"{c[:6]} - {c[6:]}",
    "pairs": lambda c: f"{c[0:2]} {c[2:4]} {c[4:6]}-{c[6:]}",
    "dots": lambda c: f"{c[0:2]}.{c[2:4]}.{c[4:6]}-{c[6:]}",
    "dots4": lambda c: f"{c[0:2]}.{c[2:4]}.{yyyy(c)}-{c[6:]}",
    "dotsspace": lambda c: f"{c[0:2]}.{c[2:4]}.{c[4:6]} {c[6:]}",
    "dashes": lambda c: f"{c[0:2]}-{c[2:4]}-{c[4:6]}-{c[6:]}",
    "endash": lambda c: f"{c[:6]}\u2013{c[6:]}",
    "nbsp": lambda c: f"{c[:6]}\u00a0{c[6:]}",
    "thin": lambda c: f"{c[:6]}\u2009-\u2009{c[6:]}",
    "nbhyphen": lambda c: f"{c[:6]}\u2011{c[6:]}",
    "slash": lambda c: f"{c[:6]}/{c[6:]}",
}
UNICODE_STYLES = {"thin", "nbhyphen", "endash", "nbsp"}
STYLE_WEIGHTS = [("dash", 30), ("plain", 8), ("space", 8), ("spdash", 5), ("pairs", 6), ("dots", 6), ("dots4", 5),
                 ("dotsspace", 3), ("dashes", 3), ("endash", 3), ("nbsp", 3), ("thin", 2), ("nbhyphen", 3), ("slash", 2)]


def pick_style(r, producer):
    while True:
        s = r.choices([s for s, _ in STYLE_WEIGHTS], [w for _, w in STYLE_WEIGHTS])[0]
        if s in UNICODE_STYLES and producer.startswith("groff"):
            continue
        return s


PATIENT_LABELS = ["CPR-nr.:", "CPR nr.", "Cpr.nr.:", "CPR:", "Cpr:", "CPR-nummer:", "Personnummer:", "Pers.nr.:",
                  "Cpr-nr", "C.P.R.-nr.:", "Personnummer (CPR):", "Borgerens CPR-nr.:", "Patientens CPR-nummer:",
                  "Cpr. nr.:", "Personnr.:", "CPR-Nr.", "Cpr-nummer:", "Person-nr.:", "Personnummer/CPR-nr.:",
                  "CPR.nr.", "Cprnr.:", "CPR-nr. (personnummer):", "Sygemeldtes CPR-nr.:", "Borgers cpr:",
                  "Ansøgers personnummer:", "Pt. cpr-nr.:"]
NAME_LABELS = ["Navn:", "Patientens navn:", "Borgerens navn:", "Navn på patient:", "Fulde navn:", "Patient:",
               "Sygemeldte:", "Borger:", "Vedr.:", "Pt.:"]

ROLES = [("ægtefælle", "Ægtefælle"), ("hustru", "Hustru"), ("ægtemand", "Ægtemand"), ("samlever", "Samlever"),
         ("kæreste", "Kæreste"), ("partner", "Partner"), ("far", "Far"), ("mor", "Mor"), ("søn", "Søn"),
         ("datter", "Datter"), ("barn", "Barn"), ("plejemor", "Plejemor"), ("plejefar", "Plejefar"),
         ("tidligere ægtefælle", "Tidligere ægtefælle"), ("fraskilt hustru", "Fraskilt hustru"), ("nabo", "Nabo"),
         ("ven", "Ven"), ("veninde", "Veninde"), ("værge", "Værge"), ("tolk", "Tolk"), ("ledsager", "Ledsager"),
         ("bisidder", "Bisidder"), ("kontaktperson", "Kontaktperson"), ("informant", "Informant"),
         ("stedfar", "Stedfar"), ("bedstemor", "Bedstemor"), ("bror", "Bror"), ("søster", "Søster"),
         ("fuldmagtshaver", "Fuldmagtshaver"), ("svigermor", "Svigermor"), ("barnets far", "Barnets far"),
         ("nærmeste pårørende", "Nærmeste pårørende"), ("plejeforælder", "Plejeforælder"), ("kusine", "Kusine")]

FORMS = {"105": "Journaloplysninger fra sygehus", "115": "Journaloplysninger fra speciallægepraksis",
         "125": "Statusattest", "135": "Specifik helbredsattest", "145": "Generel helbredsattest",
         "155": "Speciallægeattest", "165": "Forslag om socialmedicinsk sagsbehandling",
         "225": "Attest vedr. kronisk sygdom", "265": "Lægeattest til rehabiliteringsteam",
         "275": "Lægeattest fra klinisk funktion", "285": "Attest til sygedagpengeopfølgning"}
REQUESTS = {"121": "Anmodning om statusattest", "131": "Anmodning om specifik helbredsattest",
            "141": "Anmodning om generel helbredsattest", "221": "Anmodning om attest vedr. kronisk sygdom",
            "261": "Anmodning om lægeattest til rehabiliteringsteam",
            "281": "Anmodning om attest til sygedagpengeopfølgning"}
FORM_W = [("125", 25), ("285", 15), ("265", 12), ("105", 12), ("135", 6), ("145", 5), ("155", 6), ("115", 5),
          ("225", 5), ("275", 5), ("165", 2)]

ORGS = [("Psykiatrien i Region Nordjylland", "Afsnit P3, Skovbrynet 14, 9990 Nordby", "psykiatri.rn.dk"),
        ("Region Hovedstadens Psykiatri, Psykiatrisk Center Østerkøbing", "Lyngbakken 2, 2999 Østerkøbing",
         "regionh.dk"),
        ("Psykiatrien i Region Syddanmark, Distriktspsykiatrien Fyrreby", "Kirkestien 8, 5999 Fyrreby", "rsyd.dk"),
        ("Aarhus Universitetshospital, Psykiatrien, Afd. Q", "Havrevænget 40, 8899 Vesterå", "ps.rm.dk"),
        ("Psykiatrien Region Sjælland, Ambulatorium Sydmark", "Tjørnevej 3, 4799 Sydmark", "regionsjaelland.dk"),
        ("Regionshospitalet Lyngå, Medicinsk afdeling", "Rønnebærvej 1, 7799 Lyngå", "regionmidtjylland.dk")]
GPS = ["Lægerne i Vesterå", "Lægehuset Æblehaven", "Nordby Lægecenter", "Praksis v/ Lene Holm Kjær",
       "Lægeklinikken Søndermarken"]
EPJ = ["Columna CIS", "Sundhedsplatformen", "EPJ Nord 4.1", "Psyk-EPJ", "Clinea", "XMO Praksis"]


# ----------------------------------------------------------------------------- numbers
def phone(r):
    d = "".join(str(r.randint(0, 9)) for _ in range(8))
    d = str(r.choice([2, 3, 4, 5, 6, 7, 8, 9])) + d[1:]
    return r.choice([f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", f"+45 {d[:4]} {d[4:]}", d, f"{d[:4]} {d[4:]}"])


def ndig(r, n, first=None):
    s = "".join(str(r.randint(0, 9)) for _ in range(n))
    return (first + s[len(first):]) if first else s


def decoy(r, w, labels=None, want_valid=True):
    """A number a Danish system prints that is not a person's CPR. Returns (line, info)."""
    kind = r.choice(labels or list(DECOYS))
    return DECOYS[kind](r, w, want_valid)


def _vid(r, w, want_valid):
    if want_valid:
        c = w.cpr(1930, 2012, want_mod=r.random() < 0.75)
        w.persons.pop(c, None)
        return c
    return ndig(r, 10)


def _d10(label_choices, fmt=None):
    def f(r, w, want_valid):
        v = _vid(r, w, want_valid)
        lab = r.choice(label_choices)
        shown = fmt(v) if fmt else v
        return f"{lab} {shown}", dict(kind="decoy", label=lab, digits=v, text=shown)
    return f


DECOYS = {
    "dokid": _d10(["Dokument-ID:", "Dok.nr.:", "Dok-id", "Dokumentnr.:"]),
    "henv": _d10(["Henvisnings-ID:", "Henv.nr.:", "Henvisningsnr.", "Henv.-ID"]),
    "rekv": _d10(["Rekv.nr.:", "Rekvisitionsnr.:", "Rekvisitions-ID:", "Rekv. nr"]),
    "booking": _d10(["Bookingnr.:", "Booking-ID:", "Tidsbestilling nr.:"]),
    "kontakt": _d10(["Kontakt-ID:", "Episode nr.:", "Forløbs-ID:", "Besøgsnr.:", "Indlæggelsesnr.:"]),
    "sag": _d10(["Sagsnr.:", "Sags-ID:", "Vores ref.:", "Deres ref.:", "J.nr.:"]),
    "faktura": _d10(["Fakturanr.:", "Ordrenr.:", "Løbenr.:", "Regningsnr.:"]),
    "pnr": _d10(["P-nr.:", "P-nummer:", "Produktionsenhed (P-nr.):"]),
    "bank": lambda r, w, v: (lambda d, reg: (r.choice([f"Bankkonto: {reg} {d}", f"Reg.nr. {reg} Kontonr. {d}",
                                                       f"Konto: {reg}-{d}", f"NemKonto: reg. {reg} konto {d}"]),
                                             dict(kind="decoy", label="bank", digits=d, text=d)))(
        _vid(r, w, v), ndig(r, 4, str(r.randint(1, 9)))),
    "prove": lambda r, w, v: (lambda d, lab: (f"{lab} {d[:6]}-{d[6:]}", dict(kind="decoy", label=lab, digits=d,
                                                                          text=f"{d[:6]}-{d[6:]}")))(
        _vid(r, w, v), r.choice(["Prøvenr.:", "Prøve-ID:", "Rekv. dato/løbenr.:", "Lab.nr.:"])),
    "phone": lambda r, w, v: (f"{r.choice(['Tlf.:', 'Telefon:', 'Mobil:', 'Tlf. (dir.):'])} {phone(r)}",
                              dict(kind="phone")),
    "cvr": lambda r, w, v: (f"{r.choice(['CVR-nr.:', 'CVR:', 'Cvr.nr.'])} {ndig(r, 8, str(r.randint(1, 4)))}",
                            dict(kind="cvr")),
    "ean": lambda r, w, v: (f"{r.choice(['EAN-nr.:', 'EAN:', 'Lokationsnr.:', 'GLN:'])} {ndig(r, 13, '5798')}",
                            dict(kind="ean")),
    "sor": lambda r, w, v: (f"{r.choice(['SOR-kode:', 'SOR-ID:', 'SOR:'])} {ndig(r, 15, '1')}", dict(kind="sor")),
    "yder": lambda r, w, v: (f"{r.choice(['Ydernr.:', 'Ydernummer:'])} {ndig(r, 6, '0')}", dict(kind="yder")),
    "aut": lambda r, w, v: (f"Autorisations-ID: {r.choice('0123456789')}{r.choice('ABCDEFGHJK')}"
                            f"{r.randint(100, 999)}", dict(kind="aut")),
    "journal": lambda r, w, v: (f"{r.choice(['Journalnr.:', 'J.nr.', 'Sagsnummer:'])} "
                                f"{r.randint(10, 29)}.{r.randint(10, 30):02d}.{r.randint(0, 20):02d}-"
                                f"G01-{r.randint(1000, 9999)}-{r.randint(18, 24)}", dict(kind="journal")),
    "range": lambda r, w, v: (lambda a, b: (r.choice([
        f"Sygemeldt i perioden {a:%d.%m.%y}-{b:%d.%m.%y}", f"Periode: {a:%d%m%y}-{b:%d%m%y}",
        f"Indlagt {a:%d.%m.%Y} - {b:%d.%m.%Y}", f"Uarbejdsdygtig fra {a:%d-%m-%Y} til {b:%d-%m-%Y}"]),
        dict(kind="daterange")))(dt.date(2024, 1, 2) + dt.timedelta(days=r.randint(0, 200)),
                                 dt.date(2024, 8, 1) + dt.timedelta(days=r.randint(0, 120))),
    "amount": lambda r, w, v: (f"{r.choice(['Honorar:', 'Beløb:', 'Takst:'])} kr. {r.randint(1, 9)}."
                               f"{r.randint(100, 999)},{r.choice(['00', '50', '25'])}", dict(kind="amount")),
    "date": lambda r, w, v: (f"{r.choice(['Dato:', 'Udskrevet:', 'Modtaget:', 'Konsultation:'])} "
                             f"{dt.date(2024, 1, 1) + dt.timedelta(days=r.randint(0, 300)):%d.%m.%Y}",
                             dict(kind="date")),
}


# ----------------------------------------------------------------------------- names
def tr(s):
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("ü", "ue"), ("Æ", "Ae"), ("Ø", "Oe"), ("Å", "Aa"),
                 ("Ü", "Ue")):
        s = s.replace(a, b)
    return s


def print_name(r, p, style=None):
    f, m, l = p["first"], p["middles"], p["last"]
    style = style or r.choice(["full"] * 5 + ["last_first"] * 3 + ["caps_last_first", "caps", "no_middle",
                               "middle_initial", "translit", "translit", "lastcaps", "hyphen_space"])
    if style == "full": s = " ".join([f] + m + [l])
    elif style == "last_first": s = f"{l}, {' '.join([f] + m)}"
    elif style == "caps_last_first": s = f"{l.upper()}, {' '.join([f] + m).upper()}"
    elif style == "caps": s = " ".join([f] + m + [l]).upper()
    elif style == "no_middle": s = f"{f} {l}"
    elif style == "middle_initial": s = " ".join([f] + [x[0] + "." for x in m] + [l])
    elif style == "translit": s = tr(" ".join([f] + m + [l]))
    elif style == "lastcaps": s = f"{l.upper()} {' '.join([f] + m)}"
    elif style == "hyphen_space": s = " ".join([f] + m + [l.replace("-", " ")])
    return s, style


# ----------------------------------------------------------------------------- renderers
# Document model: dict(pages=[[block,...],...], header=str|None, footer=str|None)
# blocks: ("title",t) ("h",t) ("p",t) ("lines",[t]) ("kv",[(l,v)]) ("table",hdr,rows,widths)
#         ("cols",left_blocks,right_blocks) ("boxes",label,chars) ("field",label,name,value,tooltip)
#         ("img",label,text) ("sp",)

def esc(t):
    return html.escape(t)


def render_html(doc, chromium=True):
    css = ("body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;margin:0}"
           ""
           "table{border-collapse:collapse} td,th{border:1px solid #555;padding:2px 4px;vertical-align:top;"
           "text-align:left} table.kv td{border:none;padding:1px 6px 1px 0} .hdr{font-size:8.5pt;"
           "border-bottom:1px solid #888;margin-bottom:8px} .ftr{font-size:8pt;border-top:1px solid #888;"
           "margin-top:14px} .box{display:inline-block;border:1px solid #000;width:14px;text-align:center;"
           "margin-right:1px}")
    out = [f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>"]

    def blk(b):
        t = b[0]
        if t == "title": return f"<h2>{esc(b[1])}</h2>"
        if t == "h": return f"<h4 style='margin:8px 0 2px'>{esc(b[1])}</h4>"
        if t == "p": return f"<p>{esc(b[1])}</p>"
        if t == "lines": return "<div>" + "<br>".join(esc(x) for x in b[1]) + "</div>"
        if t == "kv":
            return "<table class='kv'>" + "".join(f"<tr><td>{esc(l)}</td><td>{esc(v)}</td></tr>" for l, v in b[1]) + "</table>"
        if t == "table":
            hdr, rows, wid = b[1], b[2], b[3]
            s = "<table style='width:100%'>"
            if hdr:
                s += "<tr>" + "".join(f"<th style='width:{int(w * 100)}%'>{esc(h)}</th>" for h, w in zip(hdr, wid)) + "</tr>"
            for row in rows:
                s += "<tr>" + "".join(f"<td style='width:{int(w * 100)}%'>{'<br>'.join(esc(x) for x in c.split(chr(10)))}</td>"
                                      for c, w in zip(row, wid)) + "</tr>"
            return s + "</table>"
        if t == "cols":
            l = "".join(blk(x) for x in b[1]); rr = "".join(blk(x) for x in b[2])
            return (f"<table style='width:100%;border:none'><tr><td style='border:none;width:50%'>{l}</td>"
                    f"<td style='border:none;width:50%'>{rr}</td></tr></table>")
        if t == "boxes":
            if chromium:
                return f"<div>{esc(b[1])} " + "".join(f"<span class='box'>{esc(c)}</span>" for c in b[2]) + "</div>"
            return (f"<table><tr><td style='border:none'>{esc(b[1])}</td>" +
                    "".join(f"<td>{esc(c)}</td>" for c in b[2]) + "</tr></table>")
        if t == "field": return f"<div>{esc(b[1])} {esc(b[3])}</div>"
        if t == "img":
            return f"<div>{esc(b[1])} <img style='height:14px' src='data:image/png;base64,{png_b64(b[2])}'></div>"
        if t == "sp": return "<br>"
        raise ValueError(t)

    for pn, page in enumerate(doc["pages"]):
        out.append("<div class='pg'>" + ("<p style='page-break-before: always;margin:0'></p>" if pn else ""))
        if doc.get("header"): out.append(f"<div class='hdr'>{'<br>'.join(esc(x) for x in doc['header'].split(chr(10)))}</div>")
        out += [blk(b) for b in page]
        if doc.get("footer"): out.append(f"<div class='ftr'>{esc(doc['footer'].replace('{page}', str(pn + 1)))}</div>")
        out.append("</div>")
    return "".join(out) + "</body></html>"


def png_bytes(text):
    from PIL import Image, ImageDraw, ImageFont
    f = ImageFont.truetype(FONT, 28)
    im = Image.new("L", (int(f.getlength(text)) + 10, 40), 255)
    ImageDraw.Draw(im).text((4, 4), text, font=f, fill=0)
    b = io.BytesIO(); im.save(b, "PNG"); return b.getvalue()


def png_b64(text):
    import base64
    return base64.b64encode(png_bytes(text)).decode()


def render_reportlab(doc, path):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (SimpleDocTemplate, Paragraph, Table, TableStyle, Spacer, PageBreak, Flowable,
                                    Image)
    from reportlab.lib import colors
    if "DV" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DV", FONT)); pdfmetrics.registerFont(TTFont("DVB", FONTB))
    st = ParagraphStyle("n", fontName="DV", fontSize=10, leading=13)
    sh = ParagraphStyle("h", fontName="DVB", fontSize=11, leading=15, spaceBefore=6)
    stt = ParagraphStyle("t", fontName="DVB", fontSize=15, leading=19, spaceAfter=8)
    P = lambda t, s=st: Paragraph(esc(t).replace("\n", "<br/>"), s)

    class Field(Flowable):
        def __init__(self, label, name, value, tip):
            super().__init__(); self.a = (label, name, value, tip); self.height = 22; self.width = 400
        def draw(self):
            label, name, value, tip = self.a
            c = self.canv; c.setFont("DV", 10); c.drawString(0, 6, label)
            if isinstance(name, list):  # comb: one field per digit
                for i, (n, ch) in enumerate(zip(name, value)):
                    c.acroForm.textfield(name=n, value=ch, x=150 + i * 16, y=0, width=15, height=18,
                                         relative=True, borderWidth=1, fontSize=10)
            else:
                c.acroForm.textfield(name=name, tooltip=tip or None, value=value, x=150, y=0, width=200,
                                     height=18, relative=True, borderWidth=1, fontSize=10)

    def fl(b, width):
        t = b[0]
        if t == "title": return [P(b[1], stt)]
        if t == "h": return [P(b[1], sh)]
        if t == "p": return [P(b[1])]
        if t == "lines": return [P("\n".join(b[1]))]
        if t == "kv":
            tb = Table([[P(l), P(v)] for l, v in b[1]], colWidths=[width * 0.38, width * 0.62])
            tb.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
            return [tb]
        if t == "table":
            data = ([[P(h) for h in b[1]]] if b[1] else []) + [[P(c) for c in row] for row in b[2]]
            tb = Table(data, colWidths=[width * w for w in b[3]])
            tb.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            return [tb]
        if t == "cols":
            L = sum((fl(x, width * 0.48) for x in b[1]), []); R = sum((fl(x, width * 0.48) for x in b[2]), [])
            tb = Table([[L, R]], colWidths=[width * 0.5, width * 0.5])
            tb.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
            return [tb]
        if t == "boxes":
            tb = Table([[P(b[1])] + [P(c) for c in b[2]]], colWidths=[120] + [16] * len(b[2]))
            tb.setStyle(TableStyle([("GRID", (1, 0), (-1, 0), 0.8, colors.black)]))
            return [tb]
        if t == "field": return [Field(*b[1:])]
        if t == "img":
            from PIL import Image as PI
            data = png_bytes(b[2]); pi = PI.open(io.BytesIO(data))
            im = Image(io.BytesIO(data), width=14 * pi.size[0] / pi.size[1], height=14)
            tb = Table([[P(b[1]), im]], colWidths=[140, im.drawWidth + 10]); tb.hAlign = "LEFT"
            return [tb]
        if t == "sp": return [Spacer(1, 8)]
        raise ValueError(t)

    def deco(c, d):
        c.saveState(); c.setFont("DV", 8)
        if doc.get("header"):
            for i, ln in enumerate(doc["header"].split("\n")):
                c.drawString(50, A4[1] - 30 - i * 10, ln)
        if doc.get("footer"): c.drawString(50, 25, doc["footer"].replace("{page}", str(d.page)))
        c.restoreState()

    d = SimpleDocTemplate(path, pagesize=A4, leftMargin=50, rightMargin=50,
                          topMargin=40 + 10 * len((doc.get("header") or "").split("\n")), bottomMargin=45)
    width = A4[0] - 100
    story = []
    for i, page in enumerate(doc["pages"]):
        if i: story.append(PageBreak())
        for b in page: story += fl(b, width)
    d.build(story, onFirstPage=deco, onLaterPages=deco)


def render_fpdf(doc, path):
    from fpdf import FPDF

    class Pdf(FPDF):
        def header(self):
            if doc.get("header"):
                self.set_font("DV", size=8)
                for ln in doc["header"].split("\n"): self.cell(0, 4, ln, new_x="LMARGIN", new_y="NEXT")
                self.ln(3)
        def footer(self):
            if doc.get("footer"):
                self.set_y(-15); self.set_font("DV", size=8)
                self.cell(0, 5, doc["footer"].replace("{page}", str(self.page_no())))

    p = Pdf(format="A4"); p.add_font("DV", "", FONT); p.add_font("DV", "B", FONTB)
    p.set_auto_page_break(True, 20)

    def blk(b, x0=None, w=0):
        t = b[0]
        if x0 is not None: p.set_x(x0)
        if t == "title": p.set_font("DV", "B", 14); p.multi_cell(w, 8, b[1], new_x="LMARGIN", new_y="NEXT"); p.ln(2)
        elif t == "h": p.set_font("DV", "B", 10.5); p.ln(1); p.multi_cell(w, 6, b[1], new_x="LMARGIN", new_y="NEXT")
        elif t == "p": p.set_font("DV", "", 10); p.multi_cell(w, 5, b[1], new_x="LMARGIN", new_y="NEXT"); p.ln(1)
        elif t == "lines":
            p.set_font("DV", "", 10)
            for ln in b[1]:
                if x0 is not None: p.set_x(x0)
                p.multi_cell(w, 5, ln, new_x="LMARGIN", new_y="NEXT")
        elif t == "kv":
            p.set_font("DV", "", 10)
            for l, v in b[1]:
                if x0 is not None: p.set_x(x0)
                lw = (w or 190) * 0.38
                y = p.get_y(); xs = p.get_x(); p.multi_cell(lw, 5, l)
                y2 = p.get_y(); p.set_xy(xs + lw, y); p.multi_cell((w or 190) - lw, 5, v)
                p.set_y(max(y2, p.get_y()))
        elif t == "table":
            p.set_font("DV", "", 9.5)
            with p.table(col_widths=tuple(int(x * 100) for x in b[3]), first_row_as_headings=bool(b[1]),
                         line_height=5) as tb:
                for row in ([b[1]] if b[1] else []) + b[2]:
                    rr = tb.row()
                    for c in row: rr.cell(c)
        elif t == "cols":
            y0 = p.get_y()
            for x in b[1]: blk(x, 10, 92)
            y1 = p.get_y(); p.set_y(y0)
            for x in b[2]: blk(x, 108, 92)
            p.set_y(max(y1, p.get_y()))
        elif t == "boxes":
            p.set_font("DV", "", 10); p.cell(45, 7, b[1])
            for c in b[2]: p.cell(6, 7, c, border=1, align="C")
            p.ln(9)
        elif t == "field":
            p.set_font("DV", "", 10); p.multi_cell(0, 5, f"{b[1]} {b[3]}", new_x="LMARGIN", new_y="NEXT")
        elif t == "img":
            p.set_font("DV", "", 10); p.cell(45, 6, b[1])
            p.image(io.BytesIO(png_bytes(b[2])), h=5.5); p.ln(1)
        elif t == "sp": p.ln(4)
        else: raise ValueError(t)

    for page in doc["pages"]:
        p.add_page()
        for b in page: blk(b)
    p.output(path)


def groff_esc(t):
    t = t.replace("\\", "\\\\")
    return "\n".join(("\\&" + ln if ln[:1] in (".", "'") else ln) for ln in t.split("\n"))


def render_groff(doc):
    o = [".nr PS 10", ".nr VS 13", ".nr HM 0.6i", ".nr FM 0.6i"]
    if doc.get("header"):
        o.append(".ds LH " + groff_esc(doc["header"].split("\n")[0]).replace('"', "''"))
        o.append(".ds CH"); o.append(".ds RH")
    if doc.get("footer"):
        o.append(".ds LF " + groff_esc(doc["footer"].replace("{page}", "%")))
    else:
        o.append(".ds CF Side %")

    def tblcell(c):
        return "T{\n" + groff_esc(c) + "\nT}"

    def blk(b):
        t = b[0]
        if t == "title": return [".LP", ".ps 14", "\\fB" + groff_esc(b[1]) + "\\fP", ".ps 10", ".sp 0.4"]
        if t == "h": return [".sp 0.4", ".LP", "\\fB" + groff_esc(b[1]) + "\\fP"]
        if t == "p": return [".PP", groff_esc(b[1])]
        if t == "lines": return [".LP", ".nf"] + [groff_esc(x) for x in b[1]] + [".fi"]
        if t == "kv": return [".TS", "tab(@);", "l l."] + [f"{tblcell(l)}@{tblcell(v)}" for l, v in b[1]] + [".TE"]
        if t == "table":
            n = len(b[3])
            spec = " ".join(f"lw({max(0.5, w * 6.0):.2f}i)" for w in b[3]) + "."
            rows = ([b[1]] if b[1] else []) + b[2]
            return [".TS", "allbox tab(@);", spec] + ["@".join(tblcell(c) for c in row) for row in rows] + [".TE"]
        if t == "cols":
            def inner(bs):
                txt = []
                for x in bs:
                    if x[0] in ("h", "title", "p"): txt.append(x[1])
                    elif x[0] == "lines": txt += x[1]
                    elif x[0] == "kv": txt += [f"{l} {v}" for l, v in x[1]]
                return "T{\n.nf\n" + "\n".join(groff_esc(z) for z in txt) + "\n.fi\nT}"
            return [".TS", "tab(@);", "lw(3i) lw(3i).", inner(b[1]) + "@" + inner(b[2]), ".TE"]
        if t == "boxes":
            return [".TS", "tab(@);", "l " + " ".join(["| c"] * len(b[2])) + " |.",
                    groff_esc(b[1]) + "@" + "@".join(groff_esc(c) for c in b[2]), ".TE"]
        if t == "field": return [".LP", groff_esc(f"{b[1]} {b[3]}")]
        if t == "sp": return [".sp 0.5"]
        raise ValueError(t)

    for i, page in enumerate(doc["pages"]):
        if i: o.append(".bp")
        for b in page: o += blk(b)
    return "\n".join(o) + "\n"


def chrome_pdf(htmlpath, pdfpath, tmp):
    ud = tempfile.mkdtemp(dir=tmp)
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--user-data-dir={ud}", f"--print-to-pdf={pdfpath}", "file://" + htmlpath]
    for _ in range(3):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        if os.path.exists(pdfpath) and os.path.getsize(pdfpath) > 500: break
    shutil.rmtree(ud, ignore_errors=True)


# ----------------------------------------------------------------------------- scenario building
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.w = World(self.r)
        self.docs = []

    # --- pieces
    def form_heading(self, code, title, org, style=None):
        r = self.r
        pre = r.choice(["LÆ", "LÆ", "LÆ", "Læ", "LAE", "LÆ-"])
        sep = "" if pre.endswith("-") else r.choice([" ", " ", "", "-"])
        codes = f"{pre}{sep}{code}"
        style = style or r.choice(["code_title", "code_title", "title_code", "blanket_line", "title_only_footer",
                                   "split", "org_first"])
        blocks, footer = [], None
        if style == "code_title": blocks = [("title", f"{codes} {title}")]
        elif style == "title_code": blocks = [("title", f"{title} ({codes})")]
        elif style == "blanket_line": blocks = [("title", title), ("lines", [f"Blanket {codes}"])]
        elif style == "title_only_footer": blocks = [("title", title)]; footer = f"{codes} · version 01.2024 · side {{page}}"
        elif style == "split": blocks = [("lines", [f"Lægeattest {pre.rstrip('-')}", f"{code} – {title}"])]
        elif style == "org_first": blocks = [("lines", [org[0], org[1]]), ("title", f"{codes} – {title}")]
        return blocks, footer, style

    def letterhead(self, org, n_decoys, decoy_kinds=None, valid=True):
        lines, infos = [org[0], org[1]], []
        for _ in range(n_decoys):
            ln, inf = decoy(self.r, self.w, decoy_kinds, want_valid=valid)
            lines.append(ln); infos.append(inf)
        return lines, infos

    def patient_block(self, p, style, cstyle, producer, cpr_text=None, name_text=None, label=None):
        """Blocks for the patient. cpr_text overrides the printed CPR value (e.g. unreadable)."""
        r = self.r
        name = name_text
        c = cpr_text if cpr_text is not None else CPR_STYLES[cstyle](p["cpr"])
        lab = label or r.choice(PATIENT_LABELS)
        nlab = r.choice(NAME_LABELS)
        addr = f"{r.choice(STREETS)} {r.randint(1, 80)}, {r.choice(TOWNS)}"
        if style == "kv":
            return [("kv", [(nlab, name), (lab, c), ("Adresse:", addr)])]
        if style == "kv_cpr_first":
            return [("kv", [(lab, c), (nlab, name), ("Adresse:", addr)])]
        if style == "oneline":
            return [("lines", [f"{nlab} {name}    {lab} {c}", f"Adresse: {addr}"])]
        if style == "nextline":
            return [("lines", [f"{nlab} {name}", lab, c, addr])]
        if style == "table_header":
            return [("table", ["Navn", lab.rstrip(":"), "Adresse"], [[name, c, addr]], [0.35, 0.25, 0.4])]
        if style == "narrow":
            parts = c.split("-", 1) if "-" in c else ([c[:6], c[6:]] if len(c) >= 10 and " " not in c else c.split(" ", 1))
            cell = (parts[0] + ("-" if "-" in c else "") + "\n" + parts[1]) if len(parts) == 2 else c
            return [("table", ["Patient", lab.rstrip(":"), "Bopæl", "Egen læge", "Kommune"],
                     [[name, cell, addr, r.choice(GPS), r.choice(["Nordby", "Vesterå", "Fyrreby"])]],
                     [0.25, 0.11, 0.26, 0.22, 0.16])]
        if style == "boxes":
            return [("kv", [(nlab, name)]), ("boxes", lab, list(c.replace(" ", "")))]
        if style == "field":
            if r.random() < 0.3:
                return [("field", nlab, "navn", name, "Patientens navn"),
                        ("field", lab, [f"cpr{i}" for i in range(10)], p["cpr"], None)]
            fname, tip = r.choice([("CPR", ""), ("Personnummer", ""), ("patient_cpr", "CPR-nummer"),
                                   ("Tekst12", ""), ("txtCprNr", "Borgerens CPR-nr.")])
            return [("field", nlab, "Navn", name, "Navn"), ("field", lab, fname, c, tip)]
        if style == "sentence":
            return [("p", r.choice([
                f"Undertegnede har d.d. undersøgt {name}, {lab.rstrip(':').lower()} {c}, som er sygemeldt fra sit arbejde.",
                f"Hermed statusattest vedrørende {name} ({lab.rstrip(':')} {c}) efter anmodning fra jobcentret.",
                f"Attesten angår {name}, {lab.rstrip(':')} {c}, bosat {addr}."]))]
        if style == "name_paren":
            return [("p", f"{r.choice(['Vedr.', 'Vedrørende', 'Ang.'])} {name} ({c})")]
        if style == "name_comma":
            return [("lines", [f"{name}, {c}", addr])]
        if style == "columna":
            return [("lines", [f"{c}  {name}", addr])]
        raise ValueError(style)

    def body_text(self, code):
        r = self.r
        diag = r.choice(["moderat depressiv enkeltepisode (DF321)", "generaliseret angst (DF411)",
                         "posttraumatisk belastningsreaktion (DF431)", "tilbagevendende depression (DF332)",
                         "bipolar affektiv sindslidelse (DF312)", "skizofreni, paranoid type (DF200)",
                         "uspecificeret personlighedsforstyrrelse (DF609)", "kroniske lændesmerter (DM545)"])
        return [("h", "Diagnose"), ("p", f"Patienten er i behandling for {diag}."),
                ("h", "Aktuel tilstand"),
                ("p", r.choice(["Fortsat nedsat koncentration og energi. Sover uroligt. Møder stabilt op til samtaler.",
                                "Bedring over de seneste uger. Kan klare korte daglige gåture. Angst i sociale situationer.",
                                "Uændret tilstand. Medicinen er justeret. Forventes at kunne genoptage arbejde gradvist."])),
                ("h", "Forventet varighed"),
                ("p", r.choice(["2-3 måneder.", "Mindst 8 uger.", "Kan ikke vurderes endnu.", "Ca. 6 måneder."]))]

    def signature(self, doc_person_name=None):
        r = self.r
        dname = doc_person_name or f"{r.choice(FIRST)} {r.choice(LAST)}"
        ln, inf = decoy(r, self.w, ["aut", "yder"])
        return [("sp",), ("lines", [f"Dato: {dt.date(2024, 1, 1) + dt.timedelta(days=r.randint(0, 330)):%d.%m.%Y}",
                                    f"Underskrift: {r.choice(['Overlæge', 'Læge', 'Afdelingslæge', 'Speciallæge', 'Praktiserende læge'])} {dname}",
                                    ln])], [inf]

    def relative_blocks(self, rel, role, cstyle, placement, pname):
        r = self.r
        rn, rl = role
        c = CPR_STYLES[cstyle](rel["cpr"])
        nm = rel["name"]
        if placement == "inline_label": return [("lines", [f"{rl}: {nm}, {r.choice(['CPR-nr.', 'cpr.nr.', 'CPR', 'personnr.'])} {c}"])]
        if placement == "inline_paren": return [("lines", [f"{rl}: {nm} ({c})"])]
        if placement == "paaroerende_line": return [("lines", [f"Pårørende: {nm} ({rn}), CPR {c}"])]
        if placement == "block":
            return [("h", r.choice(["Pårørende", "Kontaktperson", "Nærmeste pårørende", "Oplysninger om pårørende"])),
                    ("kv", [("Navn:", nm), ("CPR-nr.:", c), ("Tlf.:", phone(r)), ("Relation:", rn)])]
        if placement == "block_relation_first":
            return [("kv", [("Relation:", rl), ("Navn:", nm), ("Cpr:", c)])]
        if placement == "relation_after_phone":
            return [("sp",), ("kv", [("Navn:", nm), ("CPR-nr.:", c), ("Tlf.:", phone(r)), ("Adresse:", f"{r.choice(STREETS)} {r.randint(1, 60)}"),
                                     ("Relation til patienten:", rn)])]
        if placement == "table":
            return [("h", r.choice(["Pårørende", "Netværk", "Familieforhold"])),
                    ("table", ["Relation", "Navn", "CPR-nr.", "Telefon"], [[rl, nm, c, phone(r)]], [0.2, 0.3, 0.25, 0.25])]
        if placement == "sentence":
            return [("p", f"Oplysningerne er suppleret af patientens {rn}, {nm}, cpr.nr. {c}, som deltog i samtalen.")]
        if placement == "sentence2":
            return [("p", f"{pname.split()[0]} bor sammen med sin {rn} {nm} ({c}) og har ingen hjemmeboende børn.")]
        if placement == "sentence_nolabel":
            return [("p", f"Ved samtalen deltog {rn} {nm}, {c}, der bekræftede forløbet.")]
        if placement == "children":
            return [("p", f"Børn i husstanden: {nm} ({c}).")]
        if placement == "signature":
            return [("sp",), ("lines", [f"{r.choice(['Attesterende læge', 'Underskrivende læge', 'Lægens navn'])}: {nm}",
                                        f"CPR-nr.: {c}", f"Autorisations-ID: {r.randint(1, 9)}X{r.randint(100, 999)}"])]
        if placement == "cols":
            return [("h", r.choice(["Nærmeste pårørende", "Kontaktperson", "Pårørende / kontaktperson"])),
                    ("kv", [("Navn:", nm), ("CPR-nr.:", c), ("Relation:", rl)])]
        if placement == "informant":
            return [("h", "Oplysninger givet af"), ("lines", [f"{nm}, {c} ({rn})"])]
        raise ValueError(placement)

    # --- documents
    def new_doc(self, scenario, producer):
        return dict(scenario=scenario, producer=producer, pages=[[]], header=None, footer=None, others=[],
                    decoys=[], fileable=False, must_escalate=True, form=None, cpr=None)

    def add(self, d):
        self.docs.append(d)
        return d

    def make(self, scenario, producer, **kw):
        r, w = self.r, self.w
        d = self.new_doc(scenario, producer)
        p = w.person("patient")
        d["patient"] = p
        org = r.choice(ORGS) if r.random() < 0.7 else (r.choice(GPS), f"{r.choice(STREETS)} {r.randint(1, 40)}, {r.choice(TOWNS)}", "")
        d["org"] = org[0]
        code = kw.get("code") or r.choices([c for c, _ in FORM_W], [x for _, x in FORM_W])[0]
        kind_doc = kw.get("kind", "attest")
        title = FORMS.get(code) or REQUESTS.get(code) or kw.get("title", "Lægeattest")
        pname, nstyle = print_name(r, p)
        d["patient_name"], d["name_style"] = pname, nstyle
        cstyle = kw.get("cstyle") or pick_style(r, producer)
        d["cpr_style"] = cstyle
        pstyle = kw.get("pstyle") or r.choice(["kv"] * 4 + ["kv_cpr_first", "oneline", "nextline", "table_header"])
        d["patient_style"] = pstyle
        heading, footer, hstyle = self.form_heading(code, title, org, kw.get("hstyle"))
        d["heading_style"] = hstyle
        d["footer"] = footer
        lh, infos = self.letterhead(org, r.randint(1, 4), valid=r.random() < 0.6)
        d["decoys"] += infos
        page = d["pages"][0]
        if r.random() < 0.5:
            page.append(("lines", lh)); page += heading
        else:
            page += heading; page.append(("lines", lh))
        cpr_text = kw.get("cpr_text")
        page += self.patient_block(p, pstyle, cstyle, producer, cpr_text=cpr_text, name_text=pname)
        d["form"] = f"LÆ {code}"
        d["kind"] = kind_doc
        d["cpr"] = p["cpr"] if cpr_text is None else None
        page += self.body_text(code)
        sig, inf = self.signature()
        d["decoys"] += inf
        page += sig
        return d

    def finish(self, d, fileable):
        d["fileable"] = fileable
        d["must_escalate"] = not fileable
        return self.add(d)

    def build(self):
        r = self.r
        P_ALL = ["reportlab", "fpdf2", "chromium", "soffice", "groff", "groff-gs"]
        P_BOX = ["reportlab", "fpdf2", "chromium", "soffice", "groff"]
        P_IMG = ["reportlab", "fpdf2", "chromium"]
        prod = lambda lst=P_ALL: r.choice(lst)
        FILE_FORMS = [c for c, _ in FORM_W]

        # ---------- fileable
        for i in range(60):
            self.finish(self.make("basic", prod(), pstyle=r.choice(["kv", "kv", "kv_cpr_first", "oneline"])), True)
        for i in range(14):
            self.finish(self.make("next_line", prod(), pstyle="nextline"), True)
        for i in range(14):
            self.finish(self.make("table_header", prod(), pstyle="table_header"), True)
        for i in range(12):
            pr = prod(["reportlab", "fpdf2", "chromium", "soffice", "groff"])
            self.finish(self.make("narrow_cell", pr, pstyle="narrow", cstyle=r.choice(["dash", "dash", "spdash", "dots", "space"])), True)
        for i in range(10):
            self.finish(self.make("boxes", prod(P_BOX), pstyle="boxes", cstyle=r.choice(["dash", "plain", "plain"])), True)
        for i in range(12):
            self.finish(self.make("form_field", "reportlab", pstyle="field", cstyle=r.choice(["dash", "plain", "space"])), True)
        for i in range(14):
            self.finish(self.make("sentence", prod(), pstyle="sentence"), True)
        for i in range(6):
            self.finish(self.make("name_paren", prod(), pstyle=r.choice(["name_paren", "name_comma"]), cstyle="dash"), True)
        for i in range(5):
            self.finish(self.make("cpr_then_name", prod(), pstyle="columna", cstyle="dash"), True)
        for i in range(18):
            self.finish(self.epj(prod()), True)
        for i in range(12):
            self.finish(self.lae105(prod()), True)
        for i in range(12):
            self.finish(self.two_column(prod(["reportlab", "fpdf2", "chromium", "soffice", "groff"])), True)
        for i in range(22):
            d = self.make("decoys_heavy", prod())
            for _ in range(r.randint(2, 5)):
                ln, inf = decoy(r, self.w, ["dokid", "henv", "rekv", "booking", "kontakt", "sag", "faktura", "pnr",
                                            "bank", "prove", "range", "amount"], want_valid=True)
                d["pages"][0].insert(r.randint(1, len(d["pages"][0])), ("lines", [ln])); d["decoys"].append(inf)
            self.finish(d, True)
        for i in range(10):
            d = self.make("relative_no_cpr", prod())
            rel = self.w.person("relative")
            role = r.choice(ROLES)
            d["pages"][0].insert(-2, ("lines", [f"{role[1]}: {rel['name']}, tlf. {phone(r)}"]))
            self.finish(d, True)
        for i in range(10):
            d = self.make("reference_in_body", prod())
            ref = r.choice([c for c in list(FORMS) + list(REQUESTS) if "LÆ " + c != d["form"]])
            d["pages"][0].insert(-2, ("p", r.choice([
                f"Jf. tidligere fremsendt LÆ {ref} er der ikke sket væsentlige ændringer.",
                f"Attesten udfyldes som svar på kommunens anmodning (LÆ {ref}).",
                f"Der henvises i øvrigt til vedlagte LÆ {ref} fra foråret."])))
            d["ref_form"] = "LÆ " + ref
            self.finish(d, True)
        for i in range(10):
            d = self.make("ref_in_heading", prod())
            ref = r.choice([c for c in FORMS if "LÆ " + c != d["form"]])
            phr = r.choice(["Opfølgning på LÆ {} af 12.01.2024", "Supplement til LÆ {} fra januar",
                            "Tillæg til tidligere LÆ {}", "Efter kommunens LÆ {}", "Ny vurdering efter LÆ {} (marts)"])
            if phr.startswith("Efter kommunens"):
                ref = r.choice(list(REQUESTS))
            d["pages"][0].insert(0, ("lines", [phr.format(ref)]))
            d["ref_form"] = "LÆ " + ref
            self.finish(d, True)

        # ---------- must escalate
        placements = ["inline_label", "inline_paren", "paaroerende_line", "block", "block_relation_first",
                      "relation_after_phone", "table", "sentence", "sentence2", "sentence_nolabel", "children",
                      "signature", "informant", "cols"]
        for i in range(36):
            pr = prod(P_BOX) if placements[i % len(placements)] == "cols" else prod()
            d = self.make("relative_cpr", pr)
            self.add_relative(d, placements[i % len(placements)], pr)
            self.finish(d, False)
        unread = ["empty", "masked", "born_only", "invalid", "image", "stars", "partial"]
        for i in range(36):
            how = unread[i % len(unread)]
            pl = placements[(i * 5) % len(placements)] if i < 28 else "cols"
            pr = prod(P_IMG) if how == "image" else (prod(P_BOX) if pl == "cols" else prod())
            d = self.hard_relative(pr, how, pl)
            self.finish(d, False)
        for i in range(10):
            how = unread[i % len(unread)]
            pr = prod(P_IMG) if how == "image" else prod()
            d = self.make("hard_decoy", pr, cpr_text="X")
            self._replace_cpr(d, "X", self.unreadable(d["patient"], how, pr), d["patient"])
            ln, inf = decoy(r, self.w, ["dokid", "henv", "rekv", "booking", "kontakt", "sag", "prove", "bank", "pnr"], True)
            d["pages"][0].insert(r.randint(2, 4), ("lines", [ln])); d["decoys"].append(inf)
            d["unreadable"] = how
            self.finish(d, False)
        for i in range(10):
            self.finish(self.second_patient(prod()), False)
        for i in range(5):
            pr = prod()
            d = self.make("patient_two_values", pr)
            other = self.w.cpr()
            self.w.persons.pop(other, None)
            other = d["patient"]["cpr"][:6] + other[6:]
            d["pages"].append([("lines", [f"{d['patient_name']} · CPR-nr. {CPR_STYLES['dash'](other)}"]), ("p", "Fortsat fra side 1.")])
            d["others"].append(dict(kind="typo_patient", digits=other, role="patient (afvigende nummer)"))
            self.finish(d, False)
        for i in range(10):
            code = list(REQUESTS)[i % 6]
            d = self.make("request_x1", prod(), code=code, kind="anmodning")
            d["pages"][0].insert(1, ("lines", [r.choice(["Jobcenter Nordby, Sygedagpengeteamet", "Vesterå Kommune, Jobcenter"])]))
            self.finish(d, False)
        for i in range(9):
            self.finish(self.receipt(prod()), False)
        for i in range(8):
            self.finish(self.employer(prod()), False)
        for i in range(6):
            self.finish(self.cover_letter(prod()), False)
        for i in range(8):
            code = r.choice(["175", "305", "195", "215", "355", "115X"])
            if code == "115X":
                d = self.make("unknown_form", prod(), code="125", hstyle="code_title")
                d["pages"][0] = [b for b in d["pages"][0] if not (b[0] == "title")]
                d["pages"][0].insert(0, ("title", "Lægeerklæring til forsikringsselskab"))
                d["footer"] = None
                d["form"] = None
            else:
                d = self.make("unknown_form", prod(), code=code, title=r.choice(["Attest om arbejdsevne", "Lægeerklæring", "Helbredserklæring"]))
                d["form"] = f"LÆ {code}"
            self.finish(d, False)
        for i in range(10):
            d = self.make("scan", "gs-scan")
            d["cpr"] = None
            self.finish(d, False)
        return self.docs

    def add_relative(self, d, placement, producer):
        r = self.r
        role = r.choice(ROLES)
        y0, y1 = (2000, 2020) if role[0] in ("søn", "datter", "barn") or placement == "children" else (1940, 2000)
        rel = self.w.person("relative", y0, y1)
        if placement == "signature": role = ("læge", "Læge"); rel["role"] = "doctor"
        cs = pick_style(r, producer)
        blocks = self.relative_blocks(rel, role, cs, placement, d["patient_name"])
        pg = d["pages"][0]
        pos = len(pg) if placement == "signature" else r.randint(len(pg) - 9, len(pg) - 2)
        if placement == "cols":
            idx = next((i for i, b in enumerate(pg) if b[0] in ("kv", "img")), None)
            if idx is not None:
                left = [("h", "Patient")] + [pg[idx]]
                if pg[idx][0] == "kv" and idx + 1 < len(pg) and pg[idx + 1][0] == "img":
                    left.append(pg[idx + 1]); del pg[idx + 1]
                pg[idx] = ("cols", left, blocks)
            else:
                pg[pos:pos] = blocks
        elif placement in ("block", "table", "informant") and r.random() < 0.3:
            d["pages"].append(blocks + [("p", "Ingen yderligere bemærkninger.")])
        else:
            pg[pos:pos] = blocks
        d["others"].append(dict(kind=rel["role"], role=role[0], placement=placement, digits=rel["cpr"], style=cs,
                                name=rel["name"]))
        d["relative"] = rel

    def unreadable(self, p, how, producer):
        r = self.r
        c = p["cpr"] if p else self.w.cpr()
        if how == "empty": return r.choice(["", "_______-____", "(ikke oplyst)"])
        if how == "masked": return f"{c[:6]}-xxxx"
        if how == "stars": return f"{c[:6]}-****"
        if how == "born_only": return f"(født {c[:2]}.{c[2:4]}.{yyyy(c)})"
        if how == "invalid": return r.choice([f"{c[:6]}-{c[6:9]}", f"32{c[2:6]}-{c[6:]}", f"{c[:2]}13{c[4:6]}-{c[6:]}"])
        if how == "partial": return f"{c[:4]}..-{c[6:]}"
        if how == "image": return "\x00IMG"
        raise ValueError(how)

    def hard_relative(self, producer, how, placement):
        r = self.r
        d = self.make("hard_relative", producer, cpr_text="X", pstyle="kv" if placement == "cols" else None)
        p = d["patient"]
        txt = self.unreadable(p, how, producer)
        # replace the placeholder in the patient block
        self._replace_cpr(d, "X", txt, p)
        d["unreadable"] = how
        self.add_relative(d, placement, producer)
        return d

    def _replace_cpr(self, d, old, new, p):
        def fix(b):
            if b[0] == "kv": return ("kv", [(l, new if v == old else v) for l, v in b[1]])
            if b[0] == "lines": return ("lines", [new if x == old else x.replace(f" {old}", f" {new}") for x in b[1]])
            if b[0] == "table": return ("table", b[1], [[new if c == old or c == old + "\n" else c for c in row] for row in b[2]], b[3])
            if b[0] == "p": return ("p", b[1].replace(f" {old})", f" {new})").replace(f" {old},", f" {new},"))
            return b
        pg = [fix(b) for b in d["pages"][0]]
        if new == "\x00IMG":
            out = []
            for b in pg:
                if b[0] == "kv" and any(v == new for _, v in b[1]):
                    for l, v in b[1]:
                        out.append(("img", l, CPR_STYLES["dash"](p["cpr"])) if v == new else ("kv", [(l, v)]))
                else:
                    out.append(b)
            pg = out
            if not any(b[0] == "img" for b in pg):  # patient style without kv: add an image line
                pg = [b for b in pg]
                pg.insert(3, ("img", "CPR-nr.:", CPR_STYLES["dash"](p["cpr"])))
            pg = [self._strip_img_marker(b) for b in pg]
        d["pages"][0] = pg

    def _strip_img_marker(self, b):
        if b[0] == "lines": return ("lines", [x.replace("\x00IMG", "") for x in b[1]])
        if b[0] == "table": return ("table", b[1], [[c.replace("\x00IMG", "") for c in row] for row in b[2]], b[3])
        if b[0] == "p": return ("p", b[1].replace("\x00IMG", ""))
        return b

    def epj(self, producer):
        """Psychiatric EPJ printout: banner with name and CPR on every page, Udskrevet af."""
        r = self.r
        code = r.choice(["125", "285", "265", "125", "135"])
        d = self.make("epj_banner", producer, code=code, pstyle=r.choice(["kv", "nextline", "oneline"]))
        p = d["patient"]
        c = CPR_STYLES[d["cpr_style"]](p["cpr"])
        sysname = r.choice(EPJ)
        b = r.choice([f"{d['patient_name']}  ·  {c}", f"{c} {d['patient_name']}", f"Patient: {d['patient_name']}, CPR: {c}",
                      f"{d['patient_name']} ({c})"])
        u = (f"Udskrevet af: {r.choice(FIRST)} {r.choice(LAST)} ({r.choice(['sekretær', 'lægesekretær', 'overlæge'])}) "
             f"{dt.date(2024, 1, 1) + dt.timedelta(days=r.randint(0, 300)):%d.%m.%Y} {r.randint(7, 16)}:{r.randint(0, 59):02d} · {sysname}")
        d["header"] = b + "\n" + u
        d["pages"].append([("h", "Journalnotat (uddrag)"),
                           ("p", "Samtale med patienten. Fortsat præget af tristhed og træthed. Ingen suicidaltanker. "
                                 "Plan: fortsat ambulant forløb med samtaler hver 14. dag."),
                           ("p", f"{r.choice(['Kontakt-ID', 'Episode nr.'])} {self.w.cpr()[:4]}{r.randint(100000, 999999)}")])
        return d

    def lae105(self, producer):
        r = self.r
        d = self.make("lae105_journal", producer, code="105")
        p = d["patient"]
        c = CPR_STYLES[d["cpr_style"]](p["cpr"])
        d["header"] = f"{d['patient_name']} – CPR {c}" if r.random() < 0.6 else None
        for k in range(r.randint(1, 3)):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=r.randint(0, 300))
            d["pages"].append([("h", f"Epikrise / journaludskrift {day:%d.%m.%Y}"),
                               ("lines", [f"Indlagt {day:%d.%m.%Y} – udskrevet {day + dt.timedelta(days=r.randint(3, 30)):%d.%m.%Y}",
                                          f"Afsnit {r.choice(['P1', 'P3', 'S4', 'Q2'])}"]),
                               ("p", "Indlagt akut via skadestuen efter henvendelse fra egen læge. Under indlæggelsen stabiliseret "
                                     "på medicinsk behandling. Udskrives til ambulant opfølgning i distriktspsykiatrien."),
                               ("p", r.choice(["Statusattest (LÆ 125) udfyldt af egen læge i 2023.", "Ingen tidligere attester.",
                                               "Sygedagpengeopfølgning ved jobcentret."]))])
        return d

    def two_column(self, producer):
        r = self.r
        d = self.make("two_column", producer, pstyle="kv")
        pg = d["pages"][0]
        # find the patient kv and put it in a two-column block with a clinic column rich in decoys
        idx = next(i for i, b in enumerate(pg) if b[0] == "kv")
        right = [("h", "Afsender")]
        lines = [d["org"]]
        for _ in range(r.randint(2, 4)):
            ln, inf = decoy(r, self.w, ["phone", "cvr", "ean", "sor", "yder", "pnr", "dokid", "date"], True)
            lines.append(ln); d["decoys"].append(inf)
        right.append(("lines", lines))
        pg[idx] = ("cols", [("h", "Patient"), pg[idx]], right)
        return d

    def second_patient(self, producer):
        r = self.r
        d = self.make("second_patient", producer)
        q = self.w.person("second_patient")
        qn, _ = print_name(r, q)
        cs = pick_style(r, producer)
        how = r.choice(["page2_header", "two_blocks", "table"])
        if how == "page2_header":
            d["pages"].append([("lines", [f"{qn}   CPR-nr. {CPR_STYLES[cs](q['cpr'])}"]), ("h", "Journalnotat"),
                               ("p", "Kontrol i ambulatoriet. Stabil.")])
        elif how == "two_blocks":
            d["pages"][0].insert(-3, ("h", "Patient 2"))
            d["pages"][0].insert(-3, ("kv", [("Navn:", qn), ("CPR-nr.:", CPR_STYLES[cs](q["cpr"]))]))
        else:
            d["pages"][0].insert(-3, ("table", ["Navn", "CPR-nr.", "Attest"], [[qn, CPR_STYLES[cs](q["cpr"]), d["form"]]], [0.4, 0.3, 0.3]))
        d["others"].append(dict(kind="second_patient", role="patient", placement=how, digits=q["cpr"], name=q["name"]))
        d["relative"] = q
        return d

    def receipt(self, producer):
        r = self.r
        code = r.choice(["125", "285", "265"])
        d = self.make("receipt", producer, code=code, hstyle="code_title")
        head = r.choice(["Kvittering for modtagelse", "Modtagelsesbekræftelse", "Forsendelseskvittering",
                         "Bekræftelse på afsendelse", "Kvittering – digital post"])
        pg = d["pages"][0]
        pg[:] = [("title", head), ("lines", [f"Vi bekræfter modtagelse af LÆ {code} {FORMS[code]}",
                                             f"Modtaget: {dt.date(2024, 3, 1) + dt.timedelta(days=r.randint(0, 200)):%d.%m.%Y}"])] + \
                [b for b in pg if b[0] in ("kv", "lines", "table")][1:3]
        d["form"] = None; d["kind"] = "kvittering"; d["receipt_heading"] = head; d["footer"] = None
        return d

    def employer(self, producer):
        r = self.r
        d = self.make("employer", producer, code="125")
        head = r.choice(["Mulighedserklæring", "Friattest", "Varighedserklæring", "Mulighedserklæring – del 2 (lægens vurdering)",
                         "Fastholdelsesplan", "Lægeerklæring til arbejdsgiver"])
        pg = d["pages"][0]
        pg[:] = [("title", head), ("lines", [f"Arbejdsgiver: {r.choice(['Vesterå Tømrer ApS', 'Nordby Rengøring A/S', 'Fyrreby Skole'])}",
                                             decoy(r, self.w, ["cvr"])[0]])] + [b for b in pg if b[0] in ("kv", "lines")][1:2] + \
                [("p", "Medarbejderen kan varetage lettere opgaver på nedsat tid i 4 uger.")]
        d["form"] = None; d["kind"] = "andet"; d["employer_heading"] = head; d["footer"] = None
        return d

    def cover_letter(self, producer):
        r = self.r
        d = self.make("cover_letter", producer)
        code = d["form"][3:]
        pg = d["pages"][0]
        pat = [b for b in pg if b[0] in ("kv", "lines", "table", "p")][1:2]
        pg[:] = [("lines", [d["org"], "Til: Jobcenter Nordby, Sygedagpengeafdelingen"]), ("title", "Følgebrev")] + pat + [
            ("p", r.choice([f"Hermed fremsendes statusattest (LÆ {code}) som aftalt.",
                            f"Den udfyldte LÆ {code} sendes separat med sikker post.",
                            f"Lægeattest LÆ {code} følger i særskilt forsendelse."])), ("lines", ["Med venlig hilsen", "Lægesekretær"])]
        d["form"] = None; d["kind"] = "følgebrev"; d["footer"] = None
        return d


# ----------------------------------------------------------------------------- rendering driver
def render_all(docs, out, tmp, log):
    pdfdir = os.path.join(out, "pdf"); os.makedirs(pdfdir, exist_ok=True)
    html_soffice, html_chrome = [], []
    for i, d in enumerate(docs):
        d["file"] = f"pdf/d{i + 1:04d}_{d['scenario']}.pdf"
        path = os.path.join(out, d["file"])
        model = dict(pages=d["pages"], header=d["header"], footer=d["footer"])
        pr = d["producer"]
        if pr == "reportlab": render_reportlab(model, path)
        elif pr == "fpdf2": render_fpdf(model, path)
        elif pr in ("chromium", "soffice"):
            hp = os.path.join(tmp, f"d{i + 1:04d}.html")
            with open(hp, "w", encoding="utf-8") as f: f.write(render_html(model, chromium=pr == "chromium"))
            (html_chrome if pr == "chromium" else html_soffice).append((hp, path))
        elif pr in ("groff", "groff-gs"):
            src = render_groff(model).encode("utf-8")
            pre = subprocess.run(["preconv", "-e", "utf-8"], input=src, capture_output=True).stdout
            if pr == "groff":
                pdf = subprocess.run(["groff", "-t", "-ms", "-Tpdf"], input=pre, capture_output=True).stdout
            else:
                ps = subprocess.run(["groff", "-t", "-ms", "-Tps"], input=pre, capture_output=True).stdout
                pdf = subprocess.run(["ps2pdf", "-", "-"], input=ps, capture_output=True).stdout
            open(path, "wb").write(pdf)
        elif pr == "gs-scan":
            src = os.path.join(tmp, f"scan{i}.pdf")
            render_reportlab(model, src)
            subprocess.run(["gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfimage24", "-r110", f"-sOutputFile={path}", src],
                           check=True, stdout=subprocess.DEVNULL)
    # soffice in one batch
    if html_soffice:
        sd = os.path.join(tmp, "soffice_out"); os.makedirs(sd, exist_ok=True)
        prof = "file://" + os.path.join(tmp, "soprofile")
        for k in range(0, len(html_soffice), 40):
            chunk = html_soffice[k:k + 40]
            subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--infilter=HTML (StarWriter)",
                            "--convert-to", "pdf:writer_pdf_Export", "--outdir", sd] + [h for h, _ in chunk],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        for h, p in html_soffice:
            shutil.move(os.path.join(sd, os.path.basename(h)[:-5] + ".pdf"), p)
    with cf.ThreadPoolExecutor(2) as ex:
        list(ex.map(lambda hp: chrome_pdf(hp[0], hp[1], tmp), html_chrome))
    for d in docs:
        if not os.path.exists(os.path.join(out, d["file"])):
            log(f"MISSING {d['file']}")


# ----------------------------------------------------------------------------- mails
REGION_DOMAINS = ["rn.dk", "psykiatri.rn.dk", "regionh.dk", "psykiatri.regionh.dk", "rsyd.dk", "psykiatri.rsyd.dk",
                  "rm.dk", "ps.rm.dk", "regionmidtjylland.dk", "auh.regionmidtjylland.dk", "regionsjaelland.dk",
                  "psykiatri.regionsjaelland.dk"]
GW = "mx.kommune.example"


def org_domain(dom):
    for base in ("regionmidtjylland.dk", "regionsjaelland.dk", "regionh.dk", "rsyd.dk", "rn.dk", "rm.dk"):
        if dom == base or dom.endswith("." + base): return base
    return dom


def legit_ar(r, dom):
    od = org_domain(dom)
    v = r.randint(0, 4)
    if v == 0:
        return f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={od} header.s=sel1; dmarc=pass (p=reject) header.from={dom}"
    if v == 1:
        return f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=none; dmarc=pass header.from={dom}"
    if v == 2:
        return f"{GW}; spf=softfail smtp.mailfrom=bounce.{od}; dkim=pass header.d={dom} header.i=@{dom}; dmarc=none header.from={dom}"
    if v == 3:
        return (f"{GW};\r\n\tdkim=pass (2048-bit key; unprotected) header.d={od} header.i=@{od} header.b=Zm9vYmFy;\r\n"
                f"\tspf=pass ({GW}: domain of {dom} designates 192.0.2.15 as permitted sender) smtp.mailfrom={dom};\r\n"
                f"\tdmarc=pass (policy=quarantine) header.from={dom}")
    return f"{GW}; arc=none; spf=pass smtp.mailfrom={od}; dkim=pass header.d={od}; dmarc=pass action=none header.from={dom}"


def forged_variants():
    # (kind, from_addr, [A-R header values], extra)
    return [
        ("gw_dmarc_fail", "psykiatri@rn.dk", [f"{GW}; spf=fail smtp.mailfrom=rn.dk; dkim=none; dmarc=fail (p=reject) header.from=rn.dk"]),
        ("gw_dmarc_fail", "attester@regionh.dk", [f"{GW}; spf=fail smtp.mailfrom=regionh.dk; dkim=none; dmarc=fail header.from=regionh.dk"]),
        ("gw_dmarc_fail", "sekretariat@psykiatri.rsyd.dk", [f"{GW}; spf=softfail smtp.mailfrom=psykiatri.rsyd.dk; dkim=fail header.d=rsyd.dk; dmarc=fail header.from=psykiatri.rsyd.dk"]),
        ("gw_spf_fail_no_dkim", "laege@rm.dk", [f"{GW}; spf=fail smtp.mailfrom=rm.dk; dkim=none"]),
        ("gw_spf_fail_no_dkim", "attest@regionsjaelland.dk", [f"{GW}; spf=fail smtp.mailfrom=regionsjaelland.dk; dkim=none; dmarc=none header.from=regionsjaelland.dk"]),
        ("gw_unaligned_dkim", "psykiatri@rn.dk", [f"{GW}; spf=fail smtp.mailfrom=rn.dk; dkim=pass header.d=mailgun-relay.example; dmarc=none header.from=rn.dk"]),
        ("gw_unaligned_dkim", "attester@regionh.dk", [f"{GW}; spf=none; dkim=pass header.d=regionh-dk.com; dmarc=none header.from=regionh.dk"]),
        ("gw_unaligned_dkim_suffix", "psykiatri@rn.dk", [f"{GW}; spf=pass smtp.mailfrom=rn.dk.example.com; dkim=pass header.d=rn.dk.example.com; dmarc=none header.from=rn.dk"]),
        ("gw_unaligned_dkim_substr", "attest@rsyd.dk", [f"{GW}; spf=none; dkim=pass header.d=notrsyd.dk; dmarc=none header.from=rsyd.dk"]),
        ("other_authserv", "psykiatri@rn.dk", ["mx.evil.example; spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("other_authserv", "attester@rm.dk", ["mx.kommune.example.evil.net; dkim=pass header.d=rm.dk; dmarc=pass header.from=rm.dk"]),
        ("other_authserv", "sekretaer@regionh.dk", ["kommune.example; dkim=pass header.d=regionh.dk; dmarc=pass header.from=regionh.dk"]),
        ("no_results", "psykiatri@rn.dk", []),
        ("no_results", "attest@regionmidtjylland.dk", []),
        ("zero_width", "psykiatri@rn\u200b.dk", [f"{GW}; spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("soft_hyphen", "attester@region\u00adh.dk", [f"{GW}; spf=pass smtp.mailfrom=regionh.dk; dkim=pass header.d=regionh.dk; dmarc=pass header.from=regionh.dk"]),
        ("homoglyph_cyrillic", "attester@regi\u043enh.dk", [f"{GW}; spf=pass smtp.mailfrom=regi\u043enh.dk; dkim=pass header.d=regi\u043enh.dk; dmarc=pass header.from=regi\u043enh.dk"]),
        ("homoglyph_punycode", "psykiatri@" + "rsуd.dk".encode("idna").decode(), [f"{GW}; spf=pass smtp.mailfrom={'rsуd.dk'.encode('idna').decode()}; dkim=pass header.d={'rsуd.dk'.encode('idna').decode()}; dmarc=pass header.from={'rsуd.dk'.encode('idna').decode()}"]),
        ("lookalike", "psykiatri@rn-dk.com", [f"{GW}; spf=pass smtp.mailfrom=rn-dk.com; dkim=pass header.d=rn-dk.com; dmarc=pass header.from=rn-dk.com"]),
        ("lookalike", "attest@regionh.dk.sikkermail.net", [f"{GW}; spf=pass smtp.mailfrom=regionh.dk.sikkermail.net; dkim=pass header.d=sikkermail.net; dmarc=pass header.from=regionh.dk.sikkermail.net"]),
        ("lookalike", "attest@regi0nh.dk", [f"{GW}; spf=pass smtp.mailfrom=regi0nh.dk; dkim=pass header.d=regi0nh.dk; dmarc=pass header.from=regi0nh.dk"]),
        ("lookalike_idn", "psykiatri@regionsjælland.dk", [f"{GW}; spf=pass smtp.mailfrom=xn--regionsjlland-bib.dk; dkim=pass header.d=xn--regionsjlland-bib.dk; dmarc=pass header.from=xn--regionsjlland-bib.dk"]),
        ("two_from", "psykiatri@rn.dk, attest@rn-dk.com", [f"{GW}; spf=pass smtp.mailfrom=rn-dk.com; dkim=pass header.d=rn-dk.com; dmarc=pass header.from=rn-dk.com"]),
        ("two_from_headers", "psykiatri@rn.dk", [f"{GW}; spf=pass smtp.mailfrom=rn-dk.com; dkim=pass header.d=rn-dk.com; dmarc=pass header.from=rn-dk.com"]),
        ("gw_dmarc_fail_dkim_pass", "attester@rm.dk", [f"{GW}; spf=fail smtp.mailfrom=rm.dk; dkim=pass header.d=rm.dk; dmarc=fail header.from=rm.dk"]),
        ("gw_fail_then_forged_pass", "psykiatri@rn.dk", [f"{GW}; spf=fail smtp.mailfrom=rn.dk; dkim=none; dmarc=fail header.from=rn.dk",
                                                          f"{GW}; spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("display_name_spoof", '"psykiatri@rn.dk" <attest.rn.dk@gmail.example>', [f"{GW}; spf=pass smtp.mailfrom=gmail.example; dkim=pass header.d=gmail.example; dmarc=pass header.from=gmail.example"]),
    ]


def build_mail(r, from_hdr, ars, subject, body, attachments, two_from_headers=None):
    """Headers that a forger controls (From, Authentication-Results) are written raw, as a mail system sees them."""
    pol = policy.SMTP.clone(utf8=True)
    m = EmailMessage(policy=pol)
    m["To"] = "jobcenter.attester@kommune.example"
    m["Subject"] = subject
    m["Date"] = format_datetime(dt.datetime(2024, r.randint(1, 11), r.randint(1, 28), r.randint(7, 16), r.randint(0, 59),
                                            tzinfo=dt.timezone(dt.timedelta(hours=1))))
    m["Message-ID"] = make_msgid(domain="mail.example")
    m.set_content(body)
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    head = [f"Received: from smtp.{r.choice(['rn.dk', 'regionh.dk', 'relay.example'])} (192.0.2.{r.randint(2, 250)})\r\n"
            f"\tby {GW} with ESMTPS id {r.randint(10 ** 8, 10 ** 9)}; Tue, 05 Nov 2024 10:00:00 +0000"]
    head = [f"Authentication-Results: {ar}" for ar in ars] + head
    head.append(f"From: {from_hdr}")
    if two_from_headers:
        head.append(f"From: {two_from_headers}")
    return ("\r\n".join(head) + "\r\n").encode("utf-8") + m.as_bytes(policy=pol)


def build_mails(gen, docs, out, n_legit=76):
    r = random.Random(gen.r.random())
    maildir = os.path.join(out, "mail"); os.makedirs(maildir, exist_ok=True)
    fileable = [d for d in docs if d["fileable"] and d["form"] != "LÆ 165"]
    hard = [d for d in docs if d["scenario"] in ("hard_relative", "hard_decoy")]
    nonfile = [d for d in docs if not d["fileable"] and d["scenario"] in ("relative_cpr", "second_patient", "request_x1",
                                                                          "receipt", "cover_letter", "employer")]
    r.shuffle(fileable); r.shuffle(nonfile); r.shuffle(hard)
    hard = hard[:34]; nonfile = nonfile[:16]
    used = set()
    truths = []

    def take(pool):
        while pool:
            d = pool.pop()
            if d["file"] not in used:
                used.add(d["file"]); return d
        raise RuntimeError("pool empty")

    def att_name(d, variant):
        c = d["patient"]["cpr"]
        code = (d["form"] or "LÆ").replace(" ", "")
        if variant == "cpr_dash": return f"{code}_{c[:6]}-{c[6:]}.pdf"
        if variant == "cpr_plain": return f"attest_{c}.pdf"
        if variant == "other_cpr" and d.get("relative"): q = d["relative"]["cpr"]; return f"{code}_{q[:6]}-{q[6:]}.pdf"
        return r.choice([f"{code}_attest.pdf", "Lægeattest.pdf", f"{code.lower()}.pdf", "dokument.pdf", f"{code} statusattest.pdf"])

    specs = []
    for i in range(n_legit):
        n = 2 if r.random() < 0.45 else 1
        picks = []
        for k in range(n):
            x = r.random()
            picks.append(take(hard) if (x < 0.3 and hard) else take(nonfile) if (x < 0.42 and nonfile) else take(fileable))
        specs.append(("legit", None, picks))
    for fv in forged_variants():
        specs.append(("forged", fv, [take(fileable)]))
    r.shuffle(specs)

    for i, (kind, fv, picks) in enumerate(specs):
        fname = f"mail/m{i + 1:03d}_{kind}.eml"
        dom = r.choice(REGION_DOMAINS)
        p0 = picks[0]["patient"]
        variant = r.choice(["none"] * 6 + ["subj_patient", "body_patient", "att_patient", "att_patient_plain", "body_other",
                                           "subj_other"])
        if variant in ("body_other", "subj_other") and not any(d.get("relative") for d in picks):
            variant = "body_other_person"
        c0 = p0["cpr"]
        subject = r.choice(["Lægeattest", "Sikker post: Statusattest", "Attest fra psykiatrien", "Svar på anmodning",
                            "Fremsendelse af lægeattest", "Tunnelmail: LÆ-attest"])
        body = "Hermed fremsendes lægeattest.\n\nMed venlig hilsen\nLægesekretariatet\n"
        conflict = None
        if variant == "subj_patient": subject += f" vedr. cpr {c0[:6]}-{c0[6:]}"
        if variant == "body_patient": body = f"Vedr. {p0['name']}, CPR-nr. {c0[:6]}-{c0[6:]}.\n\n" + body
        if variant in ("body_other", "subj_other"):
            q = next(d["relative"] for d in picks if d.get("relative"))
            if variant == "body_other": body = f"Kopi er sendt til pårørende {q['name']} ({q['cpr'][:6]}-{q['cpr'][6:]}).\n\n" + body
            else: subject += f" – kopi til {q['cpr'][:6]}-{q['cpr'][6:]}"
            conflict = q["cpr"]
        if variant == "body_other_person":
            q = gen.w.person("mail_other")
            body = f"Vedr. borger {q['name']}, CPR-nr. {q['cpr'][:6]}-{q['cpr'][6:]} (se også tidligere mail).\n\n" + body
            conflict = q["cpr"]
        atts, docs_t = [], []
        for k, d in enumerate(picks):
            av = "cpr_dash" if (variant == "att_patient" and k == 0) else ("cpr_plain" if variant == "att_patient_plain" and k == 0 else "x")
            an = att_name(d, av)
            atts.append((an, open(os.path.join(out, d["file"]), "rb").read()))
            # What may happen to this document
            exp = "file" if (kind == "legit" and d["fileable"] and conflict is None and not (len(picks) > 1 and any(x["patient"]["cpr"] != d["patient"]["cpr"] for x in picks) and variant in ("subj_patient", "body_patient"))) else "no_file"
            docs_t.append(dict(attachment=an, pdf=d["file"], scenario=d["scenario"], fileable=d["fileable"],
                               patient_cpr=d["patient"]["cpr"], form=d["form"], expect=exp))
        ars, two = [], None
        if kind == "legit":
            from_hdr = f"{r.choice(['Lægesekretariatet', 'Psykiatrien', 'Afsnit P3', ''])} <{r.choice(['attester', 'sekretariat', 'psykiatri.ambulatorium', 'noreply'])}@{dom}>"
            ars = [legit_ar(r, dom)]
            if r.random() < 0.3:
                ars.append("exchange.kommune.example; dkim=none; spf=none")
            fkind = "legit"
        else:
            fkind, faddr, ars = fv
            from_hdr = faddr
            if fkind == "two_from_headers": two = "attest@rn-dk.com"
        raw = build_mail(r, from_hdr, ars, subject, body, atts, two_from_headers=two)
        open(os.path.join(out, fname), "wb").write(raw)
        truths.append(dict(file=fname, kind=kind, forge_kind=fkind, from_=from_hdr, cpr_variant=variant,
                           conflict_cpr=conflict, docs=docs_t))
    return truths


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=9191)
    ap.add_argument("--out", default="/tmp/heldout_d")
    a = ap.parse_args()
    if os.path.exists(a.out): shutil.rmtree(a.out)
    os.makedirs(a.out)
    tmp = tempfile.mkdtemp(prefix="hd_gen_")
    g = Gen(a.seed)
    docs = g.build()
    render_all(docs, a.out, tmp, lambda s: print(s, file=sys.stderr))
    mails = build_mails(g, docs, a.out)
    with open(os.path.join(a.out, "truth.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            others = d["others"] + [x for x in d["decoys"] if x.get("digits")]
            f.write(json.dumps(dict(file=d["file"], producer=d["producer"], scenario=d["scenario"], cpr=d["cpr"],
                                    patient_true_cpr=d["patient"]["cpr"], form=d["form"], kind=d.get("kind"),
                                    patient_name=d["patient_name"], name_style=d["name_style"],
                                    register_name=d["patient"]["name"], cpr_style=d.get("cpr_style"),
                                    patient_style=d.get("patient_style"), heading_style=d.get("heading_style"),
                                    unreadable=d.get("unreadable"), ref_form=d.get("ref_form"),
                                    fileable=d["fileable"], must_escalate=d["must_escalate"], other_numbers=others),
                               ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "mail_truth.jsonl"), "w", encoding="utf-8") as f:
        for m in mails: f.write(json.dumps(m, ensure_ascii=False) + "\n")
    decoy_digits = sorted({x["digits"] for d in docs for x in d["decoys"] if x.get("digits")})
    with open(os.path.join(a.out, "persons.json"), "w", encoding="utf-8") as f:
        json.dump(dict(persons=list(g.w.persons.values()), decoy_numbers=decoy_digits), f, ensure_ascii=False)
    shutil.rmtree(tmp, ignore_errors=True)
    prods = {}
    for d in docs: prods[d["producer"]] = prods.get(d["producer"], 0) + 1
    print(f"{len(docs)} PDFs ({sum(d['fileable'] for d in docs)} fileable), {len(mails)} mails "
          f"({sum(m['kind'] == 'forged' for m in mails)} forged) -> {a.out}; producers {prods}")


if __name__ == "__main__":
    main()
