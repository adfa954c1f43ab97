"""No full CPR number ever leaves through a log line, whatever shape it is handed in."""

import io
import logging
import re
from dataclasses import dataclass

import pytest
import structlog

from robot.log import configure_logging

FULL_CPR = re.compile(r"\d{6}[ \-\u2013\u00a0]?\d{4}")


@dataclass
class Holder:
    cpr: str


@pytest.fixture(params=["json", "console"])
def log_output(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    configure_logging(request.param, "DEBUG", stream=stream)
    yield stream
    structlog.contextvars.clear_contextvars()
    configure_logging("console", "INFO")


@pytest.mark.parametrize("cpr", ["010190-1017", "0101901017", "010190 1017", "010190\u20131017", "010190\u00a01017"])
def test_cpr_never_leaves_through_any_log_call(log_output: io.StringIO, cpr: str) -> None:
    log = structlog.get_logger("robot.test")
    structlog.contextvars.bind_contextvars(document=f"doc {cpr}")
    log.info(f"found {cpr}", cpr=cpr, nested={"list": [cpr, (cpr,)]}, raw=cpr.encode(), obj=Holder(cpr))
    log.warning("as number", cpr_number=101901017)  # 0101901017 lost its leading zero
    try:
        raise ValueError(f"bad input {cpr}")
    except ValueError:
        log.exception("failed")
    logging.getLogger("pypdf").warning("library says %s", cpr)
    logging.getLogger("pypdf").error("library raised", exc_info=RuntimeError(cpr))
    text = log_output.getvalue()
    assert "010190-xxxx" in text
    assert not FULL_CPR.search(text), text
    assert text.count("\n") >= 5  # every call did log something


def test_an_imap_uidvalidity_is_shown_as_the_server_gave_it(log_output: io.StringIO) -> None:
    """Operators compare UIDVALIDITY with the server's; it is a number the server assigns, not personal data."""
    log = structlog.get_logger("robot.test")
    log.info("imap_folder_selected", uidvalidity=1700000000)
    log.info("imap_folder_selected", uidvalidity="0101901017", note=1101901017, uids=[0o1, 101901017])
    first, second = log_output.getvalue().splitlines()[-2:]
    assert "1700000000" in first
    assert not FULL_CPR.search(second), second  # text under the key, and the number under other keys, are masked
