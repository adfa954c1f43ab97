"""Content model for the held-out corpus E: persons, CPR written forms, decoys, documents.

Everything is fictitious. A document is a list of pages; each page a list of blocks:
  ("h", text)                 heading line
  ("p", text)                 paragraph (wrapped by the producer)
  ("kv", [(label, value),..]) label/value lines
  ("kvnext", label, value)    label on one line, value on the next
  ("table", header, rows)     table (header may be None)
  ("boxes", label, chars)     one character per printed box
  ("field", label, name, val) an AcroForm text field (reportlab); others print it as kv
  ("img", label, text)        value drawn as an image (no text layer)
  ("two", left, right)        two columns, each a list of blocks
  ("sp",)                     vertical space
plus doc-level header/footer strings repeated on every page ({p} and {n} page numbers).
"""
import random
import datetime as dt

W = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]


def mod11_ok(d):
    return sum(int(a) * b for a, b in zip(d, W)) % 11 == 0


def seventh_digits(year):
    yy = year % 100
    if 1900 <= year <= 1999:
        s = [0, 1, 2, 3]
        if yy >= 37:
            s += [4, 9]
        return s
    if 2000 <= year <= 2036:
        return [4, 9, 5, 6, 7, 8]
    if 1858 <= year <= 1899:
        return [5, 6, 7, 8]
    raise ValueError(year)


def valid_date(dd, mm, yy, d7):
    """Does DDMMYY with 7th digit d7 form an existing date (the DOMAIN.md century table)."""
    if d7 in (0, 1, 2, 3):
        year = 1900 + yy
    elif d7 in (4, 9):
        year = 2000 + yy if yy <= 36 else 1900 + yy
    else:
        if yy <= 36:
            year = 2000 + yy
        elif yy >= 58:
            year = 1800 + yy
        else:
            return False
    try:
        dt.date(year, mm, dd)
        return True
    except ValueError:
        return False


def cpr_like_valid(ten):
    """Ten digits that could be somebody's CPR (date valid)."""
    if len(ten) != 10 or not ten.isdigit():
        return False
    return valid_date(int(ten[0:2]), int(ten[2:4]), int(ten[4:6]), int(ten[6]))


class Registry:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def cpr(self, birth, mod11=True):
        rng = self.rng
        for _ in range(10000):
            d7 = rng.choice(seventh_digits(birth.year))
            rest = "%d%02d" % (d7, rng.randrange(100))
            base = birth.strftime("%d%m%y") + rest
            for last in range(10):
                c = base + str(last)
                if mod11_ok(c) == mod11 and c not in self.used:
                    self.used.add(c)
                    return c
        raise RuntimeError("no cpr")

    def decoy_number(self):
        """Ten digits with a valid birth date (an id that happens to look like a CPR)."""
        rng = self.rng
        while True:
            d = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 90))
            c = d.strftime("%d%m%y") + "%d%03d" % (rng.choice(seventh_digits(d.year)), rng.randrange(1000))
            if c not in self.used:
                self.used.add(c)
                return c


FIRST_M = ["Jens", "Søren", "Mads", "Anders", "Niels", "Ole", "Frederik", "Kasper", "Mikkel", "Rasmus", "Thomas",
           "Jørgen", "Bjørn", "Emil", "Mathias", "Mohammed", "Ahmad", "Jan", "Kim", "Per", "Torben", "Åge", "Ib",
           "Lars-Erik", "Hans Christian", "Jacob", "Klaus", "Stefan", "Piotr", "Dragan", "Yusuf", "Preben"]
FIRST_F = ["Anna", "Mette", "Lone", "Hanne", "Karen", "Signe", "Ida", "Maja", "Sofie", "Birgitte", "Bodil", "Marianne",
           "Tove", "Ærtrud", "Åse", "Ea", "Line", "Camilla", "Fatima", "Aisha", "Anne-Mette", "Karin", "Ulla", "Gitte",
           "Dorthe", "Mona", "Zeynep", "Agnieszka", "Ingrid", "Solveig", "Malou", "Nanna"]
MIDDLE = ["Marie", "Louise", "Kristine", "Peter", "Juul", "Bach", "Krogh", "Holm", "Vestergaard", "Kirstine", "Højgaard",
          "Østergaard", "Lund", "Skov", "Dam", "Bæk", "Brøndum", "Møller", "Ellegaard", "Ahmadi"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Knudsen", "Møller",
        "Mortensen", "Østergaard", "Bødker", "Kjærgaard", "Frølund", "Ærenlund", "Åkjær", "Müller", "Özdemir",
        "Nguyen", "Kowalski", "Hussein", "Damgaard-Hansen", "Lykke-Sørensen", "Brønnum", "Søgaard", "Fæster",
        "Dahl", "Vinther", "Overgaard", "Skøtt", "Blæsbjerg"]


class Person:
    def __init__(self, first, middle, last, birth, cpr, sex):
        self.first, self.middle, self.last = first, middle, last
        self.birth, self.cpr, self.sex = birth, cpr, sex

    @property
    def full(self):
        return " ".join(x for x in (self.first, self.middle, self.last) if x)


def new_person(reg, rng, birth=None, sex=None, last=None, mod11=None):
    sex = sex or rng.choice("MF")
    if birth is None:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 52))
    first = rng.choice(FIRST_M if sex == "M" else FIRST_F)
    middle = rng.choice(MIDDLE) if rng.random() < 0.45 else ""
    last = last or rng.choice(LAST)
    if mod11 is None:
        mod11 = True
        if rng.random() < 0.06:  # post-2007 numbers that fail modulus 11, mostly birth date 1 January
            birth = dt.date(birth.year, 1, 1)
            mod11 = False
    cpr = reg.cpr(birth, mod11)
    return Person(first, middle, last, birth, cpr, sex)


TRANS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ü": "ue", "ö": "oe",
                       "Ü": "Ue", "Ö": "Oe"})


def name_variant(p, rng, style=None):
    styles = ["plain", "plain", "plain", "lastcomma", "lastcomma", "CAPS", "LASTcomma", "translit", "nomiddle",
              "middleinit"]
    style = style or rng.choice(styles)
    if style == "plain":
        return p.full
    if style == "lastcomma":
        return f"{p.last}, {p.first}" + (f" {p.middle}" if p.middle else "")
    if style == "LASTcomma":
        return f"{p.last.upper()}, {p.first}" + (f" {p.middle}" if p.middle else "")
    if style == "CAPS":
        return p.full.upper()
    if style == "translit":
        return p.full.translate(TRANS)
    if style == "nomiddle":
        return f"{p.first} {p.last}"
    if style == "middleinit":
        return f"{p.first} {p.middle[0] + '.' if p.middle else ''} {p.last}".replace("  ", " ")
    return p.full


# ---- how people write a CPR number ----
SEP_FORMS = [
    ("dash", lambda c: f"{c[:6]}-{c[6:]}", 10),
    ("bare", lambda c: c, 3),
    ("space", lambda c: f"{c[:6]} {c[6:]}", 3),
    ("spdashsp", lambda c: f"{c[:6]} - {c[6:]}", 2),
    ("endash", lambda c: f"{c[:6]}\u2013{c[6:]}", 2),
    ("endash_sp", lambda c: f"{c[:6]} \u2013 {c[6:]}", 1),
    ("nbhyphen", lambda c: f"{c[:6]}\u2011{c[6:]}", 1),
    ("pairs", lambda c: f"{c[:2]} {c[2:4]} {c[4:6]}-{c[6:]}", 2),
    ("pairs_sp", lambda c: f"{c[:2]} {c[2:4]} {c[4:6]} {c[6:]}", 1),
    ("dots", lambda c: f"{c[:2]}.{c[2:4]}.{c[4:6]}-{c[6:]}", 2),
    ("dots_sp", lambda c: f"{c[:2]}.{c[2:4]}.{c[4:6]} {c[6:]}", 1),
    ("thin", lambda c: f"{c[:6]}\u2009{c[6:]}", 1),
    ("nbsp", lambda c: f"{c[:6]}\u00a0{c[6:]}", 1),
    ("dash_nbsp", lambda c: f"{c[:6]}\u00a0-\u00a0{c[6:]}", 1),
    ("dashes", lambda c: f"{c[:2]}-{c[2:4]}-{c[4:6]}-{c[6:]}", 1),
    ("slash", lambda c: f"{c[:6]}/{c[6:]}", 1),
    ("split4", lambda c: f"{c[:6]}-{c[6:8]} {c[8:]}", 1),
]


def cpr_form(c, rng, name=None):
    if name:
        for n, f, _ in SEP_FORMS:
            if n == name:
                return n, f(c)
    tot = sum(w for _, _, w in SEP_FORMS)
    r = rng.uniform(0, tot)
    for n, f, w in SEP_FORMS:
        r -= w
        if r <= 0:
            return n, f(c)
    return "dash", f"{c[:6]}-{c[6:]}"


CPR_LABELS = ["CPR-nr.:", "CPR-nr.", "CPR nr.:", "Cpr.nr.:", "CPR:", "Cpr:", "cpr.nr.", "CPR-nummer:", "Personnummer:",
              "Person nr.:", "Personnr.:", "CPR.NR.:", "Cpr. nr", "CPR-NR", "Cprnr.:", "Pt. CPR:", "Patientens CPR-nr.:",
              "Borgerens cpr-nr.:", "CPR nummer", "C.P.R.-nr.:", "Personnummer (CPR):", "Cpr-nr:", "CPR‑nr.:",
              "Cpr nr", "Personal ID no. (CPR):", "Identifikation (CPR-nr.):"]

NAME_LABELS = ["Navn:", "Patientens navn:", "Navn", "Patient:", "Borger:", "Borgerens navn:", "Pt.:", "Fulde navn:",
               "Efternavn, fornavn:", "Name:"]

# roles of other persons: (word/phrase used in the document, kind)
OTHER_ROLES = [
    ("Pårørende", "relative"), ("Nærmeste pårørende", "relative"), ("Ægtefælle", "relative"), ("Hustru", "relative"),
    ("Ægtemand", "relative"), ("Samlever", "relative"), ("Kæreste", "relative"), ("Partner", "relative"),
    ("Mor", "relative"), ("Far", "relative"), ("Søn", "relative"), ("Datter", "relative"), ("Bror", "relative"),
    ("Søster", "relative"), ("Værge", "guardian"), ("Værge (Familieretshuset)", "guardian"),
    ("Kontaktperson", "contact"), ("Bisidder", "companion"), ("Ledsager", "companion"), ("Tolk", "interpreter"),
    ("Plejemor", "relative"), ("Stedfar", "relative"), ("Mormor", "relative"), ("Svigerinde", "relative"),
    ("Barn", "relative"), ("Fuldmagtshaver", "guardian"), ("Støtte-kontaktperson (SKP)", "contact"),
    ("Udfyldt af læge", "doctor"), ("Behandlende læge", "doctor"), ("Henvisende læge", "doctor"),
]

HOSPITALS = [
    ("Region Hovedstaden", "Psykiatrisk Center København", "Afsnit 6202, Amager", "SP"),
    ("Region Hovedstaden", "Psykiatrisk Center Ballerup", "Ambulatorium for psykoser", "SP"),
    ("Region Sjælland", "Psykiatrien Øst, Roskilde", "Afdeling P1", "SP"),
    ("Region Nordjylland", "Psykiatrien, Aalborg Universitetshospital", "Afsnit S7 Mølleparkvej", "CS"),
    ("Region Nordjylland", "Psykiatrien Hjørring", "Ambulatorium Nord", "CS"),
    ("Region Midtjylland", "Aarhus Universitetshospital Psykiatrien", "Afdeling for Depression og Angst", "MIDT"),
    ("Region Midtjylland", "Regionspsykiatrien Vest, Herning", "Sengeafsnit P3", "MIDT"),
    ("Region Syddanmark", "Psykiatrien i Region Syddanmark, Odense", "Psykiatrisk Afdeling Odense", "COSMIC"),
    ("Region Syddanmark", "Psykiatrisk Afdeling Esbjerg", "Ambulatorium", "COSMIC"),
    ("Region Midtjylland", "Hospitalsenheden Vest, Medicinsk afdeling", "Ambulatoriet", "MIDT"),
]

GP_SYSTEMS = ["XMO", "WinPLC", "Novax", "EG Clinea", "MultiMed Web", "Ganglion"]

FORMS = {
    "105": "Journaloplysninger fra sygehus", "115": "Journaloplysninger fra speciallægepraksis",
    "125": "Statusattest", "135": "Specifik helbredsattest", "145": "Generel helbredsattest",
    "155": "Speciallægeattest", "165": "Forslag om socialmedicinsk sagsbehandling",
    "225": "Attest vedr. kronisk sygdom", "265": "Lægeattest til rehabiliteringsteam",
    "275": "Lægeattest fra klinisk funktion", "285": "Attest til sygedagpengeopfølgning",
    "121": "Anmodning om statusattest", "131": "Anmodning om specifik helbredsattest",
    "141": "Anmodning om generel helbredsattest", "221": "Anmodning om attest vedr. kronisk sygdom",
    "261": "Anmodning om lægeattest til rehabiliteringsteam", "281": "Anmodning om attest til sygedagpengeopfølgning",
}
HOSP_FORMS = ["105", "125", "275", "265", "125", "105"]
GP_FORMS = ["125", "285", "265", "225", "135", "145", "125", "285"]
SPEC_FORMS = ["155", "115"]


def code_spelling(code, rng):
    return rng.choice([f"LÆ {code}", f"LÆ {code}", f"LÆ{code}", f"LÆ-{code}", f"Læ {code}", f"LAE {code}",
                       f"LÆ {code}", f"Lægeattest LÆ {code}", f"Blanket LÆ {code}"])


DIAG = ["DF32.1 Depressiv enkeltepisode af moderat grad", "DF43.1 Posttraumatisk belastningsreaktion",
        "DF41.1 Generaliseret angst", "DF20.0 Paranoid skizofreni", "DF31.3 Bipolar affektiv sindslidelse",
        "DF60.3 Emotionelt ustabil personlighedsstruktur", "DM54.5 Lændesmerter", "DF33.2 Periodisk depression",
        "DF90.0 ADHD", "DF84.5 Aspergers syndrom", "DG43.9 Migræne", "DM79.7 Fibromyalgi", "DE11.9 Type 2-diabetes"]

PROSE = [
    "Patienten har været fulgt i ambulatoriet siden foråret og er aktuelt i medicinsk behandling.",
    "Der er fortsat nedsat koncentrationsevne, søvnforstyrrelser og tiltagende social tilbagetrækning.",
    "Vurderingen er, at en gradvis tilbagevenden til arbejdsmarkedet kan påbegyndes om ca. 8 uger.",
    "Funktionsevnen er nedsat i forhold til fysisk belastende arbejde; stillesiddende arbejde 10-12 timer ugentligt forventes muligt.",
    "Der er ikke planlagt yderligere udredning. Prognosen vurderes som god, hvis behandlingen følges.",
    "Borgeren har deltaget i samtaleforløb hos psykolog med god effekt og tager sertralin 100 mg dagligt.",
    "Ved seneste konsultation fremstod patienten afbleget i stemningslejet, men uden psykotiske symptomer.",
    "Der henvises i øvrigt til tidligere journaloplysninger, som ikke gentages her.",
    "Det anbefales, at jobcentret afventer effekten af den igangsatte behandling før afklaring af ressourceforløb.",
]


def decoys(reg, rng, n, today):
    """Labelled numbers that are no person's CPR. Returns list of (label, value, digits or None)."""
    out = []
    pool = ["dok", "rekv", "henv", "kontakt", "journal_kl", "journal_nr", "sag", "bank", "pnr", "cvr", "yder", "sor",
            "ean", "tlf", "mobil", "prove", "periode", "faktura", "booking", "iban", "amount", "date", "range",
            "medcom", "autor", "lokation", "besoeg", "udskrevet", "kvitt", "kontonr_only"]
    for kind in rng.sample(pool, min(n, len(pool))):
        d10 = reg.decoy_number()
        d = today - dt.timedelta(days=rng.randrange(400))
        d2 = d + dt.timedelta(days=rng.randrange(5, 60))
        if kind == "dok":
            out.append((rng.choice(["Dok.nr.:", "Dokument-ID:", "Dokumentnr.", "DokID"]), d10, d10))
        elif kind == "rekv":
            out.append((rng.choice(["Rekv.nr.:", "Rekvisitionsnr.", "Rekvisitions-ID:"]), f"{d10[:6]}-{d10[6:]}", d10))
        elif kind == "henv":
            out.append((rng.choice(["Henvisnings-ID:", "Henv.-ID", "Henvisningsnr.:"]), d10, d10))
        elif kind == "kontakt":
            out.append((rng.choice(["Kontakt-ID:", "Kontaktnr.", "Forløbs-ID:"]), f"{d10[:6]} {d10[6:]}", d10))
        elif kind == "journal_kl":
            out.append(("Journalnr.:", f"27.12.08-G01-{rng.randrange(1000, 9999)}-{d.strftime('%y')}", None))
        elif kind == "journal_nr":
            out.append((rng.choice(["J.nr.", "Jour.nr.:", "Vores j.nr.:"]), f"{d10[:6]}-{d10[6:]}", d10))
        elif kind == "sag":
            out.append((rng.choice(["Sagsnr.:", "Sag nr.", "Jeres sagsnr.:", "Momentum sags-ID:"]), d10, d10))
        elif kind == "bank":
            out.append((rng.choice(["Bankkonto:", "Reg.nr./kontonr.:", "Honorar indsættes på konto"]),
                        f"{rng.randrange(1000, 9999)} {d10}", d10))
        elif kind == "kontonr_only":
            out.append(("Kontonr.:", d10, d10))
        elif kind == "pnr":
            v = "10" + d10[2:]
            out.append((rng.choice(["P-nr.:", "P-nummer:"]), v, v if cpr_like_valid(v) else None))
        elif kind == "cvr":
            out.append(("CVR-nr.:", str(rng.randrange(10000000, 99999999)), None))
        elif kind == "yder":
            out.append((rng.choice(["Ydernr.:", "Ydernummer:", "Yder-nr."]), "%06d" % rng.randrange(1, 999999), None))
        elif kind == "sor":
            out.append(("SOR-ID:", str(rng.randrange(10 ** 14, 10 ** 15)), None))
        elif kind == "ean":
            out.append((rng.choice(["EAN-nr.:", "Lokationsnr.:", "EAN/GLN:"]), "57980" + "%08d" % rng.randrange(10 ** 8), None))
        elif kind == "tlf":
            out.append((rng.choice(["Tlf.:", "Telefon:", "Tlf"]), f"{rng.randrange(20, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}", None))
        elif kind == "mobil":
            out.append(("Mobil:", f"+45 {rng.randrange(20, 99)}{rng.randrange(10, 99)} {rng.randrange(10, 99)}{rng.randrange(10, 99)}", None))
        elif kind == "prove":
            v = d.strftime("%d%m%y") + " %02d%02d" % (rng.randrange(7, 16), rng.randrange(60))
            out.append((rng.choice(["Prøvetagningstid:", "Taget:", "Modtaget i lab.:"]), v, v.replace(" ", "")))
        elif kind == "periode":
            v = f"{d.strftime('%d%m%y')}-{d2.strftime('%d%m%y')}"
            out.append((rng.choice(["Sygemeldt i perioden", "Periode:", "Indlagt"]), v, v[:6] + v[7:11]))
        elif kind == "faktura":
            out.append((rng.choice(["Faktura nr.:", "Fakturanr."]), d10, d10))
        elif kind == "booking":
            out.append((rng.choice(["Booking-nr.:", "Bestillingsnr.:", "Tidsbestilling ref."]), f"{d10[:6]}-{d10[6:]}", d10))
        elif kind == "iban":
            out.append(("IBAN:", f"DK{rng.randrange(10, 99)} {rng.randrange(1000, 9999)} {d10[:4]} {d10[4:8]} {d10[8:]}", None))
        elif kind == "amount":
            out.append((rng.choice(["Honorar:", "Beløb:", "Takst:"]), f"kr. {rng.randrange(300, 2500)},00", None))
        elif kind == "date":
            out.append((rng.choice(["Dato:", "Konsultation:", "Undersøgt den"]), d.strftime("%d.%m.%Y"), None))
        elif kind == "range":
            out.append((rng.choice(["Indlæggelse:", "Periode:", "Sygemeldt:"]), f"{d.strftime('%d.%m.%y')}-{d2.strftime('%d.%m.%y')}", None))
        elif kind == "medcom":
            out.append((rng.choice(["MedCom-ref.:", "Meddelelses-ID:", "Message-ID:"]), f"{d10}{rng.randrange(100, 999)}", None))
        elif kind == "autor":
            out.append(("Autorisations-ID:", rng.choice(["0A1B2", "7XK3M", "4TT9P", "02QHN"]), None))
        elif kind == "lokation":
            out.append(("Lokationsnummer:", "579" + "%010d" % int(d10), None))
        elif kind == "besoeg":
            out.append(("Besøgsnr.:", f"{d10[:6]}-{d10[6:]}", d10))
        elif kind == "udskrevet":
            out.append(("Udskrevet:", d.strftime("%d.%m.%y") + " %02d:%02d" % (rng.randrange(7, 16), rng.randrange(60)), None))
        elif kind == "kvitt":
            out.append(("Kvitteringsnr.:", d10, d10))
    return out
