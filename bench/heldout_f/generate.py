#!/usr/bin/env python3
"""Blind held-out corpus F for lae-robot: LÆ certificates and mails, all fictitious.

    python bench/heldout_f/generate.py [--seed 6262] [--out /tmp/heldout_f]

Producers: reportlab (canvas forms, boxes, AcroForm fields, two columns, image patches),
fpdf2 (tables with wrapped cells, repeated header/footer), chromium (HTML/CSS EPJ printouts),
soffice (HTML via Writer), groff (-ms/tbl), gs (scans: rasterised image-only PDFs).
Writes pdf/*.pdf, mail/*.eml, truth.jsonl (one line per PDF), mail_truth.jsonl.
"""
import argparse, datetime as dt, json, os, random, shutil, subprocess, sys, tempfile, zipfile, html, io
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from email import policy

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONTB = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONTM = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

# ----------------------------------------------------------------------------- persons, CPR
FIRST_F = ["Anne", "Mette", "Kirsten", "Hanne", "Lærke", "Åse", "Birgitte", "Signe", "Ida", "Sofie", "Maja",
           "Line", "Pia", "Gitte", "Inge", "Jytte", "Zoë", "Fatima", "Agnete", "Ditte", "Bodil", "Else", "Tove",
           "Karen-Margrethe", "Ulla", "Merete", "Solveig", "Nanna", "Asta", "Helle"]
FIRST_M = ["Søren", "Jørgen", "Mads", "Ole", "Peter", "Bjørn", "Niels", "Jens", "Anders", "Kasper", "Thomas",
           "Rasmus", "Frederik", "Ahmed", "Mehmet", "Jürgen", "Poul", "Bent", "Kåre", "Torben", "Jesper",
           "Mikkel", "Henrik", "Ib", "Aksel", "Hans-Christian", "Knud", "Morten", "Steffen", "Øjvind"]
MIDDLE = ["Marie", "Louise", "Kristine", "Bach", "Skov", "Holm", "Juul", "Krogh", "Dalgaard", "Emil",
          "Christian", "Vinther", "Lund", "Mølgaard", "Kirstine", "Bøgelund", "Ærbo"]
LAST = ["Hansen", "Jensen", "Nielsen", "Pedersen", "Sørensen", "Møller", "Kristensen", "Østergaard", "Ærenlund",
        "Åberg", "Müller", "Jürgensen", "Bülow", "Hansen-Østergaard", "Al-Hassan", "Nguyen", "Özdemir",
        "Mortensen", "Thomsen", "Kjær", "Dahl-Jørgensen", "Lindqvist", "Bøgh", "Frølich", "Lykke", "Yilmaz",
        "Andersen", "Rasmussen", "Larsen", "Poulsen", "Iversen", "Winther", "Schmidt", "Madsen", "Olsen",
        "Skovgaard", "Brøndum", "Kløvedal", "Laursen", "Vestergaard"]
STREETS = ["Vesterbro", "Boulevarden", "Hasserisgade", "Jyllandsgade", "Søndergade", "Ryesgade", "Nørrebrogade",
           "Kongevejen", "Algade", "Østerå", "Skolevej", "Møllevej", "Kirkestræde", "Ågade"]
TOWNS = ["9000 Aalborg", "8000 Aarhus C", "5000 Odense C", "2200 København N", "4000 Roskilde", "9800 Hjørring",
         "7100 Vejle", "6700 Esbjerg", "4700 Næstved", "8900 Randers C", "9400 Nørresundby", "3400 Hillerød"]
KOMMUNER = ["Aalborg", "Aarhus", "Odense", "Københavns", "Roskilde", "Hjørring", "Vejle", "Esbjerg", "Næstved",
            "Randers", "Frederikshavn", "Hillerød"]
W = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def mod11(d):
    return sum(int(a) * b for a, b in zip(d, W)) % 11 == 0


def seventh_digits(year):
    yy = year % 100
    if 1900 <= year <= 1999:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    if 2000 <= year <= 2036:
        return [4, 5, 6, 7, 8, 9]
    return [5, 6, 7, 8]  # 1858-1899


def make_cpr(R, birth, male, want_mod11=True, used=None):
    for _ in range(10000):
        s7 = R.choice(seventh_digits(birth.year))
        d = birth.strftime("%d%m%y") + str(s7) + "".join(str(R.randint(0, 9)) for _ in range(2))
        for last in R.sample(range(10), 10):
            if (last % 2 == 1) != male:
                continue
            c = d + str(last)
            if mod11(c) == want_mod11 and (used is None or c not in used):
                if used is not None:
                    used.add(c)
                return c
    raise RuntimeError("no cpr")


def mask(c):
    return c[:6] + "-xxxx"


class Person:
    def __init__(self, R, used, male=None, birth=None, last=None, want_mod11=None):
        self.male = R.random() < 0.5 if male is None else male
        if birth is None:
            birth = dt.date(1942, 1, 1) + dt.timedelta(days=R.randint(0, 365 * 62))
        if want_mod11 is None:
            want_mod11 = R.random() > 0.08
        if not want_mod11:
            birth = dt.date(birth.year, 1, 1)   # non-mod11 numbers: mostly 1 January
        self.birth = birth
        self.cpr = make_cpr(R, birth, self.male, want_mod11, used)
        self.first = R.choice(FIRST_M if self.male else FIRST_F)
        self.middles = R.sample(MIDDLE, R.choice([0, 0, 1, 1, 2]))
        self.last = last or R.choice(LAST)
        self.addr = f"{R.choice(STREETS)} {R.randint(1, 140)}{R.choice(['', '', ', 2. tv.', ', st. th.', 'B'])}"
        self.town = R.choice(TOWNS)
        self.phone = f"{R.randint(20, 99)} {R.randint(10, 99)} {R.randint(10, 99)} {R.randint(10, 99)}"

    @property
    def name(self):
        return " ".join([self.first] + self.middles + [self.last])


def translit(s):
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("Æ", "Ae"), ("Ø", "Oe"), ("Å", "Aa"), ("ü", "ue"),
                 ("ö", "oe"), ("Ö", "Oe"), ("ë", "e")):
        s = s.replace(a, b)
    return s


def printed_name(R, p):
    mid = " ".join(p.middles)
    v = R.choice(["full", "full", "lastfirst", "caps_lastfirst", "caps", "nomiddle", "initial", "translit",
                  "lastfirst_nocomma", "upper_last"])
    full = p.name
    if v == "full":
        return v, full
    if v == "lastfirst":
        return v, f"{p.last}, {p.first}{' ' + mid if mid else ''}"
    if v == "caps_lastfirst":
        return v, f"{p.last}, {p.first}{' ' + mid if mid else ''}".upper()
    if v == "caps":
        return v, full.upper()
    if v == "nomiddle":
        return v, f"{p.first} {p.last}"
    if v == "initial":
        if p.middles:
            return v, f"{p.first} {' '.join(m[0] + '.' for m in p.middles)} {p.last}"
        return v, full
    if v == "translit":
        return v, translit(full)
    if v == "lastfirst_nocomma":
        return v, f"{p.last.upper()} {p.first}{' ' + mid if mid else ''}"
    return v, f"{p.first}{' ' + mid if mid else ''} {p.last.upper()}"


CPR_STYLES = ["dash"] * 6 + ["plain"] * 3 + ["space"] * 2 + ["spdash", "dotted", "pairs", "nbsp", "thin", "endash",
                                                               "nbhyph", "dotted_space", "dash_sp", "sp_dash"]


def fmt(c, style):
    a, b = c[:6], c[6:]
    return {
        "dash": f"{a}-{b}", "plain": c, "space": f"{a} {b}", "spdash": f"{a} - {b}",
        "dotted": f"{c[0:2]}.{c[2:4]}.{c[4:6]}-{b}", "pairs": f"{c[0:2]} {c[2:4]} {c[4:6]}-{b}",
        "nbsp": f"{a}\u00a0{b}", "thin": f"{a}\u2009{b}", "endash": f"{a}\u2013{b}", "nbhyph": f"{a}\u2011{b}",
        "dotted_space": f"{c[0:2]}.{c[2:4]}.{c[4:6]} {b}", "dash_sp": f"{a}- {b}", "sp_dash": f"{a} -{b}",
    }[style]


CPR_LABELS = ["CPR-nr.:", "CPR-nr.", "CPR nr.:", "Cpr.nr.:", "CPR:", "Personnummer:", "Pers.nr.:", "CPR-nummer:",
              "Cpr-nr:", "CPR.NR.:", "Cpr. nr.", "Personnr.:", "Patientens CPR-nr.:", "Borgerens CPR-nr.:",
              "Personnummer (CPR):", "Cpr", "CPR-NR", "Cpr.-nr.:", "Personnummer/CPR:", "CPR nummer",
              "Borgers cpr.nr.", "CPR-nr./personnr.:"]

# ----------------------------------------------------------------------------- forms
TITLES = {"105": "Journaloplysninger fra sygehus", "115": "Journaloplysninger fra speciallægepraksis",
          "121": "Anmodning om statusattest", "125": "Statusattest", "131": "Anmodning om specifik helbredsattest",
          "135": "Specifik helbredsattest", "141": "Anmodning om generel helbredsattest",
          "145": "Generel helbredsattest", "155": "Speciallægeattest",
          "165": "Forslag om socialmedicinsk sagsbehandling", "221": "Anmodning om attest vedr. kronisk sygdom",
          "225": "Attest vedr. kronisk sygdom", "261": "Anmodning om lægeattest til rehabiliteringsteam",
          "265": "Lægeattest til rehabiliteringsteam", "275": "Lægeattest fra klinisk funktion",
          "281": "Anmodning om attest til sygedagpengeopfølgning", "285": "Attest til sygedagpengeopfølgning"}
ANSWERS = ["105", "115", "125", "135", "145", "155", "225", "265", "275", "285"]
ANSWER_W = [4, 2, 6, 2, 2, 2, 2, 3, 1, 4]
REQUESTS = ["121", "131", "141", "221", "261", "281"]


def code_str(R, code):
    return R.choice([f"LÆ {code}", f"LÆ {code}", f"LÆ{code}", f"LÆ-{code}", f"Læ {code}", f"LAE {code}",
                     f"LÆ {code}", f"Blanket LÆ {code}", f"L Æ {code}"])


DIAG = [("DF32.1", "Depressiv enkeltepisode af moderat grad"), ("DF33.2", "Periodisk depression, svær"),
        ("DF43.1", "Posttraumatisk belastningsreaktion"), ("DF41.1", "Generaliseret angst"),
        ("DF20.0", "Paranoid skizofreni"), ("DF31.3", "Bipolar affektiv sindslidelse, depressiv episode"),
        ("DF60.3", "Emotionelt ustabil personlighedsstruktur"), ("DM54.5", "Lænderygsmerter"),
        ("DF10.2", "Alkoholafhængighed"), ("DF90.0", "ADHD"), ("DF43.2", "Tilpasningsreaktion")]
SYSTEMS = ["Sundhedsplatformen", "Columna CIS", "MidtEPJ", "Clinical Suite", "OPUS Arbejdsplads", "XMO",
           "EG Clinea", "WinPLC", "Novax", "MultiMed Web", "Ganglion", "CGM Clinical"]
DEPTS = ["Psykiatrisk Afdeling, Aalborg Universitetshospital", "Psykiatrisk Center København",
         "Psykiatrien i Region Syddanmark, Odense", "Aarhus Universitetshospital, Psykiatrien",
         "Psykiatrien Region Sjælland, Roskilde", "Regionshospitalet Randers, Medicinsk Afd.",
         "Ambulatorium for Angst og OCD, Hvidovre", "Afsnit S4, Psykiatrisk Afd. Brønderslev",
         "Distriktspsykiatrien Vejle", "Klinisk Funktion, Region Nordjylland", "Sengeafsnit P2, Risskov"]
RELS = ["ægtefælle", "hustru", "mand", "samlever", "kæreste", "mor", "far", "søn", "datter", "bror", "søster",
        "svigermor", "svigerfar", "svigersøn", "svigerdatter", "plejemor", "stedfar", "barn", "nabo", "ven",
        "morfar", "barnebarn"]
ROLES = ["pårørende", "værge", "partsrepræsentant", "bisidder", "tolk", "ledsager", "kontaktperson",
         "fuldmagtshaver", "advokat"]


# ----------------------------------------------------------------------------- decoys
def rdate(R, a=2019, b=2025):
    return dt.date(a, 1, 1) + dt.timedelta(days=R.randint(0, 365 * (b - a)))


def valid_date_digits(R):
    d = dt.date(1940, 1, 1) + dt.timedelta(days=R.randint(0, 365 * 84))
    return d.strftime("%d%m%y")


def decoy(R, kind=None):
    kinds = ["tlf", "mobil", "cvr", "pnr", "ean", "sor", "yder", "konto", "konto2", "journal", "sagsnr",
             "rekv", "prove", "dokid", "henv", "kontakt", "dato", "periode", "periode2", "beloeb", "faktura",
             "shak", "medcom", "stregkode", "deresref", "indl", "fax", "batch", "besoeg", "akt", "ordre",
             "autid", "tid", "labid2"]
    k = kind or R.choice(kinds)
    vd = valid_date_digits(R)
    n4 = f"{R.randint(0, 9999):04d}"
    t = {
        "tlf": ("Tlf.:", f"{R.randint(20, 99)} {R.randint(10, 99)} {R.randint(10, 99)} {R.randint(10, 99)}"),
        "mobil": ("Mobil:", f"+45 {R.randint(20, 99)}{R.randint(10, 99)} {R.randint(1000, 9999)}"),
        "fax": ("Fax", f"{R.randint(20, 99)}{R.randint(100000, 999999)}"),
        "cvr": (R.choice(["CVR-nr.:", "CVR:", "SE-nr.:"]), f"{R.randint(10000000, 99999999)}"),
        "pnr": (R.choice(["P-nr.:", "P-nummer:", "Produktionsenhed (P-nr.)"]), f"10{vd[2:6]}{R.randint(1000, 9999)}"),
        "ean": (R.choice(["EAN-nr.:", "EAN/GLN:", "Lokationsnr.:"]), f"5798{R.randint(10**8, 10**9 - 1)}{R.randint(0, 9)}"),
        "sor": (R.choice(["SOR-id:", "SOR-kode:", "SOR:"]), f"{R.randint(10**14, 10**15 - 1)}"),
        "yder": (R.choice(["Ydernr.:", "Ydernummer:", "Yder-nr."]), f"{R.randint(10000, 999999):06d}"),
        "konto": (R.choice(["Bankkonto:", "Konto:", "NemKonto:"]), f"{R.randint(1000, 9999)} {vd}{n4}"),
        "konto2": (R.choice(["Reg.nr./kontonr.:", "Reg. og kontonr.:"]), f"{R.randint(1000, 9999)}-{vd}{n4}"),
        "journal": (R.choice(["Journalnr.:", "J.nr.:", "Kommunens j.nr.:"]),
                    f"27.12.08-G01-{R.randint(1000, 9999)}-{R.randint(19, 25)}"),
        "sagsnr": (R.choice(["Sagsnr.:", "Sag nr.", "Sagsnummer:", "Sags-ID:"]), f"{vd}{n4}" if R.random() < .5
                   else f"20{R.randint(19, 25)}-{R.randint(100000, 999999)}"),
        "rekv": (R.choice(["Rekvisitionsnr.:", "Rekv.nr.", "Rekvisitions-ID:"]), f"{vd}{n4}"),
        "prove": (R.choice(["Prøvenr.:", "Prøve-ID:", "Labnr.:", "Lab.-nr."]), f"{vd} {n4}" if R.random() < .4 else f"{vd}{n4}"),
        "labid2": (R.choice(["Accessionsnr.:", "Glasnr.:"]), f"{vd}-{n4}"),
        "dokid": (R.choice(["Dokument-ID:", "Dok.-id:", "Dokumentnr.:", "Brev-ID"]), f"{vd}{n4}"),
        "henv": (R.choice(["Henvisnings-ID:", "Henv.-ID:", "Henvisningsnr.:"]), f"{vd}-{n4}" if R.random() < .5 else f"{vd}{n4}"),
        "kontakt": (R.choice(["Kontaktnr.:", "Kontakt-ID:", "Forløbs-ID:"]), f"{vd}{n4}"),
        "besoeg": (R.choice(["Besøgsnr.:", "Besøgs-ID:"]), f"{vd} {n4}"),
        "indl": (R.choice(["Indlæggelsesnr.:", "Indl.-ID:"]), f"{vd}-{n4}"),
        "akt": (R.choice(["Akt-id:", "Aktindsigt nr.:"]), f"{vd}{n4}"),
        "ordre": (R.choice(["Ordrenr.:", "Ordre-ID:"]), f"{vd}{n4}"),
        "batch": ("Batchnr.:", f"{vd}{n4[:2]}"),
        "dato": (R.choice(["Dato:", "Udskrevet:", "Modtaget:", "Konsultation:"]),
                 rdate(R).strftime(R.choice(["%d.%m.%Y", "%d-%m-%Y", "%d.%m.%Y kl. 10:%M", "%d/%m-%Y"]))),
        "tid": ("Tidspunkt:", f"{rdate(R).strftime('%d%m%y')}-{R.randint(0, 23):02d}{R.randint(0, 59):02d}"),
        "periode": (R.choice(["Periode:", "Sygemeldt i perioden", "Indlagt:"]),
                    f"{rdate(R).strftime('%d.%m.%y')}-{rdate(R).strftime('%d.%m.%y')}"),
        "periode2": (R.choice(["Periode:", "Fravær:"]), f"{rdate(R).strftime('%d%m%y')} - {rdate(R).strftime('%d%m%y')}"),
        "beloeb": (R.choice(["Honorar:", "Beløb:", "Takst:"]), f"kr. {R.randint(1, 9)}.{R.randint(100, 999)},00"),
        "faktura": (R.choice(["Fakturanr.:", "Faktura-ID:"]), f"{vd}{n4}"),
        "shak": (R.choice(["SHAK-kode:", "Afdelingskode:"]), f"{R.randint(1000000, 9999999)}"),
        "medcom": (R.choice(["MedCom-ref.:", "Meddelelses-ID:", "Forsendelses-ID:"]), f"{R.randint(10**11, 10**12 - 1)}"),
        "stregkode": (R.choice(["Stregkode:", "Dok.-stregkode"]), f"*{vd}{n4}*"),
        "deresref": (R.choice(["Deres ref.:", "Vores ref.:", "Kommunens ref.:"]), f"{vd}/{n4}"),
        "autid": (R.choice(["Autorisations-ID:", "Aut.-id:"]), f"{R.choice('ABCDEFGH')}{R.randint(1000, 9999)}"),
    }[k]
    digits = "".join(ch for ch in t[1] if ch.isdigit())
    return {"kind": k, "label": t[0], "value": t[1], "cpr_like": len(digits) in (10, 14)}


# ----------------------------------------------------------------------------- the document model
# elements: ("h1", text) ("h2", text) ("p", text) ("lines", [..]) ("kv", [(l, v)], layout) ("table", head, rows)
# ("twocol", (title, kv), (title, kv)) ("boxes", label, digits) ("field", label, name, value)
# ("image", [lines]) ("pagebreak",) ("sign", [lines])

class Doc:
    def __init__(self):
        self.els = []
        self.header = None
        self.footer = None

    def add(self, *e):
        self.els.append(e)


MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december"]


def dk_month(d):
    return f"{MONTHS[d.month - 1]} {d.year}"


def body_paras(R, diag, name_short):
    code, text = diag
    return [
        f"Diagnose: {text} ({code}). Patienten har været i behandling siden {dk_month(rdate(R, 2021, 2024))}.",
        R.choice(["Funktionsniveauet er fortsat nedsat med koncentrationsbesvær, søvnforstyrrelser og "
                  "nedsat psykisk udholdenhed.",
                  "Der ses bedring under den aktuelle behandling, men tilstanden er ikke stationær.",
                  "Patienten vurderes ikke at kunne genoptage arbejdet inden for de næste 8 uger.",
                  "Der er iværksat medicinsk behandling samt samtaleforløb hos psykolog."]),
        R.choice(["Prognosen vurderes at være god ved fortsat behandling.",
                  "Prognosen er usikker. Der anbefales gradvis tilbagevenden med nedsat timetal.",
                  "Det anbefales, at kommunen afventer afslutning af behandlingsforløbet.",
                  f"{name_short} er informeret om og indforstået med, at attesten sendes til kommunen."]),
    ]


def doctor(R):
    p = Person(R, set())
    return p, R.choice(["Overlæge", "Afdelingslæge", "Praktiserende læge", "Speciallæge i psykiatri",
                        "Reservelæge", "Læge"]) + " " + p.first + " " + p.last


# ----------------------------------------------------------------------------- renderers
def esc(s):
    return html.escape(s)


def kv_html(kv, layout):
    if layout == "table":
        return "<table class=kv>" + "".join(f"<tr><td class=l>{esc(l)}</td><td>{esc(v)}</td></tr>" for l, v in kv) + "</table>"
    if layout == "grid":
        return ("<table class=grid><tr>" + "".join(f"<th>{esc(l)}</th>" for l, v in kv) + "</tr><tr>" +
                "".join(f"<td>{esc(v)}</td>" for l, v in kv) + "</tr></table>")
    if layout == "stack":
        return "".join(f"<div class=l>{esc(l)}</div><div>{esc(v)}</div>" for l, v in kv)
    return "".join(f"<div><b>{esc(l)}</b> {esc(v)}</div>" for l, v in kv)


def to_html(doc, chromium=True):
    if doc.footer:
        doc.footer = doc.footer.replace("side {p}", "").replace("Side {p}", "").replace("{p}", "")
    css = """body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;margin:0}
    h1{font-size:15pt;margin:4px 0} h2{font-size:12pt;margin:10px 0 4px 0}
    table{border-collapse:collapse;margin:4px 0} td,th{border:1px solid #777;padding:2px 5px;vertical-align:top;text-align:left}
    table.kv td{border:none} td.l{font-weight:bold;width:170px} .l{font-weight:bold}
    .hdr{border-bottom:1px solid #000;font-size:8.5pt;padding:2px} .ftr{border-top:1px solid #000;font-size:8pt}
    .img{background:#eee;border:1px dashed #999;padding:6px;font-family:monospace}
    """
    out = []
    if chromium:
        css += ".fixh{position:fixed;top:0;left:0;right:0;background:#fff} .fixf{position:fixed;bottom:0;left:0;right:0;background:#fff} .content{margin-top:40px;margin-bottom:40px}"
        if doc.header:
            out.append(f"<div class='hdr fixh'>{esc(doc.header)}</div>")
        if doc.footer:
            out.append(f"<div class='ftr fixf'>{esc(doc.footer)}</div>")
        out.append("<div class=content>")
    else:
        if doc.header:
            out.append(f"<p class=hdr>{esc(doc.header)}</p>")
    for e in doc.els:
        t = e[0]
        if t == "h1":
            out.append("<h1>" + "<br>".join(esc(x) for x in e[1].split("\n")) + "</h1>")
        elif t == "h2":
            out.append(f"<h2>{esc(e[1])}</h2>")
        elif t == "p":
            out.append(f"<p>{esc(e[1])}</p>")
        elif t in ("lines", "sign"):
            out.append("<p>" + "<br>".join(esc(x) for x in e[1]) + "</p>")
        elif t == "kv":
            out.append(kv_html(e[1], e[2]))
        elif t == "table":
            out.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in e[1]) + "</tr>" +
                       "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in e[2]) + "</table>")
        elif t == "twocol":
            (t1, kv1), (t2, kv2) = e[1], e[2]
            out.append(f"<table style='width:100%'><tr><td style='width:50%;border:none'><b>{esc(t1)}</b>{kv_html(kv1, 'lines')}</td>"
                       f"<td style='border:none'><b>{esc(t2)}</b>{kv_html(kv2, 'lines')}</td></tr></table>")
        elif t == "boxes":
            out.append(f"<div><b>{esc(e[1])}</b> " + "".join(
                f"<span style='display:inline-block;border:1px solid #000;width:14px;text-align:center;margin-right:1px'>{esc(ch)}</span>" for ch in e[2]) + "</div>")
        elif t == "field":
            out.append(f"<div><b>{esc(e[1])}</b> {esc(e[3])}</div>")
        elif t == "image":
            out.append("<div class=img>[scannet bilag – ulæseligt]</div>")
        elif t == "pagebreak":
            out.append("<div style='page-break-after:always'></div>" + (f"<p class=hdr>{esc(doc.header)}</p>" if doc.header and not chromium else ""))
    if chromium:
        out.append("</div>")
    elif doc.footer:
        out.append(f"<p class=ftr>{esc(doc.footer)}</p>")
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{''.join(out)}</body></html>"


def render_reportlab(doc, path, R):
    from reportlab.pdfgen import canvas
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.lib.utils import simpleSplit
    try:
        pdfmetrics.registerFont(TTFont("DV", FONT)); pdfmetrics.registerFont(TTFont("DVB", FONTB))
    except Exception:
        pass
    c = canvas.Canvas(path, pagesize=A4)
    Wd, Ht = A4
    L, Rm = 50, Wd - 50
    st = {"y": Ht - 60, "page": 1}

    def hf():
        c.setFont("DV", 8)
        if doc.header:
            c.drawString(L, Ht - 30, doc.header); c.line(L, Ht - 34, Rm, Ht - 34)
        if doc.footer:
            c.line(L, 40, Rm, 40); c.drawString(L, 30, doc.footer.replace("{p}", str(st["page"])))

    def need(h):
        if st["y"] - h < 60:
            newpage()

    def newpage():
        hf(); c.showPage(); st["page"] += 1; st["y"] = Ht - 60

    def text(s, x=None, size=10, bold=False, width=None):
        x = L if x is None else x
        width = width or (Rm - x)
        fn = "DVB" if bold else "DV"
        for ln in simpleSplit(s, fn, size, width) or [""]:
            need(size + 4)
            c.setFont(fn, size); c.drawString(x, st["y"], ln); st["y"] -= size + 4

    for e in doc.els:
        t = e[0]
        if t == "h1":
            st["y"] -= 4
            for part in e[1].split("\n"):
                text(part, size=14, bold=True)
            st["y"] -= 4
        elif t == "h2":
            st["y"] -= 4; text(e[1], size=11, bold=True)
        elif t == "p":
            text(e[1]); st["y"] -= 4
        elif t in ("lines", "sign"):
            for x in e[1]:
                text(x)
            st["y"] -= 4
        elif t == "kv":
            kv, layout = e[1], e[2]
            if layout == "grid":
                cw = (Rm - L) / len(kv)
                need(34)
                for i, (l, v) in enumerate(kv):
                    c.setFont("DVB", 8); c.drawString(L + i * cw + 2, st["y"], l)
                    c.setFont("DV", 9.5); c.drawString(L + i * cw + 2, st["y"] - 14, v)
                    c.rect(L + i * cw, st["y"] - 18, cw, 30)
                st["y"] -= 36
            elif layout == "stack":
                for l, v in kv:
                    text(l, size=8, bold=True); text(v)
            else:
                for l, v in kv:
                    need(14)
                    c.setFont("DVB", 10); c.drawString(L, st["y"], l)
                    c.setFont("DV", 10); c.drawString(L + 150, st["y"], v); st["y"] -= 14
            st["y"] -= 4
        elif t == "table":
            head, rows = e[1], e[2]
            cw = (Rm - L) / len(head)
            for r in [head] + rows:
                cells = [simpleSplit(str(x), "DV", 9, cw - 6) or [""] for x in r]
                h = 12 * max(len(x) for x in cells) + 4
                need(h)
                for i, ls in enumerate(cells):
                    c.rect(L + i * cw, st["y"] - h + 10, cw, h)
                    for j, ln in enumerate(ls):
                        c.setFont("DVB" if r is head else "DV", 9); c.drawString(L + i * cw + 3, st["y"] - 12 * j, ln)
                st["y"] -= h
            st["y"] -= 6
        elif t == "twocol":
            (t1, kv1), (t2, kv2) = e[1], e[2]
            mid = (L + Rm) / 2
            need(16 * (max(len(kv1), len(kv2)) + 1))
            c.setFont("DVB", 10); c.drawString(L, st["y"], t1); c.drawString(mid, st["y"], t2); st["y"] -= 15
            for i in range(max(len(kv1), len(kv2))):
                for x0, kv in ((L, kv1), (mid, kv2)):
                    if i < len(kv):
                        c.setFont("DV", 9.5); c.drawString(x0, st["y"], f"{kv[i][0]} {kv[i][1]}")
                st["y"] -= 14
            st["y"] -= 6
        elif t == "boxes":
            need(22)
            c.setFont("DVB", 10); c.drawString(L, st["y"], e[1])
            x = L + 150
            for ch in e[2]:
                c.rect(x, st["y"] - 4, 15, 16)
                c.setFont("DV", 11); c.drawCentredString(x + 7.5, st["y"], ch)
                x += 17
            st["y"] -= 24
        elif t == "field":
            need(24)
            c.setFont("DVB", 10); c.drawString(L, st["y"], e[1])
            c.acroForm.textfield(name=e[2], value=e[3], x=L + 150, y=st["y"] - 5, width=220, height=18,
                                 fontName="Helvetica", fontSize=10, borderWidth=1)
            st["y"] -= 26
        elif t == "image":
            from PIL import Image, ImageDraw, ImageFont
            from reportlab.lib.utils import ImageReader
            lines = e[1]
            img = Image.new("L", (900, 34 * len(lines) + 20), 255)
            d = ImageDraw.Draw(img)
            f = ImageFont.truetype(FONT, 24)
            for i, ln in enumerate(lines):
                d.text((10, 10 + 34 * i), ln, fill=0, font=f)
            h = img.size[1] * 0.45
            need(h + 6)
            c.drawImage(ImageReader(img), L, st["y"] - h + 10, width=img.size[0] * 0.45, height=h)
            st["y"] -= h + 6
        elif t == "pagebreak":
            newpage()
    hf()
    c.save()


def render_fpdf(doc, path, R):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class P(FPDF):
        def header(self):
            if doc.header:
                self.set_font("DV", size=8); self.cell(0, 5, doc.header, border="B", new_x="LMARGIN", new_y="NEXT"); self.ln(3)

        def footer(self):
            if doc.footer:
                self.set_y(-15); self.set_font("DV", size=8)
                self.cell(0, 5, doc.footer.replace("{p}", str(self.page_no())), border="T")

    pdf = P(format="A4")
    pdf.add_font("DV", "", FONT); pdf.add_font("DV", "B", FONTB)
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    for e in doc.els:
        t = e[0]
        if t == "h1":
            pdf.set_font("DV", "B", 14); pdf.multi_cell(0, 7, e[1], new_x="LMARGIN", new_y="NEXT"); pdf.ln(2)
        elif t == "h2":
            pdf.set_font("DV", "B", 11); pdf.multi_cell(0, 6, e[1], new_x="LMARGIN", new_y="NEXT")
        elif t == "p":
            pdf.set_font("DV", "", 10); pdf.multi_cell(0, 5, e[1], new_x="LMARGIN", new_y="NEXT"); pdf.ln(2)
        elif t in ("lines", "sign"):
            pdf.set_font("DV", "", 10)
            for x in e[1]:
                pdf.cell(0, 5, x, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif t in ("kv", "twocol") or t == "table":
            pdf.set_font("DV", "", 9.5)
            if t == "kv":
                kv, layout = e[1], e[2]
                if layout == "grid":
                    with pdf.table(first_row_as_headings=True, headings_style=FontFace(emphasis="BOLD")) as tb:
                        tb.row([l for l, v in kv]); tb.row([v for l, v in kv])
                elif layout == "table":
                    with pdf.table(col_widths=(35, 65), first_row_as_headings=False, borders_layout="NONE") as tb:
                        for l, v in kv:
                            tb.row([l, v])
                elif layout == "stack":
                    for l, v in kv:
                        pdf.set_font("DV", "B", 8); pdf.cell(0, 4, l, new_x="LMARGIN", new_y="NEXT")
                        pdf.set_font("DV", "", 10); pdf.cell(0, 5, v, new_x="LMARGIN", new_y="NEXT")
                else:
                    for l, v in kv:
                        pdf.set_font("DV", "B", 10); pdf.cell(50, 5, l)
                        pdf.set_font("DV", "", 10); pdf.cell(0, 5, v, new_x="LMARGIN", new_y="NEXT")
            elif t == "table":
                with pdf.table(first_row_as_headings=True, headings_style=FontFace(emphasis="BOLD")) as tb:
                    tb.row(list(e[1]))
                    for r in e[2]:
                        tb.row([str(x) for x in r])
            else:
                (t1, kv1), (t2, kv2) = e[1], e[2]
                with pdf.table(borders_layout="NONE", first_row_as_headings=True, headings_style=FontFace(emphasis="BOLD")) as tb:
                    tb.row([t1, t2])
                    for i in range(max(len(kv1), len(kv2))):
                        tb.row([f"{kv1[i][0]} {kv1[i][1]}" if i < len(kv1) else "",
                                f"{kv2[i][0]} {kv2[i][1]}" if i < len(kv2) else ""])
            pdf.ln(2)
        elif t == "boxes":
            pdf.set_font("DV", "B", 10); pdf.cell(50, 7, e[1])
            pdf.set_font("DV", "", 11)
            for ch in e[2]:
                pdf.cell(6, 7, ch, border=1, align="C")
            pdf.ln(9)
        elif t == "field":
            pdf.set_font("DV", "B", 10); pdf.cell(50, 5, e[1]); pdf.set_font("DV", "", 10)
            pdf.cell(0, 5, e[3], new_x="LMARGIN", new_y="NEXT")
        elif t == "pagebreak":
            pdf.add_page()
    pdf.output(path)


def groff_esc(s):
    s = s.replace("\\", "\\e")
    out = []
    for ln in s.split("\n"):
        if ln.startswith((".", "'")):
            ln = "\\&" + ln
        out.append(ln)
    return "\n".join(out).replace("-", "\\-")


def to_groff(doc):
    o = [".nr PS 10", ".nr VS 12", ".nr HM 0.8i", ".nr FM 0.8i"]
    if doc.header:
        o += [f".ds LH {groff_esc(doc.header)}", ".ds CH", ".ds RH"]
    else:
        o += [".ds CH"]
    if doc.footer:
        o += [f".ds LF {groff_esc(doc.footer.replace('{p}', '%'))}"]
    o.append(".LP")
    for e in doc.els:
        t = e[0]
        if t == "h1":
            o += [".LP", ".ps +4", f"\\fB{groff_esc(e[1])}\\fP", ".ps -4", ".sp 0.5"]
        elif t == "h2":
            o += [".SH", groff_esc(e[1]), ".LP"]
        elif t == "p":
            o += [".PP", groff_esc(e[1])]
        elif t in ("lines", "sign"):
            o += [".LP", ".nf"] + [groff_esc(x) for x in e[1]] + [".fi"]
        elif t == "kv":
            kv, layout = e[1], e[2]
            if layout == "grid":
                o += [".TS", "box tab(@);", " ".join(["lb"] * len(kv)), " ".join(["l"] * len(kv)) + ".",
                      "@".join(groff_esc(l) for l, v in kv), "_", "@".join(groff_esc(v) for l, v in kv), ".TE"]
            elif layout == "stack":
                o += [".LP", ".nf"]
                for l, v in kv:
                    o += [f"\\fB{groff_esc(l)}\\fP", groff_esc(v)]
                o += [".fi"]
            else:
                o += [".TS", "tab(@);", "lb l.", ] + [f"{groff_esc(l)}@{groff_esc(v)}" for l, v in kv] + [".TE"]
        elif t == "table":
            n = len(e[1])
            o += [".TS", "allbox tab(@);", " ".join(["cb"] * n), " ".join(["lw(1.3i)"] * n) + ".",
                  "@".join(groff_esc(h) for h in e[1])]
            for r in e[2]:
                o.append("@".join("T{\n" + groff_esc(str(x)) + "\nT}" for x in r))
            o.append(".TE")
        elif t == "twocol":
            (t1, kv1), (t2, kv2) = e[1], e[2]
            o += [".TS", "tab(@);", "lb lb", "l l.", f"{groff_esc(t1)}@{groff_esc(t2)}"]
            for i in range(max(len(kv1), len(kv2))):
                a = f"{kv1[i][0]} {kv1[i][1]}" if i < len(kv1) else ""
                b = f"{kv2[i][0]} {kv2[i][1]}" if i < len(kv2) else ""
                o.append(f"{groff_esc(a)}@{groff_esc(b)}")
            o.append(".TE")
        elif t == "boxes":
            o += [".LP", f"\\fB{groff_esc(e[1])}\\fP " + " ".join("\\(br" + ch for ch in e[2]) + "\\(br"]
        elif t == "field":
            o += [".LP", f"\\fB{groff_esc(e[1])}\\fP {groff_esc(e[3])}"]
        elif t == "pagebreak":
            o += [".bp"]
    return "\n".join(o) + "\n"


# ----------------------------------------------------------------------------- building documents
class Ctx:
    pass


def patient_elements(R, cx, doc):
    """Add the patient block; cx.pstr is the printed CPR string or None (absent), cx.masked a masked string."""
    p, name, lab = cx.p, cx.pname, cx.label
    val = cx.pstr if cx.pstr is not None else cx.masked
    layout = cx.playout
    addr = f"{p.addr}, {p.town}"
    head = R.choice(["Patient", "Borger", "Vedrørende", "Patientoplysninger", "Oplysninger om borgeren",
                     "Personoplysninger", "Patientdata"])
    if layout in ("kv", "table", "grid", "stack"):
        kv = [("Navn:", name)]
        if val is not None:
            kv.append((lab, val))
        else:
            kv.append(("Fødselsdato:", p.birth.strftime("%d.%m.%Y")))
        kv.append(("Adresse:", addr))
        if R.random() < .5:
            kv.append(("Telefon:", p.phone))
        if R.random() < .3:
            kv.insert(0, kv.pop(1))
        doc.add("h2", head)
        doc.add("kv", kv, {"kv": "lines"}.get(layout, layout))
    elif layout == "vedr":
        if val is None:
            doc.add("p", f"Vedr.: {name}, født {p.birth.strftime('%d.%m.%Y')}, {addr}")
        else:
            doc.add("p", R.choice([f"Vedr.: {name}, {lab} {val}", f"Vedrørende: {val} {name}",
                                   f"Vedr. {lab.lower().rstrip(':')} {val} – {name}",
                                   f"Attesten vedrører: {name} ({lab.rstrip(':')} {val})"]))
    elif layout == "paren":
        doc.add("p", f"{head}: {name} ({val})" if val else f"{head}: {name}")
    elif layout == "prose":
        if val is None:
            doc.add("p", f"Undertegnede har d.d. undersøgt {name}, født {p.birth.strftime('%d.%m.%Y')}, bosat {addr}.")
        else:
            lw = lab.rstrip(":")
            if R.random() < .5 and "-" in val:
                a, b = val.split("-", 1)
                doc.add("lines", [f"Undertegnede har d.d. undersøgt {name}, {lw.lower()} {a}-",
                                  f"{b}, bosat {addr}, efter anmodning fra jobcentret."])
            else:
                doc.add("p", f"Undertegnede har d.d. undersøgt {name}, {lw.lower()} {val}, bosat {addr}, "
                             f"efter anmodning fra jobcentret i forbindelse med sygedagpengeopfølgning.")
    elif layout == "boxes":
        doc.add("kv", [("Navn:", name), ("Adresse:", addr)], "lines")
        if val is None:
            doc.add("boxes", lab, list(p.birth.strftime("%d%m%y")) + ["-", " ", " ", " ", " "])
        else:
            digits = [ch for ch in val if ch.isdigit()] if cx.pstr else list(val.replace("-", ""))
            doc.add("boxes", lab, digits[:6] + (["-"] if R.random() < .5 else []) + digits[6:])
    elif layout == "field":
        doc.add("field", "Navn:", R.choice(["Navn", "Tekst1", "patient_navn"]), name)
        if val is not None:
            doc.add("field", lab, R.choice(["CPR", "CPRnr", "Tekst2", "Text7", "personnummer"]), val)
        else:
            doc.add("field", "Fødselsdato:", "Tekst2", p.birth.strftime("%d.%m.%Y"))
        doc.add("field", "Adresse:", "Tekst3", addr)
    elif layout == "banner_only":
        pass  # the patient appears only in the page header
    elif layout == "image":
        doc.add("h2", head)
        doc.add("image", [f"Navn: {name}", f"{lab} {fmt(p.cpr, 'dash')}", f"Adresse: {addr}"])
        doc.add("kv", [("Navn:", name)], "lines")


def other_elements(R, cx, doc, o, role, placement, style):
    val = fmt(o.cpr, style)
    nm = o.name
    lab = R.choice(["CPR-nr.:", "CPR:", "cpr.nr.", "Personnummer:", "CPR-nummer:", "Cpr-nr."])
    if placement == "line":
        doc.add("p", R.choice([f"Pårørende: {nm} ({role}), {lab} {val}",
                               f"Nærmeste pårørende: {nm}, {role}, {lab} {val}, tlf. {o.phone}",
                               f"{role.capitalize()}: {nm} – {lab} {val}",
                               f"{role.capitalize()}ns {lab.lower()} {val}" if role in ("værge", "tolk", "ledsager") else f"{role.capitalize()}s CPR-nr.: {val} ({nm})"]))
    elif placement == "block":
        doc.add("h2", R.choice(["Nærmeste pårørende", "Kontaktperson", "Pårørende", "Værge", "Partsrepræsentant",
                                "Ledsager", "Relationer"]) if role not in RELS else R.choice(["Nærmeste pårørende", "Pårørende", "Kontaktperson"]))
        doc.add("kv", [("Navn:", nm), ("Relation:", role), (lab, val), ("Tlf.:", o.phone)][:4 if R.random() < .5 else 3], R.choice(["lines", "table", "stack"]))
    elif placement == "prose":
        doc.add("p", R.choice([
            f"Patienten ledsages til samtalerne af sin {role}, {nm} (cpr.nr. {val}), som bekræfter forløbet.",
            f"Oplysningerne er delvist givet af {role}en {nm}, {lab.lower().rstrip(':')} {val}, idet patienten ikke selv kunne redegøre for forløbet.",
            f"Der har været afholdt fællessamtale med {nm} ({role}, {val}) den {rdate(R).strftime('%d.%m.%Y')}.",
            f"Patienten bor sammen med sin {role} {nm}, født {o.birth.strftime('%d.%m.%Y')}, CPR {val}."]))
    elif placement == "table":
        doc.add("h2", "Relationer")
        doc.add("table", ["Relation", "Navn", "CPR-nr.", "Telefon"],
                [[role, nm, val, o.phone]] + ([["Egen læge", "Lægehuset " + R.choice(STREETS), "", decoy(R, "tlf")["value"]]] if R.random() < .5 else []))
    elif placement == "twocol":
        pass  # handled by caller
    elif placement == "footer":
        doc.footer = (doc.footer or "") + f"   Kopi: {role} {nm}, {val}"
    elif placement == "second_patient":
        doc.add("pagebreak")
        doc.add("h2", "Journalnotat")
        doc.add("kv", [("Patient:", o.name), (lab, val)], "lines")
        doc.add("p", "Ambulant samtale. Patienten møder til aftalt tid. Stemningsleje let nedsat.")
    return val


def build_doc(R, i, scenario, producer, used, people_pool):
    cx = Ctx()
    doc = Doc()
    truth = {"scenario": scenario, "producer": producer, "others": [], "decoys": [], "notes": []}
    p = Person(R, used)
    cx.p = p
    pv, cx.pname = printed_name(R, p)
    truth["name_variant"] = pv
    fam = R.choice(["gp", "epj", "specialist", "psych", "form"])
    if scenario in ("request",):
        form = R.choice(REQUESTS)
    elif scenario in ("receipt", "employer", "unknown_form", "no_form"):
        form = None
    else:
        form = R.choices(ANSWERS, ANSWER_W)[0]
    if form == "105":
        fam = "epj"
    elif form in ("115", "155") and fam == "epj":
        fam = "specialist"
    cx.label = R.choice(CPR_LABELS)
    style = R.choice(CPR_STYLES)
    truth["cpr_style"] = style
    cx.pstr = fmt(p.cpr, style)
    cx.masked = None
    layouts = ["kv", "kv", "table", "grid", "stack", "vedr", "vedr", "paren", "prose", "prose"]
    if producer == "reportlab":
        layouts += ["boxes", "boxes", "field", "field"]
    if producer in ("fpdf2", "groff"):
        layouts += ["boxes"]
    if producer == "chromium":
        layouts += ["banner_only"]
    cx.playout = R.choice(layouts)
    if cx.playout in ("boxes", "field") and style not in ("dash", "plain"):
        cx.pstr = fmt(p.cpr, "dash" if cx.playout == "field" else "plain")
        truth["cpr_style"] = "dash" if cx.playout == "field" else "plain"
    truth["patient_layout"] = cx.playout
    patient_cpr_readable = True
    if scenario in ("masked_other", "absent_other", "image_other", "no_cpr"):
        patient_cpr_readable = False
        how = R.choice(["masked", "masked", "absent", "empty"] + (["image"] * 2 if producer == "reportlab" else []))
        if scenario == "image_other" and producer == "reportlab":
            how = "image"
        truth["notes"].append("patient CPR " + how)
        cx.pstr = None
        if cx.playout == "banner_only":
            cx.playout = "kv"
        if how == "masked":
            cx.masked = R.choice([p.cpr[:6] + "-xxxx", p.cpr[:6] + "-****", p.cpr[:6] + "-XXXX", p.cpr[:6] + "- ....",
                                  "xxxxxx-" + p.cpr[6:]])
        elif how == "empty":
            cx.masked = R.choice(["", "(ikke oplyst)", "Ukendt", "[skjult]", "Se vedlagte"])
        elif how == "image":
            cx.playout = "image"
    # header / footer
    system = R.choice(SYSTEMS)
    dept = R.choice(DEPTS)
    when = rdate(R, 2023, 2025)
    hdr_cpr = None
    if fam in ("epj", "psych") or cx.playout == "banner_only":
        if patient_cpr_readable:
            hs = R.choice(["dash", "dash", "plain", "space"])
            hdr_cpr = fmt(p.cpr, hs)
            doc.header = R.choice([f"{hdr_cpr} {cx.pname}", f"{cx.pname} · {hdr_cpr} · {dept}",
                                   f"{p.last.upper()}, {p.first} ({hdr_cpr})", f"Patient: {cx.pname}  {hdr_cpr}"])
        else:
            doc.header = f"{cx.pname} · {dept}"
        doc.footer = R.choice([f"Udskrevet af: {R.choice(['Lægesekretær', 'Sekretær', 'Overlæge'])} {R.choice(['ABMO', 'KLJE', 'HSØR'])}, {when.strftime('%d.%m.%Y')} kl. {R.randint(8, 15):02d}:{R.randint(0, 59):02d} · Side {{p}}",
                               f"{system} · Udskrevet {when.strftime('%d-%m-%Y')} af {R.choice(USERS)} · side {{p}}",
                               f"Fortroligt – indeholder helbredsoplysninger · Side {{p}}"])
    elif R.random() < .5:
        doc.footer = R.choice([f"Udskrevet fra {system} {when.strftime('%d.%m.%Y')}", f"{('LÆ ' + form) if form else 'Attest'} ({R.choice(['01.2020', '02.2019', '2023'])}) · side {{p}}"])
    # heading
    docter, dline = doctor(R)
    if scenario == "request":
        kom = R.choice(KOMMUNER)
        doc.add("lines", [f"{kom} Kommune", "Jobcenter – Sygedagpengeteamet", R.choice(STREETS) + " 2"])
        doc.add("h1", R.choice([f"{code_str(R, form)} {TITLES[form]}", TITLES[form], f"{TITLES[form]} ({code_str(R, form)})"]))
        patient_elements(R, cx, doc)
        ans = str(int(form) + 4)
        doc.add("p", f"Jobcentret anmoder hermed om en {TITLES[ans].lower()}. Attesten udfyldes på blanket LÆ {ans} "
                     f"og sendes til jobcentret senest {rdate(R).strftime('%d.%m.%Y')}.")
        doc.add("p", "Spørgsmål til lægen: 1. Hvad er borgerens helbredsmæssige problemstilling? 2. Hvilke skånebehov er der?")
        d = decoy(R, "journal"); truth["decoys"].append(d); doc.add("kv", [(d["label"], d["value"])], "lines")
        doc.add("sign", ["Med venlig hilsen", f"Sagsbehandler {Person(R, set()).name}", f"{kom} Kommune"])
    elif scenario == "receipt":
        fcode = R.choice(ANSWERS)
        doc.add("h1", R.choice(["Kvittering for afsendelse", "Modtagelseskvittering", "Kvittering",
                                "Bekræftelse på afsendelse", "Forsendelsesbevis", "Leveringsstatus: Afsendt",
                                "Meddelelse om afsendt attest"]))
        doc.add("p", f"Din {code_str(R, fcode)} ({TITLES[fcode]}) er sendt til {R.choice(KOMMUNER)} Kommune via {R.choice(['sundhed.dk', 'MedCom', 'EDIFACT', 'Attestportalen'])}.")
        doc.add("kv", [("Patient:", cx.pname), (cx.label, cx.pstr), ("Afsendt:", when.strftime("%d.%m.%Y %H:%M") if False else when.strftime("%d.%m.%Y") + " 11:02")], "lines")
        d = decoy(R, "medcom"); truth["decoys"].append(d); doc.add("kv", [(d["label"], d["value"])], "lines")
        truth["notes"].append(f"receipt for LÆ {fcode}")
    elif scenario == "employer":
        kind = R.choice(["Mulighedserklæring", "Friattest", "Varighedserklæring", "Mulighedserklæring – del 2"])
        doc.add("lines", [f"{R.choice(['Jensen & Co ApS', 'Nordjysk Transport A/S', 'Bageriet Ågade', 'Dansk Industri Service'])}", f"CVR {R.randint(10**7, 10**8 - 1)}"])
        doc.add("h1", kind)
        patient_elements(R, cx, doc)
        doc.add("p", "Lægens vurdering af funktionsevnen: Medarbejderen kan varetage lettere opgaver med nedsat tid. "
                     f"Erklæringen er udfyldt på baggrund af samtale, jf. {R.choice(['LÆ 125 tidligere', 'tidligere LÆ 285'])}.")
        truth["notes"].append(kind)
    elif scenario in ("unknown_form", "no_form"):
        if scenario == "unknown_form":
            t = R.choice(["LÆ 175 Lægeattest om arbejdsevne", "LÆ 195 Attest om helbredsforhold", "LÆ 305 Erklæring",
                          "LÆ 415 Lægeerklæring – boligsag"])
        else:
            t = R.choice(["Lægeerklæring", "Kørekortattest", "Helbredsattest til Udlændingestyrelsen",
                          "Lægelig vurdering – fri formular", "Epikrise", "Ambulant notat"])
        doc.add("lines", [dept, f"Tlf. {Person(R, set()).phone}"])
        doc.add("h1", t)
        patient_elements(R, cx, doc)
        for para in body_paras(R, R.choice(DIAG), p.first)[:2]:
            doc.add("p", para)
        truth["notes"].append(t)
    else:
        # a certificate
        title = TITLES[form]
        if fam == "gp":
            clinic = R.choice(["Lægehuset", "Lægerne", "Lægeklinikken", "Almen praksis"]) + " " + R.choice(STREETS)
            doc.add("lines", [clinic, f"{R.choice(STREETS)} {R.randint(1, 80)}, {R.choice(TOWNS)}"])
            doc.add("h1", R.choice([f"{code_str(R, form)} {title}", f"{code_str(R, form)} – {title}",
                                    f"{title} ({code_str(R, form)})", f"Lægeattest {code_str(R, form)}",
                                    f"{code_str(R, form)}\n{title}"]))
        elif fam == "epj":
            doc.add("lines", [dept, f"Udskrift fra {system}"])
            doc.add("h1", R.choice([f"{title} ({code_str(R, form)})", f"{code_str(R, form)} {title}",
                                    f"Attest: {code_str(R, form)} / {title}"]))
        elif fam == "specialist":
            doc.add("lines", [f"Speciallæge i psykiatri {docter.first} {docter.last}",
                              f"{R.choice(STREETS)} {R.randint(1, 80)}, {R.choice(TOWNS)}"])
            doc.add("h1", R.choice([f"{code_str(R, form)} {title}", f"{title}, {code_str(R, form)}"]))
        elif fam == "psych":
            doc.add("lines", [R.choice(["Regionspsykiatrien", "Psykiatrien", "Psykiatrisk Center"]) + " " + R.choice(["Aalborg", "Vest", "Glostrup", "Odense", "Aarhus"]), dept])
            doc.add("h1", R.choice([f"{code_str(R, form)}  {title}", f"{title}\n{code_str(R, form)}"]))
        else:
            doc.add("h1", f"{code_str(R, form)}")
            doc.add("h2", title)
        if scenario == "reference" or R.random() < 0.2:
            ref = R.choice([f for f in ANSWERS + REQUESTS if f != form])
            rline = R.choice([f"Tidligere fremsendt LÆ {ref} den {rdate(R).strftime('%d.%m.%Y')}.",
                              f"Jf. kommunens anmodning LÆ {ref}.", f"Se også LÆ {ref} fra egen læge.",
                              f"Kommunens anmodning af {rdate(R).strftime('%d.%m.%Y')} ({code_str(R, ref)}) er modtaget.",
                              f"Attesten supplerer den {code_str(R, ref)}, som blev sendt i foråret."])
            doc.add("p", rline)
            truth["notes"].append("references LÆ " + ref)
        if R.random() < .5:
            kd = decoy(R, R.choice(["journal", "sagsnr", "deresref"]))
            truth["decoys"].append(kd)
            doc.add("kv", [("Jobcenter:", f"{R.choice(KOMMUNER)} Kommune"), (kd["label"], kd["value"])], "lines")
        patient_elements(R, cx, doc)
        doc.add("h2", R.choice(["Helbredsoplysninger", "1. Helbredsmæssig problemstilling", "Journaloplysninger",
                                "Vurdering", "Lægens besvarelse"]))
        diag = R.choice(DIAG)
        paras = body_paras(R, diag, p.first)
        for para in paras[:2]:
            doc.add("p", para)
        if fam == "epj" or R.random() < .25:
            rows = []
            for _ in range(R.randint(2, 4)):
                d = decoy(R, R.choice(["prove", "prove", "rekv", "rekv", "labid2"]))
                truth["decoys"].append(d)
                rows.append([rdate(R).strftime("%d.%m.%Y"), R.choice(["P-Hæmoglobin", "P-Litium", "P-TSH", "B-Leukocytter", "P-Kreatinin"]),
                             f"{R.randint(1, 140)/10:.1f}", d["value"]])
            doc.add("table", ["Dato", "Analyse", "Resultat", R.choice(["Prøve-ID", "Prøvenr.", "Labnr."])], rows)
        if fam == "epj" and R.random() < .6:
            doc.add("pagebreak")
            doc.add("h2", "Journalnotater")
            for _ in range(R.randint(2, 4)):
                doc.add("p", f"{rdate(R).strftime('%d.%m.%Y')} {R.randint(8, 16):02d}:{R.randint(0, 59):02d} – "
                             f"{R.choice(['Ambulant samtale', 'Telefonkonsultation', 'Stuegang', 'Konference'])}. " + R.choice(paras))
        doc.add("p", paras[2])
    # other persons
    n_other = 0
    if scenario in ("relative", "masked_other", "absent_other", "image_other", "second_patient", "relative_nocpr_pat"):
        placements = ["line", "block", "prose", "table", "twocol", "footer"]
        if scenario == "second_patient":
            placements = ["second_patient", "line"]
        k = 2 if R.random() < .15 and scenario != "second_patient" else 1
        for _ in range(k):
            same_last = R.random() < .5
            o = Person(R, used, last=p.last if same_last else None)
            role = R.choice(RELS + ROLES) if scenario != "second_patient" else "anden patient"
            pl = R.choice(placements)
            if scenario == "second_patient":
                pl = "second_patient" if R.random() < .7 else "line"
                if pl == "line":
                    doc.add("p", f"NB: Notatet er fejlagtigt også journalført på {o.name}, CPR-nr. {fmt(o.cpr, R.choice(CPR_STYLES))}.")
                    truth["others"].append({"cpr": o.cpr, "role": "second patient", "placement": "line", "name": o.name})
                    people_pool.append(o)
                    continue
            ostyle = R.choice(CPR_STYLES)
            if pl == "twocol":
                pkv = [("Navn:", cx.pname)]
                val = cx.pstr if cx.pstr is not None else cx.masked
                if val is not None:
                    pkv.append((cx.label, val))
                pkv.append(("Adresse:", f"{p.addr}"))
                okv = [("Navn:", o.name), (R.choice(["CPR-nr.:", "CPR:", "Personnummer:"]), fmt(o.cpr, ostyle)), ("Relation:", role)]
                doc.els.insert(min(3, len(doc.els)), ("twocol", ("Patient", pkv), (R.choice(["Pårørende", "Kontaktperson", role.capitalize()]), okv)))
            else:
                other_elements(R, cx, doc, o, role, pl, ostyle)
            truth["others"].append({"cpr": o.cpr, "role": role, "placement": pl, "style": ostyle, "name": o.name})
            people_pool.append(o)
    # decoys
    for _ in range(R.randint(1, 6)):
        d = decoy(R)
        truth["decoys"].append(d)
    extra = [d for d in truth["decoys"] if d not in [x for x in truth["decoys"][:0]]]
    dkv = [(d["label"], d["value"]) for d in truth["decoys"][-R.randint(1, 4):]]
    sign = ["Med venlig hilsen", dline]
    where = R.random()
    if where < .5:
        doc.add("sign", sign + [f"{l} {v}" for l, v in dkv])
    elif where < .75:
        doc.add("sign", sign)
        doc.add("kv", dkv, R.choice(["lines", "table", "grid"]))
    else:
        doc.add("sign", sign)
        doc.footer = (doc.footer or "") + "  " + "  ".join(f"{l} {v}" for l, v in dkv[:2])
    if cx.playout == "banner_only" and hdr_cpr is None and patient_cpr_readable:
        hdr_cpr = fmt(p.cpr, "dash")
        doc.header = f"{hdr_cpr} {cx.pname}"
    # truth
    readable = patient_cpr_readable and scenario not in ("scan",)
    truth.update({"patient_cpr": p.cpr if readable else None, "patient_cpr_true": p.cpr, "patient_name": p.name,
                  "printed_name": cx.pname, "form": form, "family": fam,
                  "other_cprs": [o["cpr"] for o in truth["others"]],
                  "cpr_like_decoys": [d["value"] for d in truth["decoys"] if d["cpr_like"]]})
    certificate = form is not None and form in ANSWERS and scenario not in ("request", "receipt", "employer", "unknown_form", "no_form")
    truth["fileable"] = bool(readable and certificate and not truth["others"])
    truth["must_escalate"] = not truth["fileable"]
    people_pool.append(p)
    return doc, truth


def plan(R, n):
    sc = (["clean"] * 200 + ["reference"] * 20 + ["relative"] * 45 + ["masked_other"] * 12 + ["absent_other"] * 8 +
          ["image_other"] * 5 + ["second_patient"] * 8 + ["no_cpr"] * 6 + ["request"] * 12 + ["receipt"] * 9 +
          ["employer"] * 8 + ["unknown_form"] * 6 + ["no_form"] * 5 + ["scan"] * 6)
    R.shuffle(sc)
    return sc[:n]


PRODUCERS = ["reportlab", "fpdf2", "chromium", "soffice", "groff"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=6262)
    ap.add_argument("--out", default="/tmp/heldout_f")
    ap.add_argument("-n", type=int, default=350)
    a = ap.parse_args()
    R = random.Random(a.seed)
    out = a.out
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(f"{out}/pdf"); os.makedirs(f"{out}/mail")
    work = tempfile.mkdtemp(prefix="hf_work_")
    used, pool, truths, pending_so, pending_scan = set(), [], [], [], []
    for i, scen in enumerate(plan(R, a.n)):
        prod = PRODUCERS[i % len(PRODUCERS)] if R.random() < .7 else R.choice(PRODUCERS)
        base_scen = "clean" if scen == "scan" else scen
        doc, t = build_doc(R, i, base_scen, prod, used, pool)
        t["scenario"] = scen
        fn = f"f{i:03d}_{prod}.pdf"
        path = f"{out}/pdf/{fn}"
        if prod == "reportlab":
            render_reportlab(doc, path, R)
        elif prod == "fpdf2":
            render_fpdf(doc, path, R)
        elif prod == "chromium":
            h = f"{work}/{i:03d}.html"
            open(h, "w").write(to_html(doc, True))
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                            f"--print-to-pdf={path}", h], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=120)
        elif prod == "soffice":
            h = f"{work}/so_f{i:03d}_soffice.html"
            open(h, "w").write(to_html(doc, False))
            pending_so.append((h, path))
        elif prod == "groff":
            g = to_groff(doc)
            r = subprocess.run("preconv | groff -t -ms -Tpdf -P-pa4", input=g.encode(), shell=True, capture_output=True)
            open(path, "wb").write(r.stdout)
        if scen == "scan":
            pending_scan.append(path)
            t["patient_cpr"] = None
            t["fileable"] = False
            t["must_escalate"] = True
            t["producer"] = prod + "+gs-scan"
        t["file"] = fn
        truths.append(t)
    if pending_so:
        subprocess.run(["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", "pdf:writer_pdf_Export",
                        "--outdir", f"{work}/so"] + [h for h, _ in pending_so], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1200)
        for h, path in pending_so:
            src = f"{work}/so/" + os.path.basename(h)[:-5] + ".pdf"
            if os.path.exists(src):
                shutil.move(src, path)
    for path in pending_scan:
        d = tempfile.mkdtemp(dir=work)
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pnggray", "-r100", f"-sOutputFile={d}/p%02d.png", path], check=True)
        from fpdf import FPDF
        pdf = FPDF(format="A4")
        for png in sorted(os.listdir(d)):
            pdf.add_page(); pdf.image(f"{d}/{png}", x=0, y=0, w=210)
        pdf.output(path)
    missing = [t["file"] for t in truths if not os.path.exists(f"{out}/pdf/{t['file']}") or os.path.getsize(f"{out}/pdf/{t['file']}") < 500]
    if missing:
        print("MISSING", missing, file=sys.stderr)
        sys.exit(1)
    with open(f"{out}/truth.jsonl", "w") as f:
        for t in truths:
            f.write(json.dumps(t, ensure_ascii=False, default=str) + "\n")
    make_mails(R, out, truths, pool, used)
    # register persons (patients, relatives, second patients, and CPR-valid decoys as citizens)
    persons = {}
    for pp in pool:
        persons[pp.cpr] = pp.name
    for t in truths:
        for d in t["cpr_like_decoys"]:
            ds = "".join(ch for ch in d if ch.isdigit())[:10]
            if is_cpr(ds) and ds not in persons:
                persons[ds] = Person(R, set()).name
    with open(f"{out}/persons.json", "w") as f:
        json.dump(persons, f, ensure_ascii=False, indent=0)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(truths)} PDFs, fileable {sum(t['fileable'] for t in truths)}, persons {len(persons)}")


def is_cpr(d):
    if len(d) != 10 or not d.isdigit():
        return False
    dd, mm, yy, s7 = int(d[:2]), int(d[2:4]), int(d[4:6]), int(d[6])
    if dd > 60:
        dd -= 60
    if s7 in (0, 1, 2, 3):
        y = 1900 + yy
    elif s7 in (4, 9):
        y = 2000 + yy if yy <= 36 else 1900 + yy
    else:
        y = 2000 + yy if yy <= 57 else 1800 + yy
    try:
        dt.date(y, mm, dd)
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- mails
REGION = {"rn.dk": ["rn.dk", "psykiatri.rn.dk", "aalborguh.rn.dk", "RN.DK"],
          "regionh.dk": ["regionh.dk", "psykiatri.regionh.dk", "PSYKIATRI.REGIONH.DK"],
          "rsyd.dk": ["rsyd.dk", "psykiatri.rsyd.dk", "ouh.rsyd.dk"],
          "rm.dk": ["rm.dk", "ps.rm.dk", "auh.rm.dk"],
          "regionmidtjylland.dk": ["regionmidtjylland.dk", "psykiatri.regionmidtjylland.dk"],
          "regionsjaelland.dk": ["regionsjaelland.dk", "psykiatri.regionsjaelland.dk"]}
GW = "mx.kommune.example"
USERS = ["mlar", "b123456", "REGH\\kjn"]


def legit_auth(R, dom, org):
    v = R.choice(["full", "full", "dkim_only", "forwarded", "dkim_parent", "two_ar"])
    if v == "full":
        return [f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={org} header.s=sel1; dmarc=pass (p=REJECT) header.from={dom}"]
    if v == "dkim_only":
        return [f"{GW}; dkim=pass (2048-bit key) header.d={dom} header.i=@{dom} header.b=abc123"]
    if v == "forwarded":
        return [f"{GW}; spf=fail smtp.mailfrom=relay.example.net; dkim=pass header.d={dom}; dmarc=pass header.from={dom}"]
    if v == "dkim_parent":
        return [f"{GW}; spf=softfail smtp.mailfrom={dom}; dkim=pass header.d={org}; dmarc=pass header.from={dom}"]
    return [f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={org}; dmarc=pass header.from={dom}",
            f"mx1.{org}; spf=pass smtp.mailfrom={dom}"]


def forged_variants():
    return [
        ("gw_dmarc_fail", "rn.dk", [f"{GW}; spf=fail smtp.mailfrom=rn.dk; dkim=none; dmarc=fail (p=REJECT) header.from=rn.dk"]),
        ("gw_dmarc_fail_dkim_other", "psykiatri.regionh.dk", [f"{GW}; spf=softfail; dkim=pass header.d=mailer.example.com; dmarc=fail header.from=psykiatri.regionh.dk"]),
        ("no_ar", "rsyd.dk", []),
        ("no_ar_sub", "psykiatri.rn.dk", []),
        ("foreign_ar_pass", "rm.dk", ["mx1.rm.dk; spf=pass; dkim=pass header.d=rm.dk; dmarc=pass header.from=rm.dk"]),
        ("foreign_outlook", "regionsjaelland.dk", ["spf.protection.outlook.com; spf=pass; dkim=pass header.d=regionsjaelland.dk; dmarc=pass action=none header.from=regionsjaelland.dk"]),
        ("unaligned_dkim", "rn.dk", [f"{GW}; spf=none; dkim=pass header.d=gmail.com; dmarc=none"]),
        ("unaligned_suffix_trick", "regionh.dk", [f"{GW}; spf=none; dkim=pass header.d=regionh.dk.evil.example; dmarc=none"]),
        ("unaligned_prefix_trick", "rn.dk", [f"{GW}; spf=none; dkim=pass header.d=xrn.dk; dmarc=none"]),
        ("dkim_public_suffix", "rsyd.dk", [f"{GW}; spf=none; dkim=pass header.d=dk; dmarc=none"]),
        ("dkim_other_region", "rn.dk", [f"{GW}; spf=none; dkim=pass header.d=regionh.dk; dmarc=none header.from=rn.dk"]),
        ("dmarc_other_domain", "rm.dk", [f"{GW}; spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"]),
        ("lookalike_dash", "rn-dk.com", [f"{GW}; spf=pass smtp.mailfrom=rn-dk.com; dkim=pass header.d=rn-dk.com; dmarc=pass header.from=rn-dk.com"]),
        ("lookalike_suffix", "rn.dk.example.com", [f"{GW}; spf=pass; dkim=pass header.d=rn.dk.example.com; dmarc=pass header.from=rn.dk.example.com"]),
        ("lookalike_typo", "regionh-dk.net", [f"{GW}; spf=pass; dkim=pass header.d=regionh-dk.net; dmarc=pass header.from=regionh-dk.net"]),
        ("zero_width", "psykiatri.rn\u200b.dk", [f"{GW}; spf=none; dkim=none; dmarc=none"]),
        ("zwj_pass_claim", "rsyd\u200d.dk", [f"{GW}; spf=pass smtp.mailfrom=rsyd.dk; dkim=pass header.d=rsyd.dk; dmarc=pass header.from=rsyd.dk"]),
        ("cyrillic", "r\u043f.dk", [f"{GW}; spf=pass; dkim=pass header.d=xn--r-rmc.dk; dmarc=pass header.from=xn--r-rmc.dk"]),
        ("cyrillic_o", "regi\u043enh.dk", [f"{GW}; spf=pass; dkim=pass header.d=regionh.dk; dmarc=pass header.from=regionh.dk"]),
        ("fullwidth_dot", "rn\uff0edk", [f"{GW}; spf=pass; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("display_name_spoof", "evil.example", [f"{GW}; spf=pass; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"]),
        ("two_from", "rn.dk", [f"{GW}; spf=pass; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("from_list", "rn.dk", [f"{GW}; spf=pass; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"]),
        ("authserv_comment_trick", "rm.dk", [f"mx.evil.example ({GW}); dmarc=pass header.from=rm.dk; dkim=pass header.d=rm.dk"]),
        ("authserv_lookalike", "regionsjaelland.dk", [f"mx.kommune.example.evil.example; dmarc=pass header.from=regionsjaelland.dk; dkim=pass header.d=regionsjaelland.dk"]),
        ("arc_only", "rn.dk", []),
        ("gw_dkim_fail", "regionh.dk", [f"{GW}; spf=none; dkim=fail (bad signature) header.d=regionh.dk; dmarc=fail header.from=regionh.dk"]),
    ]


def make_mails(R, out, truths, pool, used):
    fileable = [t for t in truths if t["fileable"]]
    other = [t for t in truths if not t["fileable"]]
    R.shuffle(fileable); R.shuffle(other)
    usedpdf = set()

    def take(lst):
        for t in lst:
            if t["file"] not in usedpdf:
                usedpdf.add(t["file"]); return t
        return None

    mails = []
    fv = forged_variants()
    n_forged = len(fv)
    n_legit = 100 - n_forged
    specs = [("forged",) + x for x in fv] + [("legit", None, None, None)] * n_legit
    R.shuffle(specs)
    for mi, spec in enumerate(specs):
        msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        attach = []
        variant = spec[1] if spec[0] == "forged" else None
        if spec[0] == "legit":
            org = R.choice(list(REGION))
            dom = R.choice(REGION[org])
            ars = legit_auth(R, dom.lower(), org)
        else:
            dom, ars = spec[2], spec[3]
            org = None
        local = R.choice(["attest", "psykiatri.sekretariat", "no-reply", "laegesekretaer", "afs4", "ambulatorium"])
        disp = R.choice(["Region Nordjylland", "Psykiatrien", "Regionspsykiatrien Sekretariat", "Afsnit S4", "Lægesekretær"])
        for ar in ars:
            msg["Authentication-Results"] = ar
        if variant == "arc_only":
            msg["ARC-Authentication-Results"] = f"i=1; {GW}; spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk; dmarc=pass header.from=rn.dk"
        if variant == "display_name_spoof":
            msg["From"] = f'"attest@psykiatri.rn.dk" <x@evil.example>'
        elif variant == "two_from":
            msg["From"] = f"{disp} <{local}@rn.dk>"
        elif variant == "from_list":
            msg["From"] = f"{disp} <{local}@rn.dk>, Ekstern <x@evil.example>"
        elif not dom.isascii():
            msg["From"] = f"{disp} <{local}@PLACEHOLDER.invalid>"
        else:
            msg["From"] = f"{disp} <{local}@{dom}>"
        msg["To"] = "jobcenter.attester@kommune.example"
        msg["Date"] = format_datetime(dt.datetime(2025, R.randint(1, 12), R.randint(1, 28), R.randint(7, 17), R.randint(0, 59), tzinfo=dt.timezone(dt.timedelta(hours=1))))
        msg["Message-ID"] = f"<{R.randint(10**11, 10**12)}.{R.randint(1000, 9999)}@{dom.lower() if dom.isascii() else 'x.example'}>"
        if spec[0] == "legit" or variant not in ("two_from", "from_list"):
            rp = dom if dom.isascii() else "x.example"
            if spec[0] == "legit":
                msg["Return-Path"] = f"<bounce@{dom.lower()}>"
        # attachments
        n_att = 1 if R.random() < .8 else 2
        cpr_conflict = False
        subj_cpr = None
        for k in range(n_att):
            t = take(fileable) if (k == 0 and R.random() < .8) else take(other if R.random() < .6 else fileable)
            if t is None:
                t = take(fileable) or take(other)
            if t is not None:
                attach.append(t)
        if not attach:
            break
        main_t = attach[0]
        subj = R.choice(["Lægeattest", "Attest fra psykiatrien", "Svar på anmodning", "Sikker mail: attest",
                         f"{('LÆ ' + main_t['form']) if main_t['form'] else 'Dokument'}", "VS: attest", "Journaloplysninger"])
        body = "Hermed fremsendes attest.\n\nMed venlig hilsen\nLægesekretariatet\n"
        mode = R.random()
        conflict_person = None
        if mode < .15 and main_t.get("patient_cpr"):
            subj_cpr = main_t["patient_cpr"]
            subj += " vedr. cpr " + fmt(main_t["patient_cpr"], R.choice(["dash", "plain", "space"]))
        elif mode < .25 and main_t.get("patient_cpr"):
            subj_cpr = main_t["patient_cpr"]
            body = f"Vedr. borger CPR-nr. {fmt(main_t['patient_cpr'], R.choice(['dash', 'dotted', 'pairs']))}\n\n" + body
        elif mode < .32:
            conflict_person = Person(R, used)
            pool.append(conflict_person)
            where = R.choice(["subject", "body"])
            if where == "subject":
                subj += " – cpr " + fmt(conflict_person.cpr, "dash")
            else:
                body = f"Vedr. CPR {fmt(conflict_person.cpr, R.choice(['dash', 'plain']))}\n\n" + body
            cpr_conflict = True
        msg["Subject"] = subj
        msg.set_content(body)
        ziptype = R.random() < .06
        names = []
        for k, t in enumerate(attach):
            data = open(f"{out}/pdf/{t['file']}", "rb").read()
            fnm = R.choice([f"LÆ{t['form'] or ''}_attest.pdf", "attest.pdf", f"dokument_{k + 1}.pdf",
                            f"Lægeattest {R.randint(1000, 9999)}.pdf"])
            if t.get("patient_cpr_true") and R.random() < .2:
                fnm = f"LÆ{t['form'] or ''}_{fmt(t['patient_cpr_true'], R.choice(['plain', 'dash']))}.pdf"
            names.append(fnm)
            if ziptype and k == 0:
                bio = io.BytesIO()
                with zipfile.ZipFile(bio, "w") as z:
                    z.writestr(fnm, data)
                msg.add_attachment(bio.getvalue(), maintype="application", subtype="zip", filename="attester.zip")
            else:
                ct = ("application", "pdf") if R.random() < .85 else ("application", "octet-stream")
                msg.add_attachment(data, maintype=ct[0], subtype=ct[1], filename=fnm)
        raw = msg.as_bytes()
        if variant == "two_from":
            raw = raw.replace(b"From: ", f"From: Ekstern <x@evil.example>\r\nFrom: ".encode(), 1) if b"\r\n" in raw else raw.replace(b"From: ", b"From: Ekstern <x@evil.example>\nFrom: ", 1)
        if not dom.isascii():
            raw = raw.replace(b"PLACEHOLDER.invalid", dom.encode("utf-8"))
        fn = f"m{mi:03d}_{spec[0]}{'_' + variant if variant else ''}.eml"
        open(f"{out}/mail/{fn}", "wb").write(raw)
        legit = spec[0] == "legit"
        atts = []
        for t, nm in zip(attach, names):
            expect = "file" if (legit and t["fileable"] and not cpr_conflict
                                and (subj_cpr is None or subj_cpr == t["patient_cpr"])) else "escalate"
            atts.append({"pdf": t["file"], "name": nm, "fileable": t["fileable"], "patient_cpr": t["patient_cpr"],
                         "expect": expect})
        mails.append({"file": fn, "legit": legit, "variant": variant or "legit", "from_domain": dom, "mail_cpr": subj_cpr,
                      "cpr_conflict": cpr_conflict, "conflict_cpr": conflict_person.cpr if conflict_person else None,
                      "zip": ziptype, "attachments": atts})
    with open(f"{out}/mail_truth.jsonl", "w") as f:
        for m in mails:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
