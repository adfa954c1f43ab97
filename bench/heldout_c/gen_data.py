"""Fictitious Danish data for the held-out corpus: names, places, organisations, CPR arithmetic,
written forms of CPR numbers, labels and decoy identifiers. Everything here is invented."""
from __future__ import annotations

import datetime as dt
import random

W = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]

FIRST_M = ["Anders", "Søren", "Jørgen", "Bjørn", "Mads", "Rasmus", "Mikkel", "Frederik", "Kasper", "Niels",
           "Henrik", "Ole", "Torben", "Jens", "Poul", "Lars", "Kristian", "Ærling", "Øjvind", "Åge", "Mohammed",
           "Ahmad", "Emil", "Magnus", "Oliver", "Thøger", "Kåre", "Palle", "Brian", "Dennis"]
FIRST_F = ["Mette", "Hanne", "Åse", "Birgitte", "Signe", "Louise", "Camilla", "Sørine", "Bodil", "Kirsten",
           "Lene", "Maja", "Ida", "Freja", "Sofie", "Zeynep", "Fatima", "Gitte", "Tove", "Helle",
           "Rikke", "Pernille", "Karen", "Inger", "Dorthe", "Marianne", "Bente", "Jytte", "Ulla", "Vibeke"]
MIDDLE = ["Juul", "Møller", "Krogh", "Bech", "Skov", "Dam", "Østergaard", "Holm", "Lund", "Kjær", "Bak",
          "Brøndum", "Aagaard", "Friis", "Vang", "Ravn", "Bøgelund", "Würtz"]
LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Møller",
        "Mortensen", "Østergaard", "Bøgh", "Lauridsen", "Kjærsgaard", "Dahl", "Søndergaard", "Nørgaard",
        "Vestergaard", "Brødsgaard", "Ærenlund", "Frølund", "Yilmaz", "Hussein",
        "Bækgaard", "Skovbjerg", "Kragh", "Lyngbæk", "Åkjær", "Fuglsang", "Gulddal", "Krøyer"]
HYPHEN_LAST = ["Møller-Hansen", "Kjær-Olsen", "Bøgh-Andersen", "Lund-Sørensen", "Friis-Østergaard",
               "Holm-Jørgensen"]
STREETS = ["Vestergade", "Søndergade", "Nørrebrogade", "Åboulevarden", "Kongensgade", "Bøgevej", "Æblehaven",
           "Skovbrynet", "Hjørringvej", "Østre Allé", "Fælledvej", "Strandvejen", "Møllebakken", "Kirkestræde"]
CITIES = [("9000", "Aalborg"), ("9800", "Hjørring"), ("8000", "Aarhus C"), ("7400", "Herning"),
          ("5000", "Odense C"), ("6700", "Esbjerg"), ("4000", "Roskilde"), ("4700", "Næstved"),
          ("2200", "København N"), ("2400", "København NV"), ("8600", "Silkeborg"), ("6000", "Kolding"),
          ("9400", "Nørresundby"), ("3400", "Hillerød"), ("4200", "Slagelse")]

# (organisation, unit, mail domain, kind)
REGION_ORGS = [
    ("Psykiatrien, Region Nordjylland", "Afsnit S4, Aalborg Universitetshospital Psykiatri", "rn.dk", "psykiatri.rn.dk"),
    ("Aalborg Universitetshospital", "Psykiatrisk Ambulatorium Hjørring", "rn.dk", "aalborguh.rn.dk"),
    ("Region Hovedstadens Psykiatri", "Psykiatrisk Center København, Afdeling O", "regionh.dk", "regionh.dk"),
    ("Region Hovedstadens Psykiatri", "Psykiatrisk Center Nordsjælland, Ambulatorium", "regionh.dk", "psykiatri.regionh.dk"),
    ("Psykiatrien i Region Syddanmark", "Psykiatrisk Afdeling Odense", "rsyd.dk", "rsyd.dk"),
    ("Psykiatrien i Region Syddanmark", "Psykiatrien Esbjerg, Ambulant team", "rsyd.dk", "psyk.rsyd.dk"),
    ("Aarhus Universitetshospital Psykiatrien", "Afdeling for Depression og Angst", "rm.dk", "rm.dk"),
    ("Regionspsykiatrien Vest", "Ambulatorium Herning", "rm.dk", "ps.rm.dk"),
    ("Region Midtjylland, Psykiatrien", "Regionspsykiatrien Silkeborg", "regionmidtjylland.dk", "regionmidtjylland.dk"),
    ("Psykiatrien Region Sjælland", "Psykiatrien Øst, Roskilde", "regionsjaelland.dk", "regionsjaelland.dk"),
    ("Psykiatrien Region Sjælland", "Distriktspsykiatrien Slagelse", "regionsjaelland.dk", "psykiatri.regionsjaelland.dk"),
]
GP_ORGS = [
    ("Lægerne i Vestergade", "Almen praksis", "laegerne-vestergade.dk"),
    ("Lægehuset Søndergade", "Almen praksis", "laegehuset-sondergade.dk"),
    ("Speciallæge i psykiatri Hanne Krogh", "Speciallægepraksis", "psykiater-krogh.dk"),
    ("Lægeklinikken Åbyhøj", "Almen praksis", "laegeklinikken-aabyhoj.dk"),
]

DIAG = ["Moderat depressiv enkeltepisode (DF32.1)", "Generaliseret angst (DF41.1)",
        "Posttraumatisk belastningsreaktion (DF43.1)", "Bipolar affektiv sindslidelse, aktuelt depressiv (DF31.3)",
        "Paranoid skizofreni (DF20.0)", "Emotionelt ustabil personlighedsstruktur (DF60.3)",
        "ADHD, kombineret type (DF90.0)", "Periodisk depression, moderat (DF33.1)",
        "Obsessiv-kompulsiv tilstand (DF42.2)", "Belastningsreaktion (DF43.8)"]

RELATIONS = ["ægtefælle", "samlever", "far", "mor", "søn", "datter", "bror", "søster", "værge", "kontaktperson",
             "bisidder", "partner", "plejemor", "svigersøn", "ledsager", "kæreste", "nabo", "plejefar",
             "støttekontaktperson", "svigermor", "ekskone", "mentor"]

CPR_LABELS = ["CPR-nr.", "CPR-nr.:", "CPR nr.", "Cpr.nr.", "Cpr. nr", "CPR nummer", "CPR-nummer:", "CPR:", "Cpr-nr",
              "Personnummer", "Personnummer:", "Pers. nr.", "Pers.nr.:", "Personnr.", "Person-nr.",
              "CPR-nr./Personnummer", "Patientens CPR-nr.", "Borgerens CPR-nr.", "CPR.nr.", "CPR nr:",
              "Cpr-nummer", "C.P.R.-nr.", "Personnummer (CPR)", "Cpr nr.:"]
NAME_LABELS = ["Navn", "Navn:", "Patientens navn", "Borgerens navn", "Patient", "Patient:", "Fulde navn",
               "Efternavn, fornavn", "Navn på patient"]

# identifier labels a Danish system prints next to a number that is not a CPR
ID_LABELS = ["Dokument-ID", "Dok.nr.", "Dokumentnummer", "Episode-ID", "Forløbs-ID", "Forløbsnr.", "Forløbsnummer",
             "Rekvisitionsnr.", "Rekv.nr.", "Rekvisitions-ID", "Henvisnings-ID", "Henv.-ID", "Henvisningsnummer",
             "Besked-ID", "Meddelelses-ID", "Booking-nr.", "Bookingnummer", "Aftale-ID", "Konsultationsnr.",
             "Konsultations-ID", "Sagsnr.", "Sags-ID", "Sag nr.", "Journalnr.", "Journal-ID", "Kvitteringsnr.",
             "Kvitterings-ID", "Reference", "Ref.nr.", "Vores ref.", "Deres ref.", "Labnr.", "Prøvenr.", "Prøve-ID",
             "Kontakt-ID", "Indlæggelsesnr.", "Udskrifts-ID", "Brev-ID", "Korrespondance-ID", "Ordrenr.",
             "Faktura-nr.", "Transaktions-ID", "Ydelses-ID", "Akt-ID", "Bilagsnr.", "Løbenr."]

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
REQUEST_OF = {"125": "121", "135": "131", "145": "141", "225": "221", "265": "261", "285": "281"}
# forms a filing route files (165 is routed to a human by the shipped routing.toml)
FILE_ROUTE_FORMS = {"105", "115", "125", "135", "145", "155", "225", "265", "275", "285"}
UNKNOWN_FORMS = [("175", "Lægeattest om arbejdsevne"), ("195", "Attest om førerret"),
                 ("305", "Attest til pensionssag"), ("215", "Helbredsoplysninger ved handicap"),
                 ("405", "Erklæring om behandlingsforløb")]


def mod11_ok(c: str) -> bool:
    return sum(int(a) * w for a, w in zip(c, W)) % 11 == 0


def century(yy: int, d7: int) -> int | None:
    if d7 <= 3:
        return 1900
    if d7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    if yy <= 36:
        return 2000
    if yy <= 57:
        return None
    return 1800


def birth_date(c: str, today: dt.date | None = None) -> dt.date | None:
    """Birth date a ten-digit string encodes, None when it encodes no valid (past) date."""
    if len(c) != 10 or not c.isdigit():
        return None
    d, m, yy, d7 = int(c[0:2]), int(c[2:4]), int(c[4:6]), int(c[6])
    if d > 60:
        d -= 60
    cen = century(yy, d7)
    if cen is None:
        return None
    try:
        b = dt.date(cen + yy, m, d)
    except ValueError:
        return None
    if b > (today or dt.date.today()):
        return None
    return b


def make_cpr(rng: random.Random, bdate: dt.date, male: bool, mod11: bool = True) -> str:
    yy = bdate.year % 100
    if 1900 <= bdate.year <= 1999:
        cands = [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    else:
        cands = [4, 5, 6, 7, 8, 9]
    for _ in range(1000):
        base = bdate.strftime("%d%m%y") + str(rng.choice(cands)) + f"{rng.randrange(100):02d}"
        lasts = [x for x in range(10) if (x % 2 == 1) == male]
        rng.shuffle(lasts)
        for last in lasts:
            c = base + str(last)
            if mod11_ok(c) == mod11:
                return c
    raise RuntimeError("no cpr")


def rand_date(rng: random.Random, y0: int, y1: int) -> dt.date:
    a = dt.date(y0, 1, 1).toordinal()
    b = dt.date(y1, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(a, b))


def valid_decoy(rng: random.Random, mod11: bool = True) -> str:
    """Ten digits with a valid birth date and (usually) passing modulus 11: a number that is not a CPR."""
    return make_cpr(rng, rand_date(rng, 1935, 2012), rng.random() < 0.5, mod11)


def cpr_written(c: str, form: str) -> str:
    d, m, y, s = c[0:2], c[2:4], c[4:6], c[6:10]
    b = birth_date(c) or dt.date(1900 + int(y), 1, 1)
    Y = f"{b.year:04d}"
    return {
        "dash": f"{d}{m}{y}-{s}", "space": f"{d}{m}{y} {s}", "spdash": f"{d}{m}{y} - {s}",
        "pairs": f"{d} {m} {y}-{s}", "pairs_sp": f"{d} {m} {y} {s}", "dot": f"{d}.{m}.{y}-{s}",
        "dot4": f"{d}.{m}.{Y}-{s}", "plain": f"{d}{m}{y}{s}", "nbsp": f"{d}{m}{y}\u00a0{s}",
        "thin": f"{d}{m}{y}\u2009{s}", "narrow": f"{d}{m}{y}\u202f{s}", "endash": f"{d}{m}{y}\u2013{s}",
        "nbhyph": f"{d}{m}{y}\u2011{s}", "dotsp": f"{d}.{m}.{y} {s}",
    }[form]


TEXT_FORMS = ["dash", "space", "spdash", "pairs", "pairs_sp", "dot", "dot4", "plain", "nbsp", "thin", "narrow",
              "endash", "nbhyph", "dotsp"]
UNUSUAL_FORMS = ["spdash", "pairs", "pairs_sp", "dot", "dot4", "thin", "narrow", "nbsp", "endash", "dotsp", "nbhyph"]


def translit(s: str) -> str:
    return (s.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("Æ", "Ae").replace("Ø", "Oe")
            .replace("Å", "Aa").replace("ü", "ue"))


class Person:
    def __init__(self, rng: random.Random, *, born: tuple[int, int] = (1958, 2005), mod11: bool | None = None,
                 male: bool | None = None, last: str | None = None):
        self.male = rng.random() < 0.5 if male is None else male
        self.first = rng.choice(FIRST_M if self.male else FIRST_F)
        self.middle = rng.choice(MIDDLE) if rng.random() < 0.45 else ""
        if last:
            self.last = last
        else:
            self.last = rng.choice(HYPHEN_LAST) if rng.random() < 0.12 else rng.choice(LAST)
        if mod11 is None:
            mod11 = rng.random() < 0.7
        b = rand_date(rng, *born)
        if not mod11 and rng.random() < 0.5:
            b = dt.date(b.year if b.year >= 1960 else 1975, 1, 1)
        self.birth = b
        self.cpr = make_cpr(rng, b, self.male, mod11)
        street = rng.choice(STREETS)
        pc, city = rng.choice(CITIES)
        self.address = f"{street} {rng.randint(1, 140)}{rng.choice(['', '', ', 2. tv.', ', st. th.', 'B'])}"
        self.city = f"{pc} {city}"
        self.phone = f"{rng.choice([2, 3, 4, 5, 6, 7, 9])}{rng.randrange(10**7):07d}"

    @property
    def full(self) -> str:
        return " ".join(x for x in (self.first, self.middle, self.last) if x)

    def printed(self, style: str) -> str:
        f, m, l = self.first, self.middle, self.last
        fm = f"{f} {m}".strip()
        return {
            "full": self.full, "first_last": f"{f} {l}", "last_comma": f"{l}, {fm}", "last_comma_nomid": f"{l}, {f}",
            "caps": self.full.upper(), "caps_last": f"{l.upper()}, {fm}", "translit": translit(self.full),
            "translit_comma": translit(f"{l}, {fm}"), "initial": f"{f} {m[0] + '. ' if m else ''}{l}",
            "caps_comma": f"{l}, {fm}".upper(),
        }[style]


NAME_STYLES = ["full", "full", "first_last", "last_comma", "last_comma", "last_comma_nomid", "caps", "caps_last",
               "translit", "translit_comma", "caps_comma", "initial"]


def phone_fmt(rng, p8: str) -> str:
    return rng.choice([f"{p8[0:2]} {p8[2:4]} {p8[4:6]} {p8[6:8]}", p8, f"+45 {p8}", f"+45 {p8[0:2]} {p8[2:4]} {p8[4:6]} {p8[6:8]}",
                       f"{p8[0:4]} {p8[4:8]}"])


def decoy(rng: random.Random, kind: str | None = None) -> tuple[str, str, dict]:
    """One (label, value, info) decoy line. info: kind, digits (the ten digits when CPR-shaped)."""
    kind = kind or rng.choice(["id", "id", "id", "id", "bank", "phone", "cvr", "pnr", "ean", "sor", "ydernr",
                               "date", "daterange", "amount", "journal", "autid", "id_nolabelsep"])
    if kind in ("id", "id_nolabelsep"):
        v = valid_decoy(rng, rng.random() < 0.8)
        lab = rng.choice(ID_LABELS)
        if kind == "id_nolabelsep":
            lab = lab.rstrip(".:")
        return lab, v, {"kind": "id", "digits": v, "valid_date": True, "mod11": mod11_ok(v)}
    if kind == "bank":
        reg = f"{rng.randint(1000, 9899)}"
        kto = valid_decoy(rng, rng.random() < 0.7)
        lab, val = rng.choice([("Reg.nr. og kontonr.", f"{reg} {kto}"), ("Bankkonto", f"{reg} {kto}"),
                               ("Konto", f"{reg}-{kto}"), ("NemKonto", f"reg. {reg} konto {kto}"),
                               ("Udbetaling til konto", f"{reg} - {kto}")])
        return lab, val, {"kind": "bank", "digits": kto, "valid_date": True, "mod11": mod11_ok(kto)}
    if kind == "phone":
        return rng.choice(["Tlf.", "Telefon", "Direkte tlf.", "Mobil", "Fax"]), phone_fmt(rng, f"{rng.randint(20000000, 99999999)}"), {"kind": "phone"}
    if kind == "cvr":
        v = f"{rng.randint(10000000, 99999999)}"
        return rng.choice(["CVR", "CVR-nr.", "CVR nr.:"]), rng.choice([v, f"{v[0:2]} {v[2:4]} {v[4:6]} {v[6:8]}"]), {"kind": "cvr"}
    if kind == "pnr":
        v = None
        # a production-unit number: ten digits beginning with 1, here also a valid birth date
        for _ in range(100):
            c = valid_decoy(rng, rng.random() < 0.7)
            if c[0] == "1":
                v = c
                break
        v = v or "1012851234"
        return rng.choice(["P-nr.", "P-nummer", "P-nr:", "Produktionsenhed (P-nr.)"]), v, {"kind": "pnr", "digits": v, "valid_date": birth_date(v) is not None, "mod11": mod11_ok(v)}
    if kind == "ean":
        return rng.choice(["EAN", "EAN-nr.", "Lokationsnummer", "EAN/GLN"]), f"579{rng.randrange(10**10):010d}", {"kind": "ean"}
    if kind == "sor":
        return rng.choice(["SOR-id", "SOR-kode", "SOR"]), f"{rng.randrange(10**14, 10**15)}", {"kind": "sor"}
    if kind == "ydernr":
        return rng.choice(["Ydernr.", "Ydernummer"]), f"{rng.randrange(10**6):06d}", {"kind": "ydernr"}
    if kind == "date":
        d = rand_date(rng, 2024, 2025)
        return rng.choice(["Dato", "Udskrevet", "Modtaget", "Konsultation"]), d.strftime(rng.choice(["%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%y"])), {"kind": "date"}
    if kind == "daterange":
        a = rand_date(rng, 2024, 2025)
        b = a + dt.timedelta(days=rng.randint(14, 120))
        f = rng.choice(["%d.%m.%y", "%d.%m.%Y", "%d%m%y"])
        return rng.choice(["Sygemeldt i perioden", "Periode", "Indlagt"]), f"{a.strftime(f)} - {b.strftime(f)}", {"kind": "daterange"}
    if kind == "amount":
        return rng.choice(["Honorar", "Beløb", "Attesthonorar"]), f"kr. {rng.randint(1, 9)}.{rng.randint(100, 999)},00", {"kind": "amount"}
    if kind == "journal":
        return rng.choice(["J.nr.", "Journalnr.", "Sagsnr."]), f"27.12.{rng.randint(0, 99):02d}-G01-{rng.randint(1, 9999)}-{rng.randint(18, 25)}", {"kind": "journal"}
    if kind == "autid":
        return rng.choice(["Autorisations-ID", "Aut.-ID"]), f"{rng.choice('ABCDEFGHJK')}{rng.randint(1, 9)}{rng.choice('LMNPQRSTUV')}{rng.randint(10, 99)}", {"kind": "autid"}
    raise ValueError(kind)
