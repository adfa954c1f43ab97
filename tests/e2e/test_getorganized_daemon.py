"""`lae-robot run` filing a sample certificate into a fake GetOrganized (real NTLM) and telling the caseworker."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.cpr_scanner import FULL_CPR
from tests.e2e.test_daemon import SAMPLES, Daemon
from tests.fake_getorganized import FakeGetOrganized, GoCase, running
from tests.ntlm_server import ntlm_users  # noqa: F401  (a fixture)

MAIL = str(SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml")  # LÆ 125 for 220487-0503, Sofie Rasmussen


class FakeInThread:
    """The fake GetOrganized served from its own event loop, so the daemon process can reach it."""

    def __init__(self, fake: FakeGetOrganized) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: AsyncIterator[str] | None = None

    def start(self) -> str:
        self.thread.start()
        self.server = running(self.fake)
        return asyncio.run_coroutine_threadsafe(anext(self.server), self.loop).result(10)

    def stop(self) -> None:
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.aclose(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def go(ntlm_users: dict[str, str]) -> Iterator[tuple[FakeGetOrganized, str]]:  # noqa: F811
    fake = FakeGetOrganized()
    fake.add(GoCase("BOR-2024-000101", "2204870503", name="Rasmussen, Sofie", owner="31;#Anne Holm",
                    fields={"ows_CaseCategory": "3;#Sygedagpenge", "ows_Afdeling": "7;#Sygedagpenge Nord"}))
    fake.add(GoCase("BOR-2019-000012", "2204870503", name="Rasmussen, Sofie", status="Afsluttet",
                    fields={"ows_CaseCategory": "3;#Sygedagpenge"}))
    served = FakeInThread(fake)
    base = served.start()
    yield fake, base
    served.stop()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    robot = Daemon(tmp_path)
    yield robot
    if robot.process is not None and robot.process.poll() is None:
        robot.process.kill()
        robot.process.wait()


def test_the_daemon_files_a_certificate_into_getorganized_and_tells_the_caseworker(
        go: tuple[FakeGetOrganized, str], daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, base = go
    monkeypatch.setenv("LAE_GO_PASSWORD", "Hemmeligt-1")
    daemon.config.write_text(daemon.config.read_text(encoding="utf-8") + (
        '[archive]\nadapter = "getorganized"\n[archive.getorganized]\n'
        f'base_url = "{base}"\ntimeout_seconds = 10.0\n'
        'auth = { type = "ntlm", username = "KOMMUNE\\\\lae-robot", password_env = "LAE_GO_PASSWORD" }\n'
        'case_type_field = "ows_CaseCategory"\nteam_field = "ows_Afdeling"\n'
        'caseworker_email = "{owner}@kommune.example"\n'), encoding="utf-8")
    daemon.start()
    assert daemon.send(MAIL).returncode == 0
    daemon.wait_done(1)
    (document,) = fake.documents
    assert document.case_id == "BOR-2024-000101" and document.data[:5] == b"%PDF-"
    assert document.name == f"{document.metadata['ows_Dato']}_LAE125_{hashlib.sha256(document.data).hexdigest()[:8]}.pdf"
    assert document.metadata["ows_Title"].startswith("LÆ 125") and document.metadata["ows_Korrespondance"] == "Indgående"
    assert (document.record_number, document.finalized) == (1, True) and fake.refused == []
    assert daemon.outcomes() == {("LÆ125_statusattest.pdf", "filed", "BOR-2024-000101"): 1}
    assert daemon.stop(signal.SIGTERM) == 0
    (notice,) = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                 for path in (daemon.folder / "var" / "outbox").glob("*.eml")]
    assert notice["To"] == "anne.holm@kommune.example" and "BOR-2024-000101" in str(notice["Subject"])
    assert str(document.doc_id) in notice.get_content()
    log = b"".join(daemon.logs).decode()
    assert "Traceback" not in log and not FULL_CPR.search(log)
    assert fake.gate.logins and set(fake.gate.logins) == {"KOMMUNE\\lae-robot"}
