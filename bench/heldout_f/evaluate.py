#!/usr/bin/env python3
"""Score a frozen lae-robot on held-out corpus F (stdlib only).

    python3 bench/heldout_f/evaluate.py [--robot .venv/bin/lae-robot] [--rules rules] \
        [--corpus /tmp/heldout_f] [--reveal] [--json-out FILE]

(a) extract --json --reveal-cpr on every PDF: ok with another person's CPR (MUST 0), ok with a wrong form
    (MUST 0), recall over the fileable PDFs (goal >= 97%), misses by scenario and other features.
(b) process --json in temporary installations (folder archive, register with one open sygedagpenge case per
    person), with and without the name column, for the bare PDFs (--pdf-from a region address) and the mails:
    misfiled (MUST 0), filed from a forged/dubious sender (MUST 0), recall (goal >= 97%).
(c) privacy: any known person's full CPR, in any written form, in CLI output (process, extract without
    --reveal-cpr, escalations list/show, status), sidecars, archive file names, outbox (MUST 0).
Output is masked (DDMMYY-xxxx) unless --reveal. Exit 0 only when every check passes.
"""
from pathlib import Path
import argparse, collections, csv, email, email.policy, json, os, re, shutil, subprocess, sys, tempfile, time

REVEAL = False


def m(c):
    if not c:
        return str(c)
    d = re.sub(r"\D", "", c)
    if REVEAL or len(d) != 10:
        return c
    return d[:6] + "-xxxx"


def digits(s):
    return re.sub(r"\D", "", s or "")


def run(cmd, cwd=None, timeout=3600):
    t = time.time()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"), time.time() - t


def jlines(text):
    out = []
    for ln in text.splitlines():
        ln = ln.strip()
        if ln.startswith("{"):
            try:
                out.append(json.loads(ln))
            except json.JSONDecodeError:
                pass
    return out


def chunks(lst, n):
    for i in range(0, len(lst), n):
        yield lst[i:i + n]


# ----------------------------------------------------------------------------- privacy scanner
SEP = r"[\s.\-/_:|\u00a0\u2009\u202f\u2007\u2011\u2012\u2013\u2014\u2010\u200b\u2060'\"\\,]{0,3}"
RUN = re.compile(r"\d(?:" + SEP + r"\d)+")
UESC = re.compile(r"\\u([0-9a-fA-F]{4})")


class Scanner:
    def __init__(self, persons):
        self.persons = persons
        self.hits = []

    def scan(self, text, where):
        if not text:
            return
        texts = [text]
        if "\\u" in text:
            texts.append(UESC.sub(lambda x: chr(int(x.group(1), 16)), text))
        seen = set()
        for t in texts:
            for mt in RUN.finditer(t):
                d = digits(mt.group(0))
                if len(d) < 10:
                    continue
                for i in range(len(d) - 9):
                    w = d[i:i + 10]
                    if w in self.persons and (w, where) not in seen:
                        seen.add((w, where))
                        ctx = t[max(0, mt.start() - 30):mt.end() + 10].replace("\n", " ")
                        self.hits.append((where, w, ctx.replace(w, m(w)) if not REVEAL else ctx))


def scan_eml(sc, path):
    raw = open(path, "rb").read()
    sc.scan(raw.decode("utf-8", "replace"), path)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for k, v in msg.items():
            sc.scan(str(v), path + ":" + k)
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                sc.scan(part.get_content(), path + ":body")
    except Exception as e:  # noqa
        sc.scan(repr(e), path)


# ----------------------------------------------------------------------------- installation
def install(root, rules, persons, with_names):
    os.makedirs(f"{root}/var/archive"); os.makedirs(f"{root}/var/outbox")
    shutil.copytree(rules, f"{root}/rules")
    with open(f"{root}/config.toml", "w") as f:
        f.write('[logging]\nformat = "json"\nlevel = "INFO"\n[rules]\ndir = "rules"\n[extract]\nworkers = 2\n'
                '[ledger]\npath = "var/ledger.sqlite3"\n[archive]\nadapter = "folder"\n'
                'folder = { root = "var/archive", register = "var/cases.csv" }\n'
                '[notify]\noperators = ["lae-robot-drift@kommune.example"]\n'
                'sender = "Lægerobotten <lae-robot@kommune.example>"\ntransport = "outbox"\noutbox_dir = "var/outbox"\n')
    cases = {}
    with open(f"{root}/var/cases.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cpr", "case_id", "case_type", "status", "caseworker_email", "team"] + (["name"] if with_names else []))
        for i, (cpr, name) in enumerate(sorted(persons.items())):
            cid = f"SD-{i + 1:05d}"
            cases[cid] = cpr
            w.writerow([cpr, cid, "sygedagpenge", "open", f"sb{i % 17}@kommune.example", "sygedagpenge@kommune.example"]
                       + ([name] if with_names else []))
    return cases


def privacy_sweep(sc, root, robot, label):
    for dp, dn, fn in os.walk(f"{root}/var/archive"):
        for x in fn:
            p = os.path.join(dp, x)
            sc.scan(p[len(root):], f"{label}:archive-name")
            if x.endswith(".json"):
                sc.scan(open(p, encoding="utf-8", errors="replace").read(), f"{label}:sidecar:{x}")
        for x in dn:
            sc.scan(x, f"{label}:archive-dir")
    for x in os.listdir(f"{root}/var/outbox"):
        sc.scan(x, f"{label}:outbox-name")
        scan_eml(sc, f"{root}/var/outbox/{x}")
    cfg = ["--config", f"{root}/config.toml"]
    rc, out, err, _ = run([robot] + cfg + ["escalations", "list", "--all", "--json"])
    sc.scan(out + err, f"{label}:escalations list")
    ids = []
    for o in jlines(out):
        if isinstance(o, dict) and "id" in o:
            ids.append(o["id"])
    if not ids:
        for o in jlines(out):
            if isinstance(o, list):
                ids += [x.get("id") for x in o if isinstance(x, dict)]
    for i in ids[:40]:
        rc, out2, err2, _ = run([robot] + cfg + ["escalations", "show", str(i)])
        sc.scan(out2 + err2, f"{label}:escalations show {i}")
    rc, out3, err3, _ = run([robot] + cfg + ["status"])
    sc.scan(out3 + err3, f"{label}:status")
    return len(ids)


def process_run(robot, root, files, sc, label, pdf_from=None):
    cmd = [robot, "--config", f"{root}/config.toml", "process", "--json"]
    if pdf_from:
        cmd += ["--pdf-from", pdf_from]
    recs, t0 = [], time.time()
    for ch in chunks(files, 60):
        rc, out, err, _ = run(cmd + ch, cwd=root)
        sc.scan(out + err, f"{label}:process output")
        if rc not in (0,):
            print(f"  [{label}] process rc={rc}: {err.strip().splitlines()[-1:] if err.strip() else ''}")
        recs += jlines(out)
    # also the human (non-JSON) output on a dry run of a sample
    rc, out, err, _ = run([robot, "--config", f"{root}/config.toml", "process", "--dry-run"]
                          + (["--pdf-from", pdf_from] if pdf_from else []) + files[:40], cwd=root)
    sc.scan(out + err, f"{label}:process human output")
    return recs, time.time() - t0


# ----------------------------------------------------------------------------- main
def main():
    global REVEAL
    ap = argparse.ArgumentParser()
    ap.add_argument("--robot", default=str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "lae-robot"))
    ap.add_argument("--rules", default=str(Path(__file__).resolve().parents[2] / "rules"))
    ap.add_argument("--corpus", default="/tmp/heldout_f")
    ap.add_argument("--reveal", action="store_true")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temporary installations")
    a = ap.parse_args()
    REVEAL = a.reveal
    C = a.corpus
    T0 = time.time()
    truth = [json.loads(x) for x in open(f"{C}/truth.jsonl", encoding="utf-8")]
    mails = [json.loads(x) for x in open(f"{C}/mail_truth.jsonl", encoding="utf-8")]
    register_persons = json.load(open(f"{C}/persons.json", encoding="utf-8"))
    byfile = {t["file"]: t for t in truth}
    people = set()
    for t in truth:
        people.add(t["patient_cpr_true"])
        people.update(t["other_cprs"])
    for mm in mails:
        if mm.get("conflict_cpr"):
            people.add(mm["conflict_cpr"])
    sc = Scanner(people)
    results = {"checks": {}}
    fails = []

    def check(name, ok, value):
        results["checks"][name] = {"value": value, "pass": ok}
        if not ok:
            fails.append(name)

    # ---------------------------------------------------------------- (a) extract
    print(f"== (a) extract on {len(truth)} PDFs")
    pdfs = [f"{C}/pdf/{t['file']}" for t in truth]
    ex = {}
    t0 = time.time()
    for ch in chunks(pdfs, 80):
        rc, out, err, _ = run([a.robot, "extract", "--json", "--reveal-cpr", "--rules", a.rules] + ch)
        for o in jlines(out):
            ex[os.path.basename(o["file"])] = o
    t_ex = time.time() - t0
    missing = [t["file"] for t in truth if t["file"] not in ex]
    wrong_person, wrong_form, ok_must_esc, misses = [], [], [], []
    n_fileable = sum(t["fileable"] for t in truth)
    hit = 0
    miss_by = collections.defaultdict(collections.Counter)
    for t in truth:
        o = ex.get(t["file"])
        if o is None:
            continue
        st = o.get("status")
        code = digits(o.get("blanket") or "")
        cpr = digits(o.get("cpr") or "")
        if st == "ok":
            if cpr != (t["patient_cpr"] or ""):
                if cpr == t["patient_cpr_true"]:
                    pass  # the patient's own number, read where truth says unreadable (e.g. in a scan/mask)
                else:
                    wrong_person.append((t, o))
            if code != (t["form"] or "") or (t["form"] not in ("105", "115", "125", "135", "145", "155", "225", "265", "275", "285")):
                wrong_form.append((t, o))
            if t["must_escalate"]:
                ok_must_esc.append((t, o))
        if t["fileable"]:
            if st == "ok" and cpr == t["patient_cpr"] and code == t["form"]:
                hit += 1
            else:
                misses.append((t, o))
                for key in ("scenario", "producer", "patient_layout", "cpr_style", "family"):
                    miss_by[key][str(t.get(key))] += 1
                miss_by["status"][st] += 1
    recall = hit / n_fileable if n_fileable else 0
    print(f"  {len(ex)} records in {t_ex:.1f}s; missing records: {len(missing)}")
    print(f"  ok with another person's CPR: {len(wrong_person)}")
    for t, o in wrong_person[:12]:
        print(f"    {t['file']} [{t['scenario']}] got {m(o.get('cpr'))}, truth {m(t['patient_cpr'])}; others "
              f"{[m(x) for x in t['other_cprs']]} decoys {[m(x) for x in t['cpr_like_decoys']][:4]}")
    print(f"  ok with a wrong form: {len(wrong_form)}")
    for t, o in wrong_form[:12]:
        print(f"    {t['file']} [{t['scenario']}] got {o.get('blanket')} ({o.get('detail')}), truth {t['form']} {t['notes']}")
    print(f"  ok on documents that must escalate (right person): {len(ok_must_esc) - len([1 for x in ok_must_esc if x in wrong_person])}")
    for t, o in [x for x in ok_must_esc if x not in wrong_person and x not in wrong_form][:10]:
        print(f"    {t['file']} [{t['scenario']}] others={[(x['role'], x['placement'], x.get('style')) for x in t['others']]} notes={t['notes']}")
    print(f"  recall over fileable: {hit}/{n_fileable} = {recall:.1%}")
    for k, cnt in miss_by.items():
        print(f"    misses by {k}: {dict(cnt.most_common())}")
    for t, o in misses[:25]:
        ev = [e for e in (o or {}).get("evidence", {}).get("cpr", []) if e.get("verdict") != "accepted"][:2]
        print(f"    miss {t['file']} [{t['scenario']}/{t['patient_layout']}/{t['cpr_style']}] status={o.get('status')} "
              f"cpr={m(o.get('cpr'))} form={o.get('blanket')} :: {o.get('detail', '')[:90]}"
              + "".join(f" | {e.get('verdict')}: {e.get('why', '')[:70]} '{m(e.get('value', ''))}'" for e in ev))
    check("extract_ok_wrong_person == 0", len(wrong_person) == 0, len(wrong_person))
    check("extract_ok_wrong_form == 0", len(wrong_form) == 0, len(wrong_form))
    check("extract_recall >= 97%", recall >= 0.97, round(recall, 4))
    check("extract_records_complete", not missing, len(missing))
    results["extract"] = {"records": len(ex), "fileable": n_fileable, "hit": hit, "recall": recall,
                          "wrong_person": [x[0]["file"] for x in wrong_person], "wrong_form": [x[0]["file"] for x in wrong_form],
                          "ok_must_escalate": [x[0]["file"] for x in ok_must_esc],
                          "misses": {x[0]["file"]: (x[1] or {}).get("status") for x in misses},
                          "miss_by": {k: dict(v) for k, v in miss_by.items()}, "seconds": round(t_ex, 1)}

    # privacy: extract without --reveal-cpr, PDFs and mails
    t0 = time.time()
    for ch in chunks(pdfs + sorted(f"{C}/mail/{x['file']}" for x in mails), 80):
        rc, out, err, _ = run([a.robot, "extract", "--json", "--rules", a.rules] + ch)
        sc.scan(out + err, "extract --json")
    for ch in chunks(pdfs[:60] + sorted(f"{C}/mail/{x['file']}" for x in mails), 80):
        rc, out, err, _ = run([a.robot, "extract", "--rules", a.rules] + ch)
        sc.scan(out + err, "extract (human)")
    print(f"  extract without --reveal-cpr (privacy pass) {time.time() - t0:.1f}s")

    # ---------------------------------------------------------------- (b) process
    results["process"] = {}
    for with_names in (False, True):
        tag = "names" if with_names else "no-names"
        print(f"== (b) process, register {'with' if with_names else 'without'} names")
        base = tempfile.mkdtemp(prefix=f"hf_eval_{tag}_")
        # bare PDFs
        root = f"{base}/pdfs"
        cases = install(root, a.rules, register_persons, with_names)
        recs, secs = process_run(a.robot, root, pdfs, sc, f"{tag}/pdfs", pdf_from="attest@psykiatri.rn.dk")
        nesc = privacy_sweep(sc, root, a.robot, f"{tag}/pdfs")
        got = {os.path.basename(r.get("file", "")): r for r in recs}
        misfiled, filed_must_esc, hitp, missp = [], [], 0, collections.Counter()
        miss_ex = []
        for t in truth:
            r = got.get(t["file"])
            if r is None:
                missp["no record"] += 1
                continue
            if r.get("outcome") == "filed":
                ccpr = cases.get(r.get("case_id"))
                if ccpr != t["patient_cpr_true"]:
                    misfiled.append((t, r, ccpr))
                elif t["must_escalate"]:
                    filed_must_esc.append((t, r))
            if t["fileable"]:
                if r.get("outcome") == "filed" and cases.get(r.get("case_id")) == t["patient_cpr"]:
                    hitp += 1
                else:
                    missp[r.get("reason") or r.get("outcome")] += 1
                    if r.get("reason") == "name_mismatch":
                        miss_ex.append(f"    name_mismatch {t['file']} printed '{t['printed_name']}' register '{t['patient_name']}' ({t['name_variant']})")
        rec_p = hitp / n_fileable
        print(f"  bare PDFs: {len(recs)} records in {secs:.1f}s; misfiled {len(misfiled)}; filed though must escalate "
              f"(right person) {len(filed_must_esc)}; recall {hitp}/{n_fileable} = {rec_p:.1%}; misses {dict(missp.most_common())}")
        for t, r, ccpr in misfiled[:10]:
            print(f"    MISFILED {t['file']} [{t['scenario']}] into {r.get('case_id')} ({m(ccpr)}), patient {m(t['patient_cpr_true'])}")
        for line in miss_ex[:8]:
            print(line)
        # mails
        root = f"{base}/mails"
        cases = install(root, a.rules, register_persons, with_names)
        mfiles = [f"{C}/mail/{x['file']}" for x in mails]
        recs, secs2 = process_run(a.robot, root, mfiles, sc, f"{tag}/mails")
        privacy_sweep(sc, root, a.robot, f"{tag}/mails")
        bym = collections.defaultdict(list)
        for r in recs:
            bym[os.path.basename(r.get("file", ""))].append(r)
        forged_filed, mis_m, hitm, nexp, missm, unmapped = [], [], 0, 0, collections.Counter(), 0
        for mt in mails:
            rs = sorted(bym.get(mt["file"], []), key=lambda r: (r.get("document") or 0))
            if not mt["legit"] and any(r.get("outcome") == "filed" for r in rs):
                forged_filed.append((mt, rs))
            if len(rs) != len(mt["attachments"]):
                unmapped += 1
            for k, att in enumerate(mt["attachments"]):
                r = rs[k] if k < len(rs) else None
                t = byfile[att["pdf"]]
                if r and r.get("outcome") == "filed":
                    ccpr = cases.get(r.get("case_id"))
                    if ccpr != t["patient_cpr_true"]:
                        mis_m.append((mt, att, r, ccpr))
                if att["expect"] == "file":
                    nexp += 1
                    if r and r.get("outcome") == "filed" and cases.get(r.get("case_id")) == t["patient_cpr"]:
                        hitm += 1
                    else:
                        missm[(r or {}).get("reason") or (r or {}).get("outcome") or "no record"] += 1
            # a filed document in a mail that must escalate (cpr conflict) is reported too
        conflict_filed = [mt for mt in mails if mt["cpr_conflict"] and any(r.get("outcome") == "filed" for r in bym.get(mt["file"], []))]
        rec_m = hitm / nexp if nexp else 0
        print(f"  mails: {len(recs)} records in {secs2:.1f}s; filed from forged/dubious sender {len(forged_filed)}; misfiled "
              f"{len(mis_m)}; filed despite a CPR conflict {len(conflict_filed)}; recall {hitm}/{nexp} = {rec_m:.1%}; "
              f"misses {dict(missm.most_common())}; mails whose records did not map 1:1: {unmapped}")
        for mt, rs in forged_filed:
            print(f"    FORGED FILED {mt['file']} variant={mt['variant']} from={mt['from_domain']!r}")
        for mt, att, r, ccpr in mis_m[:10]:
            print(f"    MISFILED {mt['file']} {att['pdf']} into {r.get('case_id')} ({m(ccpr)})")
        tot_recall = (hitp + hitm) / (n_fileable + nexp)
        check(f"process[{tag}] misfiled == 0", not misfiled and not mis_m, len(misfiled) + len(mis_m))
        check(f"process[{tag}] forged filed == 0", not forged_filed, len(forged_filed))
        check(f"process[{tag}] cpr-conflict filed == 0", not conflict_filed, len(conflict_filed))
        check(f"process[{tag}] recall >= 97%", tot_recall >= 0.97, round(tot_recall, 4))
        results["process"][tag] = {"pdf_recall": rec_p, "pdf_hit": hitp, "mail_recall": rec_m, "mail_hit": hitm,
                                   "mail_expected": nexp, "misfiled": len(misfiled) + len(mis_m),
                                   "filed_must_escalate_right_person": [x[0]["file"] for x in filed_must_esc],
                                   "forged_filed": [x[0]["file"] for x in forged_filed], "pdf_misses": dict(missp),
                                   "mail_misses": dict(missm), "seconds": round(secs + secs2, 1), "root": base}
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)

    # ---------------------------------------------------------------- (c) privacy
    print("== (c) privacy")
    by_where = collections.Counter(h[0].split(":")[0] if ":" in h[0] else h[0] for h in sc.hits)
    print(f"  full CPRs of persons found in outputs: {len(sc.hits)} {dict(by_where)}")
    for where, w, ctx in sc.hits[:15]:
        print(f"    {where[:70]}: ...{ctx[:110]}...")
    check("privacy leaks == 0", not sc.hits, len(sc.hits))
    results["privacy"] = {"hits": len(sc.hits), "where": dict(by_where)}
    # ---------------------------------------------------------------- summary
    print("== summary")
    for k, v in results["checks"].items():
        print(f"  {'PASS' if v['pass'] else 'FAIL'}  {k}: {v['value']}")
    print(f"  total {time.time() - T0:.0f}s")
    if a.json_out:
        json.dump(results, open(a.json_out, "w"), indent=1, default=str)
    sys.exit(0 if not fails else 1)


if __name__ == "__main__":
    main()
