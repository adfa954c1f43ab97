"""Prints the text layer of PDFs as pypdfium2 reads it (to look at what a miss saw)."""
import sys, pypdfium2 as p
for f in sys.argv[1:]:
    d = p.PdfDocument(f)
    print("=====", f, len(d))
    for pg in d:
        print(pg.get_textpage().get_text_range())
        print("--- page")
