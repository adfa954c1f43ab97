"""A bag of a few hundred distinct mails for the crash-safety test, with the outcome each document must end in.

Everything is fictitious and made from a fixed seed: citizens with valid CPR numbers (valid date, century digit,
modulus 11) that appear nowhere in the committed samples, their cases in a generated case register, reportlab
certificates, and variants of the committed sample mails that differ in one added header line. What each document
must end as is decided here, from the generator's own plan, never from the robot's output.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from robot.extract.cpr import century, passes_mod11
from tests.gateway import passed

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"

REGISTER_HEADER = ("cpr", "case_id", "case_type", "status", "caseworker_email", "team")
# Case types the shipped route files into, and one it does not (a citizen's boligstøtte case is passed over).
FILING_TYPES = ("sygedagpenge", "jobafklaring", "ressourceforløb", "kontanthjælp", "fleksjob")
OTHER_TYPE = "boligstøtte"
# Form codes the shipped route files; 165 is routed to a human.
FILED_FORMS = {"105": "Journaloplysninger fra sygehus", "125": "Statusattest", "135": "Specifik helbredsattest",
               "145": "Generel helbredsattest", "265": "Lægeattest til rehabiliteringsteam",
               "275": "Lægeattest fra klinisk funktion", "285": "Attest til sygedagpengeopfølgning"}
HUMAN_FORM = ("165", "Forslag om socialmedicinsk sagsbehandling")
TRUSTED = (("Psykiatrien Region Nordjylland", "psykiatri.attester@rn.dk"),
           ("Region Hovedstaden Psykiatri", "attester.psykiatri@regionh.dk"),
           ("Psykiatrien i Region Syddanmark", "psykiatrien.attester@rsyd.dk"),
           ("Region Midtjylland Klinisk Funktion", "kliniskfunktion@rm.dk"),
           ("Psykiatrien Region Sjælland", "psykiatri.attester@regionsjaelland.dk"))
UNTRUSTED = (("Lægehuset Bøgely", "laegehuset.bogely@dadlnet.dk"),
             ("Lægerne Vestergade", "laegerne.vestergade@dadlnet.dk"),
             ("Psykiatri (lookalike)", "psykiatri.attester@rn-dk.com"))
_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Expected:
    """What one document must end as: outcome filed | escalated | duplicate, the case, the escalation reason."""

    outcome: str
    case_id: str | None
    reason: str | None


@dataclass
class Bag:
    folder: Path  # the mails, named so that sorted order is the order they were planned in
    files: list[str]  # relative to the folder's parent, as `process` is given them and prints them
    register_rows: list[tuple[str, ...]]
    expected: dict[tuple[str, str | None], Expected]  # (file, attachment display name) -> outcome
    cprs: set[str] = field(default_factory=set)  # every full CPR (ten digits) the bag or the register holds

    def write_register(self, path: Path) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REGISTER_HEADER)
        writer.writerows(self.register_rows)
        path.write_text(out.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- CPR numbers


def is_valid_cpr(digits: str) -> bool:
    """Valid birth date for its century digit, and modulus 11."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    base = century(int(digits[4:6]), int(digits[6]))
    if base is None:
        return False
    try:
        date(base + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return False
    return passes_mod11(digits)


class Citizens:
    """Fictitious CPR numbers, each used once, none of them one the committed samples use."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self._rng, self._taken = rng, set(taken)

    def new(self) -> str:
        rng = self._rng
        while True:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 49))
            head = f"{born:%d%m%y}{rng.randrange(4)}{rng.randrange(10)}{rng.randrange(10)}"
            last = (-sum(int(d) * w for d, w in zip(head, _WEIGHTS[:9]))) % 11
            if last == 10:
                continue
            digits = head + str(last)
            if digits not in self._taken:
                assert is_valid_cpr(digits) and century(born.year % 100, int(digits[6])) == born.year // 100 * 100
                self._taken.add(digits)
                return digits


def dashed(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


# ---------------------------------------------------------------- documents and mails


def certificate_pdf(code: str, title: str, cpr: str | None, name: str, *, case_ref: str | None = None,
                    serial: int = 0) -> bytes:
    """A one-page reportlab LÆ certificate: the form code in the heading, the patient's CPR under its label."""
    lines = [f"LÆ {code} {title}", "", f"Navn: {name}"]
    if cpr is not None:
        lines.append(f"CPR-nr.: {dashed(cpr)}")
    else:
        lines.append("Født: se journalen")
    if case_ref is not None:
        lines.append(f"Jeres sag: {case_ref}")
    lines += ["", "Patienten er fortsat uarbejdsdygtig på grund af sin sygdom.",
              "Forventet varighed: 3 måneder. Ny vurdering ved næste kontrol.",
              f"Udfærdiget af overlæge nr. {serial:04d}, dato 03.03.2025"]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    y = A4[1] - 72
    for line in lines:
        if line:
            canvas.setFont("Helvetica", 11)
            canvas.drawString(72, y, line)
        y -= 16
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def mail_bytes(sender: tuple[str, str], serial: int, pdfs: list[tuple[str, bytes]], sent: datetime) -> bytes:
    mail = EmailMessage(policy=policy.SMTP)
    mail["Authentication-Results"] = passed(sender[1].split("@")[1])  # our gateway's pass; trust is the list's
    mail["From"] = f"{sender[0]} <{sender[1]}>"
    mail["To"] = "Jobcenter Attester <jobcenter.attester@kommune.example>"
    mail["Subject"] = "Lægeattest til jobcentret" if pdfs else "Lægeattest (vedhæftning mangler)"
    mail["Date"] = format_datetime(sent)
    mail["Message-ID"] = f"<bag.{serial}.{sent:%Y%m%d%H%M%S}@{sender[1].split('@')[1]}>"
    mail.set_content("Hermed attest som aftalt.\nMed venlig hilsen\nSekretariatet\n")
    for name, data in pdfs:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail.as_bytes()


def with_header(raw: bytes, header: str) -> bytes:
    """The same mail with one header line added in front, in the mail's own line ending."""
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return header.encode("ascii") + newline + raw


# ---------------------------------------------------------------- the bag


@dataclass
class _Doc:
    name: str | None
    intent: str  # "file" or an escalation reason
    case_id: str | None = None
    identity: str | None = None  # the PDF's bytes (sha256, or sample + attachment): same bytes, same case -> duplicate


def _sample_plan() -> tuple[dict[str, list[_Doc]], list[tuple[str, ...]], set[str]]:
    plans: dict[str, list[_Doc]] = {}
    for line in (SAMPLES / "expected_process.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        file = Path(record["file"]).name
        intent = "file" if record["outcome"] == "filed" else record["reason"]
        plans.setdefault(file, []).append(
            _Doc(record["attachment"], intent, record["case_id"], f"{file}/{record['attachment']}"))
    with (SAMPLES / "cases.csv").open(encoding="utf-8", newline="") as stream:
        rows = [tuple(row[c] for c in REGISTER_HEADER) for row in csv.DictReader(stream)]
    cprs = {row[0].replace("-", "") for row in rows}
    for line in (SAMPLES / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        cpr = json.loads(line).get("cpr")
        if cpr:
            cprs.add(cpr.replace("-", ""))
    return plans, rows, cprs


def make_bag(folder: Path, *, seed: int, generated: int = 258, sample_copies: int = 2) -> Bag:
    """`sample_copies` variants of every committed sample mail and `generated` new mails, shuffled into one order."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    sample_plans, register, sample_cprs = _sample_plan()
    citizens = Citizens(rng, sample_cprs)
    case_numbers = iter(range(7001, 100000))
    used_case_ids = {row[1].casefold() for row in register}

    def new_case(cpr: str, case_type: str, status: str = "open") -> str:
        prefix = {"sygedagpenge": "SD", "jobafklaring": "JA", "ressourceforløb": "RF", "kontanthjælp": "KH",
                  "fleksjob": "FJ", OTHER_TYPE: "BS"}[case_type]
        case_id = f"{prefix}-{next(case_numbers)}"
        assert case_id.casefold() not in used_case_ids
        used_case_ids.add(case_id.casefold())
        worker = rng.choice(("anne.holm", "bo.lund", "carla.berg", ""))
        register.append((rng.choice((dashed(cpr), cpr)), case_id, case_type, status,
                         f"{worker}@kommune.example" if worker else "", "Team " + prefix))
        return case_id

    # (raw mail, planned documents) for every mail; sample variants carry their sample's plan
    mails: list[tuple[str, bytes, list[_Doc]]] = []
    for name, plan in sorted(sample_plans.items()):
        raw = (SAMPLES / "mail" / name).read_bytes()
        for copy in range(sample_copies):
            mails.append((f"sample-{copy}-{name}", with_header(raw, f"X-Bag-Copy: {copy}"), plan))

    filed_pdfs: list[tuple[str, bytes, str]] = []  # (name, bytes, case) of documents planned to be filed
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    scenarios = (["file"] * 60 + ["file_printed"] * 5 + ["no_case_absent"] * 4 + ["no_case_closed"] * 4
                 + ["ambiguous_case"] * 7 + ["untrusted_sender"] * 7 + ["no_cpr"] * 3 + ["routed_to_human"] * 3
                 + ["duplicate"] * 5 + ["no_pdf"] * 2)
    for serial in range(generated):
        sent = start + timedelta(minutes=7 * serial)
        scenario = rng.choice(scenarios)
        if scenario == "duplicate" and not filed_pdfs:
            scenario = "file"
        if scenario == "no_pdf":
            mails.append((f"gen-{serial:04d}.eml", mail_bytes(rng.choice(TRUSTED), serial, [], sent),
                          [_Doc(None, "no_pdf")]))
            continue
        if scenario == "duplicate":  # the very bytes of a PDF planned to be filed, in another trusted mail
            name, data, first_case = rng.choice(filed_pdfs)
            raw = mail_bytes(rng.choice(TRUSTED), serial, [(name, data)], sent)
            mails.append((f"gen-{serial:04d}.eml", raw,
                          [_Doc(name, "file", first_case, hashlib.sha256(data).hexdigest())]))
            continue
        sender = rng.choice(UNTRUSTED) if scenario == "untrusted_sender" else rng.choice(TRUSTED)
        count = 1 if rng.random() < 0.85 or scenario == "untrusted_sender" else rng.choice((2, 3))
        pdfs: list[tuple[str, bytes]] = []
        docs: list[_Doc] = []
        for index in range(count):
            # the extra PDFs of a trusted mail are plain certificates filed into their citizen's one case
            kind = scenario if index == 0 else "file"
            cpr = citizens.new()
            code, title = rng.choice(sorted(FILED_FORMS.items()))
            case_ref: str | None = None
            case_id: str | None = None
            intent = kind
            if kind == "file":
                case_id = new_case(cpr, rng.choice(FILING_TYPES))
                if rng.random() < 0.3:  # passed over: a closed case, or a type the route does not file into
                    if rng.random() < 0.5:
                        new_case(cpr, rng.choice(FILING_TYPES), "closed")
                    else:
                        new_case(cpr, OTHER_TYPE)
            elif kind == "file_printed":  # two eligible cases; the document prints which one
                first, second = new_case(cpr, "sygedagpenge"), new_case(cpr, "jobafklaring")
                case_id = rng.choice((first, second))
                case_ref = case_id
                intent = "file"
            elif kind == "no_case_closed":
                new_case(cpr, rng.choice(FILING_TYPES), "closed")
                intent = "no_case"
            elif kind == "no_case_absent":
                intent = "no_case"
            elif kind == "ambiguous_case":
                new_case(cpr, "sygedagpenge")
                new_case(cpr, rng.choice(("jobafklaring", "ressourceforløb")))
            elif kind == "untrusted_sender" or kind == "no_cpr":
                new_case(cpr, "sygedagpenge")
            elif kind == "routed_to_human":
                new_case(cpr, "sygedagpenge")
                code, title = HUMAN_FORM
            data = certificate_pdf(code, title, None if kind == "no_cpr" else cpr, f"Fiktiv Borger {serial}-{index}",
                                   case_ref=case_ref, serial=serial * 10 + index)
            name = f"LÆ{code}_{serial:04d}_{index}.pdf"
            pdfs.append((name, data))
            docs.append(_Doc(name, intent, case_id, hashlib.sha256(data).hexdigest()))
            if intent == "file":
                filed_pdfs.append((name, data, case_id or ""))
        mails.append((f"gen-{serial:04d}.eml", mail_bytes(sender, serial, pdfs, sent), docs))

    rng.shuffle(mails)
    files: list[str] = []
    expected: dict[tuple[str, str | None], Expected] = {}
    filed: set[tuple[str | None, str | None]] = set()
    digests: set[str] = set()
    for position, (name, raw, docs) in enumerate(mails):
        path = folder / f"{position:04d}_{name}"
        path.write_bytes(raw)
        digest = hashlib.sha256(raw).hexdigest()
        assert digest not in digests, f"{path.name} repeats another mail's bytes"
        digests.add(digest)
        file = f"{folder.name}/{path.name}"
        files.append(file)
        for doc in docs:
            key = (file, doc.name)
            assert key not in expected
            if doc.intent != "file":
                expected[key] = Expected("escalated", None, doc.intent)
            elif (doc.case_id, doc.identity) in filed:
                expected[key] = Expected("duplicate", doc.case_id, None)
            else:
                filed.add((doc.case_id, doc.identity))
                expected[key] = Expected("filed", doc.case_id, None)
    every_cpr = sample_cprs | {row[0].replace("-", "") for row in register}
    return Bag(folder=folder, files=files, register_rows=register, expected=expected, cprs=every_cpr)
