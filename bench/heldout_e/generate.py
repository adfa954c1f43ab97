#!/usr/bin/env python3
"""Held-out corpus E for lae-robot: ~350 fictitious PDFs and ~100 mails with truth.

  .venv/bin/python bench/heldout_e/generate.py [--seed 5151] [--out /tmp/heldout_e]

Writes OUT/pdf/*.pdf, OUT/mail/*.eml, OUT/truth.jsonl (one line per PDF), OUT/mail_truth.jsonl (one per mail),
OUT/persons.jsonl (everyone with a CPR: patients and other persons). Producers: reportlab, fpdf2, Chromium (HTML),
LibreOffice (HTML import), groff+ps2pdf, Ghostscript (rasterised scans). Everything is fictitious.
"""
import argparse
import concurrent.futures as cf
import datetime as dt
import email.policy
import email.utils
import json
import os
import random
import shutil
import sys
import tempfile
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_content as C  # noqa: E402
import render as R  # noqa: E402

TODAY = dt.date(2026, 11, 30)
ROUTE_FORMS = {"105", "115", "125", "135", "145", "155", "225", "265", "275", "285"}


class Ctx:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.reg = C.Registry(self.rng)
        self.persons = {}  # cpr -> record

    def person(self, role, **kw):
        p = C.new_person(self.reg, self.rng, **kw)
        self.persons[p.cpr] = {"cpr": p.cpr, "name": p.full, "role": role}
        return p


def addr(rng):
    return rng.choice(["Vestergade 12, 1. tv.", "Østre Allé 7", "Søndergade 44 st.", "Bøgevej 3", "Åboulevarden 81, 3.",
                       "Hjørringvej 120", "Skolegade 9B", "Kærvej 15"]) + ", " + rng.choice(
        ["9000 Aalborg", "8000 Aarhus C", "5000 Odense C", "2300 København S", "4000 Roskilde", "7400 Herning",
         "9800 Hjørring", "6700 Esbjerg"])


def heading(ctx, form, style=None):
    rng = ctx.rng
    title = C.FORMS[form]
    style = style or rng.choice(["code_title", "code_title", "title_code", "split", "code_only_then_title",
                                 "title_only", "code_title_dash"])
    code = C.code_spelling(form, rng)
    if style == "code_title":
        return [("h", f"{code} {title}")], style
    if style == "code_title_dash":
        return [("h", f"{code} – {title}")], style
    if style == "title_code":
        return [("h", f"{title} ({code})")], style
    if style == "split":
        return [("h", f"{title} – LÆ\n{form}")], style
    if style == "code_only_then_title":
        return [("p", code), ("h", title)], style
    return [("h", title)], style


def cprtxt(ctx, c, form=None):
    return C.cpr_form(c, ctx.rng, form)


def patient_blocks(ctx, p, style, cpr_value, name_text, label=None, nlabel=None):
    """cpr_value: the printed value (already in a written form) or a ("img", text) / None (no CPR printed)."""
    rng = ctx.rng
    label = label or rng.choice(C.CPR_LABELS)
    nlabel = nlabel or rng.choice(C.NAME_LABELS)
    a = addr(rng)
    isimg = isinstance(cpr_value, tuple)
    if cpr_value is None:
        return [("kv", [(nlabel, name_text), ("Adresse:", a)])]
    if isimg:
        return [("kv", [(nlabel, name_text)]), ("img", label, cpr_value[1]), ("kv", [("Adresse:", a)])]
    if style == "kv":
        items = [(nlabel, name_text), (label, cpr_value), ("Adresse:", a)]
        if rng.random() < 0.4:
            items.insert(0, items.pop(1))
        return [("kv", items)]
    if style == "line":
        return [("p", f"{nlabel} {name_text}    {label} {cpr_value}"), ("p", f"Adresse: {a}")]
    if style == "name_cpr":
        return [("p", f"{name_text}, {label.rstrip(':')} {cpr_value}"), ("p", a)]
    if style == "table":
        return [("table", ["Navn", label.rstrip(":"), "Adresse"], [[name_text, cpr_value, a]])]
    if style == "vtable":
        return [("table", None, [[nlabel.rstrip(":"), name_text], [label.rstrip(":"), cpr_value], ["Adresse", a]])]
    if style == "next":
        return [("kvnext", nlabel, name_text), ("kvnext", label, cpr_value)]
    if style == "boxes":
        digits = "".join(ch for ch in cpr_value if ch.isdigit() or ch in "-xX*·")
        return [("kv", [(nlabel, name_text)]), ("boxes", label.rstrip(":") + ":", digits), ("kv", [("Adresse:", a)])]
    if style == "field":
        return [("field", nlabel, "patient_navn", name_text), ("field", label, "patient_cpr", cpr_value),
                ("field", "Adresse:", "patient_adresse", a)]
    if style == "vedr":
        return [("p", f"Vedr.: {name_text}, {label.rstrip(':').lower()} {cpr_value}")]
    if style == "prose":
        return [("p", f"Undertegnede har den {(TODAY - dt.timedelta(days=rng.randrange(3, 40))).strftime('%d.%m.%Y')} "
                      f"undersøgt {name_text}, {label.rstrip(':')} {cpr_value}, som er henvist fra jobcentret med henblik "
                      f"på vurdering af arbejdsevnen.")]
    if style == "prose_wrap":
        c = cpr_value
        cut = rng.choice([6, 7]) if len(c) >= 10 else 4
        return [("p", f"Attesten vedrører {name_text} ({label.rstrip(':')} {c[:cut]}\n{c[cut:]}), der har været "
                      f"tilknyttet afdelingen siden foråret.")]
    return [("kv", [(nlabel, name_text), (label, cpr_value)])]


def banner(ctx, p, system, cpr_value, name_text):
    rng = ctx.rng
    age = (TODAY - p.birth).days // 365
    sex = "Kvinde" if p.sex == "F" else "Mand"
    if system == "SP":
        return f"{p.last}, {p.first}{' ' + p.middle if p.middle else ''} · {cpr_value} · {age} år · {sex}"
    if system == "MIDT":
        return f"CPR: {cpr_value}   Navn: {name_text}"
    if system == "CS":
        return f"{cpr_value} {name_text}"
    return f"Pt.: {name_text} ({cpr_value})"


def other_blocks(ctx, o, role, oc_value, placement):
    """Blocks that name another person with a CPR."""
    rng = ctx.rng
    lab = rng.choice(["CPR-nr.:", "CPR:", "cpr.nr.", "Personnummer:", "CPR nr."])
    nm = o.full
    if placement == "line":
        return [("p", f"{role}: {nm}, {lab} {oc_value}")]
    if placement == "line_paren":
        rel = role.lower()
        return [("p", f"Pårørende: {nm} ({rel}), {lab.rstrip(':')} {oc_value}")]
    if placement == "block":
        return [("h", role), ("kv", [("Navn:", nm), (lab, oc_value), ("Tlf.:", f"{rng.randrange(20, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}")])]
    if placement == "block_rel_after":
        return [("kv", [("Navn:", nm), (lab, oc_value), ("Relation:", role.lower())])]
    if placement == "table":
        return [("table", ["Relation", "Navn", "CPR-nr."], [[role, nm, oc_value]])]
    if placement == "prose":
        return [("p", f"Patienten møder til samtalen sammen med {role.lower()} {nm} ({lab.rstrip(':')} {oc_value}), "
                      f"som bekræfter oplysningerne om søvn og aktivitetsniveau.")]
    if placement == "prose_nolabel":
        return [("p", f"Til stede var desuden {role.lower()}, {nm}, {oc_value}, efter aftale med patienten.")]
    if placement == "prose_next":
        return [("p", f"Oplysningerne er givet med hjælp fra {role.lower()}\n{nm}, {lab} {oc_value}, da patienten "
                      f"ikke selv kunne redegøre for forløbet.")]
    if placement == "field":
        return [("field", f"{role} – navn:", "rel_navn", nm), ("field", f"{role} – CPR:", "rel_cpr", oc_value)]
    if placement == "signature":
        return [("p", f"Attesten er udfyldt i samarbejde med {role.lower()} {nm} ({oc_value}).")]
    return [("p", f"{role}: {nm} {oc_value}")]


def letterhead(ctx, kind, hosp=None):
    rng = ctx.rng
    dec = C.decoys(ctx.reg, rng, rng.randrange(1, 4), TODAY)
    if kind == "hosp":
        region, center, afsnit, _ = hosp
        items = [("", region), ("", center), ("", afsnit)]
        lines = [("p", f"{region}\n{center}\n{afsnit}")]
    elif kind == "gp":
        name = rng.choice(["Lægerne i Vestergade", "Lægehuset Bøgevej", "Praktiserende læge Hanne Østergaard",
                           "Lægeklinikken Åboulevarden", "Lægerne Søndergade I/S", "Lægehuset Kærvej"])
        lines = [("p", f"{name}\n{addr(rng)}")]
    elif kind == "spec":
        name = rng.choice(["Speciallæge i psykiatri Karen Holm Bach", "Psykiatrisk speciallægepraksis v/ Ib Frølund",
                           "Reumatologisk Klinik Vesterbro", "Neurologisk speciallægepraksis Skøtt"])
        lines = [("p", f"{name}\n{addr(rng)}")]
    else:
        name = rng.choice(["Jobcenter Aalborg", "Jobcenter Aarhus", "Jobcenter Odense", "Jobcenter Herning"])
        lines = [("p", f"{name}\nSygedagpengeafdelingen\n{addr(rng)}")]
    kv = [(a, v) for a, v, _ in dec]
    return lines + ([("kv", kv)] if kv else []), dec


def body_blocks(ctx, form, kind):
    rng = ctx.rng
    out = []
    if kind == "hosp":
        diags = rng.sample(C.DIAG, rng.randrange(1, 4))
        out.append(("h", "Diagnoser"))
        out.append(("table", ["Kode", "Diagnose", "Dato"],
                    [[d.split(" ", 1)[0], d.split(" ", 1)[1], (TODAY - dt.timedelta(days=rng.randrange(20, 900))).strftime("%d.%m.%Y")] for d in diags]))
        out.append(("h", "Journalnotat"))
        for _ in range(rng.randrange(2, 4)):
            d = (TODAY - dt.timedelta(days=rng.randrange(1, 200))).strftime("%d.%m.%Y") + " kl. %02d:%02d" % (rng.randrange(8, 16), rng.randrange(60))
            out.append(("p", f"{d} – " + " ".join(rng.sample(C.PROSE, 2))))
    else:
        qs = ["1. Hvilke helbredsmæssige forhold har betydning for borgerens arbejdsevne?",
              "2. Hvilken behandling er iværksat, og hvad er prognosen?",
              "3. Kan borgeren genoptage arbejdet helt eller delvist?",
              "4. Eventuelle skånehensyn"]
        for q in rng.sample(qs, rng.randrange(2, 5)):
            out.append(("p", q))
            out.append(("p", rng.choice(C.PROSE)))
    return out


def signature(ctx, kind):
    rng = ctx.rng
    doc = rng.choice(["Overlæge Birgitte Dam", "Afdelingslæge Per Vinther", "Læge Anne-Mette Søgaard",
                      "Reservelæge Mads Lund", "Praktiserende læge Ulla Brønnum", "Speciallæge Jan Overgaard"])
    return [("sp",), ("p", f"Med venlig hilsen\n\n{doc}\n{TODAY.strftime('%d.%m.%Y')}")]


# ----------------------------------------------------------------- document builders
def build_cert(ctx, scen, p, *, masked=None, others=(), second=None, form=None, kind=None):
    """A certificate. masked: None (patient CPR printed) / 'x' / 'stars' / 'img' / 'absent' / 'ocr'.
    others: list of (person, role, placement). second: another patient (page 2 banner)."""
    rng = ctx.rng
    kind = kind or rng.choice(["hosp", "hosp", "gp", "gp", "spec"])
    if form is None:
        form = rng.choice({"hosp": C.HOSP_FORMS, "gp": C.GP_FORMS, "spec": C.SPEC_FORMS}[kind])
    hosp = rng.choice(C.HOSPITALS)
    name_text = C.name_variant(p, rng)
    fname, cval = cprtxt(ctx, p.cpr)
    printed = cval
    if masked == "x":
        printed = cval[:-4] + rng.choice(["xxxx", "XXXX", "****", "····"])
    elif masked == "stars":
        printed = rng.choice(["******-****", "XXXXXX-XXXX", "(skjult)", "oplyses ikke"])
    elif masked == "img":
        printed = ("img", cval)
    elif masked == "absent":
        printed = None
    elif masked == "ocr":
        tr = str.maketrans({"0": "O", "1": "l", "5": "S", "8": "B"})
        printed = cval[:3] + cval[3:].translate(tr)
        if printed == cval:
            printed = "O" + cval[1:]
    style_pool = ["kv", "kv", "kv", "line", "name_cpr", "table", "vtable", "next", "boxes", "field", "vedr", "prose",
                  "prose_wrap"]
    if kind == "spec":
        style_pool = ["vedr", "vedr", "prose", "prose_wrap", "kv", "line"]
    style = rng.choice(style_pool)
    pages = [[]]
    header = footer = header2 = None
    lh, dec = letterhead(ctx, kind, hosp)
    use_banner = kind == "hosp" and rng.random() < 0.75
    if use_banner and masked is None:
        header = banner(ctx, p, hosp[3], C.cpr_form(p.cpr, rng, rng.choice(["dash", "dash", "bare", "space"]))[1], name_text)
        footer = rng.choice([f"Udskrevet af {rng.choice(['lobe', 'Lone Berg (LOBE)', 'sekr. K. Juul'])} "
                             f"{TODAY.strftime('%d.%m.%Y')} 10:3{rng.randrange(10)} · Side {{p}} af {{n}}",
                             "Fortroligt – indeholder personfølsomme oplysninger · Side {p}",
                             f"Journaludskrift {TODAY.strftime('%d-%m-%Y')} · {hosp[1]} · side {{p}}"])
    elif use_banner:
        header = f"{name_text} · {hosp[1]}"
        footer = "Side {p} af {n}"
    elif kind == "gp":
        footer = rng.choice([f"Udskrevet fra {rng.choice(C.GP_SYSTEMS)} {TODAY.strftime('%d.%m.%Y')}", None,
                             "Lægeattest – side {p}"])
        if rng.random() < 0.3 and masked is None:
            header = f"{name_text} – {C.cpr_form(p.cpr, rng, 'dash')[1]}"
    hd, hstyle = heading(ctx, form)
    pg = pages[0]
    if rng.random() < 0.5:
        pg += lh + [("sp",)] + hd
    else:
        pg += hd + lh
    pblocks = patient_blocks(ctx, p, style, printed, name_text)
    if style == "vedr" and kind == "spec" and masked is None:
        pg += [("p", "Til Jobcenteret\nAtt.: Sygedagpengeteamet")]
    # other persons before or after the patient block
    placed_before, placed_after, placed_late = [], [], []
    for (o, role, placement) in others:
        oc = cprtxt(ctx, o.cpr)[1]
        ob = other_blocks(ctx, o, role, oc, placement)
        where = rng.choice(["after", "after", "before", "late"])
        if placement in ("signature",):
            where = "late"
        {"before": placed_before, "after": placed_after, "late": placed_late}[where].extend(ob)
    if rng.random() < 0.5 and style not in ("prose", "prose_wrap"):
        pg += [("h", rng.choice(["Patientoplysninger", "Oplysninger om borgeren", "Attesten vedrører",
                                  "Personoplysninger"]))]
    if style == "two_col_marker":
        pass
    if rng.random() < 0.2 and style in ("kv", "line", "vedr"):
        right = [("kv", [(a, v) for a, v, _ in C.decoys(ctx.reg, rng, 2, TODAY)])] if rng.random() < 0.7 else []
        dec_extra = []
        pg += [("two", placed_before + pblocks, [("p", f"Praktiserende læge:\n{rng.choice(['Ulla Brønnum', 'Kim Dahl'])}")] + right)]
        placed_before = []
    else:
        pg += placed_before + pblocks
    pg += placed_after
    body = body_blocks(ctx, form, kind)
    # reference to another form (never the document's own)
    if rng.random() < 0.25:
        other = rng.choice([f for f in ("121", "265", "125", "285", "105") if f != form])
        body.insert(0, ("p", rng.choice([f"Jf. kommunens anmodning LÆ {C.FORMS.get(other) and other} modtaget {TODAY.strftime('%d.%m.%Y')}.",
                                         f"Der henvises til tidligere fremsendt LÆ {other}.",
                                         f"Svar på anmodning LÆ {other} af {TODAY.strftime('%d.%m.%Y')}."])))
    # split: long documents go to page 2
    if rng.random() < 0.45 and len(body) > 3:
        pages.append([])
        cut = len(body) // 2
        pg += body[:cut]
        pages[1] += body[cut:]
    else:
        pg += body
    last = pages[-1]
    if second is not None:
        s_name = C.name_variant(second, rng, "plain")
        s_c = cprtxt(ctx, second.cpr)[1]
        pages.append([("h", rng.choice(["Journalnotat", "Ambulant notat", "Epikrise"])),
                      ("kv", [(rng.choice(["Patient:", "Navn:"]), s_name), (rng.choice(["CPR-nr.:", "CPR:"]), s_c)]),
                      ("p", rng.choice(C.PROSE))])
        last = pages[-1]
    last += placed_late
    more_dec = C.decoys(ctx.reg, rng, rng.randrange(0, 4), TODAY)
    if more_dec:
        if rng.random() < 0.5:
            last.append(("kv", [(a, v) for a, v, _ in more_dec]))
        else:
            last.append(("p", " · ".join(f"{a} {v}" for a, v, _ in more_dec)))
    last += signature(ctx, kind)
    doc = {"pages": pages, "header": header, "footer": footer, "header2": header2,
           "title": f"LÆ {form}", "author": hosp[1] if kind == "hosp" else "lægepraksis"}
    all_dec = dec + more_dec
    return doc, {"form": f"LÆ {form}", "name_printed": name_text, "cpr_form": fname, "patient_style": style,
                 "heading": hstyle, "kind": kind, "decoys": [d for d in all_dec]}


def build_nonlae(ctx, scen, p):
    """Requests, receipts, employer documents, unknown forms, cover letters."""
    rng = ctx.rng
    name_text = C.name_variant(p, rng)
    fname, cval = cprtxt(ctx, p.cpr)
    lab = rng.choice(C.CPR_LABELS)
    form = None
    if scen == "request":
        code = rng.choice(["121", "131", "141", "221", "261", "281"])
        form = f"LÆ {code}"
        lh, dec = letterhead(ctx, "kommune")
        pages = [lh + [("h", f"{C.code_spelling(code, rng)} {C.FORMS[code]}"),
                       ("kv", [("Borgerens navn:", name_text), (lab, cval)]),
                       ("p", f"Jobcentret anmoder hermed om en {C.FORMS[str(int(code) + 4)].lower()} (LÆ {int(code) + 4}). "
                             f"Attesten bedes returneret senest {(TODAY + dt.timedelta(days=14)).strftime('%d.%m.%Y')}."),
                       ("p", "Honorar udbetales efter gældende overenskomst.")]]
    elif scen == "receipt":
        code = rng.choice(["125", "285", "265", "105"])
        form = None
        lh, dec = [], C.decoys(ctx.reg, rng, 2, TODAY)
        pages = [[("h", rng.choice(["Kvittering for afsendelse", "Modtagelseskvittering", "Kvittering"])),
                  ("p", f"Din {C.code_spelling(code, rng)} ({C.FORMS[code]}) er modtaget af Jobcenter Aalborg "
                        f"{TODAY.strftime('%d.%m.%Y')} kl. 09:14."),
                  ("kv", [("Vedrørende:", name_text), (lab, cval)] + [(a, v) for a, v, _ in dec])]]
    elif scen == "employer":
        t = rng.choice(["Mulighedserklæring", "Friattest", "Mulighedserklæring – del 1 og 2"])
        lh, dec = [], C.decoys(ctx.reg, rng, 2, TODAY)
        pages = [[("h", t), ("p", "Udfyldes af arbejdsgiver og medarbejder"),
                  ("kv", [("Medarbejder:", name_text), (lab, cval), ("Arbejdsgiver:", "Vestjysk Metal A/S")]
                   + [(a, v) for a, v, _ in dec]),
                  ("p", "Lægens vurdering (LÆ-blanket anvendes ikke): " + rng.choice(C.PROSE))]]
    elif scen == "unknown_form":
        t = rng.choice(["LÆ 175 Lægeattest om arbejdsevne", "Lægeerklæring til Forsikring & Pension",
                        "Attest til brug ved ansøgning om handicapparkering", "Lægeattest (kørekort)",
                        "Lægeerklæring til Familieretshuset"])
        form = t.split(" Læge")[0] if t.startswith("LÆ") else None
        lh, dec = letterhead(ctx, "gp")
        pages = [lh + [("h", t), ("kv", [("Navn:", name_text), (lab, cval)]), ("p", rng.choice(C.PROSE))]]
    else:  # cover letter: it is no certificate, it announces one
        code = rng.choice(["125", "285", "265", "105"])
        lh, dec = letterhead(ctx, "hosp", rng.choice(C.HOSPITALS))
        pages = [lh + [("h", rng.choice(["Følgebrev", "Fremsendelse af lægeattest", "Til Jobcentret"])),
                       ("p", f"Hermed fremsendes {C.code_spelling(code, rng)} vedr. {name_text}, {lab.rstrip(':')} {cval}. "
                             f"Selve attesten er vedhæftet som særskilt fil."),
                       ("p", "Med venlig hilsen\nSekretariatet")]]
    doc = {"pages": pages, "header": None, "footer": None, "title": scen, "author": "kommune"}
    return doc, {"form": form, "name_printed": name_text, "cpr_form": fname, "patient_style": "kv",
                 "heading": scen, "kind": scen, "decoys": dec}


SCENARIOS = [  # (name, count)
    ("plain", 150), ("decoy_heavy", 25), ("multipage_banner", 20), ("nonmod11", 10),
    ("relative", 46), ("second_patient", 10), ("masked_other", 22), ("masked_only", 8),
    ("request", 12), ("receipt", 8), ("employer", 8), ("unknown_form", 8), ("cover_letter", 6), ("scan", 12),
    ("form165", 3),
]


def make_one(ctx, scen, idx):
    rng = ctx.rng
    p = ctx.person("patient", mod11=(False if scen == "nonmod11" else None))
    others, cpr_truth, fileable, second = [], p.cpr, True, None
    meta = {}
    if scen in ("plain", "decoy_heavy", "nonmod11", "form165"):
        doc, meta = build_cert(ctx, scen, p, form="165" if scen == "form165" else None,
                               kind="gp" if scen == "form165" else None)
        if scen == "decoy_heavy":
            extra = C.decoys(ctx.reg, rng, 6, TODAY)
            doc["pages"][-1].insert(0, ("table", ["Felt", "Værdi"], [[a, v] for a, v, _ in extra]))
            meta["decoys"] += extra
    elif scen == "multipage_banner":
        doc, meta = build_cert(ctx, scen, p, kind="hosp")
        while len(doc["pages"]) < 3:
            doc["pages"].append([("h", "Journalnotat (fortsat)"), ("p", " ".join(rng.sample(C.PROSE, 3)))])
        if not doc.get("header"):
            doc["header"] = f"{C.name_variant(p, rng, 'lastcomma')} ({C.cpr_form(p.cpr, rng, 'dash')[1]})"
    elif scen in ("relative", "masked_other"):
        n = 1 if rng.random() < 0.8 else 2
        for _ in range(n):
            role, rkind = rng.choice(C.OTHER_ROLES)
            birth = None
            if role in ("Søn", "Datter", "Barn"):
                birth = dt.date(2001, 1, 1) + dt.timedelta(days=rng.randrange(365 * 22))
            elif role in ("Mor", "Far", "Mormor"):
                birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(365 * 25))
            sex = "F" if role in ("Hustru", "Mor", "Datter", "Søster", "Plejemor", "Mormor", "Svigerinde") else \
                "M" if role in ("Ægtemand", "Far", "Søn", "Bror", "Stedfar") else None
            o = ctx.person(rkind, birth=birth, sex=sex, last=p.last if rkind == "relative" and rng.random() < 0.5 else None)
            placement = rng.choice(["line", "line_paren", "block", "block_rel_after", "table", "prose",
                                    "prose_nolabel", "prose_next", "field", "signature", "bare"])
            others.append((o, role, placement))
        masked = None
        if scen == "masked_other":
            masked = rng.choice(["x", "stars", "img", "absent", "absent", "ocr"])
            cpr_truth = None
        doc, meta = build_cert(ctx, scen, p, masked=masked, others=others)
        meta["masked"] = masked
        fileable = False
    elif scen == "masked_only":
        masked = rng.choice(["x", "stars", "img", "absent", "ocr"])
        doc, meta = build_cert(ctx, scen, p, masked=masked)
        meta["masked"] = masked
        cpr_truth, fileable = None, False
    elif scen == "second_patient":
        second = ctx.person("second_patient")
        doc, meta = build_cert(ctx, scen, p, second=second, kind="hosp")
        others.append((second, "second patient", "page2"))
        fileable = False
    elif scen == "scan":
        doc, meta = build_cert(ctx, scen, p)
        fileable = False
        meta["scan"] = True
    else:
        doc, meta = build_nonlae(ctx, scen, p)
        fileable = False
    form = meta.get("form")
    if scen == "form165":
        fileable = True  # a known x5 certificate; the shipped routing escalates 165 to a human
    return p, doc, {
        "scenario": scen, "cpr": cpr_truth, "form": form, "name": p.full, "name_printed": meta.get("name_printed"),
        "fileable": fileable, "must_escalate": not fileable,
        "cpr_form": meta.get("cpr_form"), "patient_style": meta.get("patient_style"), "heading": meta.get("heading"),
        "masked": meta.get("masked"),
        "others": [{"cpr": o.cpr, "kind": "person", "role": role, "placement": pl, "name": o.full} for o, role, pl in others]
        + [{"cpr": d, "kind": "decoy", "label": a, "printed": v} for a, v, d in meta.get("decoys", []) if d],
    }


PRODUCERS = [("reportlab", 26), ("fpdf2", 26), ("chromium", 20), ("libreoffice", 17), ("groff", 11)]


def pick_producer(rng, doc):
    kinds = {b[0] for pg in doc["pages"] for b in pg}
    txt = json.dumps(doc, ensure_ascii=False)
    bad_groff = "img" in kinds or any(ch in txt for ch in "\u2009\u00a0\u2011") or "field" in kinds
    while True:
        tot = sum(w for _, w in PRODUCERS)
        r = rng.uniform(0, tot)
        for name, w in PRODUCERS:
            r -= w
            if r <= 0:
                break
        if name == "groff" and bad_groff:
            continue
        return name


def gen_pdfs(ctx, out):
    pdir = os.path.join(out, "pdf")
    os.makedirs(pdir, exist_ok=True)
    items = []
    i = 0
    for scen, n in SCENARIOS:
        for _ in range(n):
            i += 1
            p, doc, truth = make_one(ctx, scen, i)
            prod = pick_producer(ctx.rng, doc)
            fn = f"e{i:03d}_{scen}.pdf"
            truth["file"] = fn
            truth["producer"] = prod if scen != "scan" else f"{prod}+gs-raster"
            items.append((doc, prod, fn, truth))
    ctx.rng.shuffle(items)
    work = tempfile.mkdtemp(prefix="heldout_e_work_")
    soffice_jobs, chrome_jobs = [], []
    for doc, prod, fn, truth in items:
        dst = os.path.join(pdir, fn)
        tgt = os.path.join(work, fn) if truth["scenario"] == "scan" else dst
        if prod == "reportlab":
            R.render_reportlab(doc, tgt)
        elif prod == "fpdf2":
            R.render_fpdf(doc, tgt)
        elif prod == "groff":
            R.render_groff(doc, tgt)
        elif prod == "chromium":
            chrome_jobs.append((doc, tgt))
        else:
            soffice_jobs.append((doc, tgt))
    with cf.ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda j: R.render_chromium(*j), chrome_jobs))
    R.render_soffice_batch(soffice_jobs, work)
    for doc, prod, fn, truth in items:
        if truth["scenario"] == "scan":
            R.rasterise(os.path.join(work, fn), os.path.join(pdir, fn))
    shutil.rmtree(work, ignore_errors=True)
    return [t for _, _, _, t in items]


# ----------------------------------------------------------------- mails
REGION_FROM = [
    ("Psykiatrien Aalborg", "attester@psykiatri.rn.dk", "rn.dk"),
    ("Region Nordjylland", "sikkermail@rn.dk", "rn.dk"),
    ("Psykiatrisk Center København", "pc-kbh.laegesekretaer@regionh.dk", "regionh.dk"),
    ("Psykiatrisk Center Ballerup", "attest@psykiatri.regionh.dk", "regionh.dk"),
    ("Psykiatrien i Region Syddanmark", "jobcenterpost@psyk.rsyd.dk", "rsyd.dk"),
    ("Region Syddanmark", "attester@rsyd.dk", "rsyd.dk"),
    ("AUH Psykiatrien", "laegeattester@ps.rm.dk", "rm.dk"),
    ("Regionspsykiatrien Vest", "rpv@rm.dk", "rm.dk"),
    ("Region Midtjylland", "attest@regionmidtjylland.dk", "regionmidtjylland.dk"),
    ("Psykiatrien Øst", "psykiatri-oest@regionsjaelland.dk", "regionsjaelland.dk"),
    ("Region Sjælland", "sekretariat@psykiatri.regionsjaelland.dk", "regionsjaelland.dk"),
]
GW = "mx.kommune.example"
CYR = [("o", "\u043e"), ("e", "\u0435"), ("a", "\u0430"), ("n", "\u043f"), ("s", "\u0455"), ("y", "\u0443"), ("r", "\u0433")]
GRK = [("o", "\u03bf"), ("e", "\u03b5"), ("n", "\u03b7"), ("y", "\u03b3"), ("r", "\u03c1"), ("m", "\u03bc")]


TRUSTED = ("rn.dk", "regionh.dk", "rsyd.dk", "rm.dk", "regionmidtjylland.dk", "regionsjaelland.dk")


def typo(org):
    """A look-alike that is NOT another trusted region ('rn.dk' -> 'rm.dk' would be Region Midtjylland)."""
    head, _, tail = org.partition(".")
    fake = org.replace("rn", "m", 1) if "rn" in org else head + head[-1] + "." + tail
    assert not any(fake == t or fake.endswith("." + t) for t in TRUSTED), fake
    return fake


def homoglyph(org, table):
    head, _, tail = org.partition(".")
    for ch, rep in table:
        if ch in head:
            return head.replace(ch, rep, 1) + "." + tail
    return org


def ar_pass(rng, from_dom, org_dom):
    v = rng.choice(["full", "dmarc_only", "dkim_only", "dkim_sub"])
    if v == "full":
        return f"{GW}; spf=pass smtp.mailfrom={from_dom}; dkim=pass header.d={org_dom} header.s=sel1; dmarc=pass (p=quarantine) header.from={from_dom}"
    if v == "dmarc_only":
        return f"{GW}; dmarc=pass header.from={from_dom}"
    if v == "dkim_only":
        return f"{GW}; spf=none smtp.mailfrom={from_dom}; dkim=pass header.d={from_dom} header.s=mail2025; dmarc=none"
    return f"{GW}; spf=neutral smtp.mailfrom={from_dom}; dkim=pass header.d={org_dom}"


FORGED = [
    "gw_dmarc_fail", "gw_dmarc_fail", "gw_spf_fail_dkim_none", "gw_dmarc_fail_dkim_other", "unaligned_dkim",
    "unaligned_dkim_suffix", "softfail_none", "foreign_authserv", "authserv_lookalike", "no_ar", "no_ar",
    "zwsp", "cyrillic", "cyrillic_puny", "greek", "lookalike_dash", "lookalike_suffix", "lookalike_typo",
    "lookalike_ae", "two_from", "displayname", "two_ar_top_fail", "dmarc_pass_other_domain", "gp_untrusted",
    "gw_dkim_fail_spf_fail",
]


def mk_mail(rng, idx, attachments, legit, forge, out_dir, subject_cpr=None, body_cpr=None, fname_cpr=None,
            structure="plain"):
    disp, addr_, org = rng.choice(REGION_FROM)
    local, dom = addr_.split("@")
    m = EmailMessage(policy=email.policy.SMTP.clone(utf8=True) if forge in ("zwsp", "cyrillic", "greek", "lookalike_ae") else email.policy.SMTP)
    from_hdr = f"{disp} <{addr_}>"
    ars = []
    if legit:
        ars.append(ar_pass(rng, dom, org))
    else:
        f = forge
        if f == "gw_dmarc_fail":
            ars.append(f"{GW}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail (p=reject) header.from={dom}")
        elif f == "gw_spf_fail_dkim_none":
            ars.append(f"{GW}; spf=fail smtp.mailfrom={dom}; dkim=none")
        elif f == "gw_dmarc_fail_dkim_other":
            ars.append(f"{GW}; spf=pass smtp.mailfrom=bulk.example.net; dkim=pass header.d=bulk.example.net; dmarc=fail header.from={dom}")
        elif f == "unaligned_dkim":
            ars.append(f"{GW}; spf=pass smtp.mailfrom=sendgrid.net; dkim=pass header.d=sendgrid.net")
        elif f == "unaligned_dkim_suffix":
            ars.append(f"{GW}; dkim=pass header.d={org}.mailer-eu.com; spf=none")
        elif f == "softfail_none":
            ars.append(f"{GW}; spf=softfail smtp.mailfrom={dom}; dkim=none; dmarc=none")
        elif f == "foreign_authserv":
            ars.append(f"mx.relay-mail.example; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={org}; dmarc=pass header.from={dom}")
        elif f == "authserv_lookalike":
            ars.append(f"{GW}.evil.example; dmarc=pass header.from={dom}; dkim=pass header.d={org}")
        elif f == "no_ar":
            pass
        elif f in ("zwsp", "cyrillic", "greek", "lookalike_dash", "lookalike_suffix", "lookalike_typo", "lookalike_ae",
                   "cyrillic_puny"):
            fake = {"zwsp": org.replace(".", "\u200b.", 1), "cyrillic": homoglyph(org, CYR), "greek": homoglyph(org, GRK),
                    "lookalike_dash": org.replace(".", "-", 1) + ".com", "lookalike_suffix": org + ".eu-mail.com",
                    "lookalike_typo": typo(org),
                    "lookalike_ae": "regionsjælland.dk", "cyrillic_puny": "xn--r-jmb.dk"}[f]
            dom = fake if dom == org else dom.replace(org, fake)
            addr_ = f"{local}@{dom}"
            from_hdr = f"{disp} <{addr_}>"
            ars.append(f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={dom}; dmarc=pass header.from={dom}")
        elif f == "two_from":
            ars.append(f"{GW}; spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example")
        elif f == "displayname":
            from_hdr = f"\"{addr_}\" <attest.{org.split('.')[0]}@gmail.com>"
            ars.append(f"{GW}; spf=pass smtp.mailfrom=gmail.com; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com")
        elif f == "two_ar_top_fail":
            ars.append(f"{GW}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail header.from={dom}")
            ars.append(f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={org}; dmarc=pass header.from={dom}")
        elif f == "dmarc_pass_other_domain":
            ars.append(f"{GW}; spf=pass smtp.mailfrom=mailout.example.org; dkim=pass header.d=example.org; dmarc=pass header.from=example.org")
        elif f == "gp_untrusted":
            addr_ = "klinik@laegehuset-vestergade.dk"
            dom = "laegehuset-vestergade.dk"
            from_hdr = f"Lægehuset Vestergade <{addr_}>"
            ars.append(f"{GW}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={dom}; dmarc=pass header.from={dom}")
        elif f == "gw_dkim_fail_spf_fail":
            ars.append(f"{GW}; spf=fail smtp.mailfrom={dom}; dkim=fail header.d={org}; dmarc=none")
    for a in ars:
        m["Authentication-Results"] = a
    if rng.random() < 0.3:
        m["Authentication-Results"] = f"mail.{org}; spf=pass; dkim=pass header.d={org}"  # the sender's own, ignored
    m["Return-Path"] = f"<{addr_}>"
    if legit or forge != "two_from":
        try:
            m["From"] = from_hdr
        except Exception:
            m.add_header("From", from_hdr)
    else:
        m["From"] = from_hdr
    m["To"] = "Jobcenter attester <attester@kommune.example>"
    subj = rng.choice(["Lægeattest", "Statusattest", "Svar på anmodning om lægeattest", "Attest fra psykiatrien",
                       "VS: Lægeattest", "Journaloplysninger", "Sikker mail: attest"])
    if subject_cpr:
        subj += f" vedr. cpr {subject_cpr}"
    m["Subject"] = subj
    m["Date"] = email.utils.format_datetime(dt.datetime(2026, 11, rng.randrange(1, 29), rng.randrange(7, 17), rng.randrange(60),
                                                        tzinfo=dt.timezone(dt.timedelta(hours=1))))
    m["Message-ID"] = f"<{idx:04d}.{rng.randrange(10**8)}@{org}>"
    body = "Hej\n\nHermed fremsendes attest som aftalt.\n"
    if body_cpr:
        body += f"Borgerens cpr-nr.: {body_cpr}\n"
    body += "\nMed venlig hilsen\nLægesekretariatet\n"
    m.set_content(body)
    if structure == "smime_encrypted":
        m.add_attachment(os.urandom(800), maintype="application", subtype="pkcs7-mime", filename="smime.p7m",
                         params={"smime-type": "enveloped-data"})
    for pdf_path, att_name in attachments:
        with open(pdf_path, "rb") as f:
            m.add_attachment(f.read(), maintype="application", subtype="pdf", filename=att_name)
    raw = m.as_bytes()
    if forge == "two_from":
        raw = raw.replace(b"\r\nTo:", f"\r\nFrom: Sikker Post <attest@evil.example>\r\nTo:".encode(), 1)
    if structure == "signed":
        # wrap as multipart/signed with a (dummy) detached signature, as secure-mail gateways forward it
        hdr, _, bod = raw.partition(b"\r\n\r\n")
        lines = hdr.split(b"\r\n")
        ctype_i = [i for i, l in enumerate(lines) if l.lower().startswith(b"content-type:")][0]
        inner_ct = [lines[ctype_i]]
        j = ctype_i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            inner_ct.append(lines[j])
            j += 1
        outer = lines[:ctype_i] + lines[j:]
        outer = [l for l in outer if not l.lower().startswith(b"content-transfer-encoding")]
        b = b"----=_signed_%d" % idx
        sig = email.message.EmailMessage()
        raw = (b"\r\n".join(outer) + b"\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
               b"micalg=sha-256; boundary=\"" + b + b"\"\r\n\r\n--" + b + b"\r\n" + b"\r\n".join(inner_ct) + b"\r\n\r\n"
               + bod + b"\r\n--" + b + b"\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
               b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n"
               + __import__("base64").encodebytes(os.urandom(300)).replace(b"\n", b"\r\n") + b"\r\n--" + b + b"--\r\n")
    fn = f"m{idx:03d}_{'legit' if legit else forge}.eml"
    with open(os.path.join(out_dir, fn), "wb") as f:
        f.write(raw)
    return fn, addr_, ars


def gen_mails(ctx, out, truths):
    rng = ctx.rng
    mdir = os.path.join(out, "mail")
    os.makedirs(mdir, exist_ok=True)
    pdir = os.path.join(out, "pdf")
    fileable = [t for t in truths if t["fileable"] and t["form"] and t["form"][3:] in ROUTE_FORMS]
    others = [t for t in truths if not t["fileable"] and t["scenario"] != "form165"]
    rng.shuffle(fileable)
    rng.shuffle(others)
    mails = []
    idx = 0
    persons_all = list(ctx.persons.values())

    def att_name(t, with_cpr):
        base = rng.choice(["LÆ125_statusattest", "Lægeattest", "attest", "Journaludskrift", "LAE_attest",
                           "Scan_0001", "Dokument", "Attest til jobcenter"])
        if with_cpr:
            base += "_" + C.cpr_form(t["cpr"], rng, rng.choice(["dash", "bare"]))[1]
        return base + rng.choice([".pdf", ".pdf", ".PDF"])
    plan = []
    for k in range(75):
        plan.append(("legit", None))
    for f in FORGED:
        plan.append(("forged", f))
    rng.shuffle(plan)
    for kind, forge in plan:
        idx += 1
        legit = kind == "legit"
        n = 1 if rng.random() < 0.75 else 2
        atts = []
        for _ in range(n):
            pool = fileable if (not legit or rng.random() < 0.72) else others
            if not pool:
                pool = fileable or others
            t = pool.pop()
            atts.append(t)
        subject_cpr = body_cpr = None
        conflict = False
        fname_cpr = False
        primary = atts[0]
        r = rng.random()
        if primary["cpr"] and r < 0.12:
            subject_cpr = C.cpr_form(primary["cpr"], rng, rng.choice(["dash", "bare", "space"]))[1]
        elif primary["cpr"] and r < 0.2:
            body_cpr = C.cpr_form(primary["cpr"], rng, "dash")[1]
        elif r < 0.27 and legit:
            other = rng.choice([p for p in persons_all if p["cpr"] not in {a["cpr"] for a in atts}])
            if rng.random() < 0.5:
                subject_cpr = C.cpr_form(other["cpr"], rng, "dash")[1]
            else:
                body_cpr = C.cpr_form(other["cpr"], rng, "dash")[1]
            conflict = True
        structure = "plain"
        rs = rng.random()
        if legit and rs < 0.08:
            structure = "signed"
        elif legit and rs < 0.1:
            structure = "smime_encrypted"
        names = []
        for t in atts:
            wc = bool(t["cpr"]) and rng.random() < 0.15
            nm = att_name(t, wc)
            while nm in names:
                nm = "x" + nm
            names.append(nm)
        fn, from_addr, ars = mk_mail(rng, idx, [(os.path.join(pdir, t["file"]), nm) for t, nm in zip(atts, names)],
                                     legit, forge, mdir, subject_cpr, body_cpr, structure=structure)
        docs = []
        named = subject_cpr or body_cpr
        for t, nm in zip(atts, names):
            t.setdefault("in_mail", fn)
            # the mail names one CPR (the primary attachment's, or a wrong one): any attachment of another
            # patient stands beside a CPR that is not its own and must escalate (cpr_conflict)
            other_named = bool(named) and (conflict or t["cpr"] != primary["cpr"])
            should = legit and not other_named and t["fileable"] and t["form"] and t["form"][3:] in ROUTE_FORMS
            docs.append({"attachment": nm, "pdf": t["file"], "cpr": t["cpr"], "should_file": bool(should)})
        mails.append({"file": fn, "legit": legit, "forge": forge, "from": from_addr, "auth_results": ars,
                      "structure": structure, "cpr_conflict": conflict,
                      "subject_cpr": bool(subject_cpr), "body_cpr": bool(body_cpr), "documents": docs})
    return mails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=5151)
    ap.add_argument("--out", default="/tmp/heldout_e")
    a = ap.parse_args()
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    ctx = Ctx(a.seed)
    truths = gen_pdfs(ctx, a.out)
    mails = gen_mails(ctx, a.out, truths)
    truths.sort(key=lambda t: t["file"])
    with open(os.path.join(a.out, "truth.jsonl"), "w", encoding="utf-8") as f:
        for t in truths:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "mail_truth.jsonl"), "w", encoding="utf-8") as f:
        for m in mails:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "persons.jsonl"), "w", encoding="utf-8") as f:
        for p in ctx.persons.values():
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    prods = {}
    for t in truths:
        prods[t["producer"]] = prods.get(t["producer"], 0) + 1
    print(f"{len(truths)} PDFs ({sum(t['fileable'] for t in truths)} fileable), {len(mails)} mails "
          f"({sum(m['legit'] for m in mails)} legit), producers {prods}")


if __name__ == "__main__":
    main()
