"""The review desk in a real browser (headless Debian chromium through Selenium) on a real `lae-robot run`: sign in,
the queue, an escalation's pages and evidence, filing with one click, rejecting, the trail, and every refusal."""

from __future__ import annotations

import http.cookiejar
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cpr_scanner import FULL_CPR, full_cprs
from tests.e2e.test_daemon import ROOT, Daemon, free_port

from robot.web.passwords import hash_password
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "prøve-adgangskode-1"
MAILS = [str(ROOT / "samples" / "mail" / name) for name in (
    "01_tunnel_rn_en_pdf.eml",  # filed: no escalation
    "02_regionh_to_pdf.eml",  # two ambiguous_case escalations: the citizen's cases are Sygedagpenge Syd, Jobafklaring
    "05_regionsjaelland_rfc2047_filnavn.eml",  # no_case: the citizen's one (closed) case is Sygedagpenge Nord's
    "11_cpr_i_broedtekst_afviger.eml",  # cpr_conflict
    "18_retur_anmodning.eml",  # not_certificate: to be rejected
)]
MESSAGE_ID_OF_02 = "20250306.4737.lae@regionh.dk"

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver")


class DeskDaemon(Daemon):
    """The robot with its desk on: a users file with an operator and two caseworkers, an owner-only secret file."""

    def __init__(self, folder: Path, provider: FakeProvider):
        super().__init__(folder)
        self.web_port = free_port()
        users = folder / "users.toml"
        users.write_text(
            f'[users.drift]\nrole = "operator"\npassword = "{hash_password(PASSWORD)}"\n'
            f'[users.anne]\nrole = "caseworker"\nteam = "Sygedagpenge Nord"\npassword = "{hash_password(PASSWORD)}"\n'
            'oidc = "anne.holm@kommune.example"\n',
            encoding="utf-8")
        secret = folder / "desk.secret"
        secret.write_bytes(os.urandom(48).hex().encode())
        secret.chmod(0o600)
        with self.config.open("a", encoding="utf-8") as config:
            config.write(f'[web]\nenabled = true\nport = {self.web_port}\nusers_file = "users.toml"\n'
                         'secret_env = ""\nsecret_file = "desk.secret"\n'
                         f'oidc_issuer = "{provider.issuer}"\noidc_client_id = "{CLIENT_ID}"\n'
                         f'oidc_redirect_url = "http://127.0.0.1:{self.web_port}/login/oidc/svar"\n')
        self.base = f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        os.environ["LAE_WEB_OIDC_SECRET"] = CLIENT_SECRET  # read by the daemon process at its start
        try:
            super().start()
        finally:
            del os.environ["LAE_WEB_OIDC_SECRET"]

    def audit(self, event: str) -> list[tuple[str, int | None, int | None]]:
        with self.ledger() as db:
            return db.execute("SELECT actor, escalation_id, document_id FROM audit WHERE event = ? ORDER BY id",
                              (event,)).fetchall()

    def escalations(self) -> dict[int, tuple[str, str, str | None]]:
        with self.ledger() as db:
            rows = db.execute("SELECT e.id, e.reason, e.state, d.name FROM escalations e"
                              " LEFT JOIN documents d ON d.id = e.document_id").fetchall()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[DeskDaemon]:
    robot = DeskDaemon(tmp_path_factory.mktemp("desk"), provider)
    robot.start()
    sent = robot.send(*MAILS)
    assert sent.returncode == 0, sent.stderr
    robot.wait_done(len(MAILS))
    yield robot
    if robot.process is not None and robot.process.poll() is None:
        robot.stop()
    log = b"".join(robot.logs).decode()
    assert "Traceback" not in log and not FULL_CPR.search(log)
    assert "desk_request" in log and "aarsag=" not in log  # the access log names paths, never query strings


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def sign_in(browser: object, desk: DeskDaemon, name: str) -> None:
    """By keyboard alone: the name, Tab, the password, Enter."""
    browser.get(f"{desk.base}/login")  # type: ignore[attr-defined]
    field = browser.find_element(By.ID, "brugernavn")  # type: ignore[attr-defined]
    field.send_keys(name, Keys.TAB)
    active = browser.switch_to.active_element  # type: ignore[attr-defined]
    assert active.get_attribute("id") == "adgangskode"
    submit(browser, active, PASSWORD, Keys.ENTER)
    assert browser.current_url.endswith("/koe"), browser.page_source  # type: ignore[attr-defined]


def submit(browser: object, element: object, *keys: str) -> None:
    """Click `element` (or type `keys` into it) and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")  # type: ignore[attr-defined]
    if keys:
        element.send_keys(*keys)  # type: ignore[attr-defined]
    else:
        element.click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 20).until(lambda _: replaced(page))


def replaced(element: object) -> bool:
    """Whether the element's page is gone: chromium says so as a stale element, or, mid-navigation, as a node that
    no longer belongs to the document."""
    try:
        element.tag_name  # type: ignore[attr-defined]
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


def sign_out(browser: object) -> None:
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))  # type: ignore[attr-defined]


def text_of(browser: object) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)  # type: ignore[attr-defined]


def assert_every_control_labelled(browser: object) -> None:
    """Every visible form control has a <label for=...> (buttons carry their own text)."""
    for control in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea"):  # type: ignore[attr-defined]
        name = control.get_attribute("id")
        assert name and browser.find_elements(By.CSS_SELECTOR, f"label[for='{name}']"), name  # type: ignore[attr-defined]
    for button in browser.find_elements(By.TAG_NAME, "button"):  # type: ignore[attr-defined]
        assert button.text.strip()


def assert_no_full_cpr(browser: object) -> None:
    assert full_cprs(browser.page_source) == []  # type: ignore[attr-defined]


def opener_with_session(browser: object) -> urllib.request.OpenerDirector:
    """A plain HTTP client holding the browser's session cookie (a forged request from the same browser)."""
    jar = http.cookiejar.CookieJar()
    for cookie in browser.get_cookies():  # type: ignore[attr-defined]
        jar.set_cookie(http.cookiejar.Cookie(0, cookie["name"], cookie["value"], None, False, "127.0.0.1", False,
                                             False, "/", True, False, None, False, None, None, {}))
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def status_of(opener: urllib.request.OpenerDirector, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def status_of_bytes(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, bytes]:
    with opener.open(url, timeout=10) as answer:
        return answer.status, answer.read()


def test_signed_out_sees_nothing_but_the_sign_in(desk: DeskDaemon, browser: object) -> None:
    browser.get(f"{desk.base}/koe")  # type: ignore[attr-defined]
    assert browser.current_url.endswith("/login")  # type: ignore[attr-defined]
    anyone = urllib.request.build_opener()
    for path in ("/eskalering/1", "/eskalering/1/side/1.png", "/spor", "/spor/1"):
        status, body = status_of(anyone, desk.base + path)
        assert status == 401 and "Log ind først" in body and "borgeren" not in body, path
    status, _ = status_of(anyone, desk.base + "/login", {"brugernavn": "drift", "adgangskode": PASSWORD})
    assert status == 403  # a sign-in form without the session's CSRF token
    browser.find_element(By.ID, "brugernavn").send_keys("drift")  # type: ignore[attr-defined]
    submit(browser, browser.find_element(By.ID, "adgangskode"), "forkert", Keys.ENTER)  # type: ignore[attr-defined]
    assert "Forkert brugernavn eller adgangskode" in text_of(browser)


def test_operator_queue_escalation_file_reject_and_trail(desk: DeskDaemon, browser: object) -> None:
    sign_in(browser, desk, "drift")
    headers = {h.lower(): v for h, v in urllib.request.urlopen(f"{desk.base}/login", timeout=5).headers.items()}
    assert "script-src" not in headers["content-security-policy"] and "default-src 'none'" in headers[
        "content-security-policy"]
    cookie = next(c for c in browser.get_cookies() if c["name"] == "lae_desk")  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # the queue: every open escalation, oldest first, the reason in words
    escalations = desk.escalations()
    page = text_of(browser)
    assert f"{len(escalations)} af {len(escalations)} åbne eskaleringer" in page
    assert "borgeren har flere mulige sager" in page and "Region Hovedstaden" in page
    assert "dokumentet er ikke en lægeattest" in page
    browser.save_screenshot(str(SCREENSHOTS / "queue.png"))  # type: ignore[attr-defined]
    assert_no_full_cpr(browser)
    assert_every_control_labelled(browser)
    # filtered by reason, by keyboard: the select, then Enter on the button
    select = browser.find_element(By.ID, "aarsag")  # type: ignore[attr-defined]
    select.send_keys("borgeren har flere")
    submit(browser, browser.find_element(By.CSS_SELECTOR, ".filters button"), Keys.ENTER)  # type: ignore[attr-defined]
    rows = browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")  # type: ignore[attr-defined]
    assert len(rows) == 2 and all("flere mulige sager" in row.text for row in rows)

    # an escalation: its pages as images, the evidence, the citizen's cases as one-click choices
    ambiguous = min(i for i, (reason, _, _) in escalations.items() if reason == "ambiguous_case")
    submit(browser, browser.find_element(By.LINK_TEXT, f"Eskalering {ambiguous}"))  # type: ignore[attr-defined]
    images = browser.find_elements(By.CSS_SELECTOR, ".pages img")  # type: ignore[attr-defined]
    assert images and all(browser.execute_script(  # type: ignore[attr-defined]
        "return arguments[0].complete && arguments[0].naturalWidth > 500", image) for image in images)
    page = text_of(browser)
    assert "læst som borgerens" in page and "171063-xxxx" in page and "CPR-nr." in page
    assert "Arkivér i SD-1010" in page and "Arkivér i JA-2010" in page
    assert_no_full_cpr(browser)
    assert_every_control_labelled(browser)
    browser.save_screenshot(str(SCREENSHOTS / "escalation.png"))  # type: ignore[attr-defined]
    browser.execute_script("document.getElementById('bevis').scrollIntoView()")  # type: ignore[attr-defined]
    browser.save_screenshot(str(SCREENSHOTS / "escalation-evidence.png"))  # type: ignore[attr-defined]
    viewed = desk.audit("desk_viewed_escalation")
    assert ("drift", ambiguous, escalations_document(desk, ambiguous)) in viewed
    assert len([a for a in desk.audit("desk_viewed_page") if a[1] == ambiguous]) == len(images)

    # the full CPR only on an explicit request, which is audited
    submit(browser, browser.find_element(By.XPATH, "//button[contains(., 'Vis fuldt CPR-nummer')]"))  # type: ignore[attr-defined]
    assert full_cprs(browser.page_source) == ["1710630883"]  # type: ignore[attr-defined]
    assert ("drift", ambiguous, escalations_document(desk, ambiguous)) in desk.audit("desk_revealed_cpr")
    revealed = browser.find_elements(By.CSS_SELECTOR, ".pages img")  # type: ignore[attr-defined]
    assert revealed and all(image.get_attribute("src").endswith("?cpr=vis") for image in revealed)
    assert [a for a in desk.audit("desk_revealed_page") if a[1] == ambiguous]
    # the page images shown by default have the CPR's serial painted over; the revealed ones do not
    client = opener_with_session(browser)
    _, painted = status_of_bytes(client, f"{desk.base}/eskalering/{ambiguous}/side/1.png")
    _, printed = status_of_bytes(client, f"{desk.base}/eskalering/{ambiguous}/side/1.png?cpr=vis")
    assert painted.startswith(b"\x89PNG") and printed.startswith(b"\x89PNG") and painted != printed

    # one click files it; the trail shows where, by whom; the folder archive holds it
    submit(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Arkivér i SD-1010']"))  # type: ignore[attr-defined]
    page = text_of(browser)
    assert "Dokumentet er arkiveret i sag SD-1010" in page, page
    assert "drift" in page and "eskalering løst" in page and "set på skrivebordet" in page
    assert list((desk.folder / "var" / "archive" / "SD-1010").glob("*.pdf"))
    assert desk.escalations()[ambiguous][1] == "resolved"
    assert_no_full_cpr(browser)
    browser.save_screenshot(str(SCREENSHOTS / "trail.png"))  # type: ignore[attr-defined]

    # reject one with a note
    request = next(i for i, (reason, _, _) in escalations.items() if reason == "not_certificate")
    browser.get(f"{desk.base}/eskalering/{request}")  # type: ignore[attr-defined]
    browser.find_element(By.ID, "note").send_keys("En returneret anmodning, ingen attest")  # type: ignore[attr-defined]
    submit(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Afvis']"))  # type: ignore[attr-defined]
    assert browser.current_url.endswith("/koe?afvist=1")  # type: ignore[attr-defined]
    assert "Eskaleringen er afvist." in text_of(browser)
    assert desk.escalations()[request][1] == "rejected"
    assert ("drift", request, escalations_document(desk, request)) in desk.audit("escalation_rejected")

    # find a mail by its Message-ID (a POST: nothing typed reaches a URL) and open its history
    browser.get(f"{desk.base}/spor")  # type: ignore[attr-defined]
    assert_every_control_labelled(browser)
    submit(browser, browser.find_element(By.ID, "message_id"), f"<{MESSAGE_ID_OF_02}>", Keys.ENTER)  # type: ignore[attr-defined]
    assert browser.current_url.endswith("/spor")  # type: ignore[attr-defined]
    found = browser.find_elements(By.CSS_SELECTOR, "tbody tr")  # type: ignore[attr-defined]
    assert len(found) == 1 and "Lægeattester vedr. jeres borger" in found[0].text
    submit(browser, found[0].find_element(By.TAG_NAME, "a"))
    assert MESSAGE_ID_OF_02 in text_of(browser) and "SD-1010" in text_of(browser)
    # by CPR, through the form only; the search is audited
    browser.get(f"{desk.base}/spor")  # type: ignore[attr-defined]
    submit(browser, browser.find_element(By.ID, "cpr"), "171063-0883", Keys.ENTER)  # type: ignore[attr-defined]
    assert len(browser.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1  # type: ignore[attr-defined]
    assert_no_full_cpr(browser)
    assert desk.audit("desk_searched_by_cpr")

    # a POST without the CSRF token, or with a wrong one, is refused and changes nothing
    forged = opener_with_session(browser)
    other = max(i for i, (reason, _, _) in escalations.items() if reason == "ambiguous_case")
    for form in ({"note": "forged"}, {"note": "forged", "csrf": "wrong"}):
        status, body = status_of(forged, f"{desk.base}/eskalering/{other}/afvis", form)
        assert status == 403 and "Afvist" in body
    assert desk.escalations()[other][1] == "open"
    sign_out(browser)


def test_no_page_a_person_reaches_shows_a_full_cpr(desk: DeskDaemon, browser: object) -> None:
    sign_in(browser, desk, "drift")
    client = opener_with_session(browser)
    pages = ["/koe", "/spor"] + [f"/eskalering/{i}" for i in desk.escalations()]
    with desk.ledger() as db:
        pages += [f"/spor/{row[0]}" for row in db.execute("SELECT id FROM messages")]
    for path in pages:
        status, body = status_of(client, desk.base + path)
        assert status == 200 and full_cprs(body) == [], path
    sign_out(browser)


def test_a_caseworker_sees_only_their_teams_escalations(desk: DeskDaemon, browser: object) -> None:
    sign_in(browser, desk, "anne")
    escalations = desk.escalations()
    no_case = next(i for i, (reason, _, _) in escalations.items() if reason == "no_case")
    other_team = max(i for i, (reason, _, _) in escalations.items() if reason == "ambiguous_case")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")  # type: ignore[attr-defined]
    assert [row.text.split()[1] for row in rows] == [str(no_case)]
    browser.get(f"{desk.base}/eskalering/{other_team}")  # type: ignore[attr-defined]
    assert "hører til et andet team" in text_of(browser) and "Region Hovedstaden" not in browser.page_source  # type: ignore[attr-defined]
    status, _ = status_of(opener_with_session(browser), f"{desk.base}/eskalering/{other_team}/side/1.png")
    assert status == 403
    browser.get(f"{desk.base}/spor")  # type: ignore[attr-defined]
    assert "for driftens operatører" in text_of(browser)
    assert ("anne", other_team, None) in desk.audit("desk_refused")
    sign_out(browser)


def escalations_document(desk: DeskDaemon, escalation_id: int) -> int | None:
    with desk.ledger() as db:
        row = db.execute("SELECT document_id FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
    return row[0] if row else None


def test_sign_in_through_openid_connect(desk: DeskDaemon, browser: object, provider: FakeProvider) -> None:
    """Against a local provider (Microsoft Entra ID itself cannot run here): code flow with PKCE, state and nonce."""
    entra = "//button[normalize-space()='Log ind med Microsoft Entra ID']"
    browser.get(f"{desk.base}/login")  # type: ignore[attr-defined]
    submit(browser, browser.find_element(By.XPATH, entra))  # type: ignore[attr-defined]
    WebDriverWait(browser, 10).until(lambda driver: driver.current_url.endswith("/koe"))
    assert "anne (sagsbehandler, Sygedagpenge Nord)" in text_of(browser)
    assert [a for a in desk.audit("desk_signed_in") if a[0] == "anne"]
    sign_out(browser)

    # an identity in no entry of the users file, and an ID token carrying another nonce, sign no one in
    for change in ({"identity": "mallory@kommune.example"}, {"nonce_override": "replayed"}):
        for key, value in change.items():
            setattr(provider, key, value)
        browser.get(f"{desk.base}/login")  # type: ignore[attr-defined]
        submit(browser, browser.find_element(By.XPATH, entra))  # type: ignore[attr-defined]
        WebDriverWait(browser, 10).until(lambda driver: "/login/oidc/svar" in driver.current_url)
        assert "lykkedes ikke" in text_of(browser), change
        browser.get(f"{desk.base}/koe")  # type: ignore[attr-defined]
        assert browser.current_url.endswith("/login")  # type: ignore[attr-defined]
        provider.identity, provider.nonce_override = "anne.holm@kommune.example", None
    # an answer this browser did not ask for (no pending sign-in) is refused
    status, body = status_of(urllib.request.build_opener(), f"{desk.base}/login/oidc/svar?code=x&state=y")
    assert status == 401 and "lykkedes ikke" in body


def test_an_escalation_shows_the_citizens_open_requests(desk: DeskDaemon, browser: object) -> None:
    """Issue 14: the case's and citizen's open LÆ requests beside the escalation, a late one marked, CPR masked."""
    from datetime import date, timedelta

    from robot.ledger.request_records import NewRequest, RequestSource
    from robot.ledger.sqlite import SqliteLedger

    ambiguous = min(i for i, (reason, _, _) in desk.escalations().items() if reason == "ambiguous_case")
    today = date.today()
    ledger = SqliteLedger(desk.folder / "var" / "ledger.sqlite3")  # beside the daemon's own connection (WAL)
    try:
        for key, request_form, answer_form, sent, deadline in (
                ("test-late", "261", "265", today - timedelta(days=40), today - timedelta(days=10)),
                ("test-waiting", "121", "125", today - timedelta(days=2), today + timedelta(days=12))):
            ledger.requests.register(NewRequest(
                key=key, cpr="1710630883", case_id="SD-2002", request_form=request_form, answer_form=answer_form,
                addressee="Region Hovedstaden", sent_on=sent, deadline=deadline, source=RequestSource.IMPORT))
    finally:
        ledger.close()
    sign_in(browser, desk, "drift")
    browser.get(f"{desk.base}/eskalering/{ambiguous}")  # type: ignore[attr-defined]
    shown = text_of(browser)
    assert "Borgerens åbne anmodninger" in shown
    late = f"LÆ 261 sendt {(today - timedelta(days=40)):%d.%m.%Y} til Region Hovedstaden, sag SD-2002; venter på LÆ 265"
    assert late in shown and "overskredet" in shown.split(late)[1].split("\n")[0]
    waiting = f"LÆ 121 sendt {(today - timedelta(days=2)):%d.%m.%Y}"
    assert waiting in shown and "overskredet" not in shown.split(waiting)[1].split("\n")[0]
    assert_no_full_cpr(browser)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("document.getElementById('anmodninger').scrollIntoView()")  # type: ignore[attr-defined]
    browser.save_screenshot(str(SCREENSHOTS / "desk-requests.png"))  # type: ignore[attr-defined]
    sign_out(browser)
