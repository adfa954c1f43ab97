"""The SMTP listener against clients that try to hold it (issue 10): from many loopback addresses, slow, chatty, trickling.

Linux routes all of 127.0.0.0/8 to the loopback interface, so a client socket bound to 127.x.y.z is a client from
another address and, with another y, from another /24 network.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from robot.config_error import ConfigError
from robot.ingress.smtp import SmtpIngress, SmtpListenerConfig
from tests.integration.test_smtp_ingress import HOST, MESSAGE, Ledger, Raw, finishes, listener

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = "127.0.9.9"  # the trusted peer of these tests: the tunnel gateway
ENVELOPE = (b"EHLO mx.rn.dk", b"MAIL FROM:<attest@rn.dk>", b"RCPT TO:<lae@aalborg.dk>", b"DATA")


@asynccontextmanager
async def limited(ledger: Ledger, **options: Any) -> AsyncIterator[tuple[SmtpIngress, list[tuple[str, str]]]]:
    """A listener on 127.0.0.1 (reachable from every 127.x source address) and the (action, limit) pairs it reported
    for the metrics."""
    reported: list[tuple[str, str]] = []
    config = listener(**options)
    ingress = SmtpIngress(config, ledger.accept, environ={}, on_limit=lambda action, limit: reported.append(
        (action, limit)))
    await ingress.start()
    try:
        yield ingress, reported
    finally:
        await ingress.stop(deadline_seconds=2)


async def connect(port: int, source: str) -> tuple[Raw, str]:
    """A client from `source` and the server's first line to it (220 or 421)."""
    raw = Raw(*await asyncio.open_connection(HOST, port, local_addr=(source, 0)))
    return raw, await raw.reply()


async def deliver(raw: Raw) -> str:
    """One mail over an open session; the reply to its final dot."""
    for line in ENVELOPE:
        await raw.command(line)
    raw.writer.write(MESSAGE.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    return await raw.reply()


async def keep_busy(raw: Raw, every: float) -> None:
    """What the red team's clients did: a NOOP every `every` seconds, forever."""
    while True:
        await asyncio.sleep(every)
        raw.writer.write(b"NOOP\r\n")


# ------------------------------------------------------------------ connection limits


async def test_slow_clients_from_many_addresses_cannot_lock_out_the_gateway() -> None:
    """Issue 10: a crowd of NOOP-sending clients from many addresses and networks fills every slot open to them;
    the gateway still gets a reserved slot and its mail is accepted."""
    ledger = Ledger()
    async with limited(ledger, max_connections=6, reserved_connections=2, max_connections_per_prefix=2,
                       max_connections_per_client=1, trusted_peers=(GATEWAY,)) as (ingress, reported):
        crowd, busy = [], []
        for source in ("127.0.1.1", "127.0.1.2", "127.0.2.1", "127.0.2.2"):  # 4 = 6 - 2 reserved
            raw, greeting = await connect(ingress.port, source)
            assert greeting.startswith("220")
            crowd.append(raw)
            busy.append(asyncio.create_task(keep_busy(raw, 0.05)))
        late, refused = await connect(ingress.port, "127.0.3.1")  # a new address in a new network: no slot left
        assert refused == ("421 4.7.0 too many connections (reserved_connections 2 of max_connections 6 "
                           "are kept for trusted peers)")
        assert await late.closed()

        gateway, greeting = await connect(ingress.port, GATEWAY)
        assert greeting.startswith("220")
        assert (await deliver(gateway)).startswith("250 ")
        second, greeting = await connect(ingress.port, GATEWAY)  # the gateway is held by the total only
        assert greeting.startswith("220")
        third, full = await connect(ingress.port, GATEWAY)
        assert full == "421 4.7.0 too many connections (max_connections 6)"
        for task in busy:
            task.cancel()
        for raw in (*crowd, late, gateway, second, third):
            raw.close()
    assert [r.raw for r in ledger.received] == [MESSAGE]
    assert reported == [("refused", "reserved_connections"), ("refused", "max_connections")]


async def test_per_prefix_limit_refuses_the_next_client_of_a_network_and_not_another_network() -> None:
    async with limited(Ledger(), max_connections_per_prefix=2, max_connections_per_client=5) as (ingress, reported):
        with capture_logs() as logs:
            first, one = await connect(ingress.port, "127.0.1.1")
            second, two = await connect(ingress.port, "127.0.1.200")
            third, refused = await connect(ingress.port, "127.0.1.3")
            other, other_network = await connect(ingress.port, "127.0.2.1")
        assert one.startswith("220") and two.startswith("220") and other_network.startswith("220")
        assert refused == "421 4.7.0 too many connections from 127.0.1.0/24 (max_connections_per_prefix 2)"
        assert await third.closed()
        for raw in (first, second, third, other):
            raw.close()
    assert reported == [("refused", "max_connections_per_prefix")]
    [event] = [entry for entry in logs if entry["event"] == "smtp_connection_refused"]
    assert (event["peer"], event["prefix"], event["limit"]) == ("127.0.1.3", "127.0.1.0/24",
                                                                "max_connections_per_prefix")


async def test_a_shorter_prefix_length_counts_a_wider_network_as_one() -> None:
    async with limited(Ledger(), max_connections_per_prefix=1, prefix_length_v4=16) as (ingress, _):
        first, greeting = await connect(ingress.port, "127.5.1.1")
        second, refused = await connect(ingress.port, "127.5.2.1")
        assert greeting.startswith("220")
        assert refused == "421 4.7.0 too many connections from 127.5.0.0/16 (max_connections_per_prefix 1)"
        first.close(), second.close()


# ------------------------------------------------------------------ session limits


async def test_a_noop_every_moment_does_not_keep_a_session_past_its_lifetime() -> None:
    async with limited(Ledger(), session_seconds=1.0, timeout_seconds=5.0) as (ingress, reported):
        raw, _ = await connect(ingress.port, "127.0.1.1")
        began = time.monotonic()
        busy = asyncio.create_task(keep_busy(raw, 0.1))  # never idle: the idle timeout never fires
        lines = []
        with capture_logs() as logs:
            while not (line := (await finishes(raw.reader.readline())).decode()).startswith("421"):
                lines.append(line)
        busy.cancel()
        [cut] = [entry for entry in logs if entry["event"] == "smtp_session_cut"]
        assert (cut["peer"], cut["limit"], cut["log_level"]) == ("127.0.1.1", "session_seconds", "warning")
        assert line.rstrip() == "421 4.4.2 session lasted too long, connect again (session_seconds 1)"
        assert 0.9 < time.monotonic() - began < 2.0 and len(lines) >= 5 and all(x.startswith("250") for x in lines)
        assert await raw.closed()
        raw.close()
    assert reported == [("cut", "session_seconds")]


@pytest.mark.parametrize(
    ("options", "command", "allowed", "reply"),
    [
        ({"max_noops_per_session": 3}, b"NOOP", 3,
         "421 4.7.0 too many NOOP commands in one session (max_noops_per_session 3)"),
        ({"max_rsets_per_session": 2}, b"RSET", 2,
         "421 4.7.0 too many RSET commands in one session (max_rsets_per_session 2)"),
        ({"max_commands_per_session": 4}, b"HELO mx.rn.dk", 4,
         "421 4.7.0 too many commands in one session (max_commands_per_session 4)"),
    ],
)
async def test_a_session_that_repeats_itself_is_ended_at_its_limit(
        options: dict[str, Any], command: bytes, allowed: int, reply: str) -> None:
    async with limited(Ledger(), **options) as (ingress, reported):
        raw, _ = await connect(ingress.port, "127.0.1.1")
        for _ in range(allowed):
            assert (await raw.command(command)).startswith("250")
        assert await raw.command(command) == reply
        assert await raw.closed()
        raw.close()
    assert reported == [("cut", reply.rsplit("(", 1)[1].split()[0])]


async def test_a_trickling_data_is_cut_at_its_total_time_and_nothing_is_accepted() -> None:
    ledger = Ledger()
    async with limited(ledger, data_seconds=0.8, timeout_seconds=5.0) as (ingress, reported):
        raw, _ = await connect(ingress.port, "127.0.1.1")
        for line in ENVELOPE:
            await raw.command(line)
        began = time.monotonic()
        answer = asyncio.create_task(raw.reply())
        for n in range(40):  # a line every 0.1 s: never idle, never done
            if answer.done():
                break
            raw.writer.write(b"line %d\r\n" % n)
            await asyncio.sleep(0.1)
        assert await answer == "421 4.4.2 message took too long (data_seconds 0.8)"
        assert 0.7 < time.monotonic() - began < 2.0
        raw.close()
    assert ledger.received == [] and reported == [("cut", "data_seconds")]


async def test_a_mail_complete_before_the_cut_is_stored_and_answered_250_then_the_session_ends() -> None:
    """The session's lifetime ends while its mail is being committed: the commit finishes, the client hears 250
    for it, and only then 421; and a mail accepted earlier in a session that is cut later stays accepted."""
    ledger = Ledger(gate=asyncio.Event())
    async with limited(ledger, session_seconds=0.6) as (ingress, reported):
        raw, _ = await connect(ingress.port, "127.0.1.1")
        for line in ENVELOPE:
            await raw.command(line)
        raw.writer.write(MESSAGE.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        await finishes(ledger.started.wait())
        await asyncio.sleep(0.8)  # past the lifetime, the commit still running
        assert reported == [] and not raw.reader.at_eof()
        ledger.gate.set()  # type: ignore[union-attr]
        assert (await raw.reply()).startswith("250 2.0.0 OK queued as ")
        assert await raw.reply() == "421 4.4.2 session lasted too long, connect again (session_seconds 0.6)"
        assert await raw.closed()
        raw.close()

        ledger.gate = None  # a mail accepted, then the session kept open with NOOPs until it is cut
        earlier, _ = await connect(ingress.port, "127.0.1.2")
        assert (await deliver(earlier)).startswith("250 ")
        busy = asyncio.create_task(keep_busy(earlier, 0.1))
        while not (await finishes(earlier.reader.readline())).startswith(b"421"):
            pass
        busy.cancel()
        earlier.close()
    assert [r.raw for r in ledger.received] == [MESSAGE, MESSAGE] and not ledger.cancelled
    assert reported == [("cut", "session_seconds"), ("cut", "session_seconds")]


# ------------------------------------------------------------------ settings


def test_the_limit_settings_are_read_with_their_defaults() -> None:
    table = {"accept_recipients": ["@kommune.dk"], "session_seconds": 300, "data_seconds": 120.5,
             "max_commands_per_session": 50, "max_noops_per_session": 5, "max_rsets_per_session": 6,
             "max_connections_per_prefix": 4, "prefix_length_v4": 16, "prefix_length_v6": 48,
             "trusted_peers": ["192.0.2.25", "2001:db8::/64"], "reserved_connections": 20}  # fmt: skip
    config = SmtpListenerConfig.from_table(table, "robot.toml")
    assert (config.session_seconds, config.data_seconds) == (300.0, 120.5)
    assert (config.max_commands_per_session, config.max_noops_per_session, config.max_rsets_per_session) == (50, 5, 6)
    assert (config.max_connections_per_prefix, config.prefix_length_v4, config.prefix_length_v6) == (4, 16, 48)
    assert config.trusted_peers == ("192.0.2.25", "2001:db8::/64") and config.reserved_connections == 20

    defaults = SmtpListenerConfig.from_table({"accept_recipients": ["@kommune.dk"]}, "robot.toml")
    assert (defaults.session_seconds, defaults.data_seconds) == (900.0, 600.0)
    assert (defaults.max_commands_per_session, defaults.max_noops_per_session, defaults.max_rsets_per_session) == (
        1000, 20, 100)
    assert (defaults.max_connections_per_prefix, defaults.prefix_length_v4, defaults.prefix_length_v6) == (10, 24, 64)
    assert defaults.trusted_peers == () and defaults.reserved_connections == 10


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("session_seconds", 0, "a positive number of seconds up to 86400"),
        ("session_seconds", float("inf"), "a positive number"),
        ("data_seconds", 100000, "a positive number of seconds up to 86400"),
        ("max_commands_per_session", 0, "a whole number from 1 to 1000000"),
        ("max_noops_per_session", 2.5, "a whole number"),
        ("max_rsets_per_session", 0, "a whole number from 1 to 100000"),
        ("max_connections_per_prefix", 0, "a whole number from 1 to 100000"),
        ("prefix_length_v4", 33, "a prefix length from 8 to 32"),
        ("prefix_length_v6", 8, "a prefix length from 16 to 128"),
        ("trusted_peers", ["gateway.kommune.example"], "IP addresses or networks"),
        ("trusted_peers", "192.0.2.25", "a list of IP addresses or networks"),
        ("reserved_connections", -1, "a whole number from 0 to max_connections - 1"),
    ],
)
def test_limit_setting_errors_name_the_file_key_and_range(setting: str, value: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        SmtpListenerConfig.from_table({"accept_recipients": ["@kommune.dk"], setting: value}, "robot.toml")
    assert str(error.value).startswith(f"robot.toml: ingress.smtp.{setting}: {expected}")


def test_reserved_slots_must_leave_room_when_trusted_peers_are_named() -> None:
    table = {"accept_recipients": ["@kommune.dk"], "max_connections": 10, "trusted_peers": ["192.0.2.25"]}
    with pytest.raises(ConfigError) as error:
        SmtpListenerConfig.from_table(table, "robot.toml")  # the default 10 reserved would leave nobody else a slot
    assert error.value.key == "ingress.smtp.reserved_connections" and "(9)" in str(error.value)
    SmtpListenerConfig.from_table({**table, "trusted_peers": []}, "robot.toml")  # without trusted peers: unused


def test_every_listener_setting_is_documented_in_the_example_config() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    missing = [f.name for f in fields(SmtpListenerConfig) if f.compare and f"# {f.name} = " not in example]
    assert missing == []
