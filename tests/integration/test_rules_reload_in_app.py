"""A rule change while the robot runs: a valid one takes effect, an invalid one is refused and the operators told."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from robot.app import RULES_CHECK_SECONDS, open_robot
from robot.settings import ArchiveSettings, LedgerSettings, NotifySettings, RulesSettings, Settings

ROOT = Path(__file__).resolve().parents[2]


def settings_in(folder: Path) -> Settings:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (folder / "archive").mkdir()
    shutil.copy(ROOT / "samples" / "cases.csv", folder / "cases.csv")
    return Settings(
        rules=RulesSettings(dir=rules), ledger=LedgerSettings(path=folder / "ledger.sqlite3"),
        archive=ArchiveSettings(folder={"root": str(folder / "archive"), "register": str(folder / "cases.csv")}),
        notify=NotifySettings(outbox_dir=folder / "outbox"), base_dir=folder)


async def test_bad_rule_change_keeps_old_rules_and_tells_operators(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    routing = settings.rules.dir / "routing.toml"
    async with open_robot(settings) as robot:
        before = robot.services.rules()
        routing.write_text(routing.read_text(encoding="utf-8") + '\n[[route]]\nname = "broken"\naction = "maybe"\n',
                           encoding="utf-8")
        time.sleep(RULES_CHECK_SECONDS + 0.1)  # the files are looked at once a second at most
        assert robot.services.rules() is before  # old rules stay in force
        notices = robot.services.ledger.due_notices()
        assert len(notices) == 1 and notices[0].kind == "rules"
        assert notices[0].recipients == settings.notify.operators
        assert f"{routing}:" in notices[0].body and "'action' must be one of" in notices[0].body
        assert robot.services.rules() is before and len(robot.services.ledger.due_notices()) == 1  # told once

        routing.write_text(routing.read_text(encoding="utf-8").replace('action = "maybe"', 'action = "escalate"'),
                           encoding="utf-8")
        time.sleep(RULES_CHECK_SECONDS + 0.1)
        after = robot.services.rules()
        assert after is not before and [r.name for r in after.routes][-1] == "broken"
