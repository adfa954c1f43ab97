"""A route with notify = "none" files without telling anyone; the default still tells the caseworker."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from robot.app import open_robot
from robot.ledger.base import DocumentState
from robot.settings import RulesSettings
from robot.worker import process_message
from tests.integration.test_scheduled_jobs import MAIL, ROOT, settings_in

FILED_MAIL = "01_tunnel_rn_en_pdf.eml"


def rules_with(folder: Path, notify: str) -> Path:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    routing = rules / "routing.toml"
    text = routing.read_text(encoding="utf-8")
    routing.write_text(text.replace('notify = "caseworker"', f'notify = "{notify}"', 1), encoding="utf-8")
    return rules


@pytest.mark.parametrize(("notify", "told"), [("none", False), ("caseworker", True)])
async def test_a_filing_is_told_unless_the_route_says_none(tmp_path: Path, notify: str, told: bool) -> None:
    settings = settings_in(tmp_path)
    settings = replace(settings, rules=RulesSettings(dir=rules_with(tmp_path, notify)))
    async with open_robot(settings) as robot:
        services = robot.services
        intake = services.ledger.accept((MAIL / FILED_MAIL).read_bytes(), source="file")
        await process_message(intake.message_id, services)
        [document] = services.ledger.documents(intake.message_id)
        assert document.state is DocumentState.NOTIFIED and document.case_id
        assert document.decision is not None and document.decision.notify_nobody is not told
        kinds = [notice.kind for notice in services.ledger.due_notices()]
        assert ("filed" in kinds) is told
