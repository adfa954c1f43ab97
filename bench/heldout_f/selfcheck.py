"""Corpus self-check independent of the robot: text layer contains what truth says (run with a python that has pypdfium2)."""
import json, re, sys, collections
import pypdfium2 as p
C = sys.argv[1] if len(sys.argv) > 1 else "/tmp/heldout_f"
truth = [json.loads(x) for x in open(f"{C}/truth.jsonl")]
SEP = r"[\s.\-/\u00a0\u2009\u2011\u2013]{0,3}"
def present(cpr, text):
    pat = SEP.join(re.escape(ch) for ch in cpr)
    return re.search(r"(?<!\d)" + pat + r"(?!\d)", text) is not None
bad = collections.Counter(); ex = collections.defaultdict(list)
for t in truth:
    d = p.PdfDocument(f"{C}/pdf/{t['file']}")
    text = "\n".join(pg.get_textpage().get_text_range() for pg in d)
    fields = ""
    if t["scenario"] == "scan":
        if text.strip(): bad["scan has text"] += 1; ex["scan has text"].append(t["file"])
        continue
    if t["fileable"]:
        if not present(t["patient_cpr"], text) and t["patient_layout"] != "field":
            bad["fileable patient cpr absent"] += 1; ex["fileable patient cpr absent"].append((t["file"], t["patient_layout"], t["cpr_style"]))
    if t["patient_cpr"] is None and t["scenario"] != "scan" and present(t["patient_cpr_true"], text):
        bad["unreadable patient cpr present"] += 1; ex["unreadable patient cpr present"].append(t["file"])
    for o in t["other_cprs"]:
        if not present(o, text):
            bad["other cpr absent"] += 1; ex["other cpr absent"].append((t["file"], t["others"]))
    if not t["other_cprs"]:
        pass
    nm = t["printed_name"].split(",")[0].split()[0]
    if nm not in text and t["patient_layout"] not in ("field", "image"):
        bad["name absent"] += 1; ex["name absent"].append((t["file"], nm))
print(dict(bad))
for k, v in ex.items(): print(k, v[:6])
print(collections.Counter(t["scenario"] for t in truth))
print(collections.Counter(t["producer"] for t in truth))
print(collections.Counter(t["patient_layout"] for t in truth if t["fileable"]))
print(collections.Counter(t["cpr_style"] for t in truth if t["fileable"]))
