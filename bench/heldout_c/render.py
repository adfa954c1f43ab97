"""Render the corpus's small document model with real PDF producers.

A document is a dict: blocks (list of tuples), header / footer (text repeated on every page, `{page}` is the
page number), title. Block kinds: letterhead, h1, h2, p, lines, kv, table, boxes, field, fieldboxes, pagebreak.
Producers: reportlab, fpdf2, chromium (HTML print-to-pdf), libreoffice (HTML import), groff (-ms with tbl),
ghostscript (hand-written PostScript), and scans (image-only, Pillow / reportlab)."""
from __future__ import annotations

import html
import os
import random
import shutil
import subprocess
import tempfile

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_B = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LIB = "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"
LIB_B = "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"


def flatten(doc) -> list[str]:
    """Text lines as a reader of the page sees them (for scans and the PostScript producer)."""
    out: list[str] = []
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            out += b[1] + [""]
        elif k in ("h1", "h2"):
            out += [b[1], ""]
        elif k == "p":
            out += wrap(b[1], 88) + [""]
        elif k == "lines":
            out += list(b[1])
        elif k == "kv":
            out += [f"{lab:<28} {val}" for lab, val in b[1]] + [""]
        elif k == "table":
            out += ["   ".join(b[1])] + ["   ".join(r) for r in b[2]] + [""]
        elif k == "boxes":
            out += [f"{b[1]}  " + " ".join(f"[{c}]" if c.isdigit() else c for c in b[2])]
        elif k == "field":
            out += [f"{b[1]} {b[3]}"]
        elif k == "fieldboxes":
            out += [f"{b[1]} " + " ".join(b[3])]
        elif k == "pagebreak":
            out.append("\f")
    return out


def needs_dejavu(doc) -> bool:
    """Liberation Sans has no thin or narrow no-break space: such documents are set in DejaVu."""
    t = repr(doc)
    return any(ch in t for ch in ("\u2009", "\u202f", "\\u2009", "\\u202f"))


def wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for w in text.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


# ---------------------------------------------------------------- reportlab
def render_reportlab(doc, path: str, rng: random.Random) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DV" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DV", FONT))
        pdfmetrics.registerFont(TTFont("DVB", FONT_B))
        pdfmetrics.registerFont(TTFont("LS", LIB))
        pdfmetrics.registerFont(TTFont("LSB", LIB_B))
    reg, bold = rng.choice([("DV", "DVB"), ("LS", "LSB")])
    if needs_dejavu(doc):
        reg, bold = "DV", "DVB"
    c = canvas.Canvas(path, pagesize=A4, invariant=1)
    c.setTitle(doc.get("title", "Dokument"))
    c.setAuthor(doc.get("author", ""))
    Wd, H = A4
    M = 50
    grid = rng.random() < 0.6
    st = {"y": H - M, "page": 0}

    def page_furniture():
        st["page"] += 1
        if doc.get("header"):
            c.setFont(reg, 8)
            c.drawString(M, H - 30, doc["header"].replace("{page}", str(st["page"])))
            c.line(M, H - 34, Wd - M, H - 34)
        if doc.get("footer"):
            c.setFont(reg, 8)
            c.drawString(M, 28, doc["footer"].replace("{page}", str(st["page"])))
        st["y"] = H - M - (14 if doc.get("header") else 0)

    def newpage():
        c.showPage()
        page_furniture()

    def need(h):
        if st["y"] - h < 60:
            newpage()

    def text(x, s, font=None, size=10):
        c.setFont(font or reg, size)
        c.drawString(x, st["y"], s)

    page_furniture()
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            for i, ln in enumerate(b[1]):
                need(12)
                c.setFont(bold if i == 0 else reg, 10 if i == 0 else 8)
                c.drawRightString(Wd - M, st["y"], ln)
                st["y"] -= 11
            st["y"] -= 8
        elif k in ("h1", "h2"):
            sz = 15 if k == "h1" else 11.5
            need(sz + 8)
            st["y"] -= 4
            text(M, b[1], bold, sz)
            st["y"] -= sz + 6
        elif k == "p":
            for ln in simpleSplit(b[1], reg, 10, Wd - 2 * M):
                need(13)
                text(M, ln)
                st["y"] -= 13
            st["y"] -= 6
        elif k == "lines":
            for ln in b[1]:
                need(13)
                text(M, ln)
                st["y"] -= 13
            st["y"] -= 4
        elif k == "kv":
            for lab, val in b[1]:
                vl = simpleSplit(val, reg, 10, Wd - 2 * M - 170) or [""]
                h = 14 * len(vl)
                need(h + 2)
                top = st["y"] + 10
                text(M + 3, lab, bold if b[2:] and b[2].get("boldlabels") else reg)
                for j, v in enumerate(vl):
                    c.setFont(reg, 10)
                    c.drawString(M + 173, st["y"] - 14 * j, v)
                if grid:
                    c.rect(M, top - h - 1, Wd - 2 * M, h + 1)
                    c.line(M + 168, top, M + 168, top - h - 1)
                st["y"] -= h + 1
            st["y"] -= 8
        elif k == "table":
            heads, rows = b[1], b[2]
            n = len(heads)
            avail = Wd - 2 * M
            size = 9.0
            while True:
                need_w = [max(pdfmetrics.stringWidth(r[j], bold, size) for r in [heads] + rows) + 8 for j in range(n)]
                if sum(need_w) <= avail or size <= 6:
                    break
                size -= 0.5
            extra = max(0.0, avail - sum(need_w)) / n
            xs = [M]
            for wdt in need_w:
                xs.append(xs[-1] + wdt + extra)
            for ri, row in enumerate([heads] + rows):
                need(16)
                for j, cell in enumerate(row):
                    c.setFont(bold if ri == 0 else reg, size)
                    c.drawString(xs[j] + 3, st["y"], cell)
                if grid:
                    c.rect(M, st["y"] - 4, xs[-1] - M, 15)
                    for j in range(1, n):
                        c.line(xs[j], st["y"] - 4, xs[j], st["y"] + 11)
                st["y"] -= 15
            st["y"] -= 8
        elif k == "boxes":
            need(22)
            text(M, b[1])
            x = M + 170
            for ch in b[2]:
                if ch.isdigit():
                    c.rect(x, st["y"] - 5, 15, 18)
                    c.setFont(reg, 11)
                    c.drawCentredString(x + 7.5, st["y"], ch)
                    x += 15
                else:
                    c.setFont(reg, 11)
                    c.drawCentredString(x + 6, st["y"], ch)
                    x += 12
            st["y"] -= 26
        elif k == "field":
            label, name, value = b[1], b[2], b[3]
            need(22)
            text(M, label)
            c.acroForm.textfield(name=name, value=value, x=M + 170, y=st["y"] - 5, width=180, height=17,
                                 fontName="Helvetica", fontSize=10, borderWidth=1, forceBorder=True)
            st["y"] -= 24
        elif k == "fieldboxes":
            label, prefix, digits = b[1], b[2], b[3]
            need(22)
            text(M, label)
            x = M + 170
            for i, ch in enumerate(digits):
                c.acroForm.textfield(name=f"{prefix}{i + 1}", value=ch, x=x, y=st["y"] - 5, width=15, height=18,
                                     fontName="Helvetica", fontSize=11, borderWidth=1, forceBorder=True, maxlen=1)
                x += 15 + (10 if i == 5 else 0)
                if i == 5:
                    c.setFont(reg, 11)
                    c.drawString(x - 8, st["y"], "-")
            st["y"] -= 26
        elif k == "pagebreak":
            newpage()
    c.showPage()
    c.save()


# ---------------------------------------------------------------- fpdf2
def render_fpdf(doc, path: str, rng: random.Random) -> None:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class P(FPDF):
        def header(self):
            if doc.get("header"):
                self.set_font("F", size=8)
                self.cell(0, 5, doc["header"].replace("{page}", str(self.page_no())), border="B",
                          new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                self.ln(3)

        def footer(self):
            if doc.get("footer"):
                self.set_y(-15)
                self.set_font("F", size=8)
                self.cell(0, 5, doc["footer"].replace("{page}", str(self.page_no())), align="C")

    pdf = P(format="A4")
    pdf.set_creation_date(__import__("datetime").datetime(2025, 10, 1, tzinfo=__import__("datetime").timezone.utc))
    fam = rng.choice([(FONT, FONT_B), (LIB, LIB_B), (FONT_SERIF, FONT_B)])
    if needs_dejavu(doc) and fam[0] == LIB:
        fam = (FONT, FONT_B)
    pdf.add_font("F", "", fam[0])
    pdf.add_font("F", "B", fam[1])
    pdf.set_title(doc.get("title", "Dokument"))
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    grid = 1 if rng.random() < 0.6 else 0
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            for i, ln in enumerate(b[1]):
                pdf.set_font("F", "B" if i == 0 else "", 10 if i == 0 else 8)
                pdf.cell(0, 4.5, ln, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(4)
        elif k in ("h1", "h2"):
            pdf.set_font("F", "B", 15 if k == "h1" else 11.5)
            pdf.multi_cell(0, 8 if k == "h1" else 6, b[1], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif k == "p":
            pdf.set_font("F", "", 10)
            pdf.multi_cell(0, 5, b[1], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif k == "lines":
            pdf.set_font("F", "", 10)
            for ln in b[1]:
                pdf.cell(0, 5, ln, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif k == "kv":
            pdf.set_font("F", "", 10)
            for lab, val in b[1]:
                pdf.cell(60, 6.5, lab, border=grid)
                pdf.multi_cell(0, 6.5, val, border=grid, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
        elif k == "table":
            heads, rows = b[1], b[2]
            n = len(heads)
            avail = pdf.w - pdf.l_margin - pdf.r_margin
            size = 9.0
            while True:
                pdf.set_font("F", "B", size)
                need_w = [max(pdf.get_string_width(r[j]) for r in [heads] + rows) + 3 for j in range(n)]
                if sum(need_w) <= avail or size <= 6:
                    break
                size -= 0.5
            extra = max(0.0, avail - sum(need_w)) / n
            for ri, row in enumerate([heads] + rows):
                pdf.set_font("F", "B" if ri == 0 else "", size)
                for j, cell in enumerate(row):
                    pdf.cell(need_w[j] + extra, 6.5, cell, border=grid)
                pdf.ln(6.5)
            pdf.ln(3)
        elif k in ("boxes", "field", "fieldboxes"):
            pdf.set_font("F", "", 10)
            label = b[1]
            pdf.cell(60, 7, label)
            chars = b[2] if k == "boxes" else (b[3] if k == "field" else b[3])
            if k == "field":
                pdf.cell(60, 7, chars, border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            else:
                for ch in chars:
                    if ch.isdigit():
                        pdf.cell(5.5, 7, ch, border=1, align="C")
                    else:
                        pdf.cell(4, 7, ch, align="C")
                pdf.ln(9)
        elif k == "pagebreak":
            pdf.add_page()
    pdf.output(path)


# ---------------------------------------------------------------- HTML (chromium, libreoffice)
def to_html(doc, rng: random.Random, repeat_header: bool) -> str:
    e = html.escape
    fonts = rng.choice(["Arial, sans-serif", "'DejaVu Sans', sans-serif", "'Liberation Serif', serif",
                        "Calibri, 'Liberation Sans', sans-serif"])
    border = rng.choice(["1px solid #444", "1px solid #999", "none"])
    css = f"""body{{font-family:{fonts};font-size:10.5pt;margin:0 8mm}}
.lh{{text-align:right;font-size:8.5pt;color:#333}} .lh b{{font-size:10.5pt}}
table{{border-collapse:collapse;margin:6px 0 10px 0}} td,th{{border:{border};padding:3px 6px;text-align:left;vertical-align:top}}
table.kv td:first-child{{width:42mm}} .hdr{{font-size:8pt;border-bottom:1px solid #888;margin-bottom:8px;padding-bottom:2px}}
.ftr{{font-size:8pt;color:#444;margin-top:18px;border-top:1px solid #bbb}}
.box{{display:inline-block;border:1px solid #000;width:14px;height:18px;text-align:center;margin-right:1px}}
.pb{{page-break-after:always}}"""
    parts = [f"<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'><title>{e(doc.get('title', 'Dokument'))}</title><style>{css}</style></head><body>"]
    page = 1

    def hdr():
        if doc.get("header"):
            parts.append(f"<div class='hdr'>{e(doc['header'].replace('{page}', str(page)))}</div>")

    def ftr():
        if doc.get("footer"):
            parts.append(f"<div class='ftr'>{e(doc['footer'].replace('{page}', str(page)))}</div>")

    hdr()
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            parts.append("<div class='lh'><b>" + e(b[1][0]) + "</b><br>" + "<br>".join(e(x) for x in b[1][1:]) + "</div>")
        elif k == "h1":
            parts.append(f"<h1 style='font-size:15pt'>{e(b[1])}</h1>")
        elif k == "h2":
            parts.append(f"<h2 style='font-size:11.5pt'>{e(b[1])}</h2>")
        elif k == "p":
            parts.append(f"<p>{e(b[1])}</p>")
        elif k == "lines":
            parts.append("<p>" + "<br>".join(e(x) for x in b[1]) + "</p>")
        elif k == "kv":
            parts.append("<table class='kv' width='100%'>" + "".join(f"<tr><td width='32%'>{e(a)}</td><td width='68%'>{e(v)}</td></tr>" for a, v in b[1]) + "</table>")
        elif k == "table":
            parts.append("<table width='100%'><tr>" + "".join(f"<th>{e(h)}</th>" for h in b[1]) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b[2]) + "</table>")
        elif k in ("boxes", "fieldboxes"):
            chars = b[2] if k == "boxes" else b[3]
            if rng.random() < 0.5:
                cells = "".join(f"<td style='border:1px solid #000;width:12px;text-align:center'>{e(ch)}</td>" if ch.isdigit()
                                else f"<td style='border:none'>{e(ch)}</td>" for ch in chars)
                parts.append(f"<table><tr><td nowrap width='170' style='border:none;padding-right:14px;white-space:nowrap'>{e(b[1])}</td>{cells}</tr></table>")
            else:
                parts.append(f"<p>{e(b[1])} " + "".join(f"<span class='box'>{e(ch)}</span>" if ch.isdigit() else e(ch) for ch in chars) + "</p>")
        elif k == "field":
            parts.append(f"<table class='kv' width='100%'><tr><td width='32%'>{e(b[1])}</td><td width='68%'>{e(b[3])}</td></tr></table>")
        elif k == "pagebreak":
            ftr()
            page += 1
            if repeat_header and doc.get("header"):
                parts.append(f"<p class='hdr' style=\"page-break-before: always\">{e(doc['header'].replace('{page}', str(page)))}</p>")
            else:
                parts.append("<p style=\"page-break-before: always\">&nbsp;</p>")
    ftr()
    parts.append("</body></html>")
    return "\n".join(parts)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer"]


def render_chromium(doc, path: str, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="hc_chr_") as td:
        src = os.path.join(td, "doc.html")
        with open(src, "w", encoding="utf-8") as f:
            f.write(to_html(doc, rng, True))
        ud = os.path.join(td, "profile")
        for attempt in range(3):
            r = subprocess.run(["/usr/bin/chromium", *CHROMIUM_FLAGS, f"--user-data-dir={ud}",
                                f"--print-to-pdf={path}", "file://" + src], capture_output=True, timeout=120)
            if os.path.exists(path) and os.path.getsize(path) > 0:
                return
        raise RuntimeError(f"chromium failed: {r.stderr[-400:]!r}")


def render_libreoffice_batch(jobs: list[tuple[dict, str, random.Random]]) -> None:
    """Many documents in one soffice run: HTML imported by Writer, exported as PDF."""
    if not jobs:
        return
    with tempfile.TemporaryDirectory(prefix="hc_lo_") as td:
        srcs = []
        for i, (doc, path, rng) in enumerate(jobs):
            src = os.path.join(td, f"d{i:04d}.html")
            with open(src, "w", encoding="utf-8") as f:
                f.write(to_html(doc, rng, True))
            srcs.append(src)
        out = os.path.join(td, "out")
        prof = "file://" + os.path.join(td, "profile")
        for k in range(0, len(srcs), 40):
            subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--infilter=HTML (StarWriter)",
                            "--convert-to", "pdf:writer_pdf_Export", "--outdir", out, *srcs[k:k + 40]],
                           capture_output=True, timeout=900)
        for i, (doc, path, rng) in enumerate(jobs):
            p = os.path.join(out, f"d{i:04d}.pdf")
            if not os.path.exists(p):
                raise RuntimeError(f"libreoffice did not convert {path}")
            shutil.move(p, path)


# ---------------------------------------------------------------- groff -ms
def _g(s: str) -> str:
    s = s.replace("\\", "\\e")
    for ch in ("\u00a0", "\u2009", "\u202f"):
        s = s.replace(ch, "\\~")
    s = s.replace("\u2011", "-").replace("\u2013", "\\(en").replace("·", "\\(pc")
    if s.startswith((".", "'")):
        s = "\\&" + s
    return s


def to_groff(doc, rng: random.Random) -> str:
    box = rng.choice(["allbox", "box", ""])
    L = [".nr PS 10", ".nr VS 12", ".nr HM 0.8i", ".nr FM 0.8i"]
    if doc.get("header"):
        L.append(".ds LH " + _g(doc["header"].replace("{page}", "%")))
        L += [".ds CH", ".ds RH"]
    else:
        L += [".ds CH", ".ds LH", ".ds RH"]
    if doc.get("footer"):
        L.append(".ds LF " + _g(doc["footer"].replace("{page}", "%")))
        L += [".ds CF", ".ds RF"]
    if doc.get("header"):  # -ms leaves the header off page 1: print it there by hand
        L += [".LP", "\\s-2" + _g(doc["header"].replace("{page}", "1")) + "\\s0", ".sp 0.5"]
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            L += [".LP", ".rj " + str(len(b[1])), f"\\fB{_g(b[1][0])}\\fP"] + ["\\s-1" + _g(x) + "\\s0" for x in b[1][1:]] + [".sp"]
        elif k == "h1":
            L += [".LP", ".sp 0.5", f"\\s+4\\fB{_g(b[1])}\\fP\\s0", ".sp 0.5"]
        elif k == "h2":
            L += [".SH", _g(b[1])]
        elif k == "p":
            L += [".PP", _g(b[1])]
        elif k == "lines":
            L += [".LP", ".nf"] + [_g(x) for x in b[1]] + [".fi"]
        elif k in ("kv", "field"):
            rows = b[1] if k == "kv" else [(b[1], b[3])]
            L += [".TS", f"{box} tab(@);", "l lw(3.6i)."]
            L += [f"{_g(a)}@T{{\n{_g(v)}\nT}}" for a, v in rows]
            L += [".TE"]
        elif k == "table":
            n = len(b[1])
            L += [".TS", f"{box} tab(@);", " ".join(["lb"] * n), " ".join(["l"] * n) + "."]
            L += ["@".join(_g(h) for h in b[1])] + ["@".join(_g(c) for c in r) for r in b[2]] + [".TE"]
        elif k in ("boxes", "fieldboxes"):
            chars = b[2] if k == "boxes" else b[3]
            cells = [c for c in chars]
            L += [".TS", "tab(@);", "l " + " ".join("c" for _ in cells) + "."]
            L += [_g(b[1]) + "@" + "@".join(_g(c) for c in cells), ".TE"]
        elif k == "pagebreak":
            L += [".bp"]
    return "\n".join(L) + "\n"


def render_groff(doc, path: str, rng: random.Random) -> None:
    src = to_groff(doc, rng)
    r = subprocess.run(["groff", "-Kutf8", "-t", "-ms", "-Tpdf"], input=src.encode("utf-8"), capture_output=True, timeout=120)
    if r.returncode != 0 or not r.stdout.startswith(b"%PDF"):
        raise RuntimeError(f"groff failed: {r.stderr[-400:]!r}")
    with open(path, "wb") as f:
        f.write(r.stdout)


# ---------------------------------------------------------------- PostScript through Ghostscript
_PS_FALLBACK = {"\u2009": " ", "\u202f": " ", "\u2013": "-", "\u2011": "-", "\u2019": "'", "\u201c": '"', "\u201d": '"'}


def _ps(s: str) -> str:
    out = []
    for ch in s:
        ch = _PS_FALLBACK.get(ch, ch)
        o = ord(ch)
        if ch in "\\()":
            out.append("\\" + ch)
        elif 32 <= o < 127:
            out.append(ch)
        elif o < 256:
            out.append(f"\\{o:03o}")
        else:
            out.append("?")
    return "".join(out)


def to_ps(doc, rng: random.Random) -> str:
    font = rng.choice(["Helvetica", "Times-Roman", "Courier"])
    bfont = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[font]
    cw = {"Helvetica": 0.52, "Times-Roman": 0.47, "Courier": 0.6}[font]
    P = ["%!PS-Adobe-3.0", "%%Title: " + _ps(doc.get("title", "Dokument")),
         "/reenc { findfont dup length dict begin {1 index /FID ne {def}{pop pop} ifelse} forall /Encoding ISOLatin1Encoding def currentdict end definefont pop } def",
         f"/R /{font} reenc /B /{bfont} reenc"]
    st = {"y": 790, "page": 0}
    M = 56

    def show(x, y, s, f="R", size=10):
        P.append(f"/{f} findfont {size} scalefont setfont {x} {y} moveto ({_ps(s)}) show")

    def start():
        st["page"] += 1
        P.append(f"%%Page: {st['page']} {st['page']}")
        st["y"] = 790
        if doc.get("header"):
            show(M, 812, doc["header"].replace("{page}", str(st["page"])), size=8)
            P.append(f"{M} 808 moveto 539 808 lineto 0.5 setlinewidth stroke")
            st["y"] = 780
        if doc.get("footer"):
            show(M, 30, doc["footer"].replace("{page}", str(st["page"])), size=8)

    def end():
        P.append("showpage")

    def need(h):
        if st["y"] - h < 60:
            end()
            start()

    start()
    for b in doc["blocks"]:
        k = b[0]
        if k == "letterhead":
            for i, ln in enumerate(b[1]):
                need(12)
                size = 10 if i == 0 else 8
                x = 539 - len(ln) * size * cw
                show(int(x), st["y"], ln, "B" if i == 0 else "R", size)
                st["y"] -= 11
            st["y"] -= 8
        elif k in ("h1", "h2"):
            sz = 15 if k == "h1" else 11.5
            need(sz + 8)
            show(M, st["y"], b[1], "B", sz)
            st["y"] -= sz + 8
        elif k in ("p", "lines"):
            lines = wrap(b[1], int(483 / (10 * cw))) if k == "p" else b[1]
            for ln in lines:
                need(13)
                show(M, st["y"], ln)
                st["y"] -= 13
            st["y"] -= 6
        elif k in ("kv", "field"):
            rows = b[1] if k == "kv" else [(b[1], b[3])]
            for a, v in rows:
                vl = wrap(v, int(310 / (10 * cw))) or [""]
                need(14 * len(vl))
                show(M, st["y"], a)
                for j, x in enumerate(vl):
                    show(M + 170, st["y"] - 14 * j, x)
                st["y"] -= 14 * len(vl) + 2
            st["y"] -= 6
        elif k == "table":
            n = len(b[1])
            size = 9.0
            while True:
                need_w = [max(len(r[j]) for r in [b[1]] + b[2]) * size * (cw + 0.06) + 8 for j in range(n)]
                if sum(need_w) <= 483 or size <= 6:
                    break
                size -= 0.5
            extra = max(0.0, 483 - sum(need_w)) / n
            xs = [M]
            for wdt in need_w:
                xs.append(xs[-1] + wdt + extra)
            for ri, row in enumerate([b[1]] + b[2]):
                need(15)
                for j, c in enumerate(row):
                    show(int(xs[j]), st["y"], c, "B" if ri == 0 else "R", size)
                st["y"] -= 15
            st["y"] -= 6
        elif k in ("boxes", "fieldboxes"):
            chars = b[2] if k == "boxes" else b[3]
            need(22)
            show(M, st["y"], b[1])
            x = M + 170
            for ch in chars:
                if ch.isdigit():
                    P.append(f"0.6 setlinewidth {x} {st['y'] - 5} 15 18 rectstroke")
                    show(x + 4, st["y"], ch, size=11)
                    x += 15
                else:
                    show(x + 3, st["y"], ch, size=11)
                    x += 12
            st["y"] -= 26
        elif k == "pagebreak":
            end()
            start()
    end()
    P.append("%%EOF")
    return "\n".join(P) + "\n"


def render_gs(doc, path: str, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="hc_gs_") as td:
        src = os.path.join(td, "doc.ps")
        with open(src, "w", encoding="latin-1") as f:
            f.write(to_ps(doc, rng))
        r = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                            f"-sOutputFile={path}", src], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"gs failed: {r.stderr[-400:]!r}")


# ---------------------------------------------------------------- scans (image only)
def _scan_pages(doc, rng: random.Random):
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    lines = flatten(doc)
    if doc.get("header"):
        lines = [doc["header"].replace("{page}", "1"), ""] + lines
    pages, cur = [], []
    for ln in lines:
        if ln == "\f" or len(cur) >= 58:
            pages.append(cur)
            cur = []
            if ln == "\f":
                continue
        cur.append(ln)
    pages.append(cur)
    f = ImageFont.truetype(FONT, 19)
    imgs = []
    for pl in pages:
        im = Image.new("L", (1240, 1754), 250)
        d = ImageDraw.Draw(im)
        y = 110
        for ln in pl:
            d.text((100 + rng.randint(-2, 2), y), ln, fill=rng.randint(10, 50), font=f)
            y += 27
        im = im.rotate(rng.uniform(-0.8, 0.8), fillcolor=250, resample=Image.BICUBIC)
        if rng.random() < 0.5:
            im = im.filter(ImageFilter.GaussianBlur(0.6))
        imgs.append(im)
    return imgs


def render_scan_pillow(doc, path: str, rng: random.Random) -> None:
    imgs = _scan_pages(doc, rng)
    imgs[0].save(path, "PDF", resolution=150, save_all=True, append_images=imgs[1:])


def render_scan_reportlab(doc, path: str, rng: random.Random) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path, pagesize=A4, invariant=1)
    c.setTitle("Scannet dokument")
    for im in _scan_pages(doc, rng):
        c.drawImage(ImageReader(im.convert("RGB")), 0, 0, *A4)
        c.showPage()
    c.save()


RENDERERS = {"reportlab": render_reportlab, "fpdf2": render_fpdf, "chromium": render_chromium, "groff": render_groff,
             "ghostscript": render_gs, "scan-pillow": render_scan_pillow, "scan-reportlab": render_scan_reportlab}
