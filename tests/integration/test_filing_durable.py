"""A filing is on disk before the pipeline goes on, and the fsync that puts it there runs off the event loop."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from robot.app import open_robot
from robot.ledger.base import DocumentState
from robot.worker import process_message
from tests.integration.test_scheduled_jobs import MAIL, settings_in


async def test_a_filing_is_fsynced_in_a_thread_before_its_notice_is_queued(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        services = robot.services
        ledger = services.ledger
        events: list[str] = []
        loop_thread = threading.get_ident()
        advance, sync, enqueue = ledger.advance, ledger.sync, ledger.enqueue_notice

        def spy_advance(document_id: int, state: DocumentState, **fields: Any) -> None:
            advance(document_id, state, **fields)
            events.append(f"advance {state.value}")

        def spy_sync() -> None:
            sync()
            events.append("sync on the loop" if threading.get_ident() == loop_thread else "sync in a thread")

        def spy_enqueue(*args: Any, **kwargs: Any) -> Any:
            events.append("notice queued")
            return enqueue(*args, **kwargs)

        object.__setattr__(ledger, "advance", spy_advance)
        object.__setattr__(ledger, "sync", spy_sync)
        object.__setattr__(ledger, "enqueue_notice", spy_enqueue)
        intake = ledger.accept((MAIL / "01_tunnel_rn_en_pdf.eml").read_bytes(), source="file")
        await process_message(intake.message_id, services)

    filed = events.index("advance filed")
    assert "sync in a thread" in events[filed:events.index("notice queued", filed)], events
    assert "sync on the loop" not in events
