"""The request register through the real daemon, with time set by the test (LAE_ROBOT_CLOCK_FILE), never slept:
a receipt records its request and is filed; the certificate answering it is filed into the request's case although
the citizen has two open cases; a late request is told exactly once (caseworker notice, digest line, reminder),
also across a restart; a request sent back closes as returned; a certificate without a request files as before."""

from __future__ import annotations

import email
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest

from tests.cpr_scanner import FULL_CPR
from tests.e2e import reason_mails as mails
from tests.e2e.test_daemon import ROOT, SAMPLES, free_port
from tests.pdf_factory import text_pdf

ANSWERED = mails.TWO_OPEN_CASES  # SD-1010 and JA-2010, both open: a certificate alone is ambiguous_case
LATE = "150984-1906"  # SD-1002 (gitte.krog@kommune.example)
RETURNED = "110890-2333"  # SD-1003 (hans.friis@kommune.example)
PORTAL = "Region Nordjylland browserløsning <noreply.anmodning@rn.dk>"
REMINDER_TO = "attester.psykiatri@rn.dk"


def receipt(cpr: str, case_id: str, form: str, sent: str) -> bytes:
    """The receipt Region Nordjylland's browser solution sends back when a request was posted."""
    pdf = text_pdf([["Kvittering for afsendt anmodning", "",
                     f"Anmodningen om {form} er sendt via Region Nordjyllands browserløsning.",
                     "Modtager: Region Nordjylland, Psykiatrien",
                     f"Afsendt: {sent} kl. 10:15", f"CPR-nr.: {cpr}", f"Sagsnummer: {case_id}",
                     "Gem denne kvittering i sagen."]])
    return mails.mail(("kvittering.pdf", pdf), sender=PORTAL, subject="Kvittering for afsendt anmodning",
                      tag=f"receipt {cpr} {form}")


class RequestRobot:
    """A daemon installation whose clock is the time written in a file."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "var" / "archive").mkdir(parents=True)
        shutil.copy(SAMPLES / "cases.csv", folder / "var" / "cases.csv")
        rules = folder / "rules"
        shutil.copytree(ROOT / "rules", rules)
        requests = rules / "requests.toml"
        requests.write_text(requests.read_text(encoding="utf-8").replace("reminder = false", "reminder = true")
                            .replace("laegeattester@rn.dk", REMINDER_TO), encoding="utf-8")
        self.smtp_port, self.observe_port = free_port(), free_port()
        self.clock = folder / "now.txt"
        self.config = folder / "robot.toml"
        self.config.write_text(
            f'[logging]\nformat = "json"\n[rules]\ndir = "{rules}"\n'
            f'[observe]\nport = {self.observe_port}\n[schedule]\nsweep_seconds = 1.0\nrequests_seconds = 1.0\n'
            f'[ingress]\nsmtp = {{ host = "127.0.0.1", port = {self.smtp_port}, '
            'accept_recipients = ["@localhost", "@kommune.example"] }\n', encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[bytes] = []
        self.sent = 0

    def set_time(self, moment: str) -> None:
        partial = self.clock.with_suffix(".new")
        partial.write_text(moment, encoding="utf-8")
        partial.replace(self.clock)

    def start(self) -> None:
        env = {**os.environ, "LAE_ROBOT_CLOCK_FILE": str(self.clock)}
        self.process = subprocess.Popen([sys.executable, "-m", "robot", "--config", str(self.config), "run"],
                                        cwd=self.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.until(lambda: self._healthy(), "the daemon answers /healthz")

    def _healthy(self) -> bool:
        import urllib.request
        assert self.process is not None and self.process.poll() is None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.observe_port}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def metrics(self) -> str:
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.observe_port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        self.logs.append(out)
        assert self.process.returncode == 0, out.decode()[-2000:]

    def send(self, raw: bytes) -> None:
        self.sent += 1
        path = self.folder / f"mail-{self.sent}.eml"
        path.write_bytes(raw)
        done = subprocess.run([sys.executable, "-m", "robot", "send", "--to", f"127.0.0.1:{self.smtp_port}",
                               "--rcpt", "lae-robot@localhost", str(path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        self.until(lambda: self.query("SELECT COUNT(*) FROM messages WHERE state = 'done'")[0][0] >= self.sent,
                   f"mail {self.sent} is done")

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(f"file:{self.folder / 'var' / 'ledger.sqlite3'}?mode=ro", uri=True) as db:
            return db.execute(sql, args).fetchall()

    def outbox(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for path in sorted((self.folder / "var" / "outbox").glob("*.eml"))]

    @staticmethod
    def until(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
        """Polls what the daemon does on its own (a worker, the outbox, a scheduled run); time itself is set."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
            time.sleep(0.1)


@pytest.fixture
def robot(tmp_path: Path):  # type: ignore[no-untyped-def]
    installed = RequestRobot(tmp_path)
    yield installed
    if installed.process is not None and installed.process.poll() is None:
        installed.process.kill()
        installed.process.wait()


def documents(robot: RequestRobot) -> list[tuple[object, ...]]:
    return robot.query("SELECT name, outcome, case_id, reason FROM documents ORDER BY id")


# The test's time lies ahead of the real one: the ledger stamps the outbox with the real time, and a notice is sent
# once the robot's clock has reached that stamp.
def test_request_life_cycle_through_the_daemon(robot: RequestRobot) -> None:
    robot.set_time("2036-11-20T11:00:00+01:00")
    robot.start()

    # a receipt records its request and is filed into the case it names
    robot.send(receipt(ANSWERED, "SD-1010", "LÆ 125 Statusattest", "20-11-2036"))
    assert documents(robot)[-1][:3] == ("kvittering.pdf", "filed", "SD-1010")
    assert robot.query("SELECT cpr, case_id, request_form, answer_form, addressee, sent_on, deadline, state, source"
                       " FROM requests") == [(ANSWERED.replace("-", ""), "SD-1010", "121", "125", "Region Nordjylland",
                                              "2036-11-20", "2036-12-04", "open", "receipt")]
    # a second request, LÆ 281 -> 285 (14 days in the shipped requests.toml), and a third that will come back
    robot.send(receipt(LATE, "SD-1002", "LÆ 285 Attest til sygedagpengeopfølgning", "20-11-2036"))
    robot.send(receipt(RETURNED, "SD-1003", "LÆ 121", "20-11-2036"))
    assert [row[0] for row in robot.query("SELECT state FROM requests ORDER BY id")] == ["open"] * 3

    # a week later the certificate arrives: filed into the request's case although the citizen has two open cases
    robot.set_time("2036-11-27T09:00:00+01:00")
    robot.send(mails.mail(("statusattest.pdf", mails.certificate(cpr=ANSWERED)), tag="answer"))
    assert documents(robot)[-1] == ("statusattest.pdf", "filed", "SD-1010", None)
    decision = robot.query("SELECT decision FROM documents WHERE name = 'statusattest.pdf'")[0][0]
    assert "matched request 1" in str(decision)
    assert robot.query("SELECT state, turnaround_days FROM requests WHERE id = 1") == [("answered", 7.0)]

    # the addressee sends the third request back: closed as returned, its caseworker told
    robot.send(mails.one_pdf(text_pdf([["LÆ 121", "Anmodning om statusattest", f"CPR-nr.: {RETURNED}",
                                        "Retur: borgeren er ikke tilknyttet afdelingen."]]), "returned"))
    assert documents(robot)[-1][1:] == ("escalated", None, "not_certificate")
    assert robot.query("SELECT state FROM requests WHERE id = 3") == [("returned",)]
    robot.until(lambda: any("sendt retur" in str(m["Subject"]) for m in robot.outbox()), "the returned notice")
    returned = [m for m in robot.outbox() if "sendt retur" in str(m["Subject"])]
    assert len(returned) == 1 and returned[0]["To"] == "hans.friis@kommune.example"

    # the second request passes its deadline (4 December): told once, also across a restart
    robot.set_time("2036-12-06T08:00:00+01:00")
    robot.until(lambda: robot.query("SELECT overdue_at FROM requests WHERE id = 2")[0][0] is not None,
                "the late request is told")
    robot.until(lambda: len(late_notices(robot)) == 2, "the caseworker notice and the reminder are sent")
    robot.until(lambda: 'lae_requests_open{state="overdue"} 1.0' in robot.metrics(), "the overdue gauge")
    assert 'lae_requests_open{state="open"} 1.0' in robot.metrics()  # 1 answered, 3 returned, 2 open and late
    assert "lae_request_turnaround_days_count 1.0" in robot.metrics()
    robot.until(lambda: any("Lægerobotten:" in str(m["Subject"]) and "anmodning 2:" in m.get_content()
                            for m in robot.outbox()), "the digest names the late request")
    robot.stop()
    robot.set_time("2036-12-07T08:00:00+01:00")
    robot.start()
    # a fourth request, already late when learnt, proves the check has run again after the restart
    robot.send(receipt(mails.ONE_OPEN_CASE, "SD-1001", "LÆ 125", "01-11-2036"))
    robot.until(lambda: robot.query("SELECT overdue_at FROM requests WHERE id = 4")[0][0] is not None,
                "the fourth request is told after the restart")
    robot.until(lambda: len(late_notices(robot)) == 4, "the fourth request's notices")
    # the 7 December digest went at the restart, before request 4 was learnt: it is in the next day's
    robot.set_time("2036-12-08T08:00:00+01:00")
    robot.until(lambda: any("anmodning 4:" in m.get_content() for m in robot.outbox()
                            if "åbne eskaleringer" in str(m["Subject"])), "the 8 December digest")
    robot.stop()

    by_request: dict[str, list[str]] = {}
    for message in late_notices(robot):
        by_request.setdefault(str(message["To"]), []).append(str(message["Subject"]))
    assert len(by_request["gitte.krog@kommune.example"]) == 1  # exactly one caseworker notice for request 2
    assert len(by_request[REMINDER_TO]) == 2  # one reminder each for requests 2 and 4, to the addressee
    reminders = [m for m in late_notices(robot) if str(m["To"]) == REMINDER_TO]
    assert all("LÆ 285" in str(m["Subject"]) or "LÆ 125" in str(m["Subject"]) for m in reminders)
    digests = [m.get_content() for m in robot.outbox() if "åbne eskaleringer" in str(m["Subject"])]
    # each late request is one line in exactly one digest: request 2 in the 6 December one, request 4 in the 8th's
    assert sum(d.count("anmodning 2:") for d in digests) == 1
    assert sum(d.count("anmodning 4:") for d in digests) == 1
    assert [i for i, d in enumerate(digests) if "anmodning 2:" in d] < [i for i, d in enumerate(digests)
                                                                       if "anmodning 4:" in d]
    everything = "".join(m.as_string() for m in robot.outbox()) + b"".join(robot.logs).decode()
    assert not FULL_CPR.search(everything)
    assert "Traceback" not in everything


def late_notices(robot: RequestRobot) -> list[email.message.EmailMessage]:
    return [m for m in robot.outbox() if "Ubesvaret anmodning" in str(m["Subject"])
            or "Påmindelse" in str(m["Subject"])]


def test_a_certificate_without_a_request_files_as_before(robot: RequestRobot) -> None:
    robot.set_time("2036-11-20T11:00:00+01:00")
    robot.start()
    robot.send((SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml").read_bytes())
    robot.send(mails.mail(("statusattest.pdf", mails.certificate(cpr=ANSWERED)), tag="no request"))
    robot.stop()
    assert [row[1:3] for row in documents(robot)] == [("filed", "SD-1001"), ("escalated", None)]
    assert documents(robot)[1][3] == "ambiguous_case"  # two open cases and no request: as today
    assert robot.query("SELECT COUNT(*) FROM requests") == [(0,)]
