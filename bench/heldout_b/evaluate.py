#!/usr/bin/env python3
"""Score lae-robot's real CLI on the held-out corpus B (bench/heldout_b/generate.py).

    python3 bench/heldout_b/evaluate.py [--corpus /tmp/heldout_b] [--robot .venv/bin/lae-robot]
        [--rules rules] [--with-names] [--reveal] [--report /tmp/heldout_b/report.json]

a. PDFs via `lae-robot extract --json --reveal-cpr`: wrong person (MUST be 0), wrong form, recall of
   fileable documents (goal >= 97 %), misses by scenario and status, must_escalate documents reported ok.
b. Mails via `lae-robot --config CFG process --json` on a fresh installation folder: misfilings (MUST be 0),
   filings from forged/dubious senders (MUST be 0), recall, outcomes per reason.
c. Privacy: every byte the CLI printed (extract without --reveal-cpr, process), the archive's sidecars and
   file names, and the outbox notices are scanned for full CPR numbers in any written form.

Prints no full CPR unless --reveal. Exit 0 only when the MUST-be-0 figures are 0 and recall >= 97 %.
Needs only the Python standard library.
"""
from __future__ import annotations

import argparse
import csv
import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[2]
from cprlib import find_cpr_like, mask, mask_text  # noqa: E402

GOAL = 0.97


def digits(s):
    return "".join(c for c in (s or "") if c.isdigit())


REVEAL = False


def sh(s):
    """repr() of a value, masked first (repr would hide special spaces from the masker)."""
    return repr(s if REVEAL else mask_text(str(s)) if s is not None else None)


class Out:
    def __init__(self, reveal):
        self.reveal = reveal
        self.lines = []

    def m(self, s):
        return s if self.reveal else mask_text(str(s))

    def __call__(self, *a):
        s = self.m(" ".join(str(x) for x in a))
        self.lines.append(s)
        print(s)


def load_jsonl(p):
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]


def parse_records(text):
    recs = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    if not recs:
        try:
            v = json.loads(text)
            recs = v if isinstance(v, list) else [v]
        except json.JSONDecodeError:
            pass
    return recs


def run(cmd, timeout=1800):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r, time.time() - t0


def write_config(inst: Path, rules: str):
    (inst / "archive").mkdir(parents=True, exist_ok=True)
    (inst / "outbox").mkdir(exist_ok=True)
    cfg = inst / "config.toml"
    cfg.write_text(f"""# heldout_b evaluation installation (structure of config.example.toml)
[logging]
format = "json"
level = "INFO"

[rules]
dir = "{rules}"

[ledger]
path = "{inst}/ledger.sqlite3"

[archive]
adapter = "folder"
folder = {{ root = "{inst}/archive", register = "{inst}/cases.csv" }}

[notify]
operators = ["lae-robot-drift@kommune.example"]
sender = "Lægerobotten <lae-robot@kommune.example>"
transport = "outbox"
outbox_dir = "{inst}/outbox"

[ingress]
smtp_enabled = false
""", encoding="utf-8")
    return cfg


# ----------------------------------------------------------------------------- people in the corpus
def people(truth, mtruth):
    """cpr -> (role, name) for every CPR-like number in the corpus."""
    who = {}
    for t in truth:
        for o in t.get("others", []):
            for c in o.get("cpr_like", []) or []:
                who.setdefault(c, (o["what"], o.get("name")))
    for m in mtruth:
        if m.get("other_cpr_in_mail"):
            who.setdefault(m["other_cpr_in_mail"], ("other person named in mail", None))
    for t in truth:
        if t.get("cpr"):
            who[t["cpr"]] = ("patient", t.get("name"))
    return who


def is_person(role):
    return not role.startswith("decoy")


# ----------------------------------------------------------------------------- a. extraction
def score_extract(args, truth, cfg, O):
    files = [str(Path(args.corpus) / t["file"]) for t in truth]
    r, secs = run([args.robot, "--config", str(cfg), "extract", "--json", "--reveal-cpr", *files])
    recs = parse_records(r.stdout)
    by = {}
    for rec in recs:
        by.setdefault(os.path.basename(rec.get("file", "")), rec)
    res = {"seconds": round(secs, 1), "rc": r.returncode, "records": len(recs)}
    wrong_person, wrong_form, esc_ok, misses = [], [], [], []
    per_scen = defaultdict(Counter)
    per_prod = defaultdict(Counter)
    per_form = defaultdict(Counter)
    fileable_n = hit = 0
    for t in truth:
        name = os.path.basename(t["file"])
        rec = by.get(name)
        sc = t["scenario"]
        per_scen[sc]["n"] += 1
        if rec is None:
            per_scen[sc]["no_record"] += 1
            if t["fileable"]:
                fileable_n += 1
                misses.append((t, "no_record", None))
            continue
        st = rec.get("status")
        got = digits(rec.get("cpr"))
        form = rec.get("blanket")
        per_scen[sc]["status:" + str(st)] += 1
        if st == "ok":
            if got != (t.get("cpr") or ""):
                wrong_person.append((t, rec))
                per_scen[sc]["OK_WRONG_PERSON"] += 1
            elif t.get("form") and form != t["form"]:
                wrong_form.append((t, rec))
                per_scen[sc]["ok_wrong_form"] += 1
            if t["must_escalate"]:
                esc_ok.append((t, rec))
        if t["fileable"]:
            fileable_n += 1
            good = st == "ok" and got == t["cpr"] and form == t["form"]
            hit += good
            per_scen[sc]["fileable"] += 1
            per_scen[sc]["recall_hit"] += good
            per_prod[t["producer"]]["n"] += 1
            per_prod[t["producer"]]["hit"] += good
            per_form[t.get("cpr_form", "?")]["n"] += 1
            per_form[t.get("cpr_form", "?")]["hit"] += good
            if not good:
                misses.append((t, st if st != "ok" else ("ok_wrong_form" if got == t["cpr"] else "ok_wrong_person"), rec))
    recall = hit / fileable_n if fileable_n else 0.0

    def accepted_snippets(rec):
        out = []
        for ev in (rec.get("evidence") or {}).get("cpr", []) or []:
            if ev.get("verdict") == "accepted":
                out.append(f"p{ev.get('page')} l{ev.get('line')} field={ev.get('field')} label={sh(ev.get('label'))}: {sh(ev.get('snippet'))}")
        return out

    O("\n== a. PDFs: lae-robot extract --json --reveal-cpr ==")
    O(f"{len(truth)} PDFs, {len(recs)} records, {secs:.1f} s, rc={r.returncode}")
    O(f"ok with a CPR other than the patient's (MUST be 0): {len(wrong_person)}")
    who = args._who
    for t, rec in wrong_person:
        got = digits(rec.get("cpr"))
        role = who.get(got, ("unknown number", None))[0]
        O(f"  - {os.path.basename(t['file'])} [{t['scenario']}, {t['producer']}] took {mask(got) if got else None} = {role}; "
          f"patient {mask(t['cpr']) if t.get('cpr') else None} written {sh(t.get('cpr_written'))} label {sh(t.get('cpr_label'))}")
        for s in accepted_snippets(rec):
            O(f"      robot accepted: {s}")
        for ln in t.get("lines", []):
            if ln["what"].startswith(("patient", "relative", "second", "doctor")) or digits(ln["line"]).find(got) >= 0:
                O(f"      doc line [{ln['what']}]: {sh(ln['line'])}")
    O(f"ok with the wrong form: {len(wrong_form)}")
    for t, rec in wrong_form:
        O(f"  - {os.path.basename(t['file'])} [{t['scenario']}] truth {t['form']} (written {sh(t.get('form_written'))}) got {rec.get('blanket')} ({rec.get('detail')}); refs {t.get('form_refs')}")
    O(f"recall (fileable reported ok with right CPR and form): {hit}/{fileable_n} = {recall:.1%} (goal >= {GOAL:.0%})")
    O(f"must_escalate documents reported ok: {len(esc_ok)}")
    for t, rec in esc_ok:
        O(f"  - {os.path.basename(t['file'])} [{t['scenario']}] ok cpr={mask(digits(rec.get('cpr')))} form={rec.get('blanket')} kind={rec.get('kind')}")
    O("misses by scenario / robot status:")
    ms = defaultdict(Counter)
    for t, why, _ in misses:
        ms[t["scenario"]][why] += 1
    for sc, c in sorted(ms.items()):
        O(f"  {sc:32s} {dict(c)}")
    O("misses by status: " + json.dumps(dict(Counter(w for _, w, _ in misses))))
    O("recall by CPR written form: " + ", ".join(f"{k} {v['hit']}/{v['n']}" for k, v in sorted(per_form.items())))
    O("recall by producer: " + ", ".join(f"{k} {v['hit']}/{v['n']}" for k, v in sorted(per_prod.items())))
    O("per scenario (n, fileable, recall hits, statuses):")
    for sc, c in sorted(per_scen.items()):
        sts = {k[7:]: v for k, v in c.items() if k.startswith("status:")}
        O(f"  {sc:32s} n={c['n']:3d} fileable={c['fileable']:3d} hit={c['recall_hit']:3d} wrongP={c['OK_WRONG_PERSON']} wrongF={c['ok_wrong_form']} {sts}")
    example_misses = []
    for t, why, rec in misses[:400]:
        example_misses.append({"file": os.path.basename(t["file"]), "scenario": t["scenario"], "why": why,
                               "cpr_written": t.get("cpr_written"), "cpr_label": t.get("cpr_label"),
                               "detail": (rec or {}).get("detail")})
    res.update(
        pdfs=len(truth), fileable=fileable_n, recall_hits=hit, recall=round(recall, 4),
        wrong_person=[{"file": os.path.basename(t["file"]), "scenario": t["scenario"], "producer": t["producer"],
                       "took": digits(rec.get("cpr")), "took_role": who.get(digits(rec.get("cpr")), ("unknown",))[0],
                       "patient_written": t.get("cpr_written"), "label": t.get("cpr_label"),
                       "robot_accepted": accepted_snippets(rec),
                       "lines": [ln for ln in t.get("lines", [])]} for t, rec in wrong_person],
        wrong_form=[{"file": os.path.basename(t["file"]), "scenario": t["scenario"], "truth": t["form"],
                     "got": rec.get("blanket"), "form_written": t.get("form_written"), "detail": rec.get("detail")}
                    for t, rec in wrong_form],
        must_escalate_ok=[{"file": os.path.basename(t["file"]), "scenario": t["scenario"], "form": rec.get("blanket")}
                          for t, rec in esc_ok],
        misses_by_scenario={k: dict(v) for k, v in ms.items()},
        misses_by_status=dict(Counter(w for _, w, _ in misses)),
        recall_by_cpr_form={k: dict(v) for k, v in per_form.items()},
        recall_by_producer={k: dict(v) for k, v in per_prod.items()},
        per_scenario={k: dict(v) for k, v in per_scen.items()},
        misses=example_misses,
    )
    # privacy run: the same command without --reveal-cpr
    r2, _ = run([args.robot, "--config", str(cfg), "extract", "--json", *files])
    res["_privacy_texts"] = [("extract stdout (no --reveal-cpr)", r2.stdout), ("extract stderr", r2.stderr),
                             ("extract --reveal-cpr stderr", r.stderr)]
    return res


# ----------------------------------------------------------------------------- b. mails
def write_register(inst: Path, truth, mtruth, who, with_names):
    rows, owner = [], {}
    n = 0
    for c, (role, name) in sorted(who.items()):
        n += 1
        cid = f"{'SD' if role == 'patient' else 'XP'}-2025-{n:05d}"
        owner[cid] = c
        row = {"cpr": f"{c[:6]}-{c[6:]}", "case_id": cid, "case_type": "sygedagpenge", "status": "open",
               "caseworker_email": f"sagsbehandler{n % 17}@kommune.example", "team": "Sygedagpenge Team " + "ABC"[n % 3]}
        if with_names:
            row["name"] = name or ""
        rows.append(row)
    cols = ["cpr", "case_id", "case_type", "status", "caseworker_email", "team"] + (["name"] if with_names else [])
    with open(inst / "cases.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return owner


def score_mails(args, truth, mtruth, O):
    who = args._who
    mails = [str(Path(args.corpus) / "mail" / m["file"]) for m in mtruth]
    res = {}
    names_note = None
    for attempt_names in ([True, False] if args.with_names else [False]):
        inst = Path(tempfile.mkdtemp(prefix="hb-inst-"))
        cfg = write_config(inst, args.rules)
        owner = write_register(inst, truth, mtruth, who, attempt_names)
        r, secs = run([args.robot, "--config", str(cfg), "process", "--json", *mails])
        recs = parse_records(r.stdout)
        if attempt_names and (r.returncode != 0 or not recs):
            names_note = f"register with a name column refused or failed: rc={r.returncode}: {mask_text(r.stderr.strip()[-400:])}"
            O(f"\n(--with-names) {names_note}; falling back to the register without names")
            shutil.rmtree(inst, ignore_errors=True)
            continue
        if attempt_names:
            names_note = "register with a name column accepted"
        break
    res.update(seconds=round(secs, 1), rc=r.returncode, records=len(recs), install=str(inst), names=names_note)
    by = defaultdict(list)
    for rec in recs:
        by[os.path.basename(rec.get("file", ""))].append(rec)
    misfiled, forged_filed, esc_filed, other_cpr_filed, missing = [], [], [], [], []
    reasons = Counter()
    per_kind = defaultdict(Counter)
    expect_n = expect_hit = 0
    for m in mtruth:
        rs = by.get(m["file"], [])
        used = set()
        for dtr in m["docs"]:
            rec = None
            for i, x in enumerate(rs):
                if i not in used and x.get("attachment") == dtr["attachment"]:
                    rec = x
                    used.add(i)
                    break
            if rec is None:
                # a mail-level record (refused mail) stands for all its documents
                cand = [x for x in rs if not x.get("attachment")]
                rec = cand[0] if cand else None
            if rec is None:
                missing.append((m, dtr))
                per_kind[m["kind"]]["no_outcome"] += 1
                if dtr["expect_filed"]:
                    expect_n += 1
                continue
            oc = rec.get("outcome")
            reason = rec.get("reason")
            reasons[f"{oc}:{reason}" if reason else str(oc)] += 1
            per_kind[m["kind"]][f"{oc}:{reason}" if reason else str(oc)] += 1
            filed = oc in ("filed", "duplicate")
            if filed:
                cid = rec.get("case_id")
                own = owner.get(cid)
                if own != dtr["cpr"]:
                    misfiled.append((m, dtr, rec, own))
                if m["forged"]:
                    forged_filed.append((m, dtr, rec))
                if dtr["must_escalate"]:
                    esc_filed.append((m, dtr, rec))
                if m.get("other_cpr_in_mail"):
                    other_cpr_filed.append((m, dtr, rec))
            if dtr["expect_filed"]:
                expect_n += 1
                if filed and owner.get(rec.get("case_id")) == dtr["cpr"]:
                    expect_hit += 1
    recall = expect_hit / expect_n if expect_n else 0.0
    O("\n== b. Mails: lae-robot process --json ==")
    O(f"{len(mtruth)} mails ({sum(1 for m in mtruth if m['forged'])} forged/dubious), {sum(len(m['docs']) for m in mtruth)} documents, "
      f"{len(recs)} records, {secs:.1f} s, rc={r.returncode}")
    if names_note:
        O(f"names: {names_note}")
    O(f"filed into a case that is not the patient's (MUST be 0): {len(misfiled)}")
    for m, dtr, rec, own in misfiled:
        O(f"  - {m['file']} / {dtr['pdf']} [{dtr['scenario']}] -> case {rec.get('case_id')} of {who.get(own, ('?',))[0]} {mask(own) if own else None}; patient {mask(dtr['cpr']) if dtr['cpr'] else None}")
    O(f"filed from a forged/dubious sender (MUST be 0): {len(forged_filed)}")
    for m, dtr, rec in forged_filed:
        O(f"  - {m['file']} [{m['kind']}] From {sh(m['from'])} -> {rec.get('case_id')}")
    O(f"must_escalate documents filed: {len(esc_filed)}; filed although the mail names another person's CPR: {len(other_cpr_filed)}")
    for m, dtr, rec in esc_filed + other_cpr_filed:
        O(f"  - {m['file']} / {dtr['pdf']} [{dtr['scenario']}] -> {rec.get('case_id')}")
    O(f"documents without any outcome: {len(missing)}")
    O(f"recall (fileable documents in legit mails filed into the patient's case): {expect_hit}/{expect_n} = {recall:.1%}")
    O("outcomes: " + json.dumps(dict(reasons.most_common()), ensure_ascii=False))
    O("outcomes per mail kind:")
    for k, c in sorted(per_kind.items()):
        O(f"  {k:42s} {dict(c)}")
    res.update(
        misfiled=[{"mail": m["file"], "pdf": dtr["pdf"], "scenario": dtr["scenario"], "case": rec.get("case_id"),
                   "owner_role": who.get(own, ("?",))[0], "owner": own, "patient": dtr["cpr"]} for m, dtr, rec, own in misfiled],
        forged_filed=[{"mail": m["file"], "kind": m["kind"], "case": rec.get("case_id")} for m, dtr, rec in forged_filed],
        must_escalate_filed=[{"mail": m["file"], "pdf": dtr["pdf"], "scenario": dtr["scenario"]} for m, dtr, rec in esc_filed],
        other_cpr_in_mail_filed=[{"mail": m["file"], "pdf": dtr["pdf"]} for m, dtr, rec in other_cpr_filed],
        missing=[{"mail": m["file"], "pdf": dtr["pdf"]} for m, dtr in missing],
        expect_filed=expect_n, filed_right=expect_hit, recall=round(recall, 4),
        outcomes=dict(reasons), per_kind={k: dict(v) for k, v in per_kind.items()},
    )
    # privacy material
    texts = [("process stdout", r.stdout), ("process stderr", r.stderr)]
    arch = inst / "archive"
    for p in sorted(arch.rglob("*")):
        texts.append(("archive file name", str(p.relative_to(arch))))
        if p.is_file() and p.suffix.lower() != ".pdf":
            texts.append((f"archive {p.relative_to(arch)}", p.read_text(encoding="utf-8", errors="replace")))
    for p in sorted((inst / "outbox").rglob("*")):
        if p.is_file():
            texts.append(("outbox file name", p.name))
            raw = p.read_bytes()
            texts.append((f"outbox {p.name} (raw)", raw.decode("utf-8", errors="replace")))
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                hdrs = "\n".join(f"{k}: {v}" for k, v in msg.items())
                parts = [hdrs]
                for part in msg.walk():
                    if part.get_content_maintype() == "text":
                        parts.append(part.get_content())
                texts.append((f"outbox {p.name} (decoded)", "\n".join(parts)))
            except Exception:
                pass
    res["_privacy_texts"] = texts
    return res


# ----------------------------------------------------------------------------- c. privacy
def scan_privacy(texts, who, O):
    leaks = []
    seen = set()
    for where, text in texts:
        for lineno, line in enumerate(text.splitlines(), 1):
            for s, e, d in find_cpr_like(line):
                role = who.get(d, ("unknown number with a valid birth date", None))[0]
                key = (where, lineno, d)
                if key in seen:
                    continue
                seen.add(key)
                ctx = line[max(0, s - 60):e + 30]
                leaks.append({"where": where, "line": lineno, "number": d, "role": role, "context": ctx,
                              "person": is_person(role) and not role.startswith("unknown")})
    person = [l for l in leaks if l["person"]]
    O("\n== c. Privacy: full CPR numbers in outputs ==")
    O(f"full numbers of persons in the corpus (patients, relatives, ...): {len(person)}")
    O(f"other CPR-shaped numbers with a valid birth date (decoy ids, unknown): {len(leaks) - len(person)}")
    bywhere = Counter(l["where"].split(" (")[0].split(" ")[0] + " " + l["role"].split(":")[0] for l in leaks)
    O("by source and role: " + json.dumps(dict(bywhere), ensure_ascii=False))
    shown = Counter()
    for l in leaks:
        k = (l["where"].split(" ")[0], l["role"].split(":")[0])
        shown[k] += 1
        if shown[k] <= 3:
            O(f"  - {l['where']} line {l['line']}: {l['role']} {mask(l['number'])}: …{mask_text(l['context'])}…")
    return leaks, person


def main(argv=None):
    ap = argparse.ArgumentParser(description="score lae-robot on held-out corpus B")
    ap.add_argument("--corpus", default="/tmp/heldout_b")
    ap.add_argument("--robot", default=str(ROOT / ".venv" / "bin" / "lae-robot"))
    ap.add_argument("--rules", default=str(ROOT / "rules"))
    ap.add_argument("--with-names", action="store_true", help="add a name column to the case register")
    ap.add_argument("--reveal", action="store_true", help="print and store full CPR numbers")
    ap.add_argument("--report", default="/tmp/heldout_b/report.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary installation folders")
    args = ap.parse_args(argv)
    global REVEAL
    REVEAL = args.reveal
    t0 = time.time()
    truth = load_jsonl(Path(args.corpus) / "truth.jsonl")
    mtruth = load_jsonl(Path(args.corpus) / "mail_truth.jsonl")
    args._who = people(truth, mtruth)
    O = Out(args.reveal)
    O(f"heldout_b evaluation: robot {args.robot}, rules {args.rules}, corpus {args.corpus}")
    O("scenarios: " + json.dumps(dict(Counter(t["scenario"] for t in truth)), ensure_ascii=False))
    O("producers: " + json.dumps(dict(Counter(t["producer"] for t in truth))))
    inst = Path(tempfile.mkdtemp(prefix="hb-x-"))
    cfg = write_config(inst, args.rules)
    write_register(inst, truth, mtruth, args._who, False)
    ex = score_extract(args, truth, cfg, O)
    ml = score_mails(args, truth, mtruth, O)
    leaks, person = scan_privacy(ex.pop("_privacy_texts") + ml.pop("_privacy_texts"), args._who, O)
    fails = {
        "wrong_person_ok": len(ex["wrong_person"]),
        "mail_misfiled": len(ml["misfiled"]),
        "forged_sender_filed": len(ml["forged_filed"]),
        "privacy_person_leaks": len(person),
    }
    passed = all(v == 0 for v in fails.values()) and ex["recall"] >= GOAL and ml["recall"] >= GOAL
    O("\n== summary ==")
    O(json.dumps(fails) + f"  extract recall {ex['recall']:.1%}  mail recall {ml['recall']:.1%}  "
      f"wrong form {len(ex['wrong_form'])}  must_escalate ok {len(ex['must_escalate_ok'])}  ({time.time() - t0:.0f} s)")
    O("PASS" if passed else "FAIL")
    report = {"robot": args.robot, "rules": args.rules, "corpus": args.corpus, "passed": passed, "must_be_zero": fails,
              "extract": ex, "mail": ml,
              "privacy": {"person_leaks": len(person), "other_cpr_shaped": len(leaks) - len(person), "leaks": leaks},
              "scenarios": dict(Counter(t["scenario"] for t in truth)), "seconds": round(time.time() - t0, 1)}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if not args.reveal:
        text = mask_text(text)
    Path(args.report).write_text(text, encoding="utf-8")
    print(f"report: {args.report}")
    if not args.keep:
        shutil.rmtree(inst, ignore_errors=True)
        shutil.rmtree(ml["install"], ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
