"""How long the open-escalation gauges' query takes (run after every mail handled): 100,000 escalations, 1,000 open.

    .venv/bin/python bench/escalation_gauges.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from robot.ledger.sqlite import SqliteLedger
from robot.private_files import OWNER_ONLY

TOTAL, EVERY = 100_000, 100  # one escalation in EVERY is open


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = SqliteLedger(Path(folder) / "ledger.sqlite3", OWNER_ONLY)
        db = ledger._db
        db.execute("PRAGMA foreign_keys = OFF")  # escalations without their messages: only the query is timed
        with db:
            db.executemany("INSERT INTO escalations (message_id, document_id, reason, detail, created_at, state)"
                           " VALUES (?, ?, ?, 'd', '2026-01-01T00:00:00+00:00', ?)",
                           [(n, n, f"reason{n % 20}", "open" if n % EVERY == 0 else "resolved") for n in range(TOTAL)])
        plan = [tuple(row)[-1] for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT reason, COUNT(*), MIN(created_at) FROM escalations WHERE state = 'open'"
            " GROUP BY reason")]
        started, runs = time.perf_counter(), 200
        for _ in range(runs):
            summary = ledger.open_escalations()
        took = (time.perf_counter() - started) / runs * 1000
        print(f"{sum(summary.by_reason.values())} open of {TOTAL}: {took:.2f} ms per open_escalations(); plan: {plan}")
        ledger.close()


if __name__ == "__main__":
    main()
