"""One IMAP session over aioimaplib in which every call is bounded by a timeout and by the connection's life.

aioimaplib's sharp edges, and what this module does about them:
- a dropped connection or a BYE fails no pending command, and `idle_start` can wait forever (issue #110):
  every call here races its command against the connection-lost callback and a timeout;
- STORE/COPY/MOVE/EXPUNGE by UID carry no timeout at all (issue #58): bounded here;
- a TLS or security mismatch can hang the connect (issue #128): the connect is bounded and the transport
  and the connection task are torn down on failure;
- `xoauth2()` never answers the server's error challenge, so a refused token hangs (and its debug log
  shows the base64 SASL string, which holds the token): AUTHENTICATE is done here, answering challenges;
- LOGIN's debug scrubbing misses passwords containing '"' or '\\': LOGIN is sent here with the exact
  quoted form scrubbed;
- an untagged EXISTS outside IDLE is dropped: the protocol below notes it, so no new mail goes unseen;
- every chunk received is formatted for the debug log, logged or not (0.1 ms per 40 kB of mail): done here
  only when that log is on;
- a response is handled one stack frame per line: commands here name at most MAX_UIDS_PER_COMMAND mails.
No STARTTLS (aioimaplib has none): implicit TLS, or plain IMAP to a loopback host.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib  # type: ignore[import-untyped]

T = TypeVar("T")

_library_log = logging.getLogger(aioimaplib.aioimaplib.__name__)

CRLF = b"\r\n"
_EXISTS = re.compile(rb"\* \d+ EXISTS")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_LIST_DELIMITER = re.compile(rb'\([^)]*\) (NIL|"((?:\\.|[^"\\])*)")')
_FETCH_BODY = re.compile(rb"\d+ FETCH \((.*)BODY\[\] \{(\d+)\}$", re.DOTALL)
_FETCH_SIZE = re.compile(rb"\d+ FETCH \(.*RFC822\.SIZE (\d+)", re.DOTALL)
_UID = re.compile(rb"\bUID (\d+)")
_IDLE_FOREVER = 24 * 3600.0  # aioimaplib's own IDLE timer; the session bounds every IDLE itself
# UIDs in one command at most: aioimaplib handles the lines of a response recursively, one stack frame per
# line, and UID MOVE (one EXPUNGE per mail) or UID FETCH of many sizes answered by ~1000 lines overflowed it
MAX_UIDS_PER_COMMAND = 100


class ImapError(Exception):
    """The session failed; it is closed and a new one must be opened (texts carry no secrets)."""


class ImapTimeout(ImapError):
    """The server did not answer in time."""


class ImapConnectionLost(ImapError):
    """The connection ended (BYE, reset, server stopped) or was never made."""


class ImapCommandFailed(ImapError):
    """The server answered NO or BAD."""

    def __init__(self, command: str, result: str, text: str) -> None:
        self.command, self.result, self.text = command, result, text
        super().__init__(f"{command}: {result} {text}".rstrip())


class ImapAuthFailed(ImapCommandFailed):
    """LOGIN or AUTHENTICATE was refused."""


def quoted(text: str) -> str:
    """`text` as an IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_folder(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 'LÆ/Eskaleret' -> 'L&AMY-/Eskaleret'."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + packed.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def folder_on_wire(name: str, delimiter: str | None) -> str:
    """The quoted, encoded argument for folder `name`, whose levels are separated by '/' in the settings."""
    if delimiter and delimiter != "/":
        name = name.replace("/", delimiter)
    return quoted(encode_folder(name))


def uid_set(uids: Iterable[int]) -> str:
    """An IMAP sequence set of `uids`, consecutive runs as ranges: [1, 2, 3, 7, 9, 10] -> '1:3,7,9:10'."""
    runs: list[list[int]] = []  # [first, last]
    for uid in sorted(set(uids)):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(first) if first == last else f"{first}:{last}" for first, last in runs)


def sasl_xoauth2(user: str, token: str) -> str:
    """The base64 initial response of SASL XOAUTH2 (Google's and Microsoft's documented format)."""
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode("ascii")


def parse_fetched_bodies(lines: list[Any]) -> dict[int, bytes]:
    """UID -> the literal of `BODY[]`, for every mail in a FETCH response's lines that came with one.

    aioimaplib returns each literal as a bytearray right after the line announcing it ("... BODY[] {n}");
    UID may come before the literal or after it (in the line closing the parenthesis)."""
    bodies: dict[int, bytes] = {}
    for index, line in enumerate(lines):
        if not isinstance(line, bytes) or index + 1 >= len(lines):
            continue
        announced = _FETCH_BODY.match(line)
        literal = lines[index + 1]
        if announced is None or not isinstance(literal, (bytes, bytearray)) or len(literal) != int(announced[2]):
            continue
        after = lines[index + 2] if index + 2 < len(lines) and isinstance(lines[index + 2], bytes) else b""
        found = _UID.search(announced[1] + b" " + after)
        if found is not None:
            bodies[int(found[1])] = bytes(literal)
    return bodies


def parse_fetched_sizes(lines: list[Any]) -> dict[int, int]:
    """UID -> RFC822.SIZE from the lines of a FETCH response (lines naming no UID are skipped)."""
    sizes: dict[int, int] = {}
    for line in lines:
        size = _FETCH_SIZE.match(line) if isinstance(line, bytes) else None
        uid = _UID.search(line) if size is not None else None
        if size is not None and uid is not None:
            sizes[int(uid[1])] = int(size[1])
    return sizes


class _Protocol(aioimaplib.IMAP4ClientProtocol):  # type: ignore[misc]
    """aioimaplib's protocol plus what it lacks: answers to SASL challenges, and notice of new mail."""

    incomplete_line: bytes  # set by aioimaplib: what data_received could not handle yet
    current_command: Any

    def __init__(
        self, loop: asyncio.AbstractEventLoop, conn_lost_cb: Callable[[Exception | None], None] | None
    ) -> None:
        super().__init__(loop, conn_lost_cb)
        self.sasl_responses: list[str] = []
        self.new_mail = asyncio.Event()

    def _continuation(self, line: bytes) -> None:
        command = self.pending_sync_command
        if command is not None and command.name == "AUTHENTICATE" and self.transport is not None:
            # the next prepared response, else an empty one: that is how a client answers an error
            # challenge (XOAUTH2, RFC 7628), after which the server sends its tagged NO
            reply = self.sasl_responses.pop(0) if self.sasl_responses else ""
            self.transport.write(reply.encode("ascii") + CRLF)
            return
        super()._continuation(line)

    def data_received(self, d: bytes) -> None:
        # aioimaplib's own, but formatting `d` for the debug log only when that log is on
        if _library_log.isEnabledFor(logging.DEBUG):
            _library_log.debug("Received : %s", d)
        try:
            self._handle_responses(self.incomplete_line + d, self._handle_line, self.current_command)
            self.incomplete_line = b""
            self.current_command = None
        except aioimaplib.IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data

    def _untagged_response(self, line: bytes) -> Any:
        if _EXISTS.match(line):
            self.new_mail.set()
        return super()._untagged_response(line)


class _Client(aioimaplib.IMAP4):  # type: ignore[misc]
    """aioimaplib.IMAP4 with the protocol above; TLS through `ssl_context` (IMAP4_SSL drops conn_lost_cb)."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = _Protocol(local_loop, conn_lost_cb)
        handshake = {"ssl_handshake_timeout": self.timeout} if ssl_context is not None else {}
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context, **handshake)
        )


@dataclass(frozen=True)
class Selected:
    """What SELECT tells of a folder: its UIDVALIDITY, and the UID its next mail will get (None when the server
    does not say; RFC 3501 says it must)."""

    uidvalidity: int
    uidnext: int | None


class ImapSession:
    """One connection: connect, authenticate, select, search, fetch, move and IDLE, each bounded in time.

    Any ImapError leaves the session unusable: close it with `abort()` and open a new one."""

    def __init__(self, client: _Client, lost: asyncio.Event, timeout: float) -> None:
        self._client = client
        self._lost = lost
        self._timeout = timeout
        self._closed = False
        self._secrets: list[str] = []

    @classmethod
    async def open(cls, host: str, port: int, ssl_context: ssl.SSLContext | None, timeout: float) -> ImapSession:
        """Connect and wait for the greeting (and the pre-login CAPABILITY), all within `timeout`."""
        lost = asyncio.Event()
        client = _Client(host=host, port=port, timeout=timeout, conn_lost_cb=lambda _exc: lost.set(),
                         ssl_context=ssl_context)  # fmt: skip
        session = cls(client, lost, timeout)
        try:
            await session._bounded(client.wait_hello_from_server(), timeout, "connect")
        except BaseException:
            session.abort()
            raise
        return session

    @property
    def alive(self) -> bool:
        return not self._closed and not self._lost.is_set()

    @property
    def protocol(self) -> _Protocol:
        protocol = self._client.protocol
        assert isinstance(protocol, _Protocol)
        return protocol

    def has(self, capability: str) -> bool:
        return capability.upper() in {name.upper() for name in self.protocol.capabilities}

    def has_news(self) -> bool:
        """Whether the server announced new mail (EXISTS) since `clear_news()`."""
        return self.protocol.new_mail.is_set()

    def clear_news(self) -> None:
        self.protocol.new_mail.clear()

    def note_news(self) -> None:
        """Count as announced new mail (the caller learnt of it otherwise, say from UIDNEXT)."""
        self.protocol.new_mail.set()

    # authentication

    async def login(self, user: str, password: str) -> None:
        protocol = self.protocol
        secret = quoted(password)
        self._secrets += [password, secret]
        command = aioimaplib.Command("LOGIN", protocol.new_tag(), quoted(user), secret, loop=protocol.loop)
        response = await self._call(protocol.execute(command, scrub=secret), "LOGIN")
        self._authenticated(response, "LOGIN")

    async def xoauth2(self, user: str, token: str) -> None:
        """AUTHENTICATE XOAUTH2, with the initial response inline when the server has SASL-IR."""
        protocol = self.protocol
        sasl = sasl_xoauth2(user, token)
        self._secrets += [token, sasl]
        inline = self.has("SASL-IR")
        protocol.sasl_responses = [] if inline else [sasl]
        args = ("XOAUTH2", sasl) if inline else ("XOAUTH2",)
        command = aioimaplib.Command("AUTHENTICATE", protocol.new_tag(), *args, loop=protocol.loop)
        try:
            response = await self._call(protocol.execute(command, scrub=sasl), "AUTHENTICATE XOAUTH2")
        finally:
            protocol.sasl_responses = []
        self._authenticated(response, "AUTHENTICATE XOAUTH2")

    def _authenticated(self, response: aioimaplib.Response, command: str) -> None:
        if response.result != "OK":
            raise ImapAuthFailed(command, response.result, self._text(response))
        self.protocol.state = aioimaplib.AUTH

    async def refresh_capabilities(self) -> None:
        """Ask again after authentication: servers announce more then (IDLE, MOVE, UIDPLUS)."""
        await self._call(self.protocol.capability(), "CAPABILITY")

    # folders

    async def delimiter(self) -> str | None:
        """The server's hierarchy separator (LIST "" ""), None for a flat namespace."""
        response = self._checked(await self._call(self.protocol.simple_command("LIST", '""', '""'), "LIST"), "LIST")
        for line in response.lines[:-1]:
            found = _LIST_DELIMITER.match(bytes(line))
            if found is not None and found[2] is not None:
                return re.sub(r"\\(.)", r"\1", found[2].decode("utf-8", "replace"))
        return None

    async def ensure_folder(self, wire_name: str) -> bool:
        """Create the folder (and subscribe to it) unless it exists; True when it was created."""
        protocol = self.protocol
        listed = self._checked(await self._call(protocol.simple_command("LIST", '""', wire_name), "LIST"), "LIST")
        if any(b"\\NonExistent" not in bytes(line) for line in listed.lines[:-1]):
            return False
        created = await self._call(protocol.simple_command("CREATE", wire_name), "CREATE")
        if created.result != "OK" and b"ALREADYEXISTS" not in bytes(created.lines[-1]):
            raise ImapCommandFailed("CREATE", created.result, self._text(created))
        # subscribing only helps mail clients show the folder; a refusal changes nothing here
        await self._call(protocol.simple_command("SUBSCRIBE", wire_name), "SUBSCRIBE")
        return True

    async def select(self, wire_name: str) -> Selected:
        """SELECT the folder (read-write); return its UIDVALIDITY and UIDNEXT."""
        response = self._checked(await self._call(self.protocol.select(wire_name), "SELECT"), "SELECT")
        uidvalidity = uidnext = None
        for line in response.lines:
            text = bytes(line)
            if (found := _UIDVALIDITY.search(text)) is not None:
                uidvalidity = int(found[1])
            if (found := _UIDNEXT.search(text)) is not None:
                uidnext = int(found[1])
        if uidvalidity is None:
            raise ImapError("SELECT: the server sent no UIDVALIDITY")
        return Selected(uidvalidity, uidnext)

    # messages

    async def uid_search_all(self) -> list[int]:
        """Every UID in the selected folder, ascending."""
        response = await self._call(self.protocol.search("ALL", charset=None, by_uid=True), "UID SEARCH")
        uids = {int(token) for line in self._checked(response, "UID SEARCH").lines[:-1]
                for token in bytes(line).split() if token.isdigit()}  # fmt: skip
        return sorted(uids)

    async def fetch_sizes(self, uids: Iterable[int]) -> dict[int, int]:
        """RFC822.SIZE of the mails with `uids` (UID -> size), MAX_UIDS_PER_COMMAND in one command; a mail that
        is gone is left out."""
        ordered = sorted(set(uids))
        sizes: dict[int, int] = {}
        for start in range(0, len(ordered), MAX_UIDS_PER_COMMAND):
            wanted = uid_set(ordered[start : start + MAX_UIDS_PER_COMMAND])
            call = self.protocol.fetch(wanted, "(UID RFC822.SIZE)", by_uid=True, timeout=self._timeout)
            response = self._checked(await self._call(call, "UID FETCH"), "UID FETCH")
            sizes.update(parse_fetched_sizes(response.lines))
        return {uid: size for uid, size in sizes.items() if uid in set(ordered)}

    async def fetch_bodies(self, uids: Iterable[int], total_seconds: float) -> dict[int, bytes]:
        """The whole mails with `uids` in one command (UID -> bytes), without setting \\Seen (BODY.PEEK[]); a mail
        that is gone is left out.

        aioimaplib resets the command's timer on every chunk, so `timeout` bounds silence on the wire;
        `total_seconds` bounds the whole transfer (the caller sizes it to the mails)."""
        wanted = sorted(set(uids))
        call = self.protocol.fetch(uid_set(wanted), "(UID BODY.PEEK[])", by_uid=True, timeout=self._timeout)
        response = self._checked(await self._bounded(call, total_seconds, "UID FETCH"), "UID FETCH")
        bodies = parse_fetched_bodies(response.lines)
        return {uid: bodies[uid] for uid in wanted if uid in bodies}

    async def move(self, uids: Iterable[int], wire_folder: str) -> None:
        """Move mails by UID, up to MAX_UIDS_PER_COMMAND in one command: UID MOVE when offered, else UID COPY +
        UID STORE \\Deleted + (UID) EXPUNGE."""
        ordered = sorted(set(uids))
        for start in range(0, len(ordered), MAX_UIDS_PER_COMMAND):
            await self._move_set(uid_set(ordered[start : start + MAX_UIDS_PER_COMMAND]), wire_folder)

    async def _move_set(self, uids: str, wire_folder: str) -> None:
        protocol = self.protocol
        if self.has("MOVE"):
            self._checked(await self._call(protocol.move(uids, wire_folder, by_uid=True), "UID MOVE"), "UID MOVE")
            return
        self._checked(await self._call(protocol.copy(uids, wire_folder, by_uid=True), "UID COPY"), "UID COPY")
        stored = protocol.store(uids, "+FLAGS.SILENT", "(\\Deleted)", by_uid=True)
        self._checked(await self._call(stored, "UID STORE"), "UID STORE")
        if self.has("UIDPLUS"):
            expunged = await self._call(protocol.expunge(uids, by_uid=True), "UID EXPUNGE")
            self._checked(expunged, "UID EXPUNGE")
        else:
            # Without UIDPLUS there is only the plain EXPUNGE, which removes EVERY mail flagged \Deleted in
            # the folder, also ones another client flagged and meant to keep. Accepted only for servers
            # lacking UIDPLUS, on a watched folder that belongs to the robot.
            self._checked(await self._call(protocol.expunge(), "EXPUNGE"), "EXPUNGE")

    # waiting

    async def noop(self) -> None:
        """NOOP: the server reports what changed meanwhile (an EXISTS sets has_news())."""
        self._checked(await self._call(self._client.noop(), "NOOP"), "NOOP")

    async def idle(self, until: Iterable[asyncio.Event], max_seconds: float) -> str:
        """IDLE until new mail is announced, one of `until` is set, the server ends it, or `max_seconds`
        pass; always ends with DONE and the server's OK. Returns why: "news", "woken", "renew", "server"."""
        protocol = self.protocol
        while not protocol.idle_queue.empty():  # pushes of earlier IDLEs: a sweep has looked since
            protocol.idle_queue.get_nowait()
        if protocol.new_mail.is_set():
            return "news"
        if any(event.is_set() for event in until):
            return "woken"
        idling = await self._call(self._client.idle_start(timeout=_IDLE_FOREVER), "IDLE")
        events = [protocol.new_mail, *until]
        waiters = [asyncio.ensure_future(event.wait()) for event in (*events, self._lost)]
        try:
            await asyncio.wait([*waiters, idling], timeout=max_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._lost.is_set():
            idling.cancel()
            raise ImapConnectionLost("IDLE: the server closed the connection")
        if idling.done():
            self._checked(self._result(idling, "IDLE"), "IDLE")
            return "server"
        reason = "news" if protocol.new_mail.is_set() else "woken" if any(e.is_set() for e in until) else "renew"
        self._client.idle_done()
        self._checked(await self._call(idling, "IDLE DONE"), "IDLE")
        return reason

    # closing

    async def logout(self, timeout: float) -> None:
        """Say goodbye within `timeout`, then close; a failed goodbye still closes."""
        try:
            if self.alive:
                with contextlib.suppress(ImapError):  # the connection is closed below either way
                    await self._bounded(self.protocol.logout(), timeout, "LOGOUT")
        finally:
            self.abort()

    def abort(self) -> None:
        """Close the connection now and cancel everything aioimaplib still has running for it."""
        self._closed = True
        client = self._client
        waiter = getattr(client, "_idle_waiter", None)
        if waiter is not None:
            waiter.cancel()
        for task in (client._client_task, *client.tasks, *client.protocol.tasks):
            task.cancel()
        transport = client.protocol.transport
        if transport is not None:
            transport.abort()

    # plumbing

    async def _call(self, aw: Awaitable[T], what: str) -> T:
        return await self._bounded(aw, self._timeout, what)

    async def _bounded(self, aw: Awaitable[T], seconds: float, what: str) -> T:
        """Await `aw` unless the connection ends first or `seconds` pass; library errors become ImapError."""
        if not self.alive:
            if asyncio.iscoroutine(aw):
                aw.close()
            raise ImapConnectionLost(f"{what}: not connected")
        task = asyncio.ensure_future(aw)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait({task, lost}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if task in done:
            return self._result(task, what)
        if lost in done:
            raise ImapConnectionLost(f"{what}: the server closed the connection")
        raise ImapTimeout(f"{what}: no answer within {seconds:g} s")

    def _result(self, task: asyncio.Future[T], what: str) -> T:
        try:
            return task.result()
        except aioimaplib.CommandTimeout:
            raise ImapTimeout(f"{what}: the server fell silent for {self._timeout:g} s") from None
        except TimeoutError:
            raise ImapTimeout(f"{what}: no answer within {self._timeout:g} s") from None
        except (OSError, EOFError, ValueError, aioimaplib.AioImapException) as error:
            raise ImapError(f"{what}: {type(error).__name__}: {self.redact(str(error))}") from None

    def _checked(self, response: aioimaplib.Response, what: str) -> aioimaplib.Response:
        if response.result != "OK":
            raise ImapCommandFailed(what, response.result, self._text(response))
        return response

    def _text(self, response: aioimaplib.Response) -> str:
        last = response.lines[-1] if response.lines else b""
        return self.redact(bytes(last).decode("utf-8", "replace")[:300])

    def redact(self, text: str) -> str:
        """`text` with every secret this session was given replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return text
