"""Through `lae-robot process` and `lae-robot run`: a mail that floods the parser past its time limit, or kills its
parser process, is escalated by its own name (mail_timeout, parser_crashed: not mail_too_large) and counted in the
metrics, and the next mail of the same run is filed as usual."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.parsers import parser_killer
from tests.e2e.test_daemon import Daemon
from tests.e2e.test_process import ROOT, Home
from tests.integration.test_mail_isolation import header_flood

NORMAL = ROOT / "samples" / "mail" / "01_tunnel_rn_en_pdf.eml"  # filed into SD-1001 (samples/expected_process.jsonl)
SLOW_FLOOD = 2_000_000  # header fields: about 5 s for the email package, well past BUSY_CPU_SECONDS


def test_a_mail_past_the_time_limit_is_escalated_and_the_next_mail_is_filed(tmp_path: Path) -> None:
    home = Home(tmp_path, extra_config="[limits]\nmail_seconds = 0.5\n")
    flood = tmp_path / "flood.eml"
    flood.write_bytes(header_flood(1_000_000))  # about 2.5 s for the email package

    done = home.run("process", "--json", str(flood), str(NORMAL))

    assert "Traceback" not in done.stderr
    hostile, normal = [json.loads(line) for line in done.stdout.splitlines()]
    assert (hostile["outcome"], hostile["reason"]) == ("escalated", "mail_timeout")
    assert "could not be read within the limits (no result within 0.5 s)" in str(hostile["detail"])
    assert (normal["outcome"], normal["case_id"]) == ("filed", "SD-1001")
    assert ["(mail_timeout)" in str(notice["Subject"]) for notice in home.notices()].count(True) == 1


def test_a_mail_whose_parser_process_is_killed_is_parser_crashed_and_the_next_mail_is_filed(tmp_path: Path) -> None:
    home = Home(tmp_path)  # the default 30 s per mail: the kill comes first
    flood = tmp_path / "flood.eml"
    flood.write_bytes(header_flood(SLOW_FLOOD))

    with parser_killer(str(home.config)) as killed:
        done = home.run("process", "--json", str(flood), str(NORMAL))

    assert len(killed) == 1, killed
    hostile, normal = [json.loads(line) for line in done.stdout.splitlines()]
    assert (hostile["outcome"], hostile["reason"]) == ("escalated", "parser_crashed")
    assert "parser process died (SIGKILL)" in str(hostile["detail"])
    assert (normal["outcome"], normal["case_id"]) == ("filed", "SD-1001")
    assert ["(parser_crashed)" in str(notice["Subject"]) for notice in home.notices()].count(True) == 1


@pytest.mark.parametrize("reason", ["mail_timeout", "parser_crashed"])
def test_the_daemon_counts_the_escalation_under_its_own_reason(reason: str, tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    if reason == "mail_timeout":
        with daemon.config.open("a", encoding="utf-8") as config:
            config.write("[limits]\nmail_seconds = 0.5\n")
    flood = tmp_path / "flood.eml"
    flood.write_bytes(header_flood(SLOW_FLOOD))
    try:
        daemon.start()
        with parser_killer(str(daemon.config) if reason == "parser_crashed" else "(no robot)") as killed:
            sent = daemon.send(str(flood), str(NORMAL))
            assert sent.returncode == 0, sent.stderr
            daemon.wait_done(2)
        assert len(killed) == (reason == "parser_crashed"), killed
        metrics = daemon.metrics(f'lae_escalated_total{{reason="{reason}"}} 1.0', "lae_filed_total 1.0")
        assert f'lae_escalated_total{{reason="{reason}"}} 1.0' in metrics
        assert 'reason="mail_too_large"' not in metrics
        assert "lae_filed_total 1.0" in metrics
    finally:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()
