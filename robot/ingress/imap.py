"""The IMAP ingress: watch one mailbox, hand each mail's raw bytes to `accept`, move it once its outcome is known."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog

from robot.config_error import ConfigError
from robot.ingress.base import Accept, MailOutcome, OutcomeOf, Received
from robot.ingress.imap_client import ImapAuthFailed, ImapSession, Selected, folder_on_wire, quoted, sasl_xoauth2
from robot.ingress.imap_config import ImapMailboxConfig
from robot.privacy import mask_cpr_text

__all__ = ["ImapIngress", "ImapMailboxConfig", "TokenCommandError"]

log = structlog.get_logger(__name__)

OUTCOMES = tuple(MailOutcome)
BACKOFF_FIRST_SECONDS = 1.0
MIN_TRANSFER_RATE = 64 * 1024  # bytes/s: a mail of n bytes may take timeout_seconds + n / rate to arrive
FETCH_BATCH_MAILS = 50  # new mails fetched in one command at most ...
FETCH_BATCH_BYTES = 2 * 1024 * 1024  # ... and bytes held at once (a bigger mail comes alone)
# while the mailbox is busy (busy checks on), noted moves wait at most this long to go together: each move costs a
# SELECT and a MOVE on both sides, and under a backlog a mail is settled every few ms
MOVE_BATCH_SECONDS = 0.5
QUIET_ROUNDS = 10  # sweeps in a row while the server keeps announcing new mail, before waiting again
LOGOUT_SECONDS = 5.0
_TOKEN = re.compile(r"[\x21-\x7e]+")  # one word of printable ASCII: what fits "auth=Bearer <token>"


class TokenCommandError(Exception):
    """The token command failed or printed no usable token (the text never holds the token)."""


class ImapIngress:
    """Watches one mailbox. The watched folder is the to-do list: whatever is still in it is unprocessed
    or unsettled, and a mail leaves it only once its outcome is committed.

    `run()` keeps one connection (reconnecting with backoff); `poll_once()` shares it, one IMAP command at a
    time (an IDLE in progress is ended for it). `settle()` only notes the outcome; whoever holds the connection
    moves everything noted so far in one batch (`_flush`), run() ending its IDLE for that without sweeping.

    A sweep asks the ledger (outcome_of) about the mails it takes in; about the mails it remembers from earlier
    sweeps, whose outcome the daemon settles once it is committed, only when a poll is due (`recheck`): that
    catches a mail the daemon will not settle here (the same bytes first came by SMTP or another mailbox)."""

    def __init__(
        self,
        name: str,
        config: ImapMailboxConfig,
        accept: Accept,
        outcome_of: OutcomeOf,
        *,
        environ: Mapping[str, str] = os.environ,
        on_connection: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.name = name
        self._on_connection = on_connection  # told (name, connected) at start and whenever that changes
        self._reported: bool | None = None
        self._config = config
        self._accept, self._outcome_of = accept, outcome_of
        self._environ = dict(environ)  # the token command's environment
        self._password = _password(config, environ) if config.auth == "login" else None
        self._tokens: list[str] = []  # the last two, to keep them out of error texts
        self._lock = asyncio.Lock()  # one IMAP command at a time: aioimaplib is not safe for more
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()  # someone waits for the connection: end IDLE
        self._flush_due = asyncio.Event()  # settle() noted an outcome: end IDLE, move it, IDLE again
        self._session: ImapSession | None = None
        self._delimiter: str | None = None
        self._uidvalidity: int | None = None
        self._message_of: dict[tuple[int, int], int] = {}  # (uidvalidity, uid) -> ledger message id
        self._uids_of: dict[int, set[tuple[int, int]]] = {}  # message id -> the UIDs that carry it
        # message id -> its committed outcome, for mails not moved yet; always a key of _uids_of
        self._pending: dict[int, MailOutcome] = {}
        self._uidnext: int | None = None  # every UID below it has been looked at by a sweep; None: unknown
        self._running = False
        self._idling = False
        self._busy_until = 0.0  # loop time until which the mailbox counts as busy (new mail came lately)
        self._noop_at = float("-inf")  # loop time of the last busy check
        self._moved_at = float("-inf")  # loop time of the last flush of noted moves
        self.last_error: str | None = None  # the latest failure, masked; None after a complete sweep
        self._report_connection()

    def __repr__(self) -> str:
        return f"ImapIngress({self.name!r}, {self._config!r})"

    @property
    def _log(self) -> Any:
        return log.bind(mailbox=self.name)  # bound per call: logging may be configured after construction

    @property
    def connected(self) -> bool:
        return self._session is not None and self._session.alive

    @property
    def idling(self) -> bool:
        """Whether the connection waits in IDLE right now."""
        return self._idling

    @property
    def uidvalidity(self) -> int | None:
        """UIDVALIDITY of the watched folder as last selected."""
        return self._uidvalidity

    # ------------------------------------------------------------ the daemon's calls

    async def run(self) -> None:
        """Watch until stop(): connect, sweep, wait for news (IDLE, else poll), sweep again. Any failure is
        logged and followed by a reconnect after a pause of 1 s doubling up to reconnect_max_seconds; no
        exception leaves except CancelledError."""
        if self._running:
            self._log.error("imap_run_twice", note="run() is already watching this mailbox; this call returns")
            return
        self._running = True
        backoff = BACKOFF_FIRST_SECONDS
        recheck = True  # the first sweep asks the ledger about every mail in the folder
        try:
            while not self._stop.is_set():
                try:
                    complete = await self._sweep_now(recheck=recheck)
                    backoff = BACKOFF_FIRST_SECONDS
                    recheck = await self._wait_for_news(soon=not complete)
                except Exception as error:  # whatever broke, the mailbox is watched again after a pause
                    self._failed(error, "imap_connection_failed", retry_seconds=backoff)
                    recheck = True
                    await self._pause(backoff)
                    backoff = min(backoff * 2, self._config.reconnect_max_seconds)
        except asyncio.CancelledError:
            self._drop_session()
            raise
        finally:
            self._running = False
        await self._close()

    def stop(self) -> None:
        """End run() promptly: an IDLE ends at once, the connection is logged out and closed. A connection
        opened by poll_once() alone is closed here."""
        self._stop.set()
        self._wake.set()
        if not self._running:
            self._drop_session()

    async def poll_once(self) -> None:
        """Sweep now (the scheduler's fallback should IDLE miss something), connecting if needed. Failures
        are logged and kept in `last_error`, never raised."""
        if self._stop.is_set():
            return
        self._wake.set()
        try:
            async with self._lock:
                if not self._stop.is_set():
                    await self._sweep_until_quiet(await self._connect_if_needed(), recheck=True)
        except Exception as error:  # the next poll or run()'s reconnect tries again
            self._failed(error, "imap_poll_failed")

    async def settle(self, message_id: int, outcome: MailOutcome) -> None:
        """Have the mail(s) that carried `message_id` moved to the filed or escalated folder, now that its
        outcome is committed. While run() watches, this only notes it: run() moves whatever is noted in one
        batch, promptly. Without run(), the batch is moved here. Only UIDs read under the current UIDVALIDITY
        are moved; what cannot be moved now stays noted for the next flush, or is found again by a sweep
        (through outcome_of). Never raises for IMAP trouble."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        if message_id not in self._uids_of:
            self._log.debug("imap_settle_not_here", message=message_id)
            return
        self._pending[message_id] = MailOutcome(outcome)
        self._flush_due.set()
        if self._running:
            return
        try:
            async with self._lock:
                await self._flush_if_connected()
        except Exception as error:  # the mail stays noted and in the folder; the next sweep moves it
            self._failed(error, "imap_settle_failed", message=message_id, note="the next sweep settles it")

    # ------------------------------------------------------------ connection

    async def _connect_if_needed(self) -> ImapSession:
        session = self._session
        if session is not None and session.alive:
            return session
        if session is not None:
            self._log.info("imap_connection_closed", note="reconnecting")
            self._drop_session()
        config = self._config
        context = await asyncio.to_thread(_tls_context, config.ca_file) if config.security == "tls" else None
        session = await ImapSession.open(config.host, config.port, context, config.timeout_seconds)
        try:
            await self._authenticate(session)
            await session.refresh_capabilities()
            delimiter = await session.delimiter()
            for folder in (config.filed_folder, config.escalated_folder):
                if await session.ensure_folder(folder_on_wire(folder, delimiter)):
                    self._log.info("imap_folder_created", folder=folder)
        except BaseException:
            session.abort()
            raise
        self._session, self._delimiter = session, delimiter
        self._report_connection()
        self._log.info("imap_connected", host=config.host, port=config.port, folder=config.folder,
                       idle=config.idle and session.has("IDLE"), move=session.has("MOVE"),
                       uidplus=session.has("UIDPLUS"))  # fmt: skip
        return session

    async def _select(self, session: ImapSession) -> Selected:
        """SELECT the watched folder afresh; when its UIDVALIDITY changed, forget every UID read under the old
        one (and the moves noted for them). Done before every sweep and every batch of moves: a session's view
        can outlive a rebuilt folder (Dovecot, folder deleted and created again: the old UID then names another
        mail, and UID MOVE without a fresh SELECT moved that one)."""
        selected = await session.select(folder_on_wire(self._config.folder, self._delimiter))
        if selected.uidvalidity != self._uidvalidity:
            if self._uidvalidity is not None:
                self._log.warning("imap_uidvalidity_changed", folder=self._config.folder, old=self._uidvalidity,
                                  new=selected.uidvalidity, unmoved=sorted(self._pending),
                                  note="every mail in the folder is read again")  # fmt: skip
            self._uidvalidity, self._uidnext = selected.uidvalidity, None
            self._forget_all_but(selected.uidvalidity, None)
        return selected

    async def _authenticate(self, session: ImapSession) -> None:
        config = self._config
        if config.auth == "login":
            assert self._password is not None
            await session.login(config.username, self._password)
            return
        try:
            await session.xoauth2(config.username, await self._fresh_token())
        except ImapAuthFailed:
            # the token may have expired or been revoked since it was made: one fresh token, one more try
            self._log.info("imap_token_refused", note="running token_command again")
            await session.xoauth2(config.username, await self._fresh_token())

    async def _fresh_token(self) -> str:
        config = self._config
        assert config.token_command is not None
        token = await run_token_command(config.token_command, config.timeout_seconds, self._environ)
        self._tokens = [*self._tokens[-1:], token]
        return token

    def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.abort()
        self._report_connection()

    def _report_connection(self) -> None:
        """Tell on_connection (the metrics) when the connection came or went: when it happens, not when asked."""
        connected = self.connected
        if self._on_connection is not None and connected != self._reported:
            self._reported = connected
            self._on_connection(self.name, connected)

    async def _close(self) -> None:
        """Move what is still noted and log out politely at the end of run(), waiting briefly for a poll or
        settle in progress."""
        try:
            await asyncio.wait_for(self._lock.acquire(), LOGOUT_SECONDS)
        except TimeoutError:
            self._drop_session()
            return
        try:
            await self._flush_if_connected()
        except Exception as error:  # the mails stay in the folder; the next start moves them
            self._log.info("imap_flush_failed", error=self._describe(error), unmoved=sorted(self._pending),
                           note="the next start moves them")  # fmt: skip
        try:
            session, self._session = self._session, None
            self._report_connection()
            if session is not None:
                await session.logout(LOGOUT_SECONDS)
                self._log.info("imap_disconnected")
        finally:
            self._lock.release()

    # ------------------------------------------------------------ waiting

    async def _wait_for_news(self, *, soon: bool) -> bool:
        """IDLE (renewed before idle_renew_seconds) when the server offers it and config.idle is true; else
        sleep poll_seconds. Meanwhile, moves noted by settle() are flushed at once, without a sweep. `soon`: the
        last sweep was cut short, so look again within poll_seconds. True when a poll is due (or the connection
        is gone), False on news or when someone else wants the connection."""
        config = self._config
        session = self._session
        if session is None or not session.alive:
            return True  # reconnect at once
        idle = config.idle and session.has("IDLE")
        seconds = config.poll_seconds
        if idle:
            seconds = min(config.poll_seconds, config.idle_renew_seconds) if soon else config.idle_renew_seconds
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            async with self._lock:
                if session is not self._session or not session.alive:
                    return True
                if self._moves_wait() <= 0:
                    await self._flush(session)
                if self._wake.is_set() or self._stop.is_set():
                    self._wake.clear()
                    return False
                if session.has_news():
                    return False
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return True
                check_in = self._busy_check_in(remaining)
                if check_in is not None and check_in <= 0:
                    await session.noop()
                    self._noop_at = asyncio.get_running_loop().time()
                    if session.has_news():
                        return False
                    continue  # to the next check's pause, or to IDLE when the mailbox is no longer busy
                if check_in is None and idle:
                    reason = await self._idle(session, remaining)
                    if reason != "woken":
                        return reason != "news"  # renew or server: the time to poll
                    continue  # to flush, or to hand the connection over
            if check_in is None:
                await self._pause(remaining, self._flush_due)
            else:  # busy: the next check, or the noted moves' turn, whichever comes first
                await self._pause(min(check_in, max(self._moves_wait(), 0.0)) if self._pending else check_in)

    def _busy_check_in(self, remaining: float) -> float | None:
        """Seconds until the next NOOP while the mailbox is busy (new mail came within busy_seconds), so a
        mail is seen at once rather than when the server lets IDLE say so (Dovecot waits half a second);
        None when not busy or when busy checks are off."""
        every = self._config.busy_check_seconds
        now = asyncio.get_running_loop().time()
        if every <= 0 or now >= self._busy_until:
            return None
        # at most one NOOP per `every`: under a backlog settle() wakes this loop for a move every few ms, and a
        # NOOP at each wake cost Dovecot about 1 ms of CPU per mail and the robot a round trip
        return min(max(0.0, self._noop_at + every - now), remaining)

    def _moves_wait(self) -> float:
        """Seconds until the noted moves are due: at once when the mailbox is quiet (or busy checks are off), a
        batch is full or the robot stops; while it is busy, MOVE_BATCH_SECONDS after the last flush."""
        now = asyncio.get_running_loop().time()
        if (self._config.busy_check_seconds <= 0 or now >= self._busy_until or self._stop.is_set()
                or len(self._pending) >= FETCH_BATCH_MAILS):
            return 0.0
        return self._moved_at + MOVE_BATCH_SECONDS - now

    async def _idle(self, session: ImapSession, seconds: float) -> str:
        """IDLE until news, stop(), a poll_once() or settle() waiting, or `seconds`; see ImapSession.idle."""
        self._idling = True
        try:
            reason = await session.idle((self._stop, self._wake, self._flush_due), max_seconds=seconds)
        finally:
            self._idling = False
        self._log.debug("imap_idle_ended", reason=reason)
        return reason

    async def _pause(self, seconds: float, *also: asyncio.Event) -> None:
        """Sleep `seconds`, or less when stop() is called or one of `also` is set."""
        waiters = [asyncio.ensure_future(event.wait()) for event in (self._stop, *also)]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # ------------------------------------------------------------ sweeping and moving

    async def _sweep_now(self, *, recheck: bool) -> bool:
        async with self._lock:
            if self._stop.is_set():
                return True
            return await self._sweep_until_quiet(await self._connect_if_needed(), recheck=recheck)

    async def _sweep_until_quiet(self, session: ImapSession, *, recheck: bool) -> bool:
        """Sweep, then flush, and again while the server announced new mail meanwhile (an EXISTS it sent
        then would not be sent again in IDLE). False when a sweep was cut short. `recheck`: see _sweep."""
        for _round in range(QUIET_ROUNDS):
            selected = await self._select(session)
            session.clear_news()  # after SELECT, whose EXISTS is no news
            self._uidnext = selected.uidnext
            complete = await self._sweep(session, selected.uidvalidity, recheck=recheck)
            await self._flush(session)
            if not complete:
                return False
            self.last_error = None
            recheck = False  # the rounds after the first only look at what is new
            if not session.has_news():
                break
        return True

    async def _sweep(self, session: ImapSession, uidvalidity: int, *, recheck: bool) -> bool:
        """Every UID in the folder, ascending: fetch and accept the new ones and ask the ledger for their outcome
        (they may carry a message finished long ago). The remembered ones are on their way through the daemon,
        which settles them; with `recheck` the ledger is asked about them too, unless their move is noted already.
        A known outcome is noted for the flush after the sweep. False when accept or outcome_of failed (the sweep
        stops; the mail stays for the next one)."""
        uids = await session.uid_search_all()
        self._forget_all_but(uidvalidity, uids)
        if uids and self._uidnext is not None:
            self._uidnext = max(self._uidnext, uids[-1] + 1)
        new = [uid for uid in uids if (uidvalidity, uid) not in self._message_of]
        known = [uid for uid in uids if (uidvalidity, uid) in self._message_of]
        if not await self._take_in(session, uidvalidity, new):
            return False
        for uid in known if recheck else ():
            message_id = self._message_of.get((uidvalidity, uid))
            if message_id is None or message_id in self._pending:
                continue  # its move is noted already
            if self._stop.is_set() or not await self._note_outcome(message_id, uid):
                return False
        return True

    async def _take_in(self, session: ImapSession, uidvalidity: int, uids: list[int]) -> bool:
        """Fetch the new mails (a few per command), hand each to accept and ask the ledger for its outcome
        (the mail may carry a message finished long ago). False when stopped or a callback failed."""
        sizes = await session.fetch_sizes(uids) if uids else {}  # the mails gone meanwhile are left out
        for batch in fetch_batches([uid for uid in uids if uid in sizes], sizes):
            if self._stop.is_set():
                return False
            total = sum(sizes[uid] for uid in batch)
            bodies = await session.fetch_bodies(batch, self._config.timeout_seconds + total / MIN_TRANSFER_RATE)
            for uid in batch:
                raw = bodies.get(uid)
                if raw is None:
                    continue  # moved away meanwhile by someone else
                message_id = await self._accepted(raw, uidvalidity, uid)
                if message_id is None or not await self._note_outcome(message_id, uid):
                    return False
        return True

    async def _accepted(self, raw: bytes, uidvalidity: int, uid: int) -> int | None:
        """Hand the mail to accept and remember its message id; None when accept failed."""
        reference = f"imap:{self.name}:{self._config.folder}:{uidvalidity}:{uid}"
        try:
            message_id = await self._accept(Received(raw, "imap", reference, self.name))
        except Exception as error:  # the callback's failure: the mail stays for the next sweep
            self._callback_failed(error, "imap_accept_failed", uid=uid, uidvalidity=uidvalidity)
            return None
        self._remember(uidvalidity, uid, message_id)
        self._busy_until = asyncio.get_running_loop().time() + self._config.busy_seconds
        self._log.info("imap_mail_accepted", uid=uid, uidvalidity=uidvalidity, message=message_id, size=len(raw))
        return message_id

    async def _note_outcome(self, message_id: int, uid: int) -> bool:
        """Ask the ledger for the message's outcome and note its move when it is known; False when that failed."""
        try:
            outcome = await self._outcome_of(message_id)
        except Exception as error:  # as above
            self._callback_failed(error, "imap_outcome_failed", uid=uid, message=message_id)
            return False
        if outcome in OUTCOMES:
            self._pending[message_id] = MailOutcome(outcome)
        return True

    async def _flush_if_connected(self) -> None:
        session = self._session
        if session is None or not session.alive:
            if self._pending:
                self._log.info("imap_settle_deferred", messages=sorted(self._pending), reason="not connected")
            return
        await self._flush(session)

    async def _flush(self, session: ImapSession) -> None:
        """Move every mail whose outcome is noted: one SELECT (the UIDVALIDITY check), then one move per outcome
        folder. Its own moves are no news; mail that arrived meanwhile is (a higher UIDNEXT)."""
        self._flush_due.clear()
        if not self._pending:
            return
        announced = session.has_news()
        selected = await self._select(session)  # a changed UIDVALIDITY drops the noted moves: they are read again
        if announced or self._unseen_mail(selected):
            session.note_news()
        else:
            session.clear_news()  # SELECT's EXISTS, which counts what is there already
        for outcome, carriers in self._noted_moves(selected.uidvalidity).items():
            await self._move(session, selected.uidvalidity, outcome, carriers)
        self._moved_at = asyncio.get_running_loop().time()

    def _unseen_mail(self, selected: Selected) -> bool:
        """Whether the folder may hold mail no sweep has looked at (unknown counts as yes)."""
        return selected.uidnext is None or self._uidnext is None or selected.uidnext > self._uidnext

    def _noted_moves(self, uidvalidity: int) -> dict[MailOutcome, dict[int, list[int]]]:
        """outcome -> message id -> the UIDs carrying it under `uidvalidity`."""
        moves: dict[MailOutcome, dict[int, list[int]]] = {}
        for message_id, outcome in self._pending.items():
            uids = sorted(uid for valid, uid in self._uids_of.get(message_id, ()) if valid == uidvalidity)
            if uids:
                moves.setdefault(outcome, {})[message_id] = uids
        return moves

    async def _move(self, session: ImapSession, uidvalidity: int, outcome: MailOutcome,
                    carriers: dict[int, list[int]]) -> None:
        """One move of every mail in `carriers` (message id -> its UIDs) to the folder for `outcome`."""
        folder = self._config.filed_folder if outcome is MailOutcome.FILED else self._config.escalated_folder
        await session.move([uid for uids in carriers.values() for uid in uids], folder_on_wire(folder, self._delimiter))
        for message_id, uids in carriers.items():
            self._pending.pop(message_id, None)
            for uid in uids:
                self._forget((uidvalidity, uid))
            # one line per message (tests and operators follow a message id through the log), each naming its batch
            self._log.info("imap_mail_moved", message=message_id, uids=uids, uidvalidity=uidvalidity,
                           outcome=outcome.value, folder=folder, batch=len(carriers))  # fmt: skip

    def _remember(self, uidvalidity: int, uid: int, message_id: int) -> None:
        self._message_of[(uidvalidity, uid)] = message_id
        self._uids_of.setdefault(message_id, set()).add((uidvalidity, uid))

    def _forget(self, key: tuple[int, int]) -> None:
        message_id = self._message_of.pop(key, None)
        carriers = self._uids_of.get(message_id) if message_id is not None else None
        if carriers is not None:
            carriers.discard(key)
            if not carriers:
                del self._uids_of[message_id]  # type: ignore[arg-type]
                # its mail left the folder (or its UIDVALIDITY): nothing to move; if it comes back, a sweep
                # reads it as new and asks the ledger
                self._pending.pop(message_id, None)  # type: ignore[arg-type]

    def _forget_all_but(self, uidvalidity: int, uids: list[int] | None) -> None:
        """Forget every UID of another UIDVALIDITY and, given the folder's `uids`, those no longer in it."""
        present = set(uids) if uids is not None else None
        for key in list(self._message_of):
            if key[0] != uidvalidity or (present is not None and key[1] not in present):
                self._forget(key)

    # ------------------------------------------------------------ failures

    def _failed(self, error: BaseException, event: str, **fields: Any) -> None:
        """A connection-level failure: log it (masked, no secrets), keep it, close the connection."""
        text = self._describe(error)
        self.last_error = text
        self._drop_session()
        if self._stop.is_set():
            self._log.info(event, error=text, note="while stopping")
        else:
            self._log.warning(event, error=text, **fields)

    def _callback_failed(self, error: BaseException, event: str, **fields: Any) -> None:
        """accept or outcome_of failed: the connection is fine, the mail stays in the folder."""
        text = self._describe(error)
        self.last_error = text
        self._log.error(event, error=text, note="the mail stays in the folder for the next sweep", **fields)

    def _describe(self, error: BaseException) -> str:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        for secret in sorted(self._secrets(), key=len, reverse=True):
            text = text.replace(secret, "***")
        return mask_cpr_text(text)[:500]

    def _secrets(self) -> list[str]:
        found = [self._password, quoted(self._password)] if self._password else []
        for token in self._tokens:
            found += [token, sasl_xoauth2(self._config.username, token)]
        return found


def fetch_batches(uids: list[int], sizes: Mapping[int, int]) -> list[list[int]]:
    """`uids` in order, cut into batches of at most FETCH_BATCH_MAILS mails and FETCH_BATCH_BYTES (a bigger
    mail alone): one round trip fetches many small mails, and what is held in memory at once stays bounded."""
    batches: list[list[int]] = []
    held = 0
    for uid in uids:
        if not batches or len(batches[-1]) >= FETCH_BATCH_MAILS or held + sizes[uid] > FETCH_BATCH_BYTES:
            batches.append([])
            held = 0
        batches[-1].append(uid)
        held += sizes[uid]
    return batches


def _password(config: ImapMailboxConfig, environ: Mapping[str, str]) -> str:
    assert config.password_env is not None
    password = environ.get(config.password_env) or None
    if password is None:
        raise ConfigError(
            f"{config.section}.password_env",
            f"the name of a set, non-empty environment variable; {config.password_env} is not set",
            config.source,
        )
    return password


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate and host name verified; a private CA, when given, is trusted instead of the system's."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def run_token_command(argv: tuple[str, ...], timeout: float, environ: Mapping[str, str]) -> str:
    """Run the token command (no shell) within `timeout` and return the access token it printed."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=dict(environ),
        )  # fmt: skip
    except OSError as error:
        raise TokenCommandError(f"token_command {argv[0]!r} could not start: {error.strerror or error}") from None
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise TokenCommandError(f"token_command printed no token within {timeout:g} s") from None
    except BaseException:
        if process.returncode is None:
            process.kill()
        raise
    if process.returncode != 0:
        detail = mask_cpr_text(stderr.decode("utf-8", "replace").strip())[-300:]
        raise TokenCommandError(f"token_command exited with status {process.returncode}: {detail}")
    token = stdout.decode("ascii", "replace").strip()
    if not _TOKEN.fullmatch(token):
        raise TokenCommandError("token_command printed no usable token (one word of printable ASCII expected)")
    return token
