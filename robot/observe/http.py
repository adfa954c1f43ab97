"""A tiny local HTTP endpoint for /healthz (JSON; 200 when ok, 503 when degraded or failing) and /metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from robot.observe.metrics import Metrics

log = structlog.get_logger(__name__)

_REQUEST_TIMEOUT = 5.0


@dataclass(frozen=True)
class HealthReport:
    """What was checked, in words, and the problems found: `failing` ones stop the robot's work (no ledger, no
    worker), `degraded` ones need a person while it works on (archive refused, rules or register refused, disk
    nearly full, a mailbox disconnected, notices not sent, files readable by too many)."""

    checks: dict[str, str] = field(default_factory=dict)
    failing: tuple[str, ...] = ()
    degraded: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        """"ok", "degraded" or "failing"."""
        return "failing" if self.failing else "degraded" if self.degraded else "ok"

    @property
    def ok(self) -> bool:
        return not (self.failing or self.degraded)


class ObservabilityServer:
    """GET only; everything else is 404/405. Bound to a configured (normally loopback) address."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: Callable[[], Awaitable[HealthReport]]):
        self._host, self._port = host, port
        self._metrics, self._health = metrics, health
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _REQUEST_TIMEOUT)
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            status, content_type, body = await self._answer(method, path.split("?", 1)[0])
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, content_type, body = "400 Bad Request", "text/plain", b"bad request\n"
        try:
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode("latin-1") + body)
            await writer.drain()
        except ConnectionError:
            log.debug("observability_client_gone")
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method != "GET":
            return "405 Method Not Allowed", "text/plain", b"GET only\n"
        if path == "/metrics":
            return "200 OK", "text/plain; version=0.0.4", self._metrics.render()
        if path == "/healthz":
            report = await self._health()
            body = json.dumps({"status": report.state, "problems": [*report.failing, *report.degraded],
                               "checks": report.checks}).encode()
            return ("200 OK" if report.ok else "503 Service Unavailable"), "application/json", body + b"\n"
        return "404 Not Found", "text/plain", b"not found\n"
