"""The pipeline as a table: every received mail passes these stages in order, each with one job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from robot.stages.acknowledge import acknowledge
from robot.stages.decide import decide
from robot.stages.extract import extract
from robot.stages.file import file
from robot.stages.notify import notify
from robot.stages.parse import parse
from robot.stages.work import MessageWork, Services

Stage = Callable[[MessageWork, Services], Awaitable[None]]

STAGES: tuple[Stage, ...] = (parse, extract, decide, file, acknowledge, notify)
# What still runs when a stage failed and the remaining documents were escalated (internal_error).
AFTER_FAILURE: tuple[Stage, ...] = (acknowledge, notify)
