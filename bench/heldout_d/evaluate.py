#!/usr/bin/env python3
"""Score lae-robot on the blind held-out corpus D (stdlib only).

Usage: python3 evaluate.py [--corpus /tmp/heldout_d] [--robot .venv/bin/lae-robot]
                           [--rules rules] [--report report.json] [--reveal] [--keep]

a. every PDF through `extract --json --reveal-cpr`;
b. every mail through `process --json` in a temporary installation, once with a case register without
   names and once with the name column;
c. a privacy scan of everything the CLI printed (extract without --reveal-cpr, process), the archive's
   file names and sidecars and the outbox notices, for any person's full CPR in any written form.
Exit 0 only when the MUST-be-0 figures are 0 and both recalls are >= 97 %.
Full CPR numbers are never printed unless --reveal.
"""
from pathlib import Path
import argparse, collections, csv, email, email.policy, json, os, re, shutil, subprocess, sys, tempfile, time

REVEAL = False


def mask(c):
    if not c: return c
    d = re.sub(r"\D", "", c)
    return c if REVEAL else (d[:6] + "-xxxx" if len(d) >= 10 else c)


def digits(s):
    return re.sub(r"\D", "", s or "")


def valid_date10(d):
    import datetime
    if len(d) != 10: return False
    dd, mm, yy, c7 = int(d[:2]), int(d[2:4]), int(d[4:6]), int(d[6])
    if dd > 60: dd -= 60
    if c7 <= 3: y = 1900 + yy
    elif c7 in (4, 9): y = 2000 + yy if yy <= 36 else 1900 + yy
    else: y = 2000 + yy if yy <= 57 else 1800 + yy
    try:
        datetime.date(y, mm, dd); return True
    except ValueError:
        return False


def load_jsonl(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def run(cmd, log, **kw):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    log.append(dict(cmd=" ".join(cmd[:4]) + (" …" if len(cmd) > 4 else ""), rc=p.returncode, seconds=round(time.time() - t, 1)))
    return p


def parse_json_lines(s):
    out = []
    for ln in s.splitlines():
        ln = ln.strip()
        if ln.startswith("{"):
            try: out.append(json.loads(ln))
            except json.JSONDecodeError: pass
    return out


# ----------------------------------------------------------------------------- privacy scanner
SEP = r"[ \u00a0\u2009\u202f\u2007.\-\u2010\u2011\u2012\u2013\u2014\u2212/|_:]{0,3}"
RX10 = re.compile(r"(?<!\d)(?=(\d(?:" + SEP + r"\d){9}))")
RX4Y = re.compile(r"(?<!\d)(\d\d)" + SEP + r"(\d\d)" + SEP + r"(1[89]\d\d|20\d\d)" + SEP + r"(\d{4})(?!\d)")


def scan(text, known):
    """Return set of known 10-digit numbers written in text in any form (10 digits, separators between)."""
    hits = set()
    for m in RX10.finditer(text):
        d = digits(m.group(1))
        if d in known: hits.add(d)
        # also a run of digits then: the match may be the tail of a longer number; (?<!\d) guards the start
    for m in RX4Y.finditer(text):
        d = m.group(1) + m.group(2) + m.group(3)[2:] + m.group(4)
        if d in known: hits.add(d)
    return hits


def mail_text(raw):
    try:
        m = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [str(v) for k, v in m.items()]
        for part in m.walk():
            if part.get_content_maintype() == "text":
                try: parts.append(part.get_content())
                except Exception: pass
        return "\n".join(parts)
    except Exception:
        return ""


# ----------------------------------------------------------------------------- main
def main():
    global REVEAL
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/heldout_d")
    ap.add_argument("--robot", default=str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "lae-robot"))
    ap.add_argument("--rules", default=str(Path(__file__).resolve().parents[2] / "rules"))
    ap.add_argument("--report", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.json"))
    ap.add_argument("--reveal", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary installations")
    a = ap.parse_args()
    REVEAL = a.reveal
    C = a.corpus
    truth = load_jsonl(os.path.join(C, "truth.jsonl"))
    mtruth = load_jsonl(os.path.join(C, "mail_truth.jsonl"))
    pj = json.load(open(os.path.join(C, "persons.json"), encoding="utf-8"))
    persons = {p["cpr"]: p for p in pj["persons"]}
    decoys = {d for d in pj["decoy_numbers"] if valid_date10(d)}  # non-person numbers that look like a CPR
    byfile = {t["file"]: t for t in truth}
    work = tempfile.mkdtemp(prefix="hd_eval_")
    runs, printed = [], []  # printed: (where, text) for the privacy scan
    t0 = time.time()

    def install(name, with_names):
        root = os.path.join(work, name)
        for sub in ("archive", "outbox"): os.makedirs(os.path.join(root, sub))
        cfg = os.path.join(root, "config.toml")
        with open(cfg, "w") as f:
            f.write(f'[logging]\nformat = "json"\nlevel = "INFO"\n[rules]\ndir = "{a.rules}"\n'
                    f'[ledger]\npath = "{root}/ledger.sqlite3"\n[archive]\nadapter = "folder"\n'
                    f'folder = {{ root = "{root}/archive", register = "{root}/cases.csv" }}\n'
                    f'[notify]\ntransport = "outbox"\noutbox_dir = "{root}/outbox"\n')
        case_of, cpr_of_case = {}, {}
        surn = ["Holst", "Riis", "Bundgaard", "Skaarup", "Vinther", "Brix", "Gregersen", "Lykke"]
        fn = ["Karl", "Inge", "Villy", "Ruth", "Preben", "Bente", "Arne", "Lis"]
        everyone = [(c, p["name"]) for c, p in sorted(persons.items())]
        everyone += [(d, f"{fn[i % 8]} {surn[(i // 8) % 8]}") for i, d in enumerate(sorted(decoys)) if valid_date10(d) and d not in persons]
        with open(os.path.join(root, "cases.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["cpr", "case_id", "case_type", "status", "caseworker_email", "team"] + (["name"] if with_names else []))
            for i, (c, nm) in enumerate(everyone):
                cid = f"SDP-{2024}-{i + 1:05d}"
                case_of[c] = cid; cpr_of_case[cid] = c
                if with_names and i % 5 == 0 and "," not in nm:  # some case systems write "Efternavn, Fornavne"
                    parts = nm.split(); nm = f"{parts[-1]}, {' '.join(parts[:-1])}"
                w.writerow([c, cid, "sygedagpenge", "open", f"sagsbehandler{i % 9}@kommune.example", "Sygedagpenge"]
                           + ([nm] if with_names else []))
        return root, cfg, case_of, cpr_of_case

    # ------------------------------------------------------------------ a. extraction
    root0, cfg0, _, _ = install("extract", False)
    pdfs = [os.path.join(C, t["file"]) for t in truth]
    ex = {}
    for k in range(0, len(pdfs), 100):
        p = run([a.robot, "--config", cfg0, "extract", "--json", "--reveal-cpr"] + pdfs[k:k + 100], runs)
        if p.returncode not in (0,):
            print(f"extract exited {p.returncode}: {p.stderr[-500:]}", file=sys.stderr)
        for rec in parse_json_lines(p.stdout):
            ex[os.path.relpath(rec["file"], C)] = rec
    mails = [os.path.join(C, m["file"]) for m in mtruth]
    for k in range(0, len(pdfs + mails), 120):
        p = run([a.robot, "--config", cfg0, "extract", "--json"] + (pdfs + mails)[k:k + 120], runs)
        printed.append(("extract --json (no reveal) stdout", p.stdout)); printed.append(("extract stderr", p.stderr))
    p = run([a.robot, "--config", cfg0, "extract"] + pdfs[:60] + mails[:30], runs)
    printed.append(("extract (human) stdout", p.stdout)); printed.append(("extract (human) stderr", p.stderr))

    E = dict(n=len(truth), read=len(ex), wrong_person_ok=[], wrong_cpr_ok=[], wrong_form_ok=[], must_escalate_ok=[],
             fileable=0, recalled=0, misses=collections.Counter(), miss_examples=collections.defaultdict(list),
             by_scenario=collections.defaultdict(lambda: collections.Counter()), by_producer=collections.defaultdict(lambda: collections.Counter()),
             by_cstyle=collections.defaultdict(lambda: collections.Counter()))
    for t in truth:
        r = ex.get(t["file"])
        st = r["status"] if r else "missing"
        sc = t["scenario"]
        E["by_scenario"][sc][st] += 1
        rc = digits(r.get("cpr")) if r else ""
        ok = st == "ok"
        line = lambda why: (f"{t['file']} [{t['producer']}] {why}; robot cpr {mask(rc)} form {r.get('blanket') if r else None} "
                            f"status {st}; truth cpr {mask(t['cpr'])} form {t['form']}")
        if ok and rc != t["patient_true_cpr"]:
            whose = next((o for o in t["other_numbers"] if o.get("digits") == rc), None)
            kind = (whose or {}).get("kind", "unknown number")
            if whose and kind in ("relative", "second_patient", "doctor", "typo_patient"):
                E["wrong_person_ok"].append(line(f"OK WITH ANOTHER PERSON'S CPR ({kind}, {whose.get('role')}, {whose.get('placement')})"))
            else:
                E["wrong_cpr_ok"].append(line(f"OK WITH A NON-PATIENT NUMBER ({kind} {whose.get('label') if whose else ''})"))
        if ok and t["form"] and r.get("blanket") != t["form"] and t.get("kind") == "attest":
            E["wrong_form_ok"].append(line("WRONG FORM"))
        if ok and t["must_escalate"]:
            E["must_escalate_ok"].append(line(f"must escalate ({sc}) but ok"))
        if t["fileable"]:
            E["fileable"] += 1
            hit = ok and rc == t["cpr"] and r.get("blanket") == t["form"]
            E["by_producer"][t["producer"]]["hit" if hit else "miss"] += 1
            E["by_cstyle"][t["cpr_style"]]["hit" if hit else "miss"] += 1
            if hit: E["recalled"] += 1
            else:
                key = f"{sc}/{st}"
                E["misses"][key] += 1
                if len(E["miss_examples"][key]) < 4:
                    det = (r or {}).get("detail", "")
                    snip = ""
                    for ev in ((r or {}).get("evidence") or {}).get("cpr", []):
                        if ev.get("verdict") != "accepted" or st != "ok":
                            snip = f" | {ev.get('verdict')}: {ev.get('why')} «{mask_snip(ev.get('snippet', ''))}»"
                            if digits(ev.get("value")) == t["cpr"] or ev.get("verdict") == "invalid": break
                    E["miss_examples"][key].append(line(f"miss [{t['cpr_style']}/{t['patient_style']}] {det}") + snip)

    # ------------------------------------------------------------------ b. mails
    M = {}
    for label, with_names in (("without_names", False), ("with_names", True)):
        root, cfg, case_of, cpr_of_case = install(label, with_names)
        p = run([a.robot, "--config", cfg, "process", "--json"] + mails, runs)
        printed.append((f"process --json {label} stdout", p.stdout)); printed.append((f"process {label} stderr", p.stderr))
        outs = parse_json_lines(p.stdout)
        per_mail = collections.defaultdict(list)
        for o in outs: per_mail[os.path.relpath(o["file"], C)].append(o)
        R = dict(docs=0, misfiled=[], forged_filed=[], expect_file=0, filed_ok=0, misses=collections.Counter(),
                 miss_examples=collections.defaultdict(list), nonfileable_filed=[], outcomes=collections.Counter(),
                 forged_outcomes=collections.Counter(), unmatched=[], rc=p.returncode,
                 name_check=collections.Counter())
        for m in mtruth:
            os_ = per_mail.get(m["file"], [])
            docs = [o for o in os_ if o.get("attachment") is not None or o.get("outcome") in ("filed",)]
            if len(docs) != len(m["docs"]):
                R["unmatched"].append(f"{m['file']}: {len(os_)} outcomes for {len(m['docs'])} attachments")
                docs = (docs + [{}] * len(m["docs"]))[:len(m["docs"])]
            for dt_, o in zip(m["docs"], docs):
                R["docs"] += 1
                for ex_ in o.get("explanation") or []:
                    if ex_.startswith("name:"):
                        R["name_check"][re.sub(r"[\"'«].*", "…", ex_)[:70]] += 1
                oc = o.get("outcome", "missing"); cid = o.get("case_id")
                R["outcomes"][f"{oc}:{o.get('reason')}"] += 1
                desc = (f"{m['file']} ({m['forge_kind']}, {m['cpr_variant']}) {dt_['pdf']} -> {oc} {cid or ''} "
                        f"{o.get('reason') or ''}")
                if oc == "filed":
                    c = cpr_of_case.get(cid)
                    if c != dt_["patient_cpr"]:
                        whose = persons.get(c, {}).get("role", "decoy/unknown")
                        R["misfiled"].append(desc + f" — case belongs to {whose} {mask(c)}, patient {mask(dt_['patient_cpr'])}")
                    if m["kind"] == "forged":
                        R["forged_filed"].append(desc + f" From {m['from_']!r}")
                    if not dt_["fileable"] and c == dt_["patient_cpr"]:
                        R["nonfileable_filed"].append(desc + f" scenario {dt_['scenario']}")
                if m["kind"] == "forged":
                    R["forged_outcomes"][f"{m['forge_kind']}:{oc}:{o.get('reason')}"] += 1
                if dt_["expect"] == "file":
                    R["expect_file"] += 1
                    if oc == "filed" and cpr_of_case.get(cid) == dt_["patient_cpr"]:
                        R["filed_ok"] += 1
                    else:
                        key = f"{dt_['scenario']}/{o.get('reason') or oc}"
                        R["misses"][key] += 1
                        if len(R["miss_examples"][key]) < 3:
                            R["miss_examples"][key].append(desc + " | " + "; ".join(mask_snip(x) for x in (o.get("explanation") or [])[-2:]))
        # archive, sidecars and outbox for the privacy scan
        for dp, dn, fns in os.walk(os.path.join(root, "archive")):
            for fn in fns:
                printed.append((f"archive file name ({label})", os.path.join(os.path.relpath(dp, root), fn)))
                if fn.endswith(".json"):
                    printed.append((f"archive sidecar ({label}) {fn}", open(os.path.join(dp, fn), encoding="utf-8", errors="replace").read()))
        for dp, dn, fns in os.walk(os.path.join(root, "outbox")):
            for fn in fns:
                raw = open(os.path.join(dp, fn), "rb").read()
                printed.append((f"outbox ({label}) {fn}", raw.decode("utf-8", "replace") + "\n" + mail_text(raw)))
                printed.append((f"outbox file name ({label})", fn))
        # escalations list / status output
        for cmd in (["escalations", "list", "--json"], ["escalations", "list"], ["status"]):
            p2 = run([a.robot, "--config", cfg] + cmd, runs)
            printed.append((f"{' '.join(cmd)} ({label})", p2.stdout + p2.stderr))
        R["n_escalations_out"] = len(p2.stdout)
        M[label] = R

    # ------------------------------------------------------------------ c. privacy
    known = set(persons)
    leaks = collections.defaultdict(set)
    decoy_leaks = collections.defaultdict(set)
    for where, text in printed:
        for d in scan(text, known): leaks[where].add(d)
        for d in scan(text, decoys): decoy_leaks[where].add(d)
    leak_lines = []
    for where, ds in leaks.items():
        for d in sorted(ds):
            ctx = ""
            text = next(t for w, t in printed if w == where)
            for m in RX10.finditer(text):
                if digits(m.group(1)) == d:
                    s = max(0, m.start() - 50); ctx = text[s:m.start() + 70].replace("\n", " ")
                    break
            leak_lines.append(f"{where}: {mask(d)} ({persons[d]['role']}) «{mask_snip(ctx)}»")

    # ------------------------------------------------------------------ report
    rec = E["recalled"] / max(1, E["fileable"])
    must0 = dict(extract_ok_wrong_person=len(E["wrong_person_ok"]), extract_ok_wrong_number=len(E["wrong_cpr_ok"]),
                 extract_ok_wrong_form=len(E["wrong_form_ok"]),
                 **{f"mail_misfiled_{k}": len(v["misfiled"]) for k, v in M.items()},
                 **{f"mail_forged_filed_{k}": len(v["forged_filed"]) for k, v in M.items()},
                 privacy_leaks=sum(len(v) for v in leaks.values()))
    recalls = dict(extract=rec, **{f"mail_{k}": v["filed_ok"] / max(1, v["expect_file"]) for k, v in M.items()})
    passed = all(v == 0 for v in must0.values()) and all(v >= 0.97 for v in recalls.values())
    P = print
    P(f"== lae-robot on held-out corpus D ({C}); robot {a.robot}; {time.time() - t0:.0f}s")
    P(f"PDFs: {E['n']} ({E['read']} read)  fileable {E['fileable']}  mails {len(mtruth)} "
      f"({sum(m['kind'] == 'forged' for m in mtruth)} forged/dubious)")
    P("\n-- a. extract (MUST be 0 unless noted)")
    P(f"ok with another person's CPR: {len(E['wrong_person_ok'])}")
    for x in E["wrong_person_ok"][:12]: P("   " + x)
    P(f"ok with another (non-person) number: {len(E['wrong_cpr_ok'])}")
    for x in E["wrong_cpr_ok"][:8]: P("   " + x)
    P(f"ok with the wrong form: {len(E['wrong_form_ok'])}")
    for x in E["wrong_form_ok"][:8]: P("   " + x)
    P(f"must_escalate reported ok: {len(E['must_escalate_ok'])}")
    for x in E["must_escalate_ok"][:10]: P("   " + x)
    P(f"recall over fileable: {E['recalled']}/{E['fileable']} = {rec:.1%} (goal >= 97%)")
    P("misses by scenario/status:")
    for k, v in E["misses"].most_common():
        P(f"   {v:3d} {k}")
        for x in E["miss_examples"][k][:2]: P("        " + x)
    P("recall by producer: " + ", ".join(f"{k} {v['hit']}/{v['hit'] + v['miss']}" for k, v in sorted(E["by_producer"].items())))
    P("recall by CPR written form: " + ", ".join(f"{k} {v['hit']}/{v['hit'] + v['miss']}" for k, v in sorted(E["by_cstyle"].items())))
    P("\n-- b. mails")
    for k, R in M.items():
        P(f"[{k}] documents {R['docs']}; process rc {R['rc']}; misfiled into another's case: {len(R['misfiled'])}; "
          f"filed from forged/dubious sender: {len(R['forged_filed'])}; recall {R['filed_ok']}/{R['expect_file']} = "
          f"{R['filed_ok'] / max(1, R['expect_file']):.1%}")
        for x in R["misfiled"][:10] + R["forged_filed"][:10]: P("   " + x)
        if R["unmatched"]: P(f"   (unmatched outcome counts: {R['unmatched'][:5]})")
        if R["nonfileable_filed"]: P(f"   non-fileable documents filed (patient's own case): {len(R['nonfileable_filed'])}")
        for x in R["nonfileable_filed"][:5]: P("      " + x)
        P("   misses: " + ", ".join(f"{kk} {v}" for kk, v in R["misses"].most_common()))
        for kk in list(R["misses"])[:6]:
            for x in R["miss_examples"][kk][:1]: P("      " + x)
        P("   name check: " + "; ".join(f"{kk} ×{v}" for kk, v in R["name_check"].most_common(5)))
        P("   forged outcomes: " + ", ".join(f"{kk} {v}" for kk, v in sorted(R["forged_outcomes"].items())))
    P("\n-- c. privacy: full CPR of a person in CLI output, sidecars, archive names, outbox")
    P(f"leaks: {sum(len(v) for v in leaks.values())} (in {len(leaks)} outputs)")
    for x in leak_lines[:15]: P("   " + x)
    P(f"(info) non-person numbers with a valid birth date printed in full (the robot cannot know they are no CPR): "
      f"{sum(len(v) for v in decoy_leaks.values())} in " + ", ".join(f"{w.split(' (')[0]} {len(v)}" for w, v in list(decoy_leaks.items())[:6]))
    P(f"\nMUST-be-0: {must0}\nrecalls: { {k: round(v, 4) for k, v in recalls.items()} }\nRESULT: {'PASS' if passed else 'FAIL'}")
    rep = dict(corpus=C, robot=a.robot, seconds=round(time.time() - t0, 1), must_be_zero=must0, recalls=recalls, passed=passed,
               extract=dict(fileable=E["fileable"], recalled=E["recalled"], wrong_person_ok=E["wrong_person_ok"],
                            wrong_number_ok=E["wrong_cpr_ok"], wrong_form_ok=E["wrong_form_ok"],
                            must_escalate_ok=E["must_escalate_ok"], misses=dict(E["misses"]),
                            miss_examples=dict(E["miss_examples"]),
                            by_scenario={k: dict(v) for k, v in E["by_scenario"].items()},
                            by_producer={k: dict(v) for k, v in E["by_producer"].items()},
                            by_cpr_form={k: dict(v) for k, v in E["by_cstyle"].items()}),
               mails={k: dict(docs=R["docs"], misfiled=R["misfiled"], forged_filed=R["forged_filed"], expect_file=R["expect_file"],
                              filed_ok=R["filed_ok"], misses=dict(R["misses"]), miss_examples=dict(R["miss_examples"]),
                              outcomes=dict(R["outcomes"]), forged_outcomes=dict(R["forged_outcomes"]),
                              nonfileable_filed=R["nonfileable_filed"], unmatched=R["unmatched"],
                              name_check=dict(R["name_check"])) for k, R in M.items()},
               privacy=dict(leaks=leak_lines, decoy_full_numbers_printed=sum(len(v) for v in decoy_leaks.values())),
               runs=runs)
    with open(a.report, "w", encoding="utf-8") as f:
        json.dump(rep, f, ensure_ascii=False, indent=1)
    if not a.keep: shutil.rmtree(work, ignore_errors=True)
    else: P(f"(installations kept in {work})")
    return 0 if passed else 1


def mask_snip(s):
    """Mask every 10-digit-looking number in a snippet (any separators), unless --reveal."""
    if REVEAL or not s: return s
    def sub(m):
        g = m.group(0); d = digits(g)
        return d[:6] + "-xxxx" if len(d) == 10 else g
    s = re.sub(r"(?<!\d)\d(?:" + SEP + r"\d){9}(?!\d)", sub, s)
    return RX4Y.sub(lambda m: m.group(1) + m.group(2) + m.group(3)[2:] + "-xxxx", s)


if __name__ == "__main__":
    sys.exit(main())
