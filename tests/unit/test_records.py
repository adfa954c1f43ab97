"""The typed records: one form representation, and outcomes logged as values rather than class names."""

from __future__ import annotations

import pytest

from robot.form import Form, form_of
from robot.model import Escalated, Filed, Reason, Retry
from robot.worker import logged_outcome


@pytest.mark.parametrize("written", ["125", "LÆ 125", " LÆ125", "LAE 125"])
def test_a_form_is_written_one_way_whatever_its_source(written: str) -> None:
    form = Form(written)
    assert form == "LÆ 125" and form.code == "125" and Form(form) == form and f"{form}" == "LÆ 125"


def test_no_form_is_none_and_an_empty_one_is_refused() -> None:
    assert form_of(None) is None and form_of("") is None
    with pytest.raises(ValueError):
        Form("LÆ ")


def test_outcomes_are_logged_as_the_ledgers_words() -> None:
    assert logged_outcome(Filed("SAG-1", "ref")) == "filed"
    assert logged_outcome(Filed("SAG-1", "ref", duplicate=True)) == "duplicate"
    assert logged_outcome(Escalated(Reason.NO_CASE, "x")) == "escalated"
    assert logged_outcome(Retry(60.0, "x")) == "retry"
    assert logged_outcome(None) == "unfinished"
