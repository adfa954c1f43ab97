"""The desk and a scan, in a real browser against the real daemon: a scanned certificate arrives by SMTP, is read by
Tesseract, stays escalated as no_text_layer, and the desk shows OCR's suggestion with one "Godkend forslaget" button
that files it (signed in, CSRF-checked, through robot.resolution like every filing by hand)."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.cpr_scanner import FULL_CPR
from tests.e2e.test_web_desk import (  # noqa: F401  (browser and provider are fixtures)
    SCREENSHOTS,
    By,
    DeskDaemon,
    assert_no_full_cpr,
    browser,
    opener_with_session,
    provider,
    sign_in,
    status_of,
    submit,
    text_of,
)
from tests.gateway import stamped
from tests.oidc_provider import FakeProvider
from tests.scans import sample_certificate, scanned

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract (Debian tesseract-ocr) missing")

SENDER = "psykiatri.attester@rn.dk"


def scan_mail(folder: Path) -> str:
    msg = EmailMessage()
    msg["From"] = f"Psykiatrien Region Nordjylland <{SENDER}>"
    msg["To"] = "jobcenter@kommune.example"
    msg["Subject"] = "Scannet statusattest"
    msg["Message-ID"] = "<scan.desk@rn.dk>"
    msg.set_content("Hermed scannet attest.")
    msg.add_attachment(scanned(sample_certificate()), maintype="application", subtype="pdf",
                       filename="scannet_attest.pdf")
    path = folder / "scan.eml"
    path.write_bytes(stamped(msg.as_bytes(), SENDER))
    return str(path)


@pytest.fixture(scope="module")
def scan_desk(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[DeskDaemon]:  # noqa: F811
    folder = tmp_path_factory.mktemp("scan-desk")
    robot = DeskDaemon(folder, provider)
    with robot.config.open("a", encoding="utf-8") as config:
        config.write("[extract]\nocr_pages = 1\n")
    robot.start()
    sent = robot.send(scan_mail(folder))
    assert sent.returncode == 0, sent.stderr
    robot.wait_done(1, timeout=180)
    yield robot
    if robot.process is not None and robot.process.poll() is None:
        robot.stop()
    log = b"".join(robot.logs).decode()
    assert "Traceback" not in log and not FULL_CPR.search(log)


def test_signed_out_the_suggestion_cannot_be_accepted(scan_desk: DeskDaemon) -> None:
    status, body = status_of(urllib.request.build_opener(), f"{scan_desk.base}/eskalering/1/forslag", {"csrf": "x"})
    assert status == 403, body  # refused: no session
    assert scan_desk.escalations()[1][1] == "open"
    assert not list((scan_desk.folder / "var" / "archive").rglob("*.pdf"))


def test_the_desk_shows_the_ocr_suggestion_and_files_it_with_one_click(scan_desk: DeskDaemon,
                                                                       browser: object) -> None:  # noqa: F811
    assert scan_desk.escalations() == {1: ("no_text_layer", "open", "scannet_attest.pdf")}
    sign_in(browser, scan_desk, "drift")
    browser.get(f"{scan_desk.base}/eskalering/1")  # type: ignore[attr-defined]
    shown = text_of(browser)
    assert "Forslag læst med OCR" in shown
    assert "220487-xxxx (læst med OCR, sikkerhed" in shown
    assert "LÆ 125 Statusattest (læst med OCR, sikkerhed" in shown
    assert_no_full_cpr(browser)
    # the scanned page: nothing in a picture can be found to be covered, so it is drawn blank until revealed
    assert "Side 1 er scannet uden tekstlag" in shown
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "desk-scan-withheld.png"))  # type: ignore[attr-defined]
    blank = opener_with_session(browser).open(f"{scan_desk.base}/eskalering/1/side/1.png").read()
    revealed = opener_with_session(browser).open(f"{scan_desk.base}/eskalering/1/side/1.png?cpr=vis").read()
    assert blank.startswith(b"\x89PNG") and revealed.startswith(b"\x89PNG")
    assert len(blank) * 10 < len(revealed)  # one colour against the scan's print
    assert [actor for actor, _, _ in scan_desk.audit("desk_revealed_page")] == ["drift"]
    button = browser.find_element(By.CSS_SELECTOR, "form[action='/eskalering/1/forslag'] button")  # type: ignore[attr-defined]
    assert button.text == "Godkend forslaget: arkivér i SD-1001"
    browser.execute_script("document.getElementById('forslag').scrollIntoView()")  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "desk-suggestion.png"))  # type: ignore[attr-defined]

    # the same action forged without the session's CSRF token is refused, and changes nothing
    forged, _ = status_of(opener_with_session(browser), f"{scan_desk.base}/eskalering/1/forslag", {})
    assert forged == 403
    assert scan_desk.escalations()[1][1] == "open"

    submit(browser, button)
    assert "/spor/1?arkiveret=SD-1001" in browser.current_url  # type: ignore[attr-defined]
    assert scan_desk.escalations()[1][1] == "resolved"
    filed = sorted((scan_desk.folder / "var" / "archive" / "SD-1001").glob("*.pdf"))
    assert len(filed) == 1
    assert [actor for actor, _, _ in scan_desk.audit("escalation_resolved")] == ["drift"]
