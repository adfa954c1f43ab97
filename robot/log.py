"""Logging set-up: structlog as JSON lines or console text, with every CPR number masked on the way out."""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from robot.privacy import mask_deep

LogFormat = Literal["json", "console"]


# Fields whose whole-number values are assigned by a server and are never personal: an IMAP folder's UIDVALIDITY
# is often a ten-digit Unix time, which the mask would otherwise print as "170000-xxxx", hiding it from operators
# who compare it with the server's. Only a top-level int under these keys passes; text under them is still masked.
SERVER_NUMBER_FIELDS = frozenset({"uidvalidity"})


def mask_cpr_processor(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask CPR-shaped numbers in every field, nested values and rendered exceptions included."""
    return {key: value if _server_number(key, value) else mask_deep(value) for key, value in event_dict.items()}


def _server_number(key: str, value: Any) -> bool:
    return key in SERVER_NUMBER_FIELDS and type(value) is int


class _CurrentStderr:
    """Whatever sys.stderr is at the time of writing (it may be replaced after logging is set up)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(log_format: LogFormat = "console", level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging through one masking chain to `stream` (default stderr)."""
    stream = stream or _CurrentStderr()  # type: ignore[assignment]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        mask_cpr_processor,  # last before rendering: sees the formatted exception too
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, mask_cpr_processor, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # aiosmtpd logs every SMTP command with peer and addresses at INFO; only its warnings are wanted
    logging.getLogger("mail.log").setLevel(max(numeric_level, logging.WARNING))
    # aioimaplib logs whole mails at DEBUG and every untagged response at INFO
    logging.getLogger("aioimaplib").setLevel(max(numeric_level, logging.WARNING))
    # APScheduler narrates every job it adds and runs at INFO; its warnings and job errors still show
    logging.getLogger("apscheduler").setLevel(max(numeric_level, logging.WARNING))
