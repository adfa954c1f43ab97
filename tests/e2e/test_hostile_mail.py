"""Through `lae-robot process`: a mail that floods the parser past its limit is escalated by name, and the next mail
of the same run is filed as usual."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_process import ROOT, Home
from tests.integration.test_mail_isolation import header_flood

NORMAL = ROOT / "samples" / "mail" / "01_tunnel_rn_en_pdf.eml"  # filed into SD-1001 (samples/expected_process.jsonl)


def test_a_mail_past_the_time_limit_is_escalated_and_the_next_mail_is_filed(tmp_path: Path) -> None:
    home = Home(tmp_path, extra_config="[limits]\nmail_seconds = 0.5\n")
    flood = tmp_path / "flood.eml"
    flood.write_bytes(header_flood(1_000_000))  # about 2.5 s for the email package

    done = home.run("process", "--json", str(flood), str(NORMAL))

    assert "Traceback" not in done.stderr
    hostile, normal = [json.loads(line) for line in done.stdout.splitlines()]
    assert (hostile["outcome"], hostile["reason"]) == ("escalated", "mail_too_large")
    assert "could not be read within the limits (no result within 0.5 s)" in str(hostile["detail"])
    assert (normal["outcome"], normal["case_id"]) == ("filed", "SD-1001")
    assert ["(mail_too_large)" in str(notice["Subject"]) for notice in home.notices()].count(True) == 1
