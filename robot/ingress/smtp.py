"""SMTP ingress: receive mail with aiosmtpd in the running event loop and answer 250 only after accept stored it."""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import hmac
import os
import secrets
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, TLSSetupException, syntax

from robot.config_error import ConfigError
from robot.ingress.base import Accept, Received
from robot.ingress.smtp_config import SmtpListenerConfig
from robot.ingress.smtp_limits import ConnectionLimits, Peer, Refusal
from robot.privacy import mask_cpr_text

__all__ = ["SmtpIngress", "SmtpListenerConfig"]

RELAY_DENIED = "550 5.7.1 relaying denied"
CANNOT_STORE = "451 4.3.0 cannot store the message now, try again later"
INTERNAL_ERROR = "451 4.3.0 internal error, try again later"
SHUTTING_DOWN = "421 4.3.2 service shutting down"
TOO_BIG = "552 5.3.4 message size exceeds fixed maximum message size"
LINE_TOO_LONG = "500 5.5.2 line too long (RFC 5321 4.5.3.1.6)"
SESSION_OVER, DATA_OVER = "session", "data"


OnLimit = Callable[[str, str], None]  # ("refused" | "cut", the setting that did it): for the metrics


class SmtpIngress:
    """One SMTP listener: relay-checked recipients, size limit, optional STARTTLS and AUTH, connection and session
    limits (`on_limit` hears of every connection refused and every session cut, by the setting that did it)."""

    def __init__(self, config: SmtpListenerConfig, accept: Accept, *, environ: Mapping[str, str] = os.environ,
                 on_limit: OnLimit | None = None):
        self._config = config
        # unbound (lazy): a logger bound now would keep the processors of now, and miss the masking set up later
        self._log = structlog.get_logger("robot.ingress.smtp", listener=config.name)
        self._tls = _tls_context(config)
        users = _users(config, environ) if config.auth_required else None
        self._sessions = _Sessions(ConnectionLimits(config), self._log, on_limit or _ignore)
        self._handler = _Handler(config, accept, users, self._log)
        self._hostname = config.hostname or socket.gethostname()  # once: aiosmtpd would ask DNS per connection
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the SMTP ingress is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind the listener in the current event loop and start answering."""
        if self._server is not None:
            raise RuntimeError("the SMTP ingress is already started")
        loop = asyncio.get_running_loop()
        config = self._config
        self._sessions.stopping = False  # a stopped listener may be started again
        self._server = await loop.create_server(
            lambda: _Smtp(
                self._handler,
                self._sessions,
                config,
                loop=loop,
                hostname=self._hostname,
                ident="ESMTP",
                data_size_limit=config.max_message_bytes,
                enable_SMTPUTF8=True,
                decode_data=False,
                tls_context=self._tls,
                require_starttls=config.require_starttls,
                timeout=config.timeout_seconds,
                auth_required=config.auth_required,
                auth_require_tls=True,
                authenticator=self._handler.authenticate if config.auth_required else None,
            ),
            host=config.host,
            port=config.port,
        )
        self._log.info("smtp_listening", host=config.host, port=self.port, tls=self._tls is not None)

    async def stop(self, deadline_seconds: float = 30.0) -> None:
        """Stop accepting connections, answer idle sessions 421, let DATA in flight finish up to the deadline,
        then close every session and cancel any commit still running (its client never heard 250)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        self._sessions.stopping = True
        for session in self._sessions.idle():
            session.close_with(SHUTTING_DOWN)
        unfinished = await self._sessions.wait_idle(deadline_seconds)
        for session in self._sessions.all():
            session.close_with(SHUTTING_DOWN)
        cancelled = await self._handler.cancel_commits()
        if unfinished or cancelled:
            self._log.warning("smtp_stopped_with_work_left", sessions_in_data=unfinished, commits_cancelled=cancelled)
        await server.wait_closed()
        self._log.info("smtp_stopped")


class _Smtp(SMTP):
    """aiosmtpd's session, counted against the connection limits, ended when it lasts, talks or trickles too long,
    and aware of a shutdown."""

    def __init__(self, handler: _Handler, sessions: _Sessions, config: SmtpListenerConfig, **options: Any) -> None:
        # upstream keeps these limits in one class-level dict that every session changes and every new one clears
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        self._registry = sessions
        self._config = config
        self._peer: Peer | None = None  # set once admitted
        self._in_data = False
        self._committing = False  # the whole message is in: a cut now waits for the reply (a 250 is kept)
        self._cut_after_reply: Refusal | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._counts: collections.Counter[str] = collections.Counter()
        super().__init__(handler, **options)
        # every command is counted before it runs (upstream's command_call_limit counts per command only and answers
        # without naming our setting); HELP reads the docstrings, kept by wraps
        self._smtp_methods = {command: self._counted(command, method)
                              for command, method in self._smtp_methods.items()}

    @property
    def in_data(self) -> bool:
        return self._in_data

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self._peer is None and self.transport is None  # STARTTLS calls this again with the TLS transport
        super().connection_made(transport)
        if not first:
            return
        peername = transport.get_extra_info("peername")
        peer = self._registry.peer(str(peername[0]) if isinstance(peername, tuple) and peername else "unknown")
        refusal = self._registry.admit(self, peer)
        if refusal is None:
            self._peer = peer
            self._timers["session"] = self.loop.call_later(self._config.session_seconds, self._over, SESSION_OVER)
            return
        # refused before the greeting: the session task never runs, the client reads 421 and EOF
        self._handler_coroutine.cancel()  # type: ignore[union-attr]
        transport.write(refusal.reply.encode("ascii") + b"\r\n")  # type: ignore[attr-defined]
        transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        for timer in self._timers.values():
            timer.cancel()
        if self._peer is not None:
            self._registry.release(self, self._peer)
        super().connection_lost(error)

    def _counted(self, command: str, method: Callable[[str | None], Awaitable[None]]) -> Any:
        @functools.wraps(method)
        async def counted(arg: str | None) -> None:
            refusal = self._count(command)
            if refusal is not None:
                self.cut(refusal)
                return
            await method(arg)

        return counted

    def _count(self, command: str) -> Refusal | None:
        """The limit this command goes over, if any (QUIT is always let through)."""
        if command == "QUIT":
            return None
        config, counts = self._config, self._counts
        counts["*"] += 1
        if counts["*"] > config.max_commands_per_session:
            return Refusal("max_commands_per_session", "421 4.7.0 too many commands in one session "
                                                       f"(max_commands_per_session {config.max_commands_per_session})")
        if command in ("NOOP", "RSET"):
            counts[command] += 1
            limit = config.max_noops_per_session if command == "NOOP" else config.max_rsets_per_session
            if counts[command] > limit:
                key = f"max_{command.lower()}s_per_session"
                return Refusal(key, f"421 4.7.0 too many {command} commands in one session ({key} {limit})")
        return None

    def _over(self, kind: str) -> None:
        """A session or a DATA ran out of time: cut it, unless its message is being committed (then after the
        reply: a mail that is in is stored and answered, never lost)."""
        config = self._config
        if kind == SESSION_OVER:
            refusal = Refusal("session_seconds", "421 4.4.2 session lasted too long, connect again "
                                                 f"(session_seconds {config.session_seconds:g})")
        else:
            refusal = Refusal("data_seconds", f"421 4.4.2 message took too long (data_seconds {config.data_seconds:g})")
        if self._committing:
            self._cut_after_reply = self._cut_after_reply or refusal
        else:
            self.cut(refusal)

    def cut(self, refusal: Refusal) -> None:
        """End the session over a limit: 421 naming it, a log event and the metric."""
        if self.transport is None or self.transport.is_closing():
            return
        self._registry.limited("cut", refusal, self._peer)
        self.close_with(refusal.reply)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        # replaces upstream's, which keeps each line as its own bytearray: a message of empty lines then costs
        # about 85 times its size in memory (20 MiB of "\r\n" took 1.7 GB); this one keeps one buffer
        if self._registry.stopping:
            self.close_with(SHUTTING_DOWN)
            return
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None and self.session is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        self._in_data = True
        self._registry.data_started()
        try:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            self._timers["data"] = self.loop.call_later(self._config.data_seconds, self._over, DATA_OVER)
            content = await self._read_content()
            self._timers.pop("data").cancel()
            if isinstance(content, str):  # the refusal, told only now that the client has sent it all
                status = content
            else:
                self.envelope.content = self.envelope.original_content = content
                self._committing = True
                status = await self.event_handler.handle_DATA(self, self.session, self.envelope)
            await self.push(status)
        finally:  # a fresh envelope, also when the handler failed: the next MAIL starts afresh
            self._committing = False
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            self._in_data = False
            self._registry.data_done()
        if self._registry.stopping:
            self.close_with(SHUTTING_DOWN)
        elif self._cut_after_reply is not None:
            self.cut(self._cut_after_reply)

    async def _read_content(self) -> bytes | str:
        """The message up to the lone "." line, dot-unstuffed, CRLF kept; or the reply refusing it.
        Only CRLF ends a line (a bare LF is data: no SMTP smuggling); an over-long or over-size message is
        read to its end and dropped as it comes, so memory stays within data_size_limit plus one line."""
        data = bytearray()
        limit = self.data_size_limit
        size = line_size = 0
        refusal: str | None = None
        # upstream restarts the session timeout per command only, so one DATA had to arrive within it whole
        # (50 MiB in 60 s); here the timeout counts from the last data received, looked at a few times a second
        every = min(1.0, self._timeout_duration / 4)
        timer_reset_at = self.loop.time()
        while True:
            try:
                piece = await self._reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as error:  # a line longer than the reader's limit: read it in parts
                piece = await self._reader.read(error.consumed)
            if self.loop.time() - timer_reset_at > every:
                self._reset_timeout()
                timer_reset_at = self.loop.time()
            if line_size == 0 and piece == b".\r\n":
                return refusal if refusal is not None else bytes(data)
            size += len(piece)
            line_size += len(piece)
            if refusal is None and line_size > self.line_length_limit:  # CRLF counted, as upstream
                refusal = LINE_TOO_LONG
            if refusal is None and limit and size > limit:
                refusal = TOO_BIG
            if refusal is not None:
                data.clear()
            elif line_size == len(piece) and piece.startswith(b"."):
                data += memoryview(piece)[1:]
            else:
                data += piece
            if piece.endswith(b"\r\n"):
                line_size = 0

    def close_with(self, reply: str) -> None:
        """Send `reply` (a 421) unasked, as RFC 5321 allows, and close; the client knows to try again."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(reply.encode("ascii") + b"\r\n")  # type: ignore[attr-defined]
        transport.close()


class _QuietSession(Session):
    """Upstream's session warns that login_data is deprecated each time a client authenticates; ours is silent."""

    login_data: Any = None


class _Sessions:
    """The open sessions, counted against the connection limits, and whether the listener is stopping."""

    def __init__(self, limits: ConnectionLimits, log: Any, on_limit: OnLimit) -> None:
        self._limits = limits
        self._log = log
        self._on_limit = on_limit
        self._open: set[_Smtp] = set()
        self._quiet = asyncio.Event()  # set whenever no session is inside DATA
        self._quiet.set()
        self.stopping = False

    def peer(self, peer_ip: str) -> Peer:
        return self._limits.peer(peer_ip)

    def admit(self, session: _Smtp, peer: Peer) -> Refusal | None:
        """Count the session in, or return what refuses it (logged and counted)."""
        if self.stopping:
            return Refusal("stopping", SHUTTING_DOWN)
        refusal = self._limits.admit(peer)
        if refusal is not None:
            self.limited("refused", refusal, peer)
            return refusal
        self._open.add(session)
        return None

    def release(self, session: _Smtp, peer: Peer) -> None:
        if session in self._open:
            self._open.discard(session)
            self._limits.release(peer)
        self.data_done()

    def limited(self, action: str, refusal: Refusal, peer: Peer | None) -> None:
        """A connection refused or a session cut by a limit: a log event naming it, and the metric."""
        fields = {"peer": peer.address if peer else "unknown", "prefix": peer.prefix if peer else "unknown",
                  "limit": refusal.limit, "open": self._limits.open}
        if action == "refused":
            self._log.info("smtp_connection_refused", **fields)
        else:
            self._log.warning("smtp_session_cut", **fields)
        self._on_limit(action, refusal.limit)

    def data_done(self) -> None:
        if not any(session.in_data for session in self._open):
            self._quiet.set()

    def data_started(self) -> None:
        self._quiet.clear()

    def all(self) -> list[_Smtp]:
        return list(self._open)

    def idle(self) -> list[_Smtp]:
        return [session for session in self._open if not session.in_data]

    async def wait_idle(self, deadline_seconds: float) -> int:
        """Wait until no session is inside DATA or the deadline passed; return how many still are."""
        self.data_done()
        try:
            await asyncio.wait_for(self._quiet.wait(), deadline_seconds)
        except TimeoutError:
            return sum(1 for session in self._open if session.in_data)
        return 0


class _Handler:
    """aiosmtpd's hooks: the relay check, the commit before the reply, the AUTH check and exceptions."""

    def __init__(
        self,
        config: SmtpListenerConfig,
        accept: Accept,
        users: dict[bytes, bytes] | None,
        log: Any,
    ) -> None:
        self._name = config.name
        self._accept = accept
        self._users = users or {}
        self._addresses = frozenset(entry for entry in config.accept_recipients if not entry.startswith("@"))
        self._domains = frozenset(entry[1:] for entry in config.accept_recipients if entry.startswith("@"))
        self._commits: set[asyncio.Future[int]] = set()
        self._log = log

    def accepts(self, address: str) -> bool:
        address = address.lower()
        return address in self._addresses or address.rpartition("@")[2] in self._domains

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.accepts(address):
            self._log.info("smtp_relay_denied", peer=_peer(session), recipient=mask_cpr_text(_text(address)))
            return RELAY_DENIED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # original_content: the message bytes after dot-unstuffing, CRLF line ends kept; never decoded
        raw = envelope.original_content
        if raw is None:
            return INTERNAL_ERROR
        queue_id = secrets.token_hex(8)
        received = Received(
            raw=raw,
            source="smtp",
            source_ref=f"smtp:{self._name}:{queue_id}",
            mailbox=self._name,
            envelope_sender=_text(envelope.mail_from) if envelope.mail_from is not None else None,
        )
        commit = asyncio.ensure_future(self._accept(received))
        self._commits.add(commit)
        commit.add_done_callback(lambda done: self._settled(done, queue_id, len(raw)))
        try:
            # shielded: if the client drops or the session times out now, the commit still runs to its end
            # (the client heard no 250 and will send again; the ledger knows the bytes by their hash)
            await asyncio.shield(commit)
        except asyncio.CancelledError:
            this = asyncio.current_task()
            if commit.cancelled() and this is not None and not this.cancelling():
                return CANNOT_STORE  # the commit was cancelled, not this session
            self._log.warning("smtp_reply_lost", queue_id=queue_id, peer=_peer(session))
            raise
        except Exception:  # any failure to store: logged in _settled, the client is told to try again
            return CANNOT_STORE
        return f"250 2.0.0 OK queued as {queue_id}"

    def _settled(self, commit: asyncio.Future[int], queue_id: str, size: int) -> None:
        self._commits.discard(commit)
        if commit.cancelled():
            self._log.warning("smtp_commit_cancelled", queue_id=queue_id)
        elif (error := commit.exception()) is not None:
            self._log.error("smtp_commit_failed", queue_id=queue_id, size=size, error=_describe(error))
        else:
            self._log.info("smtp_committed", queue_id=queue_id, size=size, message_id=commit.result())

    async def cancel_commits(self) -> int:
        """Cancel the commits still running (their clients were told 421) and wait for them to end."""
        running = list(self._commits)
        for commit in running:
            commit.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        return len(running)

    async def handle_exception(self, error: Exception) -> str:
        # instead of aiosmtpd's "500 Error: (Type) text": permanent, and it would show the exception to the client
        if isinstance(error, TLSSetupException):  # a client that failed the handshake; aiosmtpd closes the session
            self._log.warning("smtp_tls_failed", error=_describe(error.__cause__ or error))
        else:
            self._log.error("smtp_session_error", error=_describe(error))
        return INTERNAL_ERROR

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        expected = self._users.get(auth_data.login)
        # digests compared, even for an unknown user: the time taken tells neither the user nor the length
        matches = hmac.compare_digest(_digest(expected or b""), _digest(auth_data.password))
        if expected is not None and matches:
            return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))
        self._log.warning("smtp_auth_failed", peer=_peer(session), mechanism=mechanism,
                          user=mask_cpr_text(auth_data.login.decode("utf-8", "replace")[:64]))  # fmt: skip
        return AuthResult(success=False, handled=False)


def _ignore(action: str, limit: str) -> None:
    """No metrics to tell."""


def _tls_context(config: SmtpListenerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # no client certificates asked
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except FileNotFoundError as error:
        key = "tls_cert" if not config.tls_cert.is_file() else "tls_key"
        raise ConfigError(f"{config.section}.{key}", f"a readable file ({error.strerror})", config.source) from None
    except (ssl.SSLError, OSError) as error:
        raise ConfigError(
            f"{config.section}.tls_cert", f"a PEM certificate matching tls_key ({error})", config.source
        ) from None
    return context


def _users(config: SmtpListenerConfig, environ: Mapping[str, str]) -> dict[bytes, bytes]:
    """Read "user:password" pairs (one per line or comma-separated) from the variable auth_users_env names."""
    key = f"{config.section}.auth_users_env"
    name = config.auth_users_env or ""
    text = environ.get(name, "")
    users: dict[bytes, bytes] = {}
    for number, pair in enumerate((part.strip() for part in text.replace(",", "\n").splitlines()), start=1):
        if not pair:
            continue
        user, colon, password = pair.partition(":")
        if not colon or not user or not password:
            raise ConfigError(key, f"'user:password' pairs in ${name}; entry {number} is not one", config.source)
        users[user.encode("utf-8")] = password.encode("utf-8")
    if not users:
        raise ConfigError(key, f"a set environment variable with 'user:password' pairs; ${name} has none",
                              config.source)  # fmt: skip
    return users


def _peer(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


def _text(value: str) -> str:
    """Valid text from an SMTP argument (aiosmtpd keeps undecodable bytes as lone surrogates)."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _digest(secret: bytes) -> bytes:
    return hashlib.sha256(secret).digest()


def _describe(error: BaseException) -> str:
    return mask_cpr_text(f"{type(error).__name__}: {error}")[:500]
