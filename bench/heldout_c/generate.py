#!/usr/bin/env python3
"""Held-out corpus C for lae-robot: fictitious LÆ certificates as PDFs from real producers, and mails
that carry them, with the truth a careful human would give.

    .venv/bin/python bench/heldout_c/generate.py --seed 4242 --out /tmp/heldout_c

Writes OUT/pdf/*.pdf, OUT/mail/*.eml, OUT/truth.jsonl (one record per PDF), OUT/mail_truth.jsonl (one per mail),
OUT/cases.csv (the case register: every person with a CPR in the corpus, plus every CPR-shaped decoy number, has
one open sygedagpenge case, so a misfiling is visible). The truth is deterministic for a seed; PDF bytes may differ
between runs of the producers (time stamps).

Needs: reportlab, fpdf2, pillow, pypdfium2 (this folder's .venv), /usr/bin/chromium, soffice, gs, groff.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import csv
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_data as G  # noqa: E402
import render as R  # noqa: E402

FILLER = [
    "Patienten har været tilknyttet ambulatoriet siden {d1} og er set til samtaler hver anden uge.",
    "Der er fortsat nedsat koncentrationsevne, søvnforstyrrelser og udtalt træthed.",
    "Patienten er i medicinsk behandling, og dosis er øget i perioden.",
    "Funktionsniveauet er aktuelt nedsat, og patienten magter kun få timers aktivitet dagligt.",
    "Der forventes bedring over de kommende 3-6 måneder med fortsat behandling.",
    "Patienten vurderes ikke aktuelt at kunne varetage sit hidtidige arbejde.",
    "En gradvis tilbagevenden til arbejdsmarkedet kan overvejes, når symptomerne er aftaget.",
    "Der er planlagt kontrol i ambulatoriet den {d2}.",
    "Skånehensyn: ingen natarbejde, begrænset kundekontakt, mulighed for pauser.",
    "Prognosen vurderes som god, såfremt behandlingen fortsætter som planlagt.",
    "Der er ikke kendte somatiske lidelser af betydning for arbejdsevnen.",
    "Patienten har deltaget i psykoedukation i gruppe med god effekt.",
]
RELATIVE_FILLER = [
    "{rel_cap} har været med til samtalerne og støtter patienten i hverdagen.",
    "Der er aftalt, at {rel} kontaktes ved forværring.",
]
GP_DOCTORS = ["Lars Bøgh", "Anne Krogsgaard", "Peter Aaholm", "Jette Frølund", "Hans Østergaard", "Mia Lyngbæk",
              "Karsten Dahl", "Sanne Mørch", "Tobias Friis", "Eva Brøndum"]


def fdate(rng, y0=2025, y1=2025, fmt=None):
    d = G.rand_date(rng, y0, y1)
    if d > dt.date(2025, 10, 20):
        d = dt.date(2025, 10, 20) - dt.timedelta(days=rng.randint(0, 200))
    return d.strftime(fmt or rng.choice(["%d.%m.%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m-%Y"]))


def code_str(rng, code, hard=False):
    v = ["LÆ {c}", "LÆ {c}", "LÆ{c}", "LÆ-{c}", "Læ {c}", "LAE {c}", "LÆ\u00a0{c}", "Lae {c}", "L.Æ. {c}",
         "LÆ {c}"]
    if hard:
        v += ["LÆ\u2011{c}", "LÆ\u2013{c}", "LÆ.{c}", "Læ-{c}"]
    return rng.choice(v).format(c=code)


class Ctx:
    """Per-document knobs and the truth gathered while the document is built."""

    def __init__(self, rng, scenario):
        self.rng = rng
        self.scenario = scenario
        self.others: list[dict] = []  # other numbers: persons and decoys
        self.persons: list[tuple[str, str]] = []  # (cpr, full name) for the case register
        self.notes: list[str] = []

    def decoy_lines(self, n, kinds=None):
        out = []
        for _ in range(n):
            lab, val, info = G.decoy(self.rng, self.rng.choice(kinds) if kinds else None)
            info = dict(info, label=lab, printed=val)
            self.others.append(info)
            out.append((lab, val))
        return out


def org_for(rng, kind):
    if kind == "region":
        o = rng.choice(G.REGION_ORGS)
        return {"name": o[0], "unit": o[1], "domain": o[3], "base": o[2], "kind": "region"}
    o = rng.choice(G.GP_ORGS)
    return {"name": o[0], "unit": o[1], "domain": o[2], "base": o[2], "kind": "gp"}


def letterhead(ctx, org, n_decoys):
    rng = ctx.rng
    pc, city = rng.choice(G.CITIES)
    lines = [org["name"], org["unit"], f"{rng.choice(G.STREETS)} {rng.randint(1, 90)}, {pc} {city}"]
    fixed = [("Tlf.", G.phone_fmt(rng, f"{rng.randint(70000000, 99999999)}"))]
    if rng.random() < 0.6:
        fixed.append(("EAN", f"5798{rng.randrange(10**9):09d}"))
        ctx.others.append({"kind": "ean", "label": "EAN", "printed": fixed[-1][1]})
    if rng.random() < 0.4:
        v = f"{rng.randint(10000000, 99999999)}"
        fixed.append(("CVR", v))
        ctx.others.append({"kind": "cvr", "label": "CVR", "printed": v})
    fixed += ctx.decoy_lines(n_decoys)
    sep = rng.choice([": ", " ", ":\u00a0"])
    lines += [f"{a.rstrip(':')}{sep}{b}" for a, b in fixed]
    lines.append(f"www.{org['domain']}")
    return ("letterhead", lines)


def heading(ctx, code, title, style):
    rng = ctx.rng
    cs = code_str(rng, code, hard=rng.random() < 0.25)
    if style == "code_title":
        return [("h1", f"{cs} {rng.choice(['', '– ', '- ', ': '])}{title}".replace("  ", " "))]
    if style == "title_code":
        return [("h1", f"{title} ({cs})")]
    if style == "two_lines":
        return [("h1", cs), ("h2", title)]
    if style == "split":
        pre, num = cs.rsplit(code, 1)[0].rstrip(" -\u00a0\u2011\u2013."), code
        return [("lines", [f"Blanket {pre}", f"{num} {title}"])]
    if style == "title_only":
        return [("h1", title)]
    if style == "kommune":
        return [("h2", rng.choice(["Lægeattest til jobcenteret", "Attest til kommunen", "Lægeerklæring"])),
                ("h1", f"{cs} – {title}")]
    raise ValueError(style)


def patient_blocks(ctx, p, layout, form, name_style, *, with_cpr=True, label=None):
    """The patient block. Returns (blocks, header_text or None, truth about how the CPR is written)."""
    rng = ctx.rng
    name = p.printed(name_style)
    label = label or rng.choice(G.CPR_LABELS)
    nlabel = rng.choice(G.NAME_LABELS)
    w = G.cpr_written(p.cpr, form) if form in G.TEXT_FORMS else None
    addr = f"{p.address}, {p.city}"
    info = {"layout": layout, "cpr_form": form, "cpr_label": label if with_cpr else None, "name_printed": name}
    B = []
    if not with_cpr:
        info["layout"] = "name_only"
        rows = [(nlabel, name), ("Adresse", addr)]
        if rng.random() < 0.6:
            rows.append(("Fødselsdato", p.birth.strftime(rng.choice(["%d.%m.%Y", "%d-%m-%Y"]))))
        return [("kv", rows)], None, info
    if layout == "kv":
        rows = [(nlabel, name), (label, w), ("Adresse", addr)]
        if rng.random() < 0.3:
            rows.insert(2, ("Tlf.", G.phone_fmt(rng, p.phone)))
        if rng.random() < 0.3:
            rows = [rows[1], rows[0]] + rows[2:]
        B.append(("kv", rows))
    elif layout == "kv4":
        B.append(("table", [nlabel, name, label, w], [["Adresse", p.address, "Postnr./by", p.city]]))
    elif layout == "hrow":
        if rng.random() < 0.35:
            B.append(("table", [nlabel, label, "Fødselsdato", "Adresse"], [[name, w, p.birth.strftime("%d.%m.%Y"), p.address]]))
        else:
            B.append(("table", [nlabel, label, "Adresse"], [[name, w, p.address]]))
    elif layout == "leader":
        lab_ = label.rstrip(":")
        B.append(("lines", [f"{nlabel.rstrip(':')} {'.' * rng.randint(6, 20)} {name}", f"{lab_} {'.' * rng.randint(6, 20)} {w}",
                            f"Adresse {'.' * rng.randint(6, 20)} {addr}"]))
    elif layout == "nextline":
        B.append(("lines", [nlabel, name, "", label, w, "", "Adresse", addr]))
    elif layout == "inline":
        B.append(("lines", [f"{nlabel.rstrip(':')}: {name}     {label.rstrip(':')} {w}", f"Adresse: {addr}"]))
    elif layout == "vedr":
        B.append(("lines", [rng.choice([f"Vedr.: {name}, {w}", f"Vedrørende: {name} ({label.rstrip(':')} {w})",
                                        f"Vedr. {name}, {label.rstrip(':')} {w}"]), addr]))
    elif layout == "boxes":
        B += [("kv", [(nlabel, name), ("Adresse", addr)]),
              ("boxes", label, rng.choice([p.cpr[:6] + "-" + p.cpr[6:], p.cpr, p.cpr[:6] + " " + p.cpr[6:]]))]
    elif layout == "field":
        B += [("kv", [(nlabel, name)]), ("field", label, rng.choice(["cpr", "CPRnr", "Patient_CPR", "personnummer", "txtCPR"]), w)]
    elif layout == "field_text7":
        B += [("kv", [(nlabel, name)]), ("field", label, rng.choice(["Text7", "Tekstfelt3", "Text12", "Felt_4"]), w)]
    elif layout == "fieldboxes":
        B += [("kv", [(nlabel, name)]), ("fieldboxes", label, rng.choice(["cpr", "Text", "Felt", "c"]), p.cpr)]
    elif layout == "prose":
        lab = rng.choice([label.rstrip(":") + " ", "", "cpr.nr. "])
        if not lab:
            w = G.cpr_written(p.cpr, rng.choice(["dash", "dash", "space"]))
            info["cpr_form"] = "dash" if "-" in w else "space"
        B.append(("p", rng.choice([
            f"Hermed fremsendes attest vedrørende {name}, {lab}{w}, som har været i behandling hos os siden {fdate(ctx.rng, 2024, 2025)}.",
            f"Ovennævnte, {name} ({lab}{w}), er undersøgt i ambulatoriet den {fdate(ctx.rng)} med henblik på denne attest.",
            f"Attesten angår {name}, {lab}{w}, bosiddende {addr}."])))
        info["cpr_label"] = lab.strip() or None
    elif layout == "prose_wrap":
        lab = label.rstrip(":")
        d = G.cpr_written(p.cpr, "dash" if form not in ("dash", "space", "dot", "pairs", "plain") else form)
        cut = d.rindex("-") + 1 if "-" in d else (d.rindex(" ") if " " in d else 6)
        first, second = d[:cut], d[cut:]
        B.append(("lines", [f"Hermed fremsendes den ønskede attest vedrørende {name}, {lab} {first}",
                            f"{second.strip()}, som er i ambulant behandling i psykiatrien. Der henvises til",
                            "vurderingen nedenfor."]))
        info["cpr_form"] = f"wrapped:{form}"
    elif layout == "banner":
        style = rng.choice(["sp", "midt", "cosmic", "plain"])
        l, f_ = p.last, f"{p.first} {p.middle}".strip()
        hdr = {"sp": f"{l.upper()}, {f_}   {label.rstrip(':')} {w}   {2025 - p.birth.year} år",
               "midt": f"{w} {p.first} {p.last}",
               "cosmic": f"{p.first} {p.last} ({w})",
               "plain": f"Patient: {l}, {f_} · {w}"}[style]
        info["banner"] = style
        info["name_printed"] = {"sp": f"{l.upper()}, {f_}", "midt": f"{p.first} {p.last}", "cosmic": f"{p.first} {p.last}",
                                "plain": f"{l}, {f_}"}[style]
        return [], hdr, info
    else:
        raise ValueError(layout)
    return B, None, info


def relative_blocks(ctx, rel, relation, placement, form):
    rng = ctx.rng
    w = G.cpr_written(rel.cpr, form)
    name = rel.printed(rng.choice(["full", "first_last"]))
    ph = G.phone_fmt(rng, rel.phone)
    lab = rng.choice(["CPR", "CPR-nr.", "cpr.nr.", "CPR nr.", "Personnummer"])
    ctx.others.append({"kind": "relative", "relation": relation, "digits": rel.cpr, "printed": w, "placement": placement})
    ctx.persons.append((rel.cpr, rel.full))
    if placement == "sameline":
        s = rng.choice([f"Pårørende: {name} ({relation}), {lab} {w}",
                        f"Nærmeste pårørende: {relation} {name}, {lab} {w}, tlf. {ph}",
                        f"{relation.capitalize()}: {name}, {lab} {w}",
                        f"Oplysninger givet af {name}, {lab} {w}",
                        f"Kontakt ved behov: {name} ({lab} {w}), tlf. {ph}",
                        f"Ledsaget af {name}, {lab} {w}"])
        return [("lines", [s])]
    if placement == "block":
        head = rng.choice(["Pårørende", "Nærmeste pårørende", "Kontaktperson", "Oplysninger om pårørende",
                           "Værge" if relation == "værge" else "Pårørende"])
        return [("h2", head), ("kv", [("Navn", name), ("Relation", relation), (lab, w), ("Telefon", ph)])]
    if placement == "table":
        return [("h2", rng.choice(["Kontaktpersoner", "Pårørende og netværk"])),
                ("table", ["Navn", "Relation", lab, "Telefon"], [[name, relation, w, ph]])]
    if placement == "prose":
        return [("p", rng.choice([
            f"Patientens {relation}, {name} ({lab} {w}), deltog i samtalen og bekræfter oplysningerne.",
            f"Oplysningerne er delvist givet af {relation}en {name}, {lab} {w}, da patienten var for dårlig til at medvirke."
            if relation in ("far", "søn", "bror", "partner") else
            f"Oplysningerne er delvist givet af patientens {relation}, {name}, {lab} {w}."]))]
    if placement == "children":
        kids = [(rel, w)]
        head = rng.choice(["Børn i husstanden", "Hjemmeboende børn", "Familieforhold"])
        rows = [[name, rel.birth.strftime("%d.%m.%Y"), w]]
        return [("h2", head), ("table", ["Navn", "Født", lab], rows)]
    if placement == "patient_table":  # the relative as a second row of the patient table
        return [("table", ["Navn", "Rolle", lab, "Tlf."], [[name, f"Pårørende ({relation})", w, ph]])]
    raise ValueError(placement)


def body(ctx, code, refs):
    rng = ctx.rng
    B = []
    secs = {"125": ["Diagnose(r)", "Aktuelle helbredsforhold", "Behandling", "Prognose"],
            "285": ["Diagnose", "Funktionsevne", "Forventet varighed", "Skånehensyn"],
            "265": ["Helbredsmæssige forhold", "Funktionsevne i forhold til arbejde", "Behandlingsmuligheder", "Prognose"],
            "105": ["Indlæggelser og ambulante kontakter", "Diagnoser", "Epikrise"],
            "115": ["Journaloplysninger", "Diagnoser", "Behandling"]}.get(code, ["Diagnose", "Beskrivelse", "Vurdering"])
    for i, s in enumerate(secs):
        B.append(("h2", s))
        if i == 0 and rng.random() < 0.7:
            B.append(("p", rng.choice(G.DIAG)))
            continue
        txt = " ".join(rng.sample(FILLER, rng.randint(1, 3))).format(d1=fdate(rng, 2023, 2024), d2=fdate(rng, 2025, 2025))
        B.append(("p", txt))
    if refs:
        req = G.REQUEST_OF.get(code, "121")
        ref = rng.choice([f"Attesten er udfærdiget jf. LÆ {req} modtaget {fdate(rng)}.",
                          f"Svar på rekvisition LÆ {req} fra jobcentret.",
                          f"Der henvises i øvrigt til tidligere fremsendt LÆ 265 af {fdate(rng, 2024, 2024)}.",
                          f"Se også vedlagte LÆ 105 (journaloplysninger).",
                          f"I henhold til jeres anmodning LÆ {req} af {fdate(rng)} oplyses følgende."])
        B.insert(rng.randint(0, len(B)), ("p", ref))
        ctx.notes.append("reference: " + ref)
    return B


def signature(ctx, org, doctor_cpr_person=None):
    rng = ctx.rng
    doc = rng.choice(GP_DOCTORS)
    lines = [f"Dato: {fdate(rng)}", "", "Med venlig hilsen", "", doc,
             rng.choice(["Overlæge, speciallæge i psykiatri", "Afdelingslæge", "Praktiserende læge", "Reservelæge",
                         "Speciallæge i almen medicin"])]
    if rng.random() < 0.5:
        lab, val, info = G.decoy(rng, "autid")
        lines.append(f"{lab}: {val}")
    if doctor_cpr_person is not None:
        w = G.cpr_written(doctor_cpr_person.cpr, "dash")
        lines.append(rng.choice([f"Lægens CPR-nr. (til honorar): {w}", f"Udfyldt af læge {doc}, CPR {w}",
                                 f"Henvisende læge: {doc}, cpr.nr. {w}"]))
        ctx.others.append({"kind": "doctor", "digits": doctor_cpr_person.cpr, "printed": w})
        ctx.persons.append((doctor_cpr_person.cpr, doctor_cpr_person.full))
    if rng.random() < 0.35:
        lines.append(f"{org['name']} · Ydernr. {rng.randrange(10**6):06d}")
    return [("lines", lines)]


def meta_block(ctx, n):
    rng = ctx.rng
    rows = ctx.decoy_lines(n, ["id", "id", "id", "date", "journal", "id_nolabelsep", "pnr"])
    if rng.random() < 0.5:
        rows.append(("Udskrevet", f"{fdate(rng)} kl. {rng.randint(7, 16):02d}:{rng.randint(0, 59):02d}"))
    return [("kv", rows)] if rng.random() < 0.6 else [("lines", [f"{a.rstrip(':')}: {b}" for a, b in rows])]


# ----------------------------------------------------------------------------------------------- documents
FILEABLE_LAYOUTS = ["kv", "kv", "kv", "kv4", "hrow", "hrow", "nextline", "inline", "vedr", "boxes", "prose",
                    "prose_wrap", "banner", "banner", "leader"]


def pick_form(rng, unusual_share=0.5):
    if rng.random() < unusual_share:
        return rng.choice(G.UNUSUAL_FORMS)
    return rng.choice(["dash", "dash", "dash", "space", "plain"])


def certificate(ctx, *, code=None, layout=None, cform=None, name_style=None, heading_style=None, n_decoys=None,
                relatives=(), patient_cpr=True, refs=None, multipage=None, cover=False, doctor_cpr=None,
                org_kind=None, title_override=None, extra_blocks_top=(), second=None, pre_heading=None,
                only_written_form=False):
    """Compose a certificate; returns (doc, patient, info)."""
    rng = ctx.rng
    code = code or rng.choice(["125", "125", "125", "285", "285", "265", "105", "115", "135", "145", "155", "225", "275"])
    title = title_override or G.FORMS.get(code) or G.REQUESTS.get(code)
    org = org_for(rng, org_kind or ("region" if rng.random() < 0.75 else "gp"))
    p = G.Person(rng)
    ctx.persons.append((p.cpr, p.full))
    layout = layout or rng.choice(FILEABLE_LAYOUTS)
    cform = cform or pick_form(rng)
    if layout in ("boxes", "fieldboxes"):
        cform = layout
    if layout in ("field", "field_text7") and cform in ("thin", "narrow", "endash", "nbhyph"):
        cform = {"thin": "nbsp", "narrow": "space", "endash": "dash", "nbhyph": "spdash"}[cform]  # latin-1 field values
    name_style = name_style or rng.choice(G.NAME_STYLES)
    n_decoys = rng.choice([0, 1, 1, 2, 3]) if n_decoys is None else n_decoys
    refs = rng.random() < 0.15 if refs is None else refs
    multipage = rng.random() < 0.25 if multipage is None else multipage
    heading_style = heading_style or rng.choice(["code_title", "code_title", "title_code", "two_lines", "split", "kommune"])

    # the patient's CPR only in the form under test (no easy copy in a running header)
    plain_cpr_elsewhere_forbidden = only_written_form or layout in ("boxes", "fieldboxes", "field", "field_text7")
    pb, banner, pinfo = patient_blocks(ctx, p, layout, cform, name_style, with_cpr=patient_cpr)
    blocks = []
    ld = min(n_decoys, rng.randint(0, 2))
    blocks.append(letterhead(ctx, org, ld))
    blocks += list(extra_blocks_top)
    if pre_heading:
        blocks.append(("lines", [pre_heading]))
    if cover:
        blocks += cover_letter(ctx, p, code, org, pinfo)
        blocks.append(("pagebreak",))
    blocks += heading(ctx, code, title, heading_style)
    if n_decoys - ld > 0:
        blocks += meta_block(ctx, n_decoys - ld)
    if banner and rng.random() < 0.35:  # an EPJ printout may repeat a short patient line in the body
        blocks.append(("lines", [f"Patient: {p.printed('last_comma')}"]))
    blocks += pb
    rel_blocks = []
    for rel, relation, placement, rform in relatives:
        rel_blocks += relative_blocks(ctx, rel, relation, placement, rform)
    if rel_blocks and rng.random() < 0.5:
        blocks += rel_blocks
        rel_blocks = []
    bb = body(ctx, code, refs)
    if multipage:
        cut = len(bb) // 2
        bb = bb[:cut] + [("pagebreak",)] + bb[cut:]
    blocks += bb
    blocks += rel_blocks
    if second is not None:
        blocks += second
    blocks += signature(ctx, org, doctor_cpr)
    header = banner
    footer = None
    if multipage or rng.random() < 0.2:
        if not header and patient_cpr and not plain_cpr_elsewhere_forbidden and rng.random() < 0.5:
            w = G.cpr_written(p.cpr, cform) if cform in G.TEXT_FORMS else G.cpr_written(p.cpr, "dash")
            if layout in ("boxes", "fieldboxes"):
                pinfo["also_printed"] = w
            header = f"{p.printed(name_style)} · {rng.choice(['CPR', 'CPR-nr.', 'Cpr.nr.'])} {w}"
        fparts = [f"{org['name']}"]
        if rng.random() < 0.5:
            lab, val = ctx.decoy_lines(1, ["id"])[0]
            fparts.append(f"{lab.rstrip(':')} {val}")
        fparts.append("Side {page}")
        footer = " · ".join(fparts)
    doc = {"blocks": blocks, "header": header, "footer": footer,
           "title": rng.choice([f"LÆ{code}", "Lægeattest", "Dokument", f"Attest {org['unit']}"]),
           "author": org["name"]}
    info = dict(pinfo, org=org["name"], org_kind=org["kind"], heading_style=heading_style, code=code)
    return doc, p, info


def cover_letter(ctx, p, code, org, pinfo):
    rng = ctx.rng
    w = G.cpr_written(p.cpr, "dash")
    nm = p.printed("full")
    return [("lines", ["Jobcenter", rng.choice(["Sygedagpengeteamet", "Team Afklaring", "Rehabiliteringsteamet"]), "",
                       f"{fdate(rng)}"]),
            ("h2", f"Vedr.: {nm}, {rng.choice(['CPR-nr.', 'cpr.', 'CPR'])} {w}"),
            ("p", rng.choice([f"Hermed fremsendes den ønskede attest vedrørende ovennævnte. Attesten følger på næste side.",
                              f"Som aftalt fremsendes attest (blanket {code}) vedrørende ovennævnte patient.",
                              f"Vi fremsender hermed attesten. Ved spørgsmål kontakt venligst sekretariatet."])),
            ("lines", ["Med venlig hilsen", "Lægesekretær " + rng.choice(["Bente Holm", "Gitte Aagaard", "Rikke Lund"]), org["unit"]])]


# -------------------------------------------------------------- scenarios: each returns (doc, truth fields)
def truth_base(ctx, p, info, *, form, fileable, must, why, patient_cpr=True, acceptable=None):
    return {"scenario": ctx.scenario, "patient_cpr": p.cpr if patient_cpr else None,
            "patient_name": p.full, "patient_printed": info.get("name_printed"), "form": form,
            "fileable": fileable, "must_escalate": must, "why": why,
            "acceptable_cprs": acceptable if acceptable is not None else ([p.cpr] if patient_cpr else []),
            "layout": info.get("layout"), "cpr_form": info.get("cpr_form"), "cpr_label": info.get("cpr_label"),
            "others": ctx.others, "notes": ctx.notes, "org_kind": info.get("org_kind")}


def s_fileable(ctx, **kw):
    doc, p, info = certificate(ctx, **kw)
    code = info["code"]
    return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=True, must=False, why="one patient, known form")




def build_scenarios(rng):
    """(scenario name, count, builder(ctx) -> (doc, truth)) — ~400 documents."""
    def fileable(**fixed):
        def f(ctx):
            kw = dict(fixed)
            kw.setdefault("code", ctx.rng.choice(["125", "125", "125", "285", "285", "265", "105", "115", "135", "145", "155", "225", "275"]))
            return s_fileable(ctx, **kw)
        return f

    def with_relative(hard=False, absent=False, placements=None):
        def f(ctx):
            r = ctx.rng
            relation = r.choice(G.RELATIONS)
            rel = G.Person(r, born=(1940, 2010) if relation in ("søn", "datter") else (1940, 2000),
                           mod11=r.random() < 0.8)
            placement = r.choice(placements or ["sameline", "sameline", "block", "table", "prose", "patient_table", "children"])
            if placement == "children":
                relation = r.choice(["søn", "datter"])
                rel = G.Person(r, born=(2008, 2022), mod11=r.random() < 0.5, last=None)
            if hard:
                cform = r.choice(G.UNUSUAL_FORMS + ["boxes"])
                layout = "boxes" if cform == "boxes" else r.choice(["kv", "hrow", "inline", "nextline", "banner", "vedr", "leader"])
            else:
                cform = pick_form(r, 0.2)
                layout = r.choice(["kv", "hrow", "inline", "nextline", "banner", "vedr", "kv4"])
            rform = "dash" if (hard or r.random() < 0.6) else r.choice(["space", "plain", "dash"])
            code = r.choice(["125", "285", "265", "105"])
            doc, p, info = certificate(ctx, code=code, layout=layout, cform=cform, patient_cpr=not absent, only_written_form=hard,
                                       relatives=[(rel, relation, placement, rform)])
            if absent:
                why = "patient CPR absent, a relative's present"
                return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=False, must=True, why=why,
                                       patient_cpr=False, acceptable=[])
            why = "relative's CPR present" + (" (patient's written unusually)" if hard else "")
            return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=False, must=True, why=why)
        return f

    def relative_no_cpr(ctx):
        r = ctx.rng
        relation = r.choice(G.RELATIONS)
        rel = G.Person(r)
        nm = rel.printed("full")
        extra = [("p", r.choice([f"Patientens {relation}, {nm}, deltog i samtalen.",
                                 f"Pårørende: {nm} ({relation}), tlf. {G.phone_fmt(r, rel.phone)}."]))]
        doc, p, info = certificate(ctx, second=extra)
        return doc, truth_base(ctx, p, info, form=f"LÆ {info['code']}", fileable=True, must=False,
                               why="relative named without CPR")

    def doctor_cpr(ctx):
        d = G.Person(ctx.rng, born=(1955, 1990))
        code = ctx.rng.choice(["125", "285"])
        doc, p, info = certificate(ctx, code=code, doctor_cpr=d)
        return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=False, must=True, why="doctor's CPR printed")

    def second_patient(ctx):
        r = ctx.rng
        q = G.Person(r)
        ctx.persons.append((q.cpr, q.full))
        code = r.choice(["125", "285"])
        kind = r.choice(["two_certs", "erratum", "list"])
        qw = G.cpr_written(q.cpr, r.choice(["dash", "dash", "space"]))
        if kind == "two_certs":
            sec = [("pagebreak",)] + heading(ctx, code, G.FORMS[code], "code_title") + \
                  [("kv", [("Navn", q.printed("full")), ("CPR-nr.", qw), ("Adresse", f"{q.address}, {q.city}")])] + body(ctx, code, False)
        elif kind == "erratum":
            sec = [("p", f"NB: Denne attest erstatter attest, der ved en fejl blev sendt vedrørende {q.printed('full')}, CPR-nr. {qw}. Den fejlsendte attest bedes slettet.")]
        else:
            sec = [("h2", "Øvrige patienter i samme forsendelse"), ("table", ["Navn", "CPR-nr.", "Blanket"], [[q.printed("last_comma"), qw, f"LÆ {code}"]])]
        ctx.others.append({"kind": "second_patient", "digits": q.cpr, "printed": qw, "placement": kind})
        hard = r.random() < 0.5
        doc, p, info = certificate(ctx, code=code, second=sec, only_written_form=hard,
                                   cform=r.choice(G.UNUSUAL_FORMS) if hard else None)
        # a second certificate in the same PDF: filing it anywhere puts another patient's health data there
        return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=False, must=True,
                               why=f"second patient ({kind})", acceptable=[] if kind == "two_certs" else [p.cpr])

    def non_cert(kind):
        def f(ctx):
            r = ctx.rng
            if kind == "request":
                code = r.choice(list(G.REQUESTS))
                doc, p, info = certificate(ctx, code=code, org_kind="gp", heading_style=r.choice(["code_title", "title_code", "two_lines"]))
                doc["blocks"][0] = ("letterhead", [f"Jobcenter {r.choice(['Aalborg', 'Herning', 'Odense', 'Roskilde'])}",
                                                   "Sygedagpengeafdelingen", "Tlf. 99 31 31 31", "CVR 29189420"])
                return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=False, must=True, why="request (anmodning)")
            if kind == "receipt":
                code = r.choice(["125", "285", "265"])
                title = r.choice(["Kvittering for modtagelse", "Kvittering", "Modtagelseskvittering"])
                doc, p, info = certificate(ctx, code=code, heading_style="title_only", title_override=title)
                doc["blocks"].insert(2, ("lines", [f"Vi har modtaget: LÆ {code} {G.FORMS[code]}", f"Modtaget: {fdate(r)} kl. 10:{r.randint(10, 59)}"]))
                return doc, truth_base(ctx, p, info, form=None, fileable=False, must=True, why="portal receipt")
            if kind == "employer":
                title = r.choice(["Mulighedserklæring", "Friattest", "Mulighedserklæring – del 2 (lægens vurdering)"])
                doc, p, info = certificate(ctx, code="125", heading_style="title_only", title_override=title)
                return doc, truth_base(ctx, p, info, form=None, fileable=False, must=True, why="employer document")
            if kind == "unknown":
                code, title = r.choice(G.UNKNOWN_FORMS)
                doc, p, info = certificate(ctx, code="125", title_override=title, refs=False)
                # replace the form code in the heading by the unknown code
                doc["blocks"] = [(b[0], b[1].replace("125", code)) if b[0] in ("h1", "h2") and isinstance(b[1], str) else
                                 (("lines", [x.replace("125", code) for x in b[1]]) if b[0] == "lines" and b[1] and b[1][0].startswith("Blanket") else b)
                                 for b in doc["blocks"]]
                doc["title"] = "Lægeattest"
                return doc, truth_base(ctx, p, info, form=None, fileable=False, must=True, why=f"unknown form LÆ {code}")
            if kind == "no_form":
                doc, p, info = certificate(ctx, code="125", heading_style="title_only", refs=False,
                                           title_override=r.choice(["Lægeerklæring", "Udtalelse fra behandlende læge", "Status fra psykiatrien"]))
                doc["title"] = "Udtalelse"
                return doc, truth_base(ctx, p, info, form=None, fileable=False, must=True, why="no form")
            if kind == "ambiguous":
                c1, c2 = r.sample(["125", "285", "265", "145"], 2)
                sec = [("pagebreak",)] + heading(ctx, c2, G.FORMS[c2], "code_title") + body(ctx, c2, False)
                doc, p, info = certificate(ctx, code=c1, second=sec, heading_style="code_title", refs=False)
                return doc, truth_base(ctx, p, info, form=None, fileable=False, must=True, why=f"two forms LÆ {c1} + LÆ {c2}")
            raise ValueError(kind)
        return f

    def cert_plus_request(ctx):
        r = ctx.rng
        code = r.choice(["125", "285", "265"])
        req = G.REQUEST_OF[code]
        holder = {}

        def sec_for(p):
            return [("pagebreak",), ("lines", ["Bilag: kommunens anmodning"]), ("h1", f"LÆ {req} {G.REQUESTS[req]}"),
                    ("kv", [("Borgerens navn", p.printed("full")), ("CPR-nr.", G.cpr_written(p.cpr, "dash"))]),
                    ("p", "Jobcentret anmoder om en attest. Attesten bedes returneret senest 14 dage efter modtagelsen.")]
        # build once to get the patient, then add the request page for that same patient
        doc, p, info = certificate(ctx, code=code, heading_style="code_title", refs=False)
        sig_i = max(i for i, b in enumerate(doc["blocks"]) if b[0] == "lines")
        doc["blocks"] = doc["blocks"][:sig_i + 1] + sec_for(p) + doc["blocks"][sig_i + 1:]
        ctx.notes.append(f"the kommune's LÆ {req} request is attached as the last page")
        return doc, truth_base(ctx, p, info, form=f"LÆ {code}", fileable=True, must=False,
                               why="certificate with the request attached behind it")

    def scan(ctx):
        doc, p, info = certificate(ctx, layout=ctx.rng.choice(["kv", "hrow", "inline"]), multipage=False)
        t = truth_base(ctx, p, info, form=f"LÆ {info['code']}", fileable=False, must=True, why="scan, no text layer")
        return doc, t

    def no_cpr(ctx):
        doc, p, info = certificate(ctx, layout="kv", patient_cpr=False, multipage=False)
        return doc, truth_base(ctx, p, info, form=f"LÆ {info['code']}", fileable=False, must=True,
                               why="no CPR at all", patient_cpr=False, acceptable=[])

    def pnr_only(ctx):
        r = ctx.rng
        lab, val, inf = G.decoy(r, "pnr")
        top = [("kv", [("Arbejdsgiver", r.choice(["Netto Aalborg Øst", "Vestas Blades A/S", "Plejecenter Solbakken"])), (lab, val)])]
        doc, p, info = certificate(ctx, layout="kv", patient_cpr=False, extra_blocks_top=top)
        ctx.others.append(dict(inf, label=lab, printed=val))
        return doc, truth_base(ctx, p, info, form=f"LÆ {info['code']}", fileable=False, must=True,
                               why="only a P-nr. (production unit), no CPR", patient_cpr=False, acceptable=[])

    def pnr_with_cpr(ctx):
        r = ctx.rng
        lab, val, inf = G.decoy(r, "pnr")
        top = [("kv", [("Arbejdsgiver", r.choice(["Netto Aalborg Øst", "Vestas Blades A/S", "Plejecenter Solbakken"])), (lab, val)])]
        ctx.others.append(dict(inf, label=lab, printed=val))
        return s_fileable(ctx, extra_blocks_top=top, code=r.choice(["285", "125"]))

    def invalid_cpr(ctx):
        r = ctx.rng
        doc, p, info = certificate(ctx, layout=r.choice(["kv", "hrow", "inline"]), cform="dash")
        bad = r.choice([f"3104{p.cpr[4:6]}-{p.cpr[6:]}", f"{p.cpr[0:2]}13{p.cpr[4:6]}-{p.cpr[6:]}",
                        f"2902{'23' if p.cpr[6] in '0123' else '83'}-{p.cpr[6:]}", f"00{p.cpr[2:6]}-{p.cpr[6:]}"])
        good = G.cpr_written(p.cpr, "dash")
        def fix(x):
            if isinstance(x, str):
                return x.replace(good, bad)
            if isinstance(x, tuple):
                return tuple(fix(y) for y in x)
            if isinstance(x, list):
                return [fix(y) for y in x]
            return x
        doc["blocks"] = [fix(b) for b in doc["blocks"]]
        doc["header"] = fix(doc["header"]) if doc["header"] else None
        ctx.others.append({"kind": "invalid_patient_cpr", "printed": bad})
        return doc, truth_base(ctx, p, info, form=f"LÆ {info['code']}", fileable=False, must=True,
                               why="labelled CPR with an impossible date", patient_cpr=False, acceptable=[p.cpr])

    S = [
        # fileable, by layout
        ("kv_table", 28, fileable(layout="kv")),
        ("kv4_row", 12, fileable(layout="kv4")),
        ("header_row", 18, fileable(layout="hrow")),
        ("value_next_line", 16, fileable(layout="nextline")),
        ("dot_leader", 10, fileable(layout="leader")),
        ("inline_line", 14, fileable(layout="inline")),
        ("vedr_line", 12, fileable(layout="vedr")),
        ("epj_banner", 22, fileable(layout="banner", multipage=True)),
        ("prose_letter", 14, fileable(layout="prose")),
        ("prose_wrapped", 10, fileable(layout="prose_wrap")),
        ("digit_boxes", 14, fileable(layout="boxes")),
        ("acro_field", 8, fileable(layout="field")),
        ("acro_field_text7", 8, fileable(layout="field_text7")),
        ("acro_digit_fields", 8, fileable(layout="fieldboxes")),
        ("cover_plus_cert", 14, fileable(cover=True)),
        ("multipage_hdr_ftr", 12, fileable(multipage=True)),
        ("decoy_heavy", 22, fileable(n_decoys=6)),
        ("decoy_heavy_unusual_patient", 16, lambda ctx: s_fileable(ctx, n_decoys=6, only_written_form=True,
                                                                   cform=ctx.rng.choice(G.UNUSUAL_FORMS),
                                                                   layout=ctx.rng.choice(["kv", "hrow", "inline", "nextline", "kv4", "leader"]))),
        ("cert_plus_request_page", 6, cert_plus_request),
        ("title_only", 8, fileable(heading_style="title_only")),
        ("references", 14, fileable(refs=True)),
        ("reference_line_top", 8, lambda ctx: s_fileable(ctx, code=(c := ctx.rng.choice(["125", "285", "265"])),
                                                         pre_heading=f"Besvarelse af anmodning LÆ {G.REQUEST_OF[c]} af {fdate(ctx.rng)}")),
        ("unusual_cpr_alone", 18, lambda ctx: s_fileable(ctx, cform=ctx.rng.choice(G.UNUSUAL_FORMS),
                                                         layout=ctx.rng.choice(["kv", "hrow", "inline", "nextline", "banner"]))),
        ("relative_named_no_cpr", 8, relative_no_cpr),
        ("pnr_and_cpr", 6, pnr_with_cpr),
        # must escalate
        ("relative_cpr", 24, with_relative()),
        ("hard_relative_unusual_patient", 24, with_relative(hard=True)),
        ("patient_absent_relative_present", 14, with_relative(absent=True)),
        ("second_patient", 12, second_patient),
        ("relative_cpr_unusual_role", 10, with_relative(hard=True, placements=["sameline"])),
        ("doctor_cpr", 5, doctor_cpr),
        ("request_x1", 10, non_cert("request")),
        ("receipt", 8, non_cert("receipt")),
        ("employer_doc", 6, non_cert("employer")),
        ("unknown_form", 8, non_cert("unknown")),
        ("no_form", 5, non_cert("no_form")),
        ("two_forms", 5, non_cert("ambiguous")),
        ("scan", 10, scan),
        ("no_cpr", 5, no_cpr),
        ("pnr_only", 5, pnr_only),
        ("invalid_cpr", 5, invalid_cpr),
    ]
    return S


PRODUCERS = ["reportlab", "fpdf2", "chromium", "libreoffice", "groff", "ghostscript"]
P_WEIGHTS = [0.2, 0.19, 0.2, 0.17, 0.12, 0.12]


def choose_producer(rng, scenario, truth):
    if truth["layout"] in ("field", "field_text7", "fieldboxes"):
        return "reportlab"
    if scenario == "scan":
        return rng.choice(["scan-pillow", "scan-reportlab"])
    return rng.choices(PRODUCERS, P_WEIGHTS)[0]


# ---------------------------------------------------------------------------------------------- mails
AUTH = "mx.kommune.example"


def rfc2231(name):
    try:
        name.encode("ascii")
        return f'filename="{name}"'
    except UnicodeEncodeError:
        return "filename*=utf-8''" + urllib.parse.quote(name)


def b64(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def build_mail(*, from_hdrs, to, subject, body, atts, auth_hdrs, return_path, msgid, date, rng, extra=()):
    bnd = f"=_hc_{rng.randrange(16**16):016x}"
    H = []
    if return_path is not None:
        H.append(f"Return-Path: <{return_path}>")
    H += list(auth_hdrs)
    H.append(f"Received: from smtp.{return_path.split('@')[-1] if return_path else 'unknown'} (unknown [192.0.2.{rng.randint(2, 250)}])\n\tby {AUTH} with ESMTPS id {rng.randrange(16**10):010X}; {date}")
    H += [f"From: {f}" for f in from_hdrs]
    H += [f"To: {to}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{msgid}>", "MIME-Version: 1.0"]
    H += list(extra)
    H.append(f'Content-Type: multipart/mixed; boundary="{bnd}"')
    parts = [f"--{bnd}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n{b64(body.encode())}\n"]
    for name, data in atts:
        ctype = rng.choice(["application/pdf", "application/pdf", "application/octet-stream"])
        qn = name if all(ord(c) < 128 for c in name) else None
        ct_name = f'; name="{qn}"' if qn else ""
        parts.append(f"--{bnd}\nContent-Type: {ctype}{ct_name}\nContent-Transfer-Encoding: base64\n"
                     f"Content-Disposition: attachment; {rfc2231(name)}\n\n{b64(data)}\n")
    raw = "\n".join(H) + "\n\n" + "This is a multi-part message in MIME format.\n\n" + "\n".join(parts) + f"--{bnd}--\n"
    return raw.replace("\n", "\r\n").encode("utf-8")


def ar_legit(rng, dom):
    base = ".".join(dom.split(".")[-2:])
    d = rng.choice([dom, base])
    v = rng.choice(["full", "full", "dmarc_only", "dkim_only", "spf_fail_dkim_ok", "folded", "upstream_too", "version"])
    if v == "full":
        return [f"Authentication-Results: {AUTH};\n\tdkim=pass header.d={d} header.s=sel{rng.randint(1, 3)} header.b=Ab{rng.randrange(10**6)};\n\tspf=pass (domain of {dom} designates 192.0.2.8 as permitted sender) smtp.mailfrom={dom};\n\tdmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={dom}"], v
    if v == "dmarc_only":
        return [f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom={dom}; dmarc=pass header.from={dom}"], v
    if v == "dkim_only":
        return [f"Authentication-Results: {AUTH}; dkim=pass header.d={d} header.i=@{dom}"], v
    if v == "spf_fail_dkim_ok":
        return [f"Authentication-Results: {AUTH}; spf=fail smtp.mailfrom=forwarder.example; dkim=pass header.d={d}; dmarc=pass header.from={dom}"], v
    if v == "folded":
        return [f"Authentication-Results: {AUTH};\n dmarc=pass (p=quarantine)\n  header.from={dom};\n dkim=pass\n  header.d={d}"], v
    if v == "upstream_too":
        return [f"Authentication-Results: {AUTH}; dmarc=pass header.from={dom}; dkim=pass header.d={d}",
                f"ARC-Authentication-Results: i=1; mx.microsoft.example; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={d}",
                f"Authentication-Results: relay.{base}; dkim=pass header.d={d}"], v
    return [f"Authentication-Results: {AUTH} 1; dkim=pass header.d={d}; dmarc=pass header.from={dom}"], v


def forged_headers(rng, kind, user):
    """(from_hdrs, auth_hdrs, return_path, from_domain_as_written)"""
    reg = rng.choice(G.REGION_ORGS)
    dom = reg[3]
    fh = lambda d: [f"\"{rng.choice(['Psykiatrien', 'Lægesekretær', 'Sekretariatet', 'Ambulatoriet'])}\" <{user}@{d}>"]
    if kind == "dmarc_fail":
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail (p=NONE) header.from={dom}"], f"{user}@{dom}", dom
    if kind == "spf_fail_dkim_none":
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=fail (sender IP is 203.0.113.9) smtp.mailfrom={dom}; dkim=none (message not signed)"], f"{user}@{dom}", dom
    if kind == "softfail_dmarc_fail":
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=softfail smtp.mailfrom={dom}; dkim=fail header.d={dom}; dmarc=fail header.from={dom}"], f"{user}@{dom}", dom
    if kind == "dkim_unaligned":
        ev = rng.choice(["bulkmailer.example", f"{dom}.mailrelay.example", "sendgrid.example"])
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom={ev}; dkim=pass header.d={ev}; dmarc=fail header.from={dom}"
                         if rng.random() < 0.5 else f"Authentication-Results: {AUTH}; dkim=pass header.d={ev}"], f"bounce@{ev}", dom
    if kind == "other_authserv":
        a = rng.choice(["mx.kommune.example.attacker.example", "mx.kommune-example.dk", f"mail.{dom}", "mx.kommune.exampel"])
        return fh(dom), [f"Authentication-Results: {a}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={dom}; dmarc=pass header.from={dom}"], f"{user}@{dom}", dom
    if kind == "no_ar":
        return fh(dom), [], f"{user}@{dom}", dom
    if kind in ("zwsp", "zwj", "shy"):
        ch = {"zwsp": "\u200b", "zwj": "\u200d", "shy": "\u00ad"}[kind]
        parts = dom.split(".")
        i = rng.randrange(len(parts))
        parts[i] = parts[i][:1] + ch + parts[i][1:]
        d2 = ".".join(parts)
        return fh(d2), [f"Authentication-Results: {AUTH}; dmarc=pass header.from={dom}; dkim=pass header.d={dom}"], f"{user}@{dom}", d2
    if kind == "homoglyph":
        d2 = dom.replace("r", "\u0440", 1) if "r" in dom else dom.replace("e", "\u0435", 1)
        return fh(d2), [f"Authentication-Results: {AUTH}; dmarc=pass header.from={d2}"], f"{user}@{dom}", d2
    if kind == "punycode":
        d2 = rng.choice(["xn--rgionh-6of.dk", "xn--n-blc.dk", "xn--rsyd-uve.dk"])
        return fh(d2), [f"Authentication-Results: {AUTH}; dmarc=pass header.from={d2}; dkim=pass header.d={d2}"], f"{user}@{d2}", d2
    if kind == "lookalike":
        d2 = rng.choice(["rn-dk.com", "arn.dk", "regionh.dk.secure-mail.example", "rsyd.dk-post.example", "regi0nh.dk",
                         "regionsjælland.dk", "regionmidtjyland.dk", "psykiatri-rn.dk", "rm.dk.co", "regionh-dk.net"])
        return fh(d2), [f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom={d2}; dkim=pass header.d={d2}; dmarc=pass header.from={d2}"], f"{user}@{d2}", d2
    if kind == "two_from":
        if rng.random() < 0.5:
            return [f"<{user}@{dom}>", f"<{user}@attacker.example>"], [f"Authentication-Results: {AUTH}; dmarc=pass header.from={dom}"], f"{user}@{dom}", dom
        return [f"<{user}@{dom}>, <x@attacker.example>"], [f"Authentication-Results: {AUTH}; dmarc=pass header.from={dom}"], f"{user}@{dom}", dom
    if kind == "forged_pass_below":
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=fail smtp.mailfrom={dom}; dkim=none; dmarc=fail header.from={dom}",
                         f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom={dom}; dkim=pass header.d={dom}; dmarc=pass header.from={dom}"], f"{user}@{dom}", dom
    if kind == "pass_for_other_domain":
        return fh(dom), [f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom=attacker.example; dkim=pass header.d=attacker.example; dmarc=pass header.from=attacker.example"], f"x@attacker.example", dom
    if kind == "display_name":
        return [f'"{user}@{dom}" <{user}@attacker.example>'], [f"Authentication-Results: {AUTH}; dmarc=pass header.from=attacker.example"], f"{user}@attacker.example", "attacker.example"
    raise ValueError(kind)


FORGED_KINDS = (["dmarc_fail"] * 4 + ["spf_fail_dkim_none"] * 3 + ["softfail_dmarc_fail"] + ["dkim_unaligned"] * 3 +
                ["other_authserv"] * 3 + ["no_ar"] * 3 + ["zwsp", "zwsp", "zwj", "shy", "homoglyph", "homoglyph", "punycode"] +
                ["lookalike"] * 4 + ["two_from"] * 2 + ["forged_pass_below", "pass_for_other_domain", "display_name"])


def mail_date(rng, i):
    d = dt.datetime(2025, 10, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))) + dt.timedelta(minutes=37 * i + rng.randint(0, 30))
    return d.strftime("%a, %d %b %Y %H:%M:%S +0200")


def att_name(rng, t, cpr_in_name=None):
    f = t["form"].replace(" ", "") if t["form"] else "dokument"
    base = rng.choice([f"{f}_attest.pdf", f"{f}.pdf", "attest.pdf", f"Lægeattest {f}.pdf", "dokument.pdf",
                       f"{f}_{rng.randrange(10**5):05d}.pdf", "Statusattest.pdf" if f == "LÆ125" else f"{f}-svar.pdf"])
    if cpr_in_name:
        base = rng.choice([f"{f}_{cpr_in_name}.pdf", f"Attest {cpr_in_name}.pdf", f"{cpr_in_name}_{f}.pdf"])
    return base


def make_mails(rng, pdf_truth, outdir, persons_extra):
    """~120 mails. Returns mail truth records."""
    mdir = os.path.join(outdir, "mail")
    os.makedirs(mdir, exist_ok=True)
    usable = list(pdf_truth)
    fileable = [t for t in usable if t["fileable"] and t["form"] and t["form"].split()[1] in G.FILE_ROUTE_FORMS]
    escal = [t for t in usable if t["must_escalate"]]
    rng.shuffle(fileable)
    rng.shuffle(escal)
    # legit mails carry the hardest must-escalate documents first: a relative's or a second patient's CPR
    hard_s = ("patient_absent_relative_present", "hard_relative_unusual_patient", "relative_cpr_unusual_role",
              "second_patient", "doctor_cpr")
    hard = [t for t in escal if t["scenario"] in hard_s]
    rest = [t for t in escal if t["scenario"] not in hard_s]
    absent = [t for t in hard if t["scenario"] == "patient_absent_relative_present"]
    hard = [t for t in hard if t not in absent]
    escal = absent[:8] + hard[:8] + rest[:6] + absent[8:] + hard[8:] + rest[6:]
    used = set()

    def take(pool):
        for t in pool:
            if t["file"] not in used:
                used.add(t["file"])
                return t
        raise RuntimeError("pool empty")

    plan = []
    plan += [("legit", None, "single")] * 36
    plan += [("legit", None, "two_fileable")] * 8
    plan += [("legit", None, "fileable_plus_escalate")] * 8
    plan += [("legit", None, "escalate_only")] * 12
    plan += [("legit", None, "subject_patient_cpr")] * 6
    plan += [("legit", None, "filename_patient_cpr")] * 5
    plan += [("legit", None, "body_decoys")] * 4
    plan += [("legit", None, "upper_domain")] * 2
    plan += [("legit", None, "subject_other_cpr")] * 4
    plan += [("legit", None, "body_other_cpr")] * 3
    plan += [("legit", None, "filename_other_cpr")] * 3
    plan += [("forged", k, "single") for k in FORGED_KINDS]
    plan += [("untrusted_org", None, "single")] * 4
    rng.shuffle(plan)
    out = []
    for i, (cls, fkind, shape) in enumerate(plan):
        user = rng.choice(["psyk.sekretariat", "attester", "laegesekretaer", "amb.sekr", "noreply-attest", "bente.holm"])
        docs = []
        if shape in ("single", "upper_domain", "subject_patient_cpr", "filename_other_cpr", "filename_patient_cpr", "body_decoys", "subject_other_cpr", "body_other_cpr"):
            docs = [take(fileable)]
        elif shape == "two_fileable":
            docs = [take(fileable), take(fileable)]
        elif shape == "fileable_plus_escalate":
            docs = [take(fileable), take(escal)]
            rng.shuffle(docs)
        elif shape == "escalate_only":
            docs = [take(escal)]
        if cls == "legit":
            org = rng.choice(G.REGION_ORGS)
            dom = org[3]
            if rng.random() < 0.3:
                dom = rng.choice(["psykiatri", "sekr", "amb", "auh"]) + "." + org[2] if dom == org[2] else dom
            from_hdrs = [f"\"{rng.choice(['Psykiatrien', org[0], 'Lægesekretariatet'])}\" <{user}@{dom}>"]
            if rng.random() < 0.2:
                from_hdrs = [f"=?utf-8?q?{urllib.parse.quote(org[0].replace(',', '')).replace('%', '=')}?= <{user}@{dom}>"]
            auth, avar = ar_legit(rng, dom)
            rp = f"{user}@{dom}"
            fdom = dom
            if shape == "upper_domain":  # domains are case-insensitive: Psykiatri.RN.dk is rn.dk
                up = ".".join(x.upper() if i % 2 else x.capitalize() for i, x in enumerate(dom.split(".")))
                from_hdrs = [f"\"Psykiatrien\" <{user}@{up}>"]
                fdom = up
        elif cls == "untrusted_org":
            o = rng.choice(G.GP_ORGS)
            fdom = o[2]
            from_hdrs = [f"\"{o[0]}\" <klinik@{fdom}>"]
            auth = [f"Authentication-Results: {AUTH}; spf=pass smtp.mailfrom={fdom}; dkim=pass header.d={fdom}; dmarc=pass header.from={fdom}"]
            avar, rp = "pass_untrusted_domain", f"klinik@{fdom}"
        else:
            from_hdrs, auth, rp, fdom = forged_headers(rng, fkind, user)
            avar = fkind
        subj = rng.choice(["Lægeattest", "Attest til jobcentret", "Sikker mail: attest", "SV: Anmodning om lægeattest",
                           "Fremsendelse af attest", "Statusattest", "Attest - fortroligt", "VS: attest vedr. borger"])
        if len(docs) == 1 and docs[0]["form"] and rng.random() < 0.5:
            subj = f"{docs[0]['form']} {rng.choice(['attest', 'vedr. borger', '- svar', ''])}".strip()
        body = rng.choice(["Hermed fremsendes attest.\n\nMed venlig hilsen\nLægesekretariatet",
                           "Hej\n\nVedhæftet finder I den ønskede attest.\n\nVenlig hilsen\nAmbulatoriet",
                           "Til jobcentret\n\nSe venligst vedhæftede.\n\n--\nDenne mail er sendt via sikker mail."])
        mtruth_extra = {}
        cpr_in_name = None
        msgid = f"{rng.randrange(16**12):012x}.{i}@{rp.split('@')[-1] if rp else 'unknown'}"
        if shape == "subject_patient_cpr":
            t = docs[0]
            form = rng.choice(["dash", "space", "plain", "dot", "pairs", "spdash"])
            w = G.cpr_written(t["patient_cpr"], form)
            where = rng.choice(["subject", "body", "both", "msgid"])
            if where in ("subject", "both"):
                subj = rng.choice([f"Attest vedr. {w}", f"{t['form']} - cpr {w}", f"Vedr. CPR-nr. {w}"])
            if where in ("body", "both"):
                body = f"Hermed attest vedrørende {t['patient_name']}, cpr.nr. {w}.\n\nMed venlig hilsen\nPsykiatrien"
            if where == "msgid":
                msgid = f"attest-{t['patient_cpr']}-{i}@{rp.split('@')[-1]}"
                subj = rng.choice(["Attest", "Lægeattest"])
            mtruth_extra = {"patient_cpr_in_mail": where, "cpr_written": form}
        if shape == "filename_patient_cpr":
            t = docs[0]
            cpr_in_name = G.cpr_written(t["patient_cpr"], rng.choice(["dash", "plain", "dash", "space"]))
            mtruth_extra = {"patient_cpr_in_filename": True}
        if shape == "body_decoys":
            lines = []
            for kind in rng.sample(["id", "phone", "ean", "cvr", "bank", "id"], 3):
                lab, val, inf = G.decoy(rng, kind)
                lines.append(f"{lab}: {val}")
            body = "Hermed fremsendes attest.\n\nMed venlig hilsen\nLægesekretær Bente Holm\n" + "\n".join(lines)
            mtruth_extra = {"body_decoys": True}
        if shape == "filename_other_cpr":
            q = G.Person(rng)
            persons_extra.append((q.cpr, q.full))
            cpr_in_name = G.cpr_written(q.cpr, rng.choice(["dash", "plain"]))
            mtruth_extra = {"other_cpr_in_mail": "filename", "other_cpr": q.cpr}
        if shape in ("subject_other_cpr", "body_other_cpr"):
            q = G.Person(rng)
            persons_extra.append((q.cpr, q.full))
            w = G.cpr_written(q.cpr, rng.choice(["dash", "space", "plain"]))
            if shape == "subject_other_cpr":
                subj = rng.choice([f"Attest vedr. {w}", f"Vedr. cpr {w}", f"LÆ 125 - {w}"])
            else:
                body = f"Hermed attest vedrørende {q.full}, CPR-nr. {w}.\n\nMed venlig hilsen\nPsykiatrien"
            mtruth_extra = {"other_cpr_in_mail": shape.split("_")[0], "other_cpr": q.cpr}
        atts, dtruth = [], []
        names_used = set()
        for t in docs:
            with open(os.path.join(outdir, "pdf", t["file"]), "rb") as f:
                data = f.read()
            nm = att_name(rng, t, cpr_in_name)
            while nm in names_used:
                nm = f"{len(names_used) + 1}_{nm}"
            names_used.add(nm)
            atts.append((nm, data))
            expect = "file" if (cls == "legit" and t["fileable"] and t["form"].split()[1] in G.FILE_ROUTE_FORMS
                                and shape not in ("subject_other_cpr", "body_other_cpr", "filename_other_cpr")) else "escalate"
            why = ("fileable" if expect == "file" else
                   "sender " + cls + (f" ({fkind})" if fkind else "") if cls != "legit" else
                   "CPR of another person in the mail" if shape in ("subject_other_cpr", "body_other_cpr", "filename_other_cpr") else
                   "document must escalate: " + t["why"])
            dtruth.append({"attachment": nm, "pdf": t["file"], "sha256": hashlib.sha256(data).hexdigest(),
                           "patient_cpr": t["patient_cpr"], "acceptable_cprs": t["acceptable_cprs"],
                           "scenario": t["scenario"], "fileable_doc": t["fileable"], "expect": expect, "why": why})
        fname = f"m{i:03d}_{cls}{'_' + fkind if fkind else ''}.eml"
        raw = build_mail(from_hdrs=from_hdrs, to="jobcenter.attester@kommune.example", subject=subj, body=body,
                         atts=atts, auth_hdrs=auth, return_path=rp, msgid=msgid, date=mail_date(rng, i), rng=rng)
        with open(os.path.join(mdir, fname), "wb") as f:
            f.write(raw)
        out.append({"file": fname, "class": cls, "forged_kind": fkind, "auth_variant": avar, "from_domain": fdom,
                    "shape": shape, "docs": dtruth, **mtruth_extra})
    return out


# ----------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--out", default="/tmp/heldout_c")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    t0 = time.time()
    rng = random.Random(a.seed)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    pdir = os.path.join(a.out, "pdf")
    os.makedirs(pdir)
    truths, jobs = [], []
    persons: list[tuple[str, str]] = []
    decoy_numbers: set[str] = set()
    n = 0
    for scen, count, fn in build_scenarios(rng):
        for k in range(count):
            ctx = Ctx(random.Random(rng.randrange(2**62)), scen)
            doc, t = fn(ctx)
            prod = choose_producer(ctx.rng, scen, t)
            cf_ = t.get("cpr_form") or ""
            if prod == "groff" and any(x in cf_ for x in ("thin", "narrow", "nbsp")):
                t["cpr_form_effective"] = "groff unbreakable space"
            if prod == "ghostscript" and any(x in cf_ for x in ("thin", "narrow", "endash", "nbhyph", "dash", "dot")):
                t["cpr_form_effective"] = "latin-1 font: hyphen drawn as minus, thin spaces as spaces"
            fname = f"d{n:03d}_{scen}_{prod}.pdf"
            n += 1
            t = {"file": fname, "producer": prod, **t}
            truths.append(t)
            persons += ctx.persons
            for o in t["others"]:
                if o.get("digits") and o["kind"] not in ("relative", "second_patient", "doctor") and G.birth_date(o["digits"]):
                    decoy_numbers.add(o["digits"])
            jobs.append((doc, os.path.join(pdir, fname), random.Random(ctx.rng.randrange(2**62)), prod))
    # render
    lo = [(d, p, r) for d, p, r, prod in jobs if prod == "libreoffice"]
    rest = [(d, p, r, prod) for d, p, r, prod in jobs if prod != "libreoffice"]
    with cf.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        futs = [ex.submit(R.RENDERERS[prod], d, p, r) for d, p, r, prod in rest if prod == "chromium"]
        futs.append(ex.submit(R.render_libreoffice_batch, lo))
        for d, p, r, prod in rest:
            if prod != "chromium":
                R.RENDERERS[prod](d, p, r)
        for f in futs:
            f.result()
    for t in truths:
        with open(os.path.join(pdir, t["file"]), "rb") as f:
            t["sha256"] = hashlib.sha256(f.read()).hexdigest()
    check_text(truths, pdir)
    mails = make_mails(random.Random(rng.randrange(2**62)), truths, a.out, persons)
    with open(os.path.join(a.out, "truth.jsonl"), "w", encoding="utf-8") as f:
        for t in truths:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "mail_truth.jsonl"), "w", encoding="utf-8") as f:
        for m in mails:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    # case register: one open sygedagpenge case per person (and per CPR-shaped decoy number, as if a citizen had it)
    crng = random.Random(a.seed + 1)
    seen = {}
    for cpr, name in persons:
        seen.setdefault(cpr, name)
    for d in sorted(decoy_numbers):
        if d not in seen:
            q = G.Person(crng)
            seen[d] = q.full
    with open(os.path.join(a.out, "cases.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cpr", "case_id", "case_type", "status", "caseworker_email", "team", "name"])
        for i, (cpr, name) in enumerate(sorted(seen.items())):
            cw = f"sagsbehandler{crng.randint(1, 25)}@kommune.example"
            w.writerow([cpr, f"SDP-{2025}-{10000 + i}", "sygedagpenge", "open", cw, "Sygedagpenge", name])
            if crng.random() < 0.15:
                w.writerow([cpr, f"KTH-{2023}-{20000 + i}", "kontanthjælp", "closed", cw, "Kontanthjælp", name])
    from collections import Counter
    c = Counter(t["scenario"] for t in truths)
    print(f"{len(truths)} PDFs ({sum(t['fileable'] for t in truths)} fileable, {sum(t['must_escalate'] for t in truths)} must escalate), "
          f"{len(mails)} mails, {len(seen)} persons in cases.csv, in {time.time() - t0:.0f}s -> {a.out}")
    print("producers:", dict(Counter(t["producer"] for t in truths)))


def check_text(truths, pdir):
    """Self-check: the patient's CPR digits must be in the text layer of every text PDF that should carry them."""
    import pypdfium2 as pdfium
    bad = 0
    for t in truths:
        if t["producer"].startswith("scan") or not t["patient_cpr"] or t["layout"] in ("field", "field_text7", "fieldboxes"):
            t["text_check"] = None
            continue
        pdf = pdfium.PdfDocument(os.path.join(pdir, t["file"]))
        txt = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        pdf.close()
        digits = re.sub(r"\D", "", txt)
        ok = any(re.sub(r"\D", "", G.cpr_written(t["patient_cpr"], f)) in digits for f in ("dash", "dot4"))
        t["text_check"] = ok
        if not ok:
            bad += 1
            print(f"  text check failed: {t['file']} ({t['cpr_form']}, {t['layout']})", file=sys.stderr)
    if bad:
        print(f"{bad} PDFs failed the text self-check", file=sys.stderr)


if __name__ == "__main__":
    main()
