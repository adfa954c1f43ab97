#!/usr/bin/env python3
"""Score a FROZEN lae-robot CLI on held-out corpus E (stdlib only).

  python3 bench/heldout_e/evaluate.py [--robot .venv/bin/lae-robot] [--rules rules] \
      [--corpus /tmp/heldout_e] [--reveal] [--keep DIR]

(a) extract --json --reveal-cpr over every PDF: ok with a CPR that is not the patient's (MUST 0), ok with a wrong form
    (MUST 0), recall over the fileable PDFs (goal >= 97 %), misses by scenario.
(b) process --json in a temporary installation (folder archive, register with one open sygedagpenge case per person,
    relatives too), without and with the register's name column: misfiled (MUST 0), filed from a forged or dubious
    sender (MUST 0), recall over the documents that should be filed (goal >= 97 %).
(c) privacy: any person's full CPR, in any written form, in CLI output (extract without --reveal-cpr, process,
    escalations list, status), sidecars, archive file names, outbox (MUST 0).
CPR numbers are printed masked (DDMMYY-xxxx) unless --reveal. Exit 0 only when every check passes.
"""
import argparse
from pathlib import Path
import collections
import csv
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROUTE_FORMS = {"105", "115", "125", "135", "145", "155", "225", "265", "275", "285"}
PDF_FROM = "attester@psykiatri.rn.dk"
REVEAL = False


def mask(c):
    if not c:
        return str(c)
    return c if REVEAL else f"{c[:6]}-xxxx"


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def run(cmd, env=None, timeout=3600):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.time() - t


def parse_json_lines(text):
    out = []
    for l in text.splitlines():
        l = l.strip()
        if l.startswith("{"):
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out


def norm_form(b):
    if not b:
        return None
    m = re.search(r"(\d{3})", str(b))
    return m.group(1) if m else str(b)


def digits(s):
    return re.sub(r"\D", "", s or "")


# ------------------------------------------------------------------ privacy scanner
SEP = "[ \t.\\-/\u00a0\u2009\u202f\u2007\u2010\u2011\u2012\u2013\u2014_|:]"
RUN = re.compile(r"\d(?:" + SEP + r"{0,3}\d){9,}")


class Scanner:
    def __init__(self, cprs):
        self.cprs = set(cprs)
        self.hits = []

    def scan(self, text, where):
        if not text:
            return
        for m in RUN.finditer(text):
            d = digits(m.group(0))
            for i in range(len(d) - 9):
                w = d[i:i + 10]
                if w in self.cprs:
                    self.hits.append((where, w, m.group(0)))
                    break

    def scan_jsonish(self, text, where):
        self.scan(text, where)
        for l in text.splitlines():
            l = l.strip()
            if l.startswith("{"):
                try:
                    obj = json.loads(l)
                except ValueError:
                    continue
                for s in walk_strings(obj):
                    self.scan(s, where + " (decoded)")

    def scan_mail_bytes(self, raw, where):
        self.scan(raw.decode("utf-8", "replace"), where)
        try:
            m = email.message_from_bytes(raw, policy=email.policy.default)
        except Exception:
            return
        for k, v in m.items():
            self.scan(f"{k}: {v}", where + " header")
        for part in m.walk():
            fn = part.get_filename()
            if fn:
                self.scan(fn, where + " filename")
            if part.get_content_maintype() == "text":
                try:
                    self.scan(part.get_content(), where + " body")
                except Exception:
                    pass


def walk_strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for k, v in o.items():
            yield str(k)
            yield from walk_strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk_strings(v)


# ------------------------------------------------------------------ (a) extraction
def eval_extract(args, truths, pdfdir, scanner, report):
    files = [os.path.join(pdfdir, t["file"]) for t in truths]
    rc, out, err, secs = run([args.robot, "extract", "--json", "--reveal-cpr", "--rules", args.rules] + files)
    report.append(f"extract --json --reveal-cpr: {len(files)} PDFs in {secs:.1f} s (rc {rc})")
    recs = {os.path.basename(r.get("file", "")): r for r in parse_json_lines(out)}
    by = {t["file"]: t for t in truths}
    wrong_person, wrong_form, ok_must_escalate, misses = [], [], [], []
    fileable = [t for t in truths if t["fileable"]]
    hit = 0
    for t in truths:
        r = recs.get(t["file"])
        if r is None:
            misses.append((t, {"status": "NO OUTPUT"}))
            continue
        st = r.get("status")
        got = digits(r.get("cpr"))
        if st == "ok":
            if got != (t["cpr"] or ""):
                who = "unknown"
                for o in t["others"]:
                    if o["cpr"] == got:
                        who = f"{o['kind']}:{o.get('role') or o.get('label')}"
                wrong_person.append((t, r, who))
            if norm_form(r.get("blanket")) != norm_form(t["form"]):
                wrong_form.append((t, r))
            if t["must_escalate"]:
                ok_must_escalate.append((t, r))
        if t["fileable"]:
            if st == "ok" and got == t["cpr"] and norm_form(r.get("blanket")) == norm_form(t["form"]):
                hit += 1
            else:
                misses.append((t, r))
    recall = hit / len(fileable) if fileable else 1.0
    report.append(f"  ok with another person's/no patient CPR: {len(wrong_person)}   (MUST be 0)")
    for t, r, who in wrong_person:
        report.append(f"    {t['file']} [{t['producer']}/{t['scenario']}] got {mask(digits(r.get('cpr')))} ({who}), "
                      f"patient {mask(t['cpr'])} printed as {t['cpr_form']}/{t['patient_style']} masked={t.get('masked')}")
    report.append(f"  ok with a wrong form: {len(wrong_form)}   (MUST be 0)")
    for t, r in wrong_form:
        report.append(f"    {t['file']} [{t['producer']}/{t['scenario']}] got {r.get('blanket')} want {t['form']} heading={t['heading']}")
    report.append(f"  ok although it must escalate (any CPR): {len(ok_must_escalate)}")
    for t, r in ok_must_escalate:
        report.append(f"    {t['file']} [{t['producer']}/{t['scenario']}] others="
                      + ",".join(f"{o.get('role')}@{o.get('placement')}" for o in t['others'] if o['kind'] == 'person'))
    report.append(f"  recall over fileable: {hit}/{len(fileable)} = {100 * recall:.1f} %   (goal >= 97 %)")
    byscen = collections.Counter((t["scenario"], r.get("status")) for t, r in misses if t["fileable"])
    for (sc, st), n in sorted(byscen.items()):
        report.append(f"    miss {sc:18s} {st:16s} {n}")
    for t, r in misses:
        if t["fileable"]:
            report.append(f"    miss {t['file']} [{t['producer']}] {r.get('status')} cpr-form={t['cpr_form']} "
                          f"style={t['patient_style']} heading={t['heading']} detail={str(r.get('detail'))[:90]}")
    # the same run, without --reveal-cpr, over PDFs and mails: privacy
    rc, out, err, secs2 = run([args.robot, "extract", "--json", "--rules", args.rules] + files)
    scanner.scan_jsonish(out, "extract stdout")
    scanner.scan(err, "extract stderr")
    mails = sorted(os.path.join(args.corpus, "mail", f) for f in os.listdir(os.path.join(args.corpus, "mail")))
    rc, out, err, secs3 = run([args.robot, "extract", "--json", "--rules", args.rules] + mails)
    scanner.scan_jsonish(out, "extract(mails) stdout")
    scanner.scan(err, "extract(mails) stderr")
    rc, out, err, _ = run([args.robot, "extract", "--rules", args.rules] + mails[:40] + files[:60])
    scanner.scan(out, "extract(human) stdout")
    scanner.scan(err, "extract(human) stderr")
    report.append(f"  extract without --reveal-cpr: PDFs {secs2:.1f} s, mails {secs3:.1f} s")
    passed = not wrong_person and not wrong_form and recall >= 0.97
    return passed, {"wrong_person": len(wrong_person), "wrong_form": len(wrong_form), "recall": recall,
                    "ok_must_escalate": len(ok_must_escalate)}


# ------------------------------------------------------------------ (b) process
def eval_process(args, truths, mails, persons, names, scanner, report, keep):
    label = "with names" if names else "without names"
    root = tempfile.mkdtemp(prefix=f"heldout_e_proc_{'n' if names else 'x'}_")
    rules = os.path.join(root, "rules")
    shutil.copytree(args.rules, rules)
    for d in ("var", "var/archive", "var/outbox"):
        os.makedirs(os.path.join(root, d))
    reg = os.path.join(root, "var", "cases.csv")
    case_cpr = {}
    with open(reg, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["cpr", "case_id", "case_type", "status", "caseworker_email", "team"] + (["name"] if names else []))
        for i, p in enumerate(sorted(persons, key=lambda p: p["cpr"])):
            cid = f"SDP-2026-{10000 + i}"
            case_cpr[cid] = p["cpr"]
            w.writerow([p["cpr"], cid, "sygedagpenge", "open", f"sagsbehandler{i % 7}@kommune.example",
                        "sygedagpenge@kommune.example"] + ([p["name"]] if names else []))
    cfg = os.path.join(root, "config.toml")
    with open(cfg, "w") as f:
        f.write(f"""[logging]
format = "json"
level = "INFO"
[rules]
dir = "{rules}"
[ledger]
path = "{root}/var/ledger.sqlite3"
[archive]
adapter = "folder"
folder = {{ root = "{root}/var/archive", register = "{reg}" }}
[notify]
operators = ["lae-robot-drift@kommune.example"]
sender = "Lægerobotten <lae-robot@kommune.example>"
transport = "outbox"
outbox_dir = "{root}/var/outbox"
[ingress]
smtp_enabled = false
""")
    env = dict(os.environ)
    env.pop("LAE_ROBOT_CONFIG", None)
    pdfdir = os.path.join(args.corpus, "pdf")
    in_mail = {d["pdf"] for m in mails for d in m["documents"]}
    bare = [t for t in truths if t["file"] not in in_mail]
    outs = []
    rc1, o1, e1, s1 = run([args.robot, "--config", cfg, "process", "--json", "--pdf-from", PDF_FROM]
                          + [os.path.join(pdfdir, t["file"]) for t in bare], env=env)
    mailfiles = [os.path.join(args.corpus, "mail", m["file"]) for m in mails]
    rc2, o2, e2, s2 = run([args.robot, "--config", cfg, "process", "--json"] + mailfiles, env=env)
    rc3, o3, e3, _ = run([args.robot, "--config", cfg, "escalations", "list", "--all", "--json"], env=env)
    rc4, o4, e4, _ = run([args.robot, "--config", cfg, "status"], env=env)
    rc5, o5, e5, _ = run([args.robot, "--config", cfg, "process"] + mailfiles[:30], env=env)  # human form, repeats
    for n, (o, e) in enumerate([(o1, e1), (o2, e2), (o3, e3), (o4, e4), (o5, e5)]):
        scanner.scan_jsonish(o, f"process[{label}] cmd{n} stdout")
        scanner.scan(e, f"process[{label}] cmd{n} stderr")
    report.append(f"process --json ({label}): {len(bare)} bare PDFs in {s1:.1f} s (rc {rc1}), "
                  f"{len(mails)} mails in {s2:.1f} s (rc {rc2}); root {root}")
    # archive: file names, sidecars; outbox
    arch = os.path.join(root, "var", "archive")
    for dp, dn, fns in os.walk(arch):
        for fn in fns:
            scanner.scan(os.path.join(dp, fn)[len(arch):], f"archive name [{label}]")
            if not fn.lower().endswith(".pdf"):
                with open(os.path.join(dp, fn), "rb") as f:
                    scanner.scan_jsonish(f.read().decode("utf-8", "replace"), f"sidecar [{label}] {fn}")
    ob = os.path.join(root, "var", "outbox")
    for dp, dn, fns in os.walk(ob):
        for fn in fns:
            scanner.scan(fn, f"outbox name [{label}]")
            with open(os.path.join(dp, fn), "rb") as f:
                scanner.scan_mail_bytes(f.read(), f"outbox [{label}] {fn}")
    # outcomes
    recs1 = parse_json_lines(o1)
    recs2 = parse_json_lines(o2)
    if not recs1 and not recs2:
        report.append("  NO JSON OUTPUT; stderr: " + (e1 + e2)[-600:])
    by_pdf = {t["file"]: t for t in truths}
    expect = []  # (key, truth, should_file, forged, mailfile)
    for t in bare:
        should = t["fileable"] and norm_form(t["form"]) in ROUTE_FORMS
        expect.append((("", t["file"]), t, should, False, None))
    for m in mails:
        for d in m["documents"]:
            expect.append(((m["file"], d["attachment"]), by_pdf[d["pdf"]], d["should_file"], not m["legit"], m))
    got = {}
    for r in recs1:
        got[("", os.path.basename(str(r.get("file", ""))))] = r
    for r in recs2:
        got[(os.path.basename(str(r.get("file", ""))), r.get("attachment") or "")] = r
    misfiled, forged_filed, filed_must_escalate, misses, unmatched = [], [], [], [], []
    hit = n_should = 0
    for key, t, should, forged, m in expect:
        r = got.get(key)
        if r is None and m is not None:
            # attachment names may be reported masked: compare them without digits and x, else by position
            def bare_name(n):
                return re.sub(r"[\dxX\-\s]", "", n or "").lower()
            cands = [v for k, v in got.items() if k[0] == key[0] and str(k[1]).lower().endswith(".pdf")]
            same = [v for v in cands if bare_name(v.get("attachment")) == bare_name(key[1])]
            if len(same) == 1:
                r = same[0]
            else:
                idx = [d["attachment"] for d in m["documents"]].index(key[1])
                r = cands[idx] if idx < len(cands) else None
        if r is None:
            unmatched.append(key)
            continue
        outcome = r.get("outcome") or r.get("status")
        case = r.get("case") or r.get("case_id")
        filed = outcome in ("filed", "duplicate")
        if filed:
            cc = case_cpr.get(str(case))
            if cc != t["cpr"]:
                misfiled.append((key, t, r, cc))
            if forged:
                forged_filed.append((key, t, r, m))
            if not should and not forged and cc == t["cpr"]:
                filed_must_escalate.append((key, t, r, m))
        if should:
            n_should += 1
            if filed and case_cpr.get(str(case)) == t["cpr"]:
                hit += 1
            else:
                misses.append((key, t, r, m))
    recall = hit / n_should if n_should else 1.0
    report.append(f"  misfiled (case of another person): {len(misfiled)}   (MUST be 0)")
    for key, t, r, cc in misfiled:
        who = "unknown"
        for o in t["others"]:
            if o["cpr"] == cc:
                who = f"{o.get('role')}@{o.get('placement')}"
        report.append(f"    {key[0] or 'bare'}:{t['file']} [{t['producer']}/{t['scenario']}] filed under {mask(cc)} ({who}); "
                      f"patient {mask(t['cpr'])} as {t['cpr_form']}/{t['patient_style']} masked={t.get('masked')}")
    report.append(f"  filed from a forged/dubious sender: {len(forged_filed)}   (MUST be 0)")
    for key, t, r, m in forged_filed:
        report.append(f"    {m['file']} forge={m['forge']} from={m['from'].encode('unicode_escape').decode()}")
    report.append(f"  filed although it must escalate (into the patient's case): {len(filed_must_escalate)}")
    for key, t, r, m in filed_must_escalate:
        why = "mail cpr_conflict" if m and m.get("cpr_conflict") else t["scenario"]
        report.append(f"    {key[0] or 'bare'}:{t['file']} [{t['producer']}] {why}")
    report.append(f"  recall: {hit}/{n_should} = {100 * recall:.1f} %   (goal >= 97 %); unmatched records: {len(unmatched)}")
    reasons = collections.Counter()
    for key, t, r, m in misses:
        reasons[(t["scenario"], str(r.get("reason") or r.get("outcome")))] += 1
    for (sc, rs), n in sorted(reasons.items()):
        report.append(f"    miss {sc:18s} {rs:22s} {n}")
    for key, t, r, m in misses[:40]:
        report.append(f"    miss {key[0] or 'bare'}:{t['file']} [{t['producer']}] {r.get('outcome')}/{r.get('reason')} "
                      f"name={t['name_printed']!r} style={t['patient_style']} {str(r.get('detail') or '')[:80]}")
    if keep:
        dst = os.path.join(keep, f"process_{'names' if names else 'nonames'}")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(root, dst)
        with open(os.path.join(dst, "stdout_pdfs.jsonl"), "w") as f:
            f.write(o1)
        with open(os.path.join(dst, "stdout_mails.jsonl"), "w") as f:
            f.write(o2)
    shutil.rmtree(root, ignore_errors=True)
    passed = not misfiled and not forged_filed and recall >= 0.97 and not unmatched
    return passed, {"misfiled": len(misfiled), "forged_filed": len(forged_filed), "recall": recall,
                    "filed_must_escalate": len(filed_must_escalate)}


def main():
    global REVEAL
    ap = argparse.ArgumentParser()
    ap.add_argument("--robot", default=str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "lae-robot"))
    ap.add_argument("--rules", default=str(Path(__file__).resolve().parents[2] / "rules"))
    ap.add_argument("--corpus", default="/tmp/heldout_e")
    ap.add_argument("--reveal", action="store_true")
    ap.add_argument("--keep", help="copy the temporary installations here")
    args = ap.parse_args()
    REVEAL = args.reveal
    t0 = time.time()
    truths = load_jsonl(os.path.join(args.corpus, "truth.jsonl"))
    mails = load_jsonl(os.path.join(args.corpus, "mail_truth.jsonl"))
    persons = load_jsonl(os.path.join(args.corpus, "persons.jsonl"))
    scanner = Scanner(p["cpr"] for p in persons)
    report = [f"corpus {args.corpus}: {len(truths)} PDFs ({sum(t['fileable'] for t in truths)} fileable), "
              f"{len(mails)} mails ({sum(not m['legit'] for m in mails)} forged/dubious), {len(persons)} persons"]
    ok_a, fa = eval_extract(args, truths, os.path.join(args.corpus, "pdf"), scanner, report)
    ok_b1, fb1 = eval_process(args, truths, mails, persons, False, scanner, report, args.keep)
    ok_b2, fb2 = eval_process(args, truths, mails, persons, True, scanner, report, args.keep)
    report.append(f"privacy: full CPRs in output: {len(scanner.hits)}   (MUST be 0)")
    seen = collections.Counter()
    for where, c, txt in scanner.hits:
        k = re.sub(r"\S+\.(eml|json|pdf)$", "", where)
        seen[k] += 1
        if seen[k] <= 3:
            shown = txt if REVEAL else re.sub(r"\d", "#", txt[:6]) + "…"
            report.append(f"    {where}: {mask(c)} written {shown!r}")
    summary = {"extract": fa, "process_without_names": fb1, "process_with_names": fb2, "leaks": len(scanner.hits)}
    report.append("SUMMARY " + json.dumps(summary))
    ok = ok_a and ok_b1 and ok_b2 and not scanner.hits
    report.append(f"{'PASS' if ok else 'FAIL'} in {time.time() - t0:.0f} s")
    print("\n".join(report))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
