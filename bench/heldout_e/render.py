"""Producers: reportlab (platypus + canvas/AcroForm), fpdf2, Chromium (HTML), LibreOffice (HTML import), groff+ps2pdf,
and Ghostscript rasterising (scans)."""
import base64
import html
import io
import os
import re
import shutil
import subprocess
import tempfile

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONTB = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def text_png(text, size=28):
    f = ImageFont.truetype(FONT, size)
    w = int(f.getlength(text)) + 12
    im = Image.new("RGB", (w, size + 14), "white")
    d = ImageDraw.Draw(im)
    d.text((6, 5), text, fill="black", font=f)
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue(), im.size


def hf(s, p=None, n=None):
    if s is None:
        return None
    return s.replace("{p}", str(p) if p else "").replace("{n}", str(n) if n else "")


# ---------------------------------------------------------------- reportlab
def render_reportlab(doc, out):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib import colors
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (SimpleDocTemplate, Paragraph, Table, TableStyle, Spacer, PageBreak, Flowable,
                                    Image as RLImage)
    try:
        pdfmetrics.registerFont(TTFont("DV", FONT))
        pdfmetrics.registerFont(TTFont("DVB", FONTB))
    except Exception:
        pass
    st = ParagraphStyle("n", fontName="DV", fontSize=9.5, leading=12.5)
    sh = ParagraphStyle("h", fontName="DVB", fontSize=13, leading=17, spaceAfter=4)
    sb = ParagraphStyle("b", fontName="DVB", fontSize=9.5, leading=12.5)

    def P(t, s=st):
        return Paragraph(html.escape(t).replace("\n", "<br/>"), s)

    class Boxes(Flowable):
        def __init__(self, label, chars):
            super().__init__()
            self.label, self.chars = label, chars
            self.height = 9 * mm

        def wrap(self, aw, ah):
            return aw, self.height

        def draw(self):
            c = self.canv
            c.setFont("DV", 9.5)
            c.drawString(0, 2.5 * mm, self.label)
            x = 38 * mm
            for ch in self.chars:
                if ch == "-":
                    c.drawString(x + 1.2 * mm, 2.5 * mm, "-")
                    x += 4 * mm
                    continue
                c.rect(x, 0, 6 * mm, 7 * mm)
                c.drawCentredString(x + 3 * mm, 2 * mm, ch)
                x += 6.5 * mm

    class Field(Flowable):
        def __init__(self, label, name, value):
            super().__init__()
            self.label, self.name = label, name
            # the form software stores Latin-1 (Helvetica) values: typographic separators become ASCII
            self.value = value.translate({0x2013: "-", 0x2011: "-", 0x2009: " ", 0xa0: " ", 0xb7: "."})
            self.height = 9 * mm

        def wrap(self, aw, ah):
            return aw, self.height

        def draw(self):
            c = self.canv
            c.setFont("DV", 9.5)
            c.drawString(0, 2.5 * mm, self.label)
            c.acroForm.textfield(name=self.name, value=self.value, x=45 * mm, y=0, width=70 * mm, height=7 * mm,
                                 relative=True, fontName="Helvetica", fontSize=10, borderWidth=0.6,
                                 borderColor=colors.black, fillColor=colors.white, textColor=colors.black,
                                 forceBorder=True)

    def flows(blocks, width):
        fl = []
        for b in blocks:
            k = b[0]
            if k == "h":
                fl.append(P(b[1], sh))
            elif k == "p":
                fl.append(P(b[1]))
                fl.append(Spacer(1, 2))
            elif k == "kv":
                t = Table([[P(a, sb), P(v)] for a, v in b[1]], colWidths=[width * 0.36, width * 0.64])
                t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                       ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
                fl.append(t)
            elif k == "kvnext":
                fl += [P(b[1], sb), P(b[2])]
            elif k == "table":
                hdr, rows = b[1], b[2]
                data = ([[P(x, sb) for x in hdr]] if hdr else []) + [[P(str(x)) for x in r] for r in rows]
                ncol = len(data[0])
                t = Table(data, colWidths=[width / ncol] * ncol, repeatRows=1 if hdr else 0)
                t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
                fl.append(t)
            elif k == "boxes":
                fl.append(Boxes(b[1], b[2]))
            elif k == "field":
                fl.append(Field(b[1], b[2], b[3]))
            elif k == "img":
                png, (w, h) = text_png(b[2])
                im = RLImage(io.BytesIO(png), width=w * 0.35, height=h * 0.35)
                t = Table([[P(b[1], sb), im]], colWidths=[width * 0.36, width * 0.64])
                t.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
                fl.append(t)
            elif k == "two":
                half = width / 2 - 4
                t = Table([[flows(b[1], half), flows(b[2], half)]], colWidths=[width / 2, width / 2])
                t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
                fl.append(t)
            elif k == "sp":
                fl.append(Spacer(1, 8))
        return fl

    def build(npages):
        frame_w = A4[0] - 40 * mm
        story = []
        for i, page in enumerate(doc["pages"]):
            if i:
                story.append(PageBreak())
            story += flows(page, frame_w)

        def on_page(c, d):
            c.saveState()
            c.setFont("DV", 8)
            pn = c.getPageNumber()
            if doc.get("header"):
                c.drawString(20 * mm, A4[1] - 12 * mm, hf(doc["header"], pn, npages))
            if doc.get("header2"):
                c.drawString(20 * mm, A4[1] - 16 * mm, hf(doc["header2"], pn, npages))
            if doc.get("footer"):
                c.drawString(20 * mm, 10 * mm, hf(doc["footer"], pn, npages))
            c.restoreState()
        sd = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
                               bottomMargin=18 * mm, title=doc.get("title", ""), author=doc.get("author", ""))
        sd.build(story, onFirstPage=on_page, onLaterPages=on_page)
        return sd.page
    n = build(0)
    build(n)


# ---------------------------------------------------------------- fpdf2
def render_fpdf(doc, out):
    from fpdf import FPDF

    class PDF(FPDF):
        def header(self):
            if doc.get("header"):
                self.set_font("DV", "", 8)
                self.cell(0, 4, hf(doc["header"], self.page_no(), "{nb}"), new_x="LMARGIN", new_y="NEXT")
            if doc.get("header2"):
                self.set_font("DV", "", 8)
                self.cell(0, 4, hf(doc["header2"], self.page_no(), "{nb}"), new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self):
            if doc.get("footer"):
                self.set_y(-13)
                self.set_font("DV", "", 8)
                self.cell(0, 4, hf(doc["footer"], self.page_no(), "{nb}"))

    pdf = PDF(format="A4")
    pdf.add_font("DV", "", FONT)
    pdf.add_font("DV", "B", FONTB)
    pdf.set_auto_page_break(True, 18)
    pdf.set_title(doc.get("title", ""))
    pdf.set_author(doc.get("author", ""))

    def blocks(bl, x0, w):
        for b in bl:
            k = b[0]
            pdf.set_x(x0)
            if k == "h":
                pdf.set_font("DV", "B", 13)
                pdf.multi_cell(w, 7, b[1], new_x="LMARGIN", new_y="NEXT")
            elif k == "p":
                pdf.set_font("DV", "", 9.5)
                pdf.multi_cell(w, 5, b[1], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            elif k in ("kv", "field"):
                items = b[1] if k == "kv" else [(b[1], b[3])]
                for a, v in items:
                    pdf.set_x(x0)
                    pdf.set_font("DV", "B", 9.5)
                    pdf.cell(w * 0.36, 5, a)
                    pdf.set_font("DV", "", 9.5)
                    pdf.multi_cell(w * 0.64, 5, v, new_x="LMARGIN", new_y="NEXT")
            elif k == "kvnext":
                pdf.set_font("DV", "B", 9.5)
                pdf.multi_cell(w, 5, b[1], new_x="LMARGIN", new_y="NEXT")
                pdf.set_x(x0)
                pdf.set_font("DV", "", 9.5)
                pdf.multi_cell(w, 5, b[2], new_x="LMARGIN", new_y="NEXT")
            elif k == "table":
                pdf.set_font("DV", "", 9)
                hdr, rows = b[1], b[2]
                ncol = len(hdr) if hdr else len(rows[0])
                with pdf.table(width=w, col_widths=[1] * ncol, first_row_as_headings=bool(hdr),
                               align="LEFT") as t:
                    for r in ([hdr] if hdr else []) + rows:
                        row = t.row()
                        for c in r:
                            row.cell(str(c))
                pdf.ln(2)
            elif k == "boxes":
                pdf.set_font("DV", "B", 9.5)
                pdf.cell(w * 0.36, 7, b[1])
                pdf.set_font("DV", "", 10)
                for ch in b[2]:
                    if ch == "-":
                        pdf.cell(4, 7, "-")
                    else:
                        pdf.cell(6, 7, ch, border=1, align="C")
                pdf.ln(9)
            elif k == "img":
                png, (iw, ih) = text_png(b[2])
                pdf.set_font("DV", "B", 9.5)
                pdf.cell(w * 0.36, 6, b[1])
                pdf.image(io.BytesIO(png), h=5.5)
            elif k == "two":
                y = pdf.get_y()
                blocks(b[1], x0, w / 2 - 3)
                y1 = pdf.get_y()
                pdf.set_y(y)
                pdf.set_left_margin(x0 + w / 2 + 3)
                blocks(b[2], x0 + w / 2 + 3, w / 2 - 3)
                pdf.set_left_margin(x0)
                pdf.set_y(max(y1, pdf.get_y()))
            elif k == "sp":
                pdf.ln(4)
    for page in doc["pages"]:
        pdf.add_page()
        blocks(page, pdf.l_margin, pdf.epw)
    pdf.output(out)


# ---------------------------------------------------------------- HTML (Chromium, LibreOffice)
def to_html(doc, fixed_hf):
    e = html.escape
    css = """body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;margin:0}
    table{border-collapse:collapse} td,th{vertical-align:top;padding:2px 5px}
    table.g td,table.g th{border:1px solid #777} .box{display:inline-block;border:1px solid #000;width:1.3em;
    text-align:center;margin-right:1px} .lbl{font-weight:bold;padding-right:12px} .fld{border:1px solid #333;padding:1px 8px}"""
    if fixed_hf:
        css += """ .hd{font-size:8pt;border-bottom:1px solid #999} .ft{font-size:8pt;border-top:1px solid #999}
        @page{margin:14mm 16mm}"""

    def bl(blocks):
        h = []
        for b in blocks:
            k = b[0]
            if k == "h":
                h.append(f"<h2>{e(b[1]).replace(chr(10), '<br>')}</h2>")
            elif k == "p":
                h.append(f"<p>{e(b[1]).replace(chr(10), '<br>')}</p>")
            elif k == "kv":
                h.append("<table>" + "".join(f"<tr><td class=lbl>{e(a)}</td><td>{e(v)}</td></tr>" for a, v in b[1])
                         + "</table>")
            elif k == "field":
                h.append(f"<p><span class=lbl>{e(b[1])}</span> <span class=fld>{e(b[3])}</span></p>")
            elif k == "kvnext":
                h.append(f"<p><b>{e(b[1])}</b><br>{e(b[2])}</p>")
            elif k == "table":
                rows = ""
                if b[1]:
                    rows += "<tr>" + "".join(f"<th>{e(x)}</th>" for x in b[1]) + "</tr>"
                rows += "".join("<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in r) + "</tr>" for r in b[2])
                h.append(f"<table class=g width='100%'>{rows}</table>")
            elif k == "boxes":
                bx = "".join("-" if c == "-" else f"<span class=box>{e(c)}</span>" for c in b[2])
                h.append(f"<p><span class=lbl>{e(b[1])}</span> {bx}</p>")
            elif k == "img":
                png, (w, hh) = text_png(b[2])
                h.append(f"<p><span class=lbl>{e(b[1])}</span> <img height=16 src='data:image/png;base64,"
                         f"{base64.b64encode(png).decode()}'></p>")
            elif k == "two":
                h.append(f"<table width='100%'><tr><td width='50%'>{bl(b[1])}</td><td width='50%'>{bl(b[2])}</td></tr></table>")
            elif k == "sp":
                h.append("<br>")
        return "\n".join(h)
    parts = []
    for i, page in enumerate(doc["pages"]):
        brk = " style='page-break-before:always'" if i else ""
        parts.append(f"<div class=pg{brk}>{bl(page)}</div>")
    hdr = " · ".join(x for x in (hf(doc.get("header")), hf(doc.get("header2"))) if x)
    ftr = hf(doc.get("footer")) or ""
    content = "".join(parts)
    if fixed_hf:
        body = (f"<table width='100%'><thead><tr><td class=hd>{e(hdr)}</td></tr></thead>"
                f"<tfoot><tr><td class=ft>{e(ftr)}</td></tr></tfoot><tbody><tr><td>{content}</td></tr></tbody></table>")
    else:
        body = (f"<p class=hd>{e(hdr)}</p>" if hdr else "") + content + (f"<p class=ft>{e(ftr)}</p>" if ftr else "")
    return (f"<!doctype html><html lang=da><head><meta charset='utf-8'><title>{e(doc.get('title', ''))}</title>"
            f"<style>{css}</style></head><body>{body}</body></html>")


def render_chromium(doc, out):
    with tempfile.TemporaryDirectory() as td:
        src = os.path.join(td, "d.html")
        with open(src, "w", encoding="utf-8") as f:
            f.write(to_html(doc, True))
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--user-data-dir={td}/ud", f"--print-to-pdf={out}", "file://" + src],
                       check=True, capture_output=True, timeout=120)


def render_soffice_batch(jobs, workdir):
    """jobs: list of (doc, out). One soffice run converts them all."""
    if not jobs:
        return
    src = os.path.join(workdir, "soffice_src")
    dst = os.path.join(workdir, "soffice_out")
    os.makedirs(src, exist_ok=True)
    os.makedirs(dst, exist_ok=True)
    for i, (doc, out) in enumerate(jobs):
        with open(os.path.join(src, f"d{i:04d}.html"), "w", encoding="utf-8") as f:
            f.write(to_html(doc, False))
    files = sorted(os.listdir(src))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{workdir}/lo_profile", "--headless",
                    "--infilter=HTML (StarWriter)", "--convert-to", "pdf:writer_pdf_Export", "--outdir", dst]
                   + [os.path.join(src, f) for f in files], check=True, capture_output=True, timeout=1200)
    for i, (doc, out) in enumerate(jobs):
        shutil.move(os.path.join(dst, f"d{i:04d}.pdf"), out)


# ---------------------------------------------------------------- groff
def groff_esc(s):
    s = s.replace("\\", "\\e")
    lines = []
    for ln in s.split("\n"):
        if ln.startswith((".", "'")):
            ln = "\\&" + ln
        lines.append(ln)
    return "\n.br\n".join(lines)


def to_ms(doc):
    o = [".nr PS 10", ".nr VS 12", ".nr HM 0.8i", ".nr FM 0.8i"]
    hdr = " \\(bu ".join(groff_esc(hf(x, "%", "")) for x in (doc.get("header"), doc.get("header2")) if x)
    o.append(f".ds LH {hdr}" if hdr else ".ds LH")
    o += [".ds CH", ".ds RH"]
    if doc.get("footer"):
        o += [f".ds LF {groff_esc(hf(doc['footer'], '%', '')).replace('%', chr(92) + 'n%')}", ".ds CF", ".ds RF"]
    else:
        o += [".ds CF - % -"]
    o.append(".LP")

    def cell(t):
        return "T{\n" + groff_esc(str(t)) + "\nT}"

    def bl(blocks):
        r = []
        for b in blocks:
            k = b[0]
            if k == "h":
                r += [".SH", groff_esc(b[1]), ".LP"]
            elif k == "p":
                r += [".LP", groff_esc(b[1])]
            elif k in ("kv", "field"):
                items = b[1] if k == "kv" else [(b[1], b[3])]
                r += [".TS", "tab(@);", "lB l."]
                r += [f"{cell(a)}@{cell(v)}" for a, v in items]
                r += [".TE"]
            elif k == "kvnext":
                r += [".LP", f"\\fB{groff_esc(b[1])}\\fP", ".br", groff_esc(b[2])]
            elif k == "table":
                hdr, rows = b[1], b[2]
                n = len(hdr) if hdr else len(rows[0])
                w = {1: "6i", 2: "3i", 3: "2i", 4: "1.5i", 5: "1.2i"}.get(n, "1i")
                spec = " ".join([f"lw({w})"] * n)
                r += [".TS", "allbox tab(@);"]
                if hdr:
                    r.append(" ".join([f"lBw({w})"] * n))
                r.append(spec + ".")
                for row in ([hdr] if hdr else []) + rows:
                    r.append("@".join(cell(x) for x in row))
                r += [".TE"]
            elif k == "boxes":
                chars = [c for c in b[2] if c != "-"]
                r += [".TS", "tab(@);", "lB " + " ".join(["c"] * len(chars)) + "."]
                r += [cell(b[1]) + "@" + "@".join(chars)]
                r += [".TE"]
            elif k == "two":
                left = "\n.br\n".join(_flat(b[1]))
                right = "\n.br\n".join(_flat(b[2]))
                r += [".TS", "tab(@);", "lw(3i) lw(3i).", "T{\n" + left + "\nT}@T{\n" + right + "\nT}", ".TE"]
            elif k == "sp":
                r += [".sp"]
        return r
    for i, page in enumerate(doc["pages"]):
        if i:
            o.append(".bp")
        o += bl(page)
    return "\n".join(o) + "\n"


def _flat(blocks):
    out = []
    for b in blocks:
        if b[0] in ("h", "p"):
            out.append(groff_esc(b[1]))
        elif b[0] == "kv":
            out += [groff_esc(f"{a} {v}") for a, v in b[1]]
        elif b[0] == "kvnext":
            out += [groff_esc(b[1]), groff_esc(b[2])]
        elif b[0] == "field":
            out.append(groff_esc(f"{b[1]} {b[3]}"))
        elif b[0] == "table":
            for r in ([b[1]] if b[1] else []) + b[2]:
                out.append(groff_esc("  ".join(map(str, r))))
    return out


def render_groff(doc, out):
    ms = to_ms(doc)
    with tempfile.TemporaryDirectory() as td:
        src = os.path.join(td, "d.ms")
        with open(src, "w", encoding="utf-8") as f:
            f.write(ms)
        ps = subprocess.run(["groff", "-Kutf8", "-t", "-ms", "-Tps", src], check=True, capture_output=True).stdout
        subprocess.run(["ps2pdf", "-", out], input=ps, check=True, capture_output=True)


def rasterise(src_pdf, out, dpi=110):
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfimage24", f"-r{dpi}",
                    f"-sOutputFile={out}", src_pdf], check=True, capture_output=True)
