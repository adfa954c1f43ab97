"""The CPR mask: every written form a CPR number is read in comes out as DDMMYY-xxxx; dates, times and hashes stay."""

from __future__ import annotations

import hashlib
import io

import pytest

from robot.privacy import MaskingStream, mask_cpr_text
from tests.cpr_scanner import full_cprs


@pytest.mark.parametrize("written", [
    "010190-1017", "0101901017", "010190 1017", "010190 - 1017", "01 01 90-1017", "01 01 90 1017", "01.01.90-1017",
    "010190\u20091017", "010190\u202f\u2013\u202f1017", "0 1 0 1 9 0 1 0 1 7", "0 1 0 1 9 0 - 1 0 1 7",
    "010190/1017", "0101\u200b901017", "01.01.1990-1017", "01.01.1990 1017", "610190-1017",
])
@pytest.mark.parametrize("around", ["{}", "LÆ125_{}.pdf", "<{}@rn.dk>", "Vedr. {}, tak", "konto 1234 {}"])
def test_every_written_form_is_masked(written: str, around: str) -> None:
    text = around.format(written)
    masked = mask_cpr_text(text)
    assert full_cprs(masked) == [], masked
    assert "010190-xxxx" in masked or "610190-xxxx" in masked


@pytest.mark.parametrize("text", ["modtaget 06-12-2026 kl. 13:56", "2026-12-06T13:56:01.123456+00:00",
                                  "06.12.2026 13:56", "uidvalidity 1700000000", "tlf. 98 12 34 56",
                                  hashlib.sha256(b"0101901017").hexdigest() + "0101901017abc"])
def test_dates_times_phone_numbers_and_hashes_stay_readable(text: str) -> None:
    assert mask_cpr_text(text) == text


def test_masking_the_tail_of_a_longer_number_leaves_no_cpr_behind() -> None:
    masked = mask_cpr_text("Bankkonto: 2011 1812181234")
    assert full_cprs(masked) == [] and masked.endswith("-xxxx")


def test_the_masking_stream_masks_whatever_is_printed_through_it() -> None:
    out = io.StringIO()
    print('{"attachment": "LÆ125_01 01 90-1017.pdf"}', file=MaskingStream(out))  # type: ignore[arg-type]
    assert out.getvalue() == '{"attachment": "LÆ125_010190-xxxx.pdf"}\n'


def test_a_case_is_named_by_the_number_people_read_and_never_by_a_cpr_in_its_title() -> None:
    from robot.model import Case
    from robot.privacy import case_title

    assert case_title(Case("4711", "sygedagpenge", "open", title="32.18.00-G01-12-26")) == "32.18.00-G01-12-26"
    assert case_title(Case("SD-1001", "sygedagpenge", "open", title="SD-1001")) is None  # the id is the number
    assert case_title(Case("SD-1001", "sygedagpenge", "open")) is None
    assert case_title(Case("9", "x", "open", title="Sygedagpenge 220487-0503")) == "Sygedagpenge 220487-xxxx"
    assert case_title(None) is None
