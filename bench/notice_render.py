"""Benchmark: CPU per caseworker notice rendered to mail bytes, the robot's renderer against the email package's.

In-process, one core, best of `--rounds` passes over 2,000 distinct notices for a filed LÆ 125 (the shipped
caseworker template: Danish subject, a body of some fifteen lines), after a warm-up:
`make bench-notice` or `.venv/bin/python bench/notice_render.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from robot.decisions.templates import load_templates  # noqa: E402
from robot.notify.compose import caseworker_notice  # noqa: E402
from robot.notify.message import Notice, render_notice  # noqa: E402
from tests.notice_reference import email_package_notice  # noqa: E402

SENDER = "LÆ-robot <lae-robot@aalborg.dk>"
DOMAIN = "aalborg.dk"


def typical_notices(count: int) -> list[Notice]:
    template = load_templates(ROOT / "rules" / "templates")["caseworker_notice"]
    notices = []
    for number in range(count):
        received = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=number)
        subject, body = caseworker_notice(
            template, case_id=f"27.12.08-G01-{1000 + number % 9000}-26", form="LÆ 125",
            form_title="Statusattest", organisation="Lægerne i Nørresundby", received=received,
            document_ref=f"doc-{number:06d}", team="Jobcenter Aalborg, team Sygedagpenge")
        notices.append(Notice(f"filed:{number}", ("sagsbehandler@aalborg.dk",), subject, body))
    return notices


def best_us_per_notice(render: Callable[[Notice, str, dt.datetime, str], bytes], notices: list[Notice],
                       rounds: int) -> float:
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    for notice in notices[:200]:
        render(notice, SENDER, now, DOMAIN)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for notice in notices:
            render(notice, SENDER, now, DOMAIN)
        best = min(best, time.process_time() - started)
    return best / len(notices) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    notices = typical_notices(arguments.notices)
    old = best_us_per_notice(email_package_notice, notices, arguments.rounds)
    new = best_us_per_notice(render_notice, notices, arguments.rounds)
    size = len(render_notice(notices[0], SENDER, dt.datetime.now(dt.UTC), DOMAIN))
    print(f"{len(notices)} notices of about {size} bytes")
    print(f"email package (Message.as_bytes): {old:8.1f} µs per notice")
    print(f"render_notice:                    {new:8.1f} µs per notice ({old / new:.1f}x less CPU)")


if __name__ == "__main__":
    main()
