"""The long-running robot: ingress commits mail to the ledger, workers run the stages, IMAP is settled last."""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress
from datetime import timedelta
from typing import Protocol

import structlog

from robot.config_error import ConfigError
from robot.decisions.holder import RulebookHolder
from robot.health import MIB, HealthCheck, audit_file_modes
from robot.ingress.base import MailOutcome, Received
from robot.ledger.base import DocumentState, StoredDocument
from robot.ledger.records import DocumentOutcome, MessageState
from robot.model import RetryPolicy
from robot.notify.delivery import deliver_due
from robot.notify.transport import NoticeTransport
from robot.observe.http import HealthReport, ObservabilityServer
from robot.observe.metrics import Metrics
from robot.settings import Settings
from robot.stages.work import Services
from robot.worker import process_message

log = structlog.get_logger(__name__)
# after a message finished, its notices wait this long for others to go in one batch (the outbox folder writes a
# batch with one folder fsync and one thread hand-off); nobody reading a notice notices a tenth of a second
OUTBOX_GATHER_SECONDS = 0.1
IMAP_STOP_SECONDS = 15.0  # for a mailbox's last moves and LOGOUT, each bounded by the ingress itself


class Parts(Protocol):
    """What the daemon runs on, as app.py wires it (its Robot): the daemon knows the parts, not the wiring."""

    @property
    def settings(self) -> Settings: ...
    @property
    def services(self) -> Services: ...
    @property
    def transport(self) -> NoticeTransport | None: ...
    @property
    def rules(self) -> RulebookHolder: ...
    @property
    def notice_backoff(self) -> RetryPolicy: ...


class MailboxWatcher(Protocol):
    """What the daemon needs of an IMAP ingress."""

    @property
    def connected(self) -> bool: ...

    async def run(self) -> None: ...
    async def poll_once(self) -> None: ...
    async def settle(self, message_id: int, outcome: MailOutcome) -> None: ...
    def stop(self) -> None: ...


class FolderWatcher(Protocol):
    """What the daemon needs of a folder ingress (the FHIR drop folder)."""

    async def run(self) -> None: ...
    def stop(self) -> None: ...


class Listener(Protocol):
    """What the daemon needs of an SMTP ingress."""

    async def start(self) -> None: ...
    async def stop(self, deadline_seconds: float) -> None: ...


class Daemon:
    """Owns the queue of ledger message ids and the tasks around it. Intake never waits for processing."""

    def __init__(self, robot: Parts, metrics: Metrics):
        self.robot = robot
        self.metrics = metrics
        self.mailboxes: dict[str, MailboxWatcher] = {}
        self.listener: Listener | None = None
        self.folders: list[FolderWatcher] = []  # the FHIR drop folder ([fhir] drop_dir), when set
        self.desk: Listener | None = None  # the review desk in the browser ([web]), when enabled
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._outbox_due = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        settings, services = robot.settings, robot.services
        self.checker = HealthCheck(ledger=services.ledger, archive=services.archive, rules=robot.rules,
                                   mailboxes=self.mailboxes, metrics=metrics, clock=services.clock,
                                   min_free_bytes=settings.observe.archive_min_free_mb * MIB,
                                   audit=lambda: audit_file_modes(settings))

    # ------------------------------------------------------------ callbacks for the ingresses

    async def accept(self, received: Received) -> int:
        """Commit the mail durably (fsync'd) and queue it; the ingress answers its source after this returns."""
        ledger = self.robot.services.ledger
        intake = await asyncio.to_thread(
            ledger.accept, received.raw, source=received.source, source_ref=received.source_ref,
            mailbox=received.mailbox, envelope_sender=received.envelope_sender)
        if not intake.duplicate:
            self.metrics.received(received.source)
        if ledger.state_of(intake.message_id) is not MessageState.DONE:
            self.enqueue(intake.message_id)
        return intake.message_id

    async def outcome_of(self, message_id: int) -> MailOutcome | None:
        """Filed when every document of a finished message was filed, escalated when any was not."""
        ledger = self.robot.services.ledger
        if ledger.state_of(message_id) is not MessageState.DONE:
            return None
        return _mail_outcome(ledger.documents(message_id))

    def wake_outbox(self) -> None:
        """Send the outbox now rather than at the next sweep."""
        self._outbox_due.set()

    def decision_taken(self) -> None:
        """A person decided an escalation at the desk: its notices go now, the open-escalation gauges follow."""
        self.wake_outbox()
        self.checker.count_escalations()

    def enqueue(self, message_id: int) -> None:
        if message_id not in self._queued:
            self._queued.add(message_id)
            self._queue.put_nowait(message_id)
            self.metrics.queue_depth(self._queue.qsize())

    # ------------------------------------------------------------ lifecycle

    async def run(self, observe: ObservabilityServer | None = None) -> None:
        """Run until SIGTERM/SIGINT (or stop()); then stop intake, drain with a deadline, close."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop)
        settings = self.robot.settings
        await self._bind(observe)  # before any task starts: a port in use ends the start with one named error
        await self.checker.audit_files()
        if self.checker.file_findings:
            log.warning("files_too_widely_readable", files=self.checker.file_findings,
                        note="not changed by the robot: chmod them, or set files.group")
        self.checker.count_escalations()
        for message_id in self.robot.services.ledger.unfinished():
            self.enqueue(message_id)
        self._workers = [asyncio.create_task(self._work(), name=f"worker-{n}")
                         for n in range(settings.daemon.workers)]
        self._tasks.append(asyncio.create_task(self._deliver_outbox(), name="outbox"))
        self._tasks.append(asyncio.create_task(self._first_look(), name="first-health"))
        for name, mailbox in self.mailboxes.items():
            self._tasks.append(asyncio.create_task(mailbox.run(), name=f"imap-{name}"))
        for index, folder in enumerate(self.folders):
            self._tasks.append(asyncio.create_task(folder.run(), name=f"folder-{index}"))
        log.info("robot_started", mailboxes=sorted(self.mailboxes), smtp=self.listener is not None,
                 workers=settings.daemon.workers)
        await self._stopping.wait()
        await self._shutdown(observe)

    async def _bind(self, observe: ObservabilityServer | None) -> None:
        """Listen on the SMTP and observability ports; one that cannot be bound is a ConfigError naming its key."""
        source = self.robot.settings.source
        if self.listener is not None:
            try:
                await self.listener.start()
            except OSError as error:
                raise ConfigError("ingress.smtp.port", f"a port free to listen on ({error.strerror or error})",
                                  source) from None
        if observe is not None:
            try:
                await observe.start()
            except OSError as error:
                if self.listener is not None:
                    await self.listener.stop(0.0)
                raise ConfigError("observe.port", f"a port free to listen on ({error.strerror or error})",
                                  source) from None
        if self.desk is not None:
            try:
                await self.desk.start()
            except OSError as error:
                if self.listener is not None:
                    await self.listener.stop(0.0)
                if observe is not None:
                    await observe.stop()
                raise ConfigError("web.port", f"a port free to listen on ({error.strerror or error})", source) from None

    def stop(self) -> None:
        log.info("robot_stopping")
        self._stopping.set()

    async def _shutdown(self, observe: ObservabilityServer | None) -> None:
        deadline = self.robot.settings.daemon.drain_seconds
        if self.listener is not None:
            await self.listener.stop(deadline)
        for folder in self.folders:  # no new drops taken; one being committed finishes (the task is awaited below)
            folder.stop()
        if self.desk is not None:  # no new decisions; one being carried out finishes within the desk's own limit
            await self.desk.stop(deadline)
        try:  # IMAP stays connected while draining, so finished mails are moved to their folders
            await asyncio.wait_for(self._queue.join(), timeout=deadline)
        except TimeoutError:
            log.warning("drain_deadline_passed", left=self._queue.qsize(),
                        note="unfinished messages stay in the ledger and resume at the next start")
        for mailbox in self.mailboxes.values():
            mailbox.stop()
        watching = [task for task in self._tasks if task.get_name().startswith("imap-")]
        if watching:  # each run() moves the mails settled last (settle only notes them), then logs out
            await asyncio.wait(watching, timeout=IMAP_STOP_SECONDS)
        for task in [*self._workers, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._workers, *self._tasks, return_exceptions=True)
        await self.deliver_outbox_once()
        if observe is not None:
            await observe.stop()
        log.info("robot_stopped")

    # ------------------------------------------------------------ work

    async def _work(self) -> None:
        while True:
            message_id = await self._queue.get()
            try:
                await self._handle(message_id)
            except Exception:  # process_message escalates its own failures; this guards settle and metrics
                log.exception("message_handling_failed", message=message_id)
            finally:
                self._queued.discard(message_id)
                self._queue.task_done()
                self.metrics.queue_depth(self._queue.qsize())

    async def _handle(self, message_id: int) -> None:
        services = self.robot.services
        work = await process_message(message_id, services)
        message = services.ledger.message(message_id)
        if message.state is not MessageState.DONE:
            self.metrics.retried()
            return
        seconds = max(0.0, (services.clock() - message.received_at).total_seconds())
        escalations_changed = False
        documents = services.ledger.documents(message_id)
        for document in documents:
            if document.outcome in (DocumentOutcome.FILED, DocumentOutcome.DUPLICATE):
                self.metrics.filed(seconds)
                self._count_answer(document.decision.request_id if document.decision else None)
            elif document.state in (DocumentState.ESCALATED, DocumentState.NOTIFIED):
                self.metrics.escalated(document.reason or "unknown", seconds)
                escalations_changed = True
            # a decision by hand closed an escalation before this run
            escalations_changed |= document.decision is not None and document.decision.decided_by is not None
        if escalations_changed:  # one query, only when this mail opened or closed an escalation
            self.checker.count_escalations()
        self.wake_outbox()
        outcome = _mail_outcome(documents)  # the message is done: its documents, read above, are its outcome
        mailbox = self.mailboxes.get(message.mailbox or "") if message.source == "imap" else None
        if mailbox is not None and outcome is not None:
            await mailbox.settle(message_id, outcome)
        log.debug("message_settled", message=message_id, outcome=outcome.value if outcome else None,
                  documents=len(work.documents))

    def _count_answer(self, request_id: int | None) -> None:
        """A filed certificate that answered a request: its turnaround in the histogram."""
        if request_id is None:
            return
        answered = self.robot.services.ledger.requests.get(request_id)
        if answered.turnaround_days is not None and answered.answered_by is not None:
            self.metrics.request_answered(answered.turnaround_days)

    async def _deliver_outbox(self) -> None:
        while True:
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._outbox_due.wait(), self.robot.settings.schedule.sweep_seconds)
            if self._outbox_due.is_set():  # the notices of messages finishing meanwhile go in the same batch
                await asyncio.sleep(OUTBOX_GATHER_SECONDS)
            self._outbox_due.clear()
            await self.deliver_outbox_once()

    async def deliver_outbox_once(self) -> None:
        robot = self.robot
        if robot.transport is None:
            return
        try:
            await deliver_due(robot.services.ledger, robot.transport, robot.services.clock,
                              robot.notice_backoff)
        except Exception:  # a broken transport must not stop the daemon; the notices stay queued
            log.exception("outbox_delivery_failed")

    # ------------------------------------------------------------ scheduled jobs

    async def sweep_deferred(self) -> None:
        """Messages whose retry time has come go back on the queue: the ledger read off the event loop, the queue
        (not thread-safe) touched on it. A coroutine, so the scheduler runs it on the loop, not in a thread."""
        services = self.robot.services
        for message_id in await asyncio.to_thread(services.ledger.unfinished, services.clock()):
            self.enqueue(message_id)

    async def poll_mailboxes(self) -> None:
        for mailbox in self.mailboxes.values():
            await mailbox.poll_once()

    async def reload(self) -> None:
        """Rules reload when their files changed; the case register when the archive is asked. The health is
        judged too (rules, register, outbox and open-escalation gauges with it), so the gauges follow the robot
        whether or not anyone asks /healthz, and a decision taken by `lae-robot escalations` in another process."""
        self.robot.rules.current()
        await self.checker.audit_files()
        await self.health()

    async def _first_look(self) -> None:
        """Judge the health once at start, so every gauge has its value before the reload job's first run."""
        try:
            await self.health()
        except Exception:  # a check that breaks is the reload job's to meet again; the start goes on
            log.exception("first_health_check_failed")

    def retention(self) -> int:
        days = self.robot.settings.schedule.retention_days
        return self.robot.services.ledger.purge_raw(self.robot.services.clock() - timedelta(days=days))

    async def health(self) -> HealthReport:
        alive = sum(1 for task in self._workers if not task.done())
        return await self.checker.report(alive, self._queue.qsize())


def _mail_outcome(documents: list[StoredDocument]) -> MailOutcome:
    outcomes = {d.outcome for d in documents}
    filed = outcomes and outcomes <= {DocumentOutcome.FILED, DocumentOutcome.DUPLICATE}
    return MailOutcome.FILED if filed else MailOutcome.ESCALATED
