#!/usr/bin/env python3
"""Score lae-robot on held-out corpus C (made by generate.py). Standard library only.

    python3 bench/heldout_c/evaluate.py [--data /tmp/heldout_c] [--robot .venv/bin/lae-robot]
                                        [--rules rules] [--names-only | --no-names] [--reveal]

a. PDFs:  `lae-robot extract --json --reveal-cpr` on every PDF: wrong person (MUST be 0), wrong form, recall over
          fileable documents (goal >= 97%), misses by scenario and status, must-escalate documents reported ok.
b. Mails: a temporary installation (config, ledger, folder archive, case register with and without the `name`
          column, outbox) and `lae-robot --config CFG process --json`: filings into a case that is not the patient's
          (MUST be 0, checked from the archive's files by SHA-256), filings from a forged or dubious sender (MUST be 0),
          recall of fileable documents in legit mails (goal >= 97%), outcomes per reason.
c. Privacy: everything the CLI printed (extract without --reveal-cpr, process, escalations, status), the archive's
          sidecars and file names, and the outbox notices are scanned for ten digits with a valid birth date in any
          written form (MUST be 0).

Prints a report, writes DATA/report.json, exits 0 only when every MUST-be-0 figure is 0 and both recalls >= 97%.
Full CPR numbers are never printed unless --reveal.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import collections
import csv
import datetime as dt
import email
import email.policy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# ------------------------------------------------------------------------------------------- CPR helpers
W = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]


def century(yy, d7):
    if d7 <= 3:
        return 1900
    if d7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    if yy <= 36:
        return 2000
    if yy <= 57:
        return None
    return 1800


def valid_cpr(c: str) -> bool:
    if len(c) != 10 or not c.isdigit():
        return False
    d, m, yy, d7 = int(c[0:2]), int(c[2:4]), int(c[4:6]), int(c[6])
    if d > 60:
        d -= 60
    cen = century(yy, d7)
    if cen is None:
        return False
    try:
        b = dt.date(cen + yy, m, d)
    except ValueError:
        return False
    return b <= dt.date.today()


SEP = " \u00a0\u2009\u202f\u2007.\\-\u2010\u2011\u2012\u2013\u2014\u2212/"
RUN = re.compile(rf"(?<![0-9])[0-9]+(?:[{SEP}]{{1,5}}[0-9]+)*")
HEXRUN = re.compile(r"[0-9a-fA-F]{16,}")


# digit-group shapes in which people write a CPR number (DDMMYY-SSSS, DD MM YY-SSSS, one digit per box, ...)
CPR_SHAPES = {(10,), (6, 4), (2, 2, 2, 4), (1,) * 10, (1,) * 6 + (4,), (6,) + (1,) * 4, (2, 2, 6),
              (2, 2, 4, 4), (8, 4)}  # the last two: DD.MM.YYYY-SSSS, DDMMYYYY-SSSS


def find_cprs(text: str, broad: bool = False):
    """(digits, start, end) for every ten-digit valid birth date written the way people write a CPR number, with
    any separators between the groups (DD.MM.YYYY-SSSS too). A number inside a longer digit group never counts.
    broad=True accepts any grouping (used to mask what this script prints)."""
    text = HEXRUN.sub(lambda m: "#" * len(m.group()), text)
    out = []
    for m in RUN.finditer(text):
        groups = [(g.group(), g.start()) for g in re.finditer(r"\d+", m.group())]
        for i in range(len(groups)):
            tot = 0
            for j in range(i, len(groups)):
                tot += len(groups[j][0])
                if tot > 12:
                    break
                digits = "".join(g for g, _ in groups[i:j + 1])
                shape = tuple(len(g) for g, _ in groups[i:j + 1])
                cand = None
                if not broad and shape not in CPR_SHAPES:
                    continue
                if tot == 10:
                    cand = digits
                elif tot == 12 and digits[4:6] in ("18", "19", "20"):
                    cand = digits[0:4] + digits[6:12]
                    b = digits[4:8]
                    if cand and valid_cpr(cand):
                        cen = century(int(cand[4:6]), int(cand[6]))
                        if cen is None or cen + int(cand[4:6]) != int(b):
                            cand = None
                if cand and valid_cpr(cand):
                    s = m.start() + groups[i][1]
                    e = m.start() + groups[j][1] + len(groups[j][0])
                    out.append((cand, s, e))
    return out


def mask(text: str, reveal: bool = False) -> str:
    if reveal or not text:
        return text
    spans = sorted({(s, e) for _, s, e in find_cprs(text, broad=True)})
    # also plain ten-digit runs that are not valid dates but look CPR-shaped with a dash (defensive)
    res, last = [], 0
    for s, e in spans:
        if s < last:
            continue
        seg = text[s:e]
        digits = [i for i, ch in enumerate(seg) if ch.isdigit()]
        keep = set(digits[:6])
        seg = "".join(ch if (not ch.isdigit() or i in keep) else "x" for i, ch in enumerate(seg))
        res.append(text[last:s] + seg)
        last = e
    res.append(text[last:])
    return "".join(res)


def mcpr(c, reveal=False):
    if not c:
        return c
    d = re.sub(r"\D", "", c)
    return c if reveal else (d[:6] + "-xxxx" if len(d) == 10 else mask(c))


def digits_of(c):
    return re.sub(r"\D", "", c or "") or None


# ------------------------------------------------------------------------------------------- running the robot
def run(cmd, timeout=1800, cwd=None, retries=3):
    last = None
    for attempt in range(retries):
        t = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd)
        except subprocess.TimeoutExpired as e:
            last = (124, e.stdout or b"", e.stderr or b"", time.time() - t)
            continue
        last = (r.returncode, r.stdout, r.stderr, time.time() - t)
        if r.returncode in (0, 1) and r.stdout.strip():
            return last
        if r.returncode == 0:
            return last
        time.sleep(20 * (attempt + 1))
    return last


def parse_jsonl(b: bytes):
    out = []
    for ln in b.decode("utf-8", "replace").splitlines():
        ln = ln.strip()
        if ln.startswith("{"):
            try:
                out.append(json.loads(ln))
            except json.JSONDecodeError:
                pass
    return out


def json_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from json_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from json_strings(v)


def texts_of_output(b: bytes):
    """The raw output and, for JSON lines, the decoded strings (so \\u escapes cannot hide a number)."""
    s = b.decode("utf-8", "replace")
    yield s
    for ln in s.splitlines():
        ln = ln.strip()
        if ln.startswith("{") or ln.startswith("["):
            try:
                yield "\n".join(json_strings(json.loads(ln)))
            except json.JSONDecodeError:
                pass
    try:
        yield "\n".join(json_strings(json.loads(s)))
    except (json.JSONDecodeError, ValueError):
        pass


# ------------------------------------------------------------------------------------------- scoring: PDFs
def score_pdfs(args, truth, people, reveal):
    files = [os.path.join(args.data, "pdf", t["file"]) for t in truth]
    base = [args.robot, "extract", "--json", "--rules", args.rules]
    rc, out, err, secs = run(base + ["--reveal-cpr"] + files)
    recs = {}
    for r in parse_jsonl(out):
        recs.setdefault(os.path.basename(r.get("file") or ""), r)
    rc2, out2, err2, secs2 = run(base + files)
    R = {"run": {"rc": rc, "seconds": round(secs, 1), "records": len(recs), "rc_masked_run": rc2}}
    wrong_person, wrong_form, misses, must_ok, missing = [], [], [], [], []
    fileable = [t for t in truth if t["fileable"]]
    hit = 0
    by_scen = collections.defaultdict(lambda: collections.Counter())
    for t in truth:
        r = recs.get(t["file"])
        if r is None:
            missing.append(t["file"])
            by_scen[t["scenario"]]["no_record"] += 1
            continue
        st = r.get("status")
        cpr = digits_of(r.get("cpr"))
        form = r.get("blanket")
        by_scen[t["scenario"]][st] += 1
        ok = st == "ok"
        if ok and cpr not in t["acceptable_cprs"]:
            wrong_person.append((t, r))
        if ok and (t["form"] is None or form != t["form"]):
            wrong_form.append((t, r))
        if t["fileable"]:
            if ok and cpr == t["patient_cpr"] and form == t["form"]:
                hit += 1
            else:
                misses.append((t, r))
        if t["must_escalate"] and ok:
            must_ok.append((t, r))

    def ev_lines(t, r, only_accepted=False):
        lines = []
        for e in (r.get("evidence") or {}).get("cpr", []) or []:
            if only_accepted and e.get("verdict") != "accepted":
                continue
            lines.append(f"p{e.get('page')}:{e.get('line')} [{e.get('verdict')}: {e.get('why')}] {e.get('snippet') or e.get('field') or ''}")
        return [mask(x, reveal) for x in lines[:6]]

    def item(t, r, why=""):
        other = next((o for o in t["others"] if o.get("digits") and o["digits"] == digits_of(r.get("cpr"))), None)
        return {"file": t["file"], "scenario": t["scenario"], "producer": t["producer"], "layout": t["layout"],
                "cpr_form": t["cpr_form"], "status": r.get("status"), "detail": mask(r.get("detail") or "", reveal),
                "got_cpr": mcpr(r.get("cpr"), reveal), "patient_cpr": mcpr(t["patient_cpr"], reveal),
                "got_form": r.get("blanket"), "form": t["form"], "truth_why": t["why"],
                "taken_number_is": (other or {}).get("kind") + (f" ({other.get('label') or other.get('relation') or ''})" if other else "") if other else None,
                "evidence": ev_lines(t, r, why == "wrong")}

    R.update({
        "documents": len(truth), "fileable": len(fileable), "must_escalate": sum(t["must_escalate"] for t in truth),
        "wrong_person_ok": [item(t, r, "wrong") for t, r in wrong_person],
        "wrong_form_ok": [item(t, r) for t, r in wrong_form],
        "recall": {"hit": hit, "of": len(fileable), "pct": round(100 * hit / max(1, len(fileable)), 2)},
        "misses": [item(t, r) for t, r in misses],
        "must_escalate_ok": [item(t, r) for t, r in must_ok],
        "missing_records": missing,
        "status_by_scenario": {k: dict(v) for k, v in sorted(by_scen.items())},
        "misses_by_scenario_status": dict(collections.Counter(f"{t['scenario']} / {r.get('status')}" for t, r in misses).most_common()),
        "misses_by_producer": dict(collections.Counter(t["producer"] for t, r in misses).most_common()),
        "misses_by_cpr_form": dict(collections.Counter(str(t["cpr_form"]) for t, r in misses).most_common()),
    })
    outputs = [("extract (masked) stdout", out2), ("extract (masked) stderr", err2), ("extract --reveal-cpr stderr", err)]
    return R, outputs


# ------------------------------------------------------------------------------------------- scoring: mails
CONFIG = """[logging]
format = "json"
level = "INFO"

[rules]
dir = "{rules}"

[ledger]
path = "{tmp}/ledger.sqlite3"

[archive]
adapter = "folder"
folder = {{ root = "{tmp}/archive", register = "{tmp}/cases.csv" }}

[notify]
transport = "outbox"
outbox_dir = "{tmp}/outbox"
"""


def install(args, tmp, names: bool):
    os.makedirs(os.path.join(tmp, "archive"))
    os.makedirs(os.path.join(tmp, "outbox"))
    with open(os.path.join(args.data, "cases.csv"), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(os.path.join(tmp, "cases.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow(r if names else r[:6])
    cfg = os.path.join(tmp, "config.toml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(CONFIG.format(rules=args.rules, tmp=tmp))
    return cfg, {r[1]: r[0] for r in rows[1:]}, {r[0]: r[1] for r in rows[1:] if r[3] == "open"}


def score_mails(args, mails, names: bool, reveal):
    files = [os.path.join(args.data, "mail", m["file"]) for m in mails]
    for attempt in range(3):  # a fresh installation per attempt: a ledger remembers finished mails
        tmp = tempfile.mkdtemp(prefix=f"hc_eval_{'names' if names else 'nonames'}_")
        cfg, case_cpr, cpr_case = install(args, tmp, names)
        rc, out, err, secs = run([args.robot, "--config", cfg, "process", "--json"] + files, timeout=3000, retries=1)
        if rc in (0, 1) and out.strip():
            break
        print(f"process run failed (rc={rc}); retrying in {60 * (attempt + 1)} s", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        time.sleep(60 * (attempt + 1))
    recs = parse_jsonl(out)
    by_file = collections.defaultdict(list)
    for r in recs:
        by_file[os.path.basename(r.get("file") or "")].append(r)
    # what the archive holds, by SHA-256
    archive = os.path.join(tmp, "archive")
    filed = collections.defaultdict(list)  # sha -> [case_id]
    archive_files = []
    for root, _, fs in os.walk(archive):
        for fn in fs:
            p = os.path.join(root, fn)
            archive_files.append(p)
            if fn.lower().endswith(".pdf"):
                with open(p, "rb") as f:
                    filed[hashlib.sha256(f.read()).hexdigest()].append(os.path.relpath(root, archive).split(os.sep)[0])
    misfiled, forged_filed, filed_must_not, recall_hit, recall_of = [], [], [], 0, 0
    by_shape = collections.defaultdict(collections.Counter)
    outcomes = collections.Counter()
    reasons_missed = collections.Counter()
    per_doc = []
    for m in mails:
        rs = by_file.get(m["file"], [])
        for k, d in enumerate(m["docs"]):
            r = next((x for x in rs if x.get("attachment") == d["attachment"]), None)
            if r is None and k < len(rs):
                r = rs[k]
            cases = filed.get(d["sha256"], [])
            outcome = (r or {}).get("outcome", "no_record")
            reason = (r or {}).get("reason")
            outcomes[f"{d['expect']} -> {outcome}{'/' + reason if reason else ''}"] += 1
            grp = m["class"] + ":" + (m.get("forged_kind") or m["shape"])
            by_shape[grp][f"{d['expect']}->{outcome}{'/' + reason if reason else ''}"] += 1
            wrong_cases = [c for c in cases if case_cpr.get(c) not in d["acceptable_cprs"]]
            info = {"mail": m["file"], "class": m["class"], "forged_kind": m.get("forged_kind"), "scenario": d["scenario"],
                    "attachment": mask(d["attachment"], reveal), "expect": d["expect"], "why": d["why"],
                    "outcome": outcome, "reason": reason, "detail": mask((r or {}).get("detail") or "", reveal),
                    "cases": cases}
            if wrong_cases:
                misfiled.append(dict(info, wrong_cases=wrong_cases,
                                     whose=[("relative/other person" if case_cpr.get(c) in args._people else "decoy number")
                                            for c in wrong_cases]))
            if cases and m["class"] != "legit":
                forged_filed.append(info)
            if cases and d["expect"] != "file":
                filed_must_not.append(info)
            if d["expect"] == "file":
                recall_of += 1
                if cases and all(case_cpr.get(c) == d["patient_cpr"] for c in cases):
                    recall_hit += 1
                else:
                    reasons_missed[f"{outcome}/{reason}"] += 1
                    per_doc.append(info)
    # escalations and status output for the privacy scan
    outs = [(f"process stdout ({'names' if names else 'no names'})", out), (f"process stderr ({'names' if names else 'no names'})", err)]
    rc_l, out_l, err_l, _ = run([args.robot, "--config", cfg, "escalations", "list", "--all", "--json"], timeout=600, retries=1)
    outs += [("escalations list", out_l), ("escalations list stderr", err_l)]
    ids = []
    for r in parse_jsonl(out_l):
        if "id" in r:
            ids.append(str(r["id"]))
    if not ids:
        try:
            j = json.loads(out_l.decode() or "[]")
            ids = [str(x.get("id")) for x in (j if isinstance(j, list) else j.get("escalations", [])) if isinstance(x, dict)]
        except (json.JSONDecodeError, ValueError, AttributeError):
            pass
    for i in ids[:120]:
        rc_s, out_s, err_s, _ = run([args.robot, "--config", cfg, "escalations", "show", i], timeout=300, retries=1)
        outs += [(f"escalations show {i}", out_s + err_s)]
    rc_t, out_t, err_t, _ = run([args.robot, "--config", cfg, "status", "--json"], timeout=300, retries=1)
    outs += [("status", out_t + err_t)]
    for p in archive_files:
        outs.append((f"archive file name {os.path.relpath(p, archive)}", os.path.relpath(p, archive).encode()))
        if p.endswith(".json"):
            with open(p, "rb") as f:
                outs.append((f"archive sidecar {os.path.relpath(p, archive)}", f.read()))
    ob = os.path.join(tmp, "outbox")
    for root, _, fs in os.walk(ob):
        for fn in fs:
            p = os.path.join(root, fn)
            with open(p, "rb") as f:
                raw = f.read()
            outs.append((f"outbox file name {fn}", fn.encode()))
            outs.append((f"outbox notice {fn}", raw))
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                dec = [f"{k}: {v}" for k, v in msg.items()]
                for part in msg.walk():
                    if part.get_content_maintype() == "text":
                        dec.append(part.get_content())
                outs.append((f"outbox notice (decoded) {fn}", "\n".join(dec).encode()))
            except Exception as e:  # noqa: BLE001
                outs.append((f"outbox notice (undecodable) {fn}", str(e).encode()))
    legit_file_docs = sum(1 for m in mails for d in m["docs"] if d["expect"] == "file")
    R = {"run": {"rc": rc, "seconds": round(secs, 1), "records": len(recs), "tmp": tmp,
                 "stderr_tail": mask(err.decode("utf-8", "replace")[-600:], reveal) if rc not in (0,) else ""},
         "mails": len(mails), "documents": sum(len(m["docs"]) for m in mails),
         "misfiled": misfiled, "forged_filed": forged_filed, "filed_but_must_escalate": filed_must_not,
         "recall": {"hit": recall_hit, "of": recall_of, "pct": round(100 * recall_hit / max(1, recall_of), 2)},
         "missed": per_doc, "missed_by_reason": dict(reasons_missed.most_common()),
         "outcomes": dict(sorted(outcomes.items())), "legit_fileable_docs": legit_file_docs,
         "outcomes_by_mail_kind": {k: dict(v) for k, v in sorted(by_shape.items())}}
    return R, outs


# ------------------------------------------------------------------------------------------- privacy
def privacy(outputs, people, decoys, reveal):
    leaks = []
    seen = set()
    for where, b in outputs:
        if not b:
            continue
        for text in texts_of_output(b if isinstance(b, bytes) else b.encode()):
            for digits, s, e in find_cprs(text):
                ctx = text[max(0, s - 50):e + 30].replace("\n", " ")
                key = (where, digits, ctx)
                if key in seen:
                    continue
                seen.add(key)
                kind = "person" if digits in people else ("decoy number" if digits in decoys else "unattributed")
                leaks.append({"where": where, "kind": kind, "number": mcpr(digits, reveal), "context": mask(ctx, reveal)})
    return leaks


# ------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/tmp/heldout_c")
    ap.add_argument("--robot", default=str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "lae-robot"))
    ap.add_argument("--rules", default=str(Path(__file__).resolve().parents[2] / "rules"))
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--names-only", action="store_true", help="mails only with the name column in the register")
    g.add_argument("--no-names", action="store_true", help="mails only without the name column")
    ap.add_argument("--skip-pdfs", action="store_true")
    ap.add_argument("--reveal", action="store_true", help="print full CPR numbers")
    ap.add_argument("--keep", action="store_true", help="keep the temporary installations")
    a = ap.parse_args()
    t0 = time.time()
    with open(os.path.join(a.data, "truth.jsonl"), encoding="utf-8") as f:
        truth = [json.loads(x) for x in f]
    with open(os.path.join(a.data, "mail_truth.jsonl"), encoding="utf-8") as f:
        mails = [json.loads(x) for x in f]
    people, decoys = set(), set()
    for t in truth:
        if t["patient_cpr"]:
            people.add(t["patient_cpr"])
        for o in t["others"]:
            if o.get("digits"):
                (people if o["kind"] in ("relative", "second_patient", "doctor") else decoys).add(o["digits"])
    for m in mails:
        if m.get("other_cpr"):
            people.add(m["other_cpr"])
    with open(os.path.join(a.data, "cases.csv"), encoding="utf-8") as f:
        for r in list(csv.reader(f))[1:]:
            if r[0] not in people:
                decoys.add(r[0])
    a._people = {r for r in people}
    # the register maps cases to CPRs; people here are persons of the corpus (patients too, but a wrong case is
    # never the document's own patient's)
    rep = {"robot": a.robot, "data": a.data, "started": dt.datetime.now().isoformat(timespec="seconds")}
    outputs = []
    if not a.skip_pdfs:
        rep["pdfs"], o = score_pdfs(a, truth, people, a.reveal)
        outputs += o
    passes = [True, False] if not (a.names_only or a.no_names) else ([True] if a.names_only else [False])
    tmps = []
    for names in passes:
        key = "mails_with_names" if names else "mails_without_names"
        rep[key], o = score_mails(a, mails, names, a.reveal)
        tmps.append(rep[key]["run"]["tmp"])
        outputs += o
    leaks = privacy(outputs, people, decoys, a.reveal)
    scanned = collections.Counter()
    scanned_n = collections.Counter()
    for where, b in outputs:
        k = " ".join(where.split(" ")[:2])
        scanned[k] += len(b or b"")
        scanned_n[k] += 1
    rep["privacy"] = {"leaks": leaks, "count": len(leaks),
                      "scanned": {k: {"items": scanned_n[k], "bytes": v} for k, v in sorted(scanned.items())},
                      "by_kind": dict(collections.Counter(l["kind"] for l in leaks)),
                      "by_source": dict(collections.Counter(" ".join(l["where"].split(" ")[:2]) for l in leaks))}
    rep["seconds"] = round(time.time() - t0, 1)
    # verdict
    must0 = {}
    if "pdfs" in rep:
        must0["pdf wrong person ok"] = len(rep["pdfs"]["wrong_person_ok"])
    for key in ("mails_with_names", "mails_without_names"):
        if key in rep:
            must0[f"{key}: misfiled"] = len(rep[key]["misfiled"])
            must0[f"{key}: filed from forged/dubious sender"] = len(rep[key]["forged_filed"])
    must0["privacy leaks"] = len(leaks)
    recalls = {}
    if "pdfs" in rep:
        recalls["pdf"] = rep["pdfs"]["recall"]["pct"]
    for key in ("mails_with_names", "mails_without_names"):
        if key in rep:
            recalls[key] = rep[key]["recall"]["pct"]
    ok = all(v == 0 for v in must0.values()) and all(v >= 97 for v in recalls.values())
    rep["verdict"] = {"pass": ok, "must_be_zero": must0, "recalls_pct": recalls}
    with open(os.path.join(a.data, "report.json"), "w", encoding="utf-8") as f:
        json.dump(rep, f, ensure_ascii=False, indent=1)
    print_report(rep, truth)
    if not a.keep:
        for t in tmps:
            shutil.rmtree(t, ignore_errors=True)
    return 0 if ok else 1


def print_report(rep, truth):
    P = print
    P("=" * 100)
    P(f"lae-robot held-out corpus C — {rep['data']} — robot {rep['robot']} — {rep['started']} ({rep['seconds']} s)")
    P("=" * 100)
    if "pdfs" in rep:
        p = rep["pdfs"]
        P(f"\n## PDFs via extract: {p['documents']} documents, {p['fileable']} fileable, {p['must_escalate']} must escalate "
          f"(run rc={p['run']['rc']}, {p['run']['seconds']} s, {p['run']['records']} records)")
        P(f"  ok with a CPR other than the patient's (MUST be 0): {len(p['wrong_person_ok'])}")
        P(f"  ok with the wrong form:                             {len(p['wrong_form_ok'])}")
        P(f"  recall over fileable (goal >= 97%):                 {p['recall']['hit']}/{p['recall']['of']} = {p['recall']['pct']}%")
        P(f"  must-escalate documents reported ok:                {len(p['must_escalate_ok'])}")
        if p["missing_records"]:
            P(f"  documents without a record: {len(p['missing_records'])}")
        for it in p["wrong_person_ok"]:
            P(f"  WRONG PERSON {it['file']} [{it['scenario']}, {it['producer']}, patient written {it['cpr_form']}] got {it['got_cpr']} "
              f"(patient {it['patient_cpr']}; the number is: {it['taken_number_is']})")
            for e in it["evidence"]:
                P(f"      {e}")
        for it in p["wrong_form_ok"]:
            P(f"  WRONG FORM {it['file']} [{it['scenario']}] got {it['got_form']} truth {it['form']} ({it['truth_why']})")
        if p["must_escalate_ok"]:
            P("  must-escalate reported ok, by scenario: " + ", ".join(f"{k}: {v}" for k, v in collections.Counter(i["scenario"] for i in p["must_escalate_ok"]).most_common()))
        P("  misses by scenario / status: " + ", ".join(f"{k}: {v}" for k, v in p["misses_by_scenario_status"].items()))
        P("  misses by producer: " + ", ".join(f"{k}: {v}" for k, v in p["misses_by_producer"].items()))
        P("  misses by patient CPR written form: " + ", ".join(f"{k}: {v}" for k, v in p["misses_by_cpr_form"].items()))
        P("\n  status per scenario:")
        for s, c in p["status_by_scenario"].items():
            P(f"    {s:34s} " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    for key, title in (("mails_with_names", "with the name column"), ("mails_without_names", "without the name column")):
        if key not in rep:
            continue
        m = rep[key]
        P(f"\n## Mails via process, register {title}: {m['mails']} mails, {m['documents']} documents "
          f"(run rc={m['run']['rc']}, {m['run']['seconds']} s, {m['run']['records']} records)")
        if m["run"]["stderr_tail"]:
            P("  stderr tail: " + m["run"]["stderr_tail"].replace("\n", " | ")[-400:])
        P(f"  filed into a case that is not the patient's (MUST be 0): {len(m['misfiled'])}")
        P(f"  filed from a forged/dubious sender (MUST be 0):          {len(m['forged_filed'])}")
        P(f"  filed although it must escalate:                         {len(m['filed_but_must_escalate'])}")
        P(f"  recall of fileable documents in legit mails (>= 97%):    {m['recall']['hit']}/{m['recall']['of']} = {m['recall']['pct']}%")
        for it in m["misfiled"]:
            P(f"  MISFILED {it['mail']} [{it['scenario']}] into {it['wrong_cases']} ({', '.join(it['whose'])})")
        for it in m["forged_filed"]:
            P(f"  FORGED FILED {it['mail']} [{it['forged_kind'] or it['class']}] into {it['cases']}")
        for it in m["filed_but_must_escalate"]:
            if it not in m["forged_filed"]:
                P(f"  filed, should escalate: {it['mail']} [{it['scenario']}] {it['why']}")
        P("  missed fileable by outcome/reason: " + ", ".join(f"{k}: {v}" for k, v in m["missed_by_reason"].items()))
        for it in m["missed"][:12]:
            P(f"    missed {it['mail']} [{it['scenario']}] {it['outcome']}/{it['reason']}: {it['detail'][:110]}")
        P("  outcomes (expected -> got/reason):")
        for k, v in m["outcomes"].items():
            P(f"    {k:60s} {v}")
        P("  by mail kind:")
        for k, v in m["outcomes_by_mail_kind"].items():
            P(f"    {k:38s} " + ", ".join(f"{a}: {b}" for a, b in sorted(v.items())))
    pv = rep["privacy"]
    P(f"\n## Privacy: {pv['count']} full CPR-shaped numbers (valid birth date) in outputs (MUST be 0); by kind {pv['by_kind']}")
    P("  scanned: " + ", ".join(f"{k} ({v['items']} items, {v['bytes']} bytes)" for k, v in pv["scanned"].items()))
    for k, v in pv["by_source"].items():
        P(f"    {k}: {v}")
    for l in pv["leaks"][:25]:
        P(f"  LEAK [{l['kind']}] {l['where']}: {l['number']} … {l['context'][:140]}")
    v = rep["verdict"]
    P("\n## Verdict: " + ("PASS" if v["pass"] else "FAIL"))
    for k, x in v["must_be_zero"].items():
        P(f"  {k:55s} {x}")
    for k, x in v["recalls_pct"].items():
        P(f"  recall {k:48s} {x}%")


if __name__ == "__main__":
    sys.exit(main())
