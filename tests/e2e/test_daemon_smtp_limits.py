"""`lae-robot run` with the SMTP listener's limits: a mail accepted in a session that is cut later is still filed,
and the cut is counted in /metrics."""

from __future__ import annotations

import signal
import smtplib
import socket
import time
from pathlib import Path

from tests.e2e.test_daemon import MAILS, Daemon, daemon  # noqa: F401  (the fixture)

FILED_SAMPLE = MAILS[0]  # 01_tunnel_rn_en_pdf.eml: filed into SD-1001 (samples/expected_process.jsonl)


def test_a_mail_accepted_before_its_session_is_cut_is_filed(daemon: Daemon) -> None:  # noqa: F811
    text = daemon.config.read_text(encoding="utf-8").replace(
        'accept_recipients = ["@localhost", "@kommune.example"] }',
        'accept_recipients = ["@localhost", "@kommune.example"], session_seconds = 1.5, '
        'max_connections_per_prefix = 1 }')
    daemon.config.write_text(text, encoding="utf-8")
    daemon.start()
    raw = Path(FILED_SAMPLE).read_bytes()
    client = smtplib.SMTP("127.0.0.1", daemon.smtp_port, timeout=10, source_address=("127.0.7.1", 0))
    client.ehlo("gw.kommune.example")
    assert client.sendmail("psykiatri.attester@rn.dk", ["lae-robot@localhost"], raw) == {}

    other = socket.create_connection(("127.0.0.1", daemon.smtp_port), timeout=5, source_address=("127.0.7.2", 0))
    assert other.recv(200).startswith(b"421 4.7.0 too many connections from 127.0.7.0/24")
    other.close()

    began, code = time.monotonic(), 250
    while code == 250 and time.monotonic() - began < 5:  # the session kept busy until its lifetime ends it
        time.sleep(0.2)
        try:
            code = client.noop()[0]
        except smtplib.SMTPServerDisconnected:
            code = 421
    assert code == 421 and 1.0 < time.monotonic() - began < 3.0
    client.close()

    daemon.wait_done(1)
    assert [outcome for (_, outcome, _) in daemon.outcomes()] == ["filed"]
    metrics = daemon.metrics('lae_smtp_limited_total{action="cut",limit="session_seconds"} 1.0')
    assert 'lae_smtp_limited_total{action="cut",limit="session_seconds"} 1.0' in metrics
    assert 'lae_smtp_limited_total{action="refused",limit="max_connections_per_prefix"} 1.0' in metrics
    assert daemon.stop(signal.SIGTERM) == 0
    log = b"".join(daemon.logs).decode()
    assert '"event": "smtp_session_cut"' in log and '"event": "smtp_connection_refused"' in log
