"""The CPR reader: one patient CPR or a named reason; look-alike numbers never count."""

from datetime import date

import pytest

from robot.extract.cpr import birth_date, century, find_cpr, passes_mod11
from robot.model import CprVerdict, FormField, Reason
from tests.content import page_text, pages

TODAY = date(2026, 11, 23)
PATIENT = "0101901017"  # 1 Jan 1990, passes modulus 11
RELATIVE = "1203651038"  # 12 Mar 1965, passes modulus 11


def cpr_of(*lines: str) -> tuple[str | None, Reason | None]:
    result = find_cpr(page_text(*lines), TODAY)
    return result.cpr, result.reason


def test_fixtures_are_what_they_claim() -> None:
    assert passes_mod11(PATIENT) and passes_mod11(RELATIVE)


@pytest.mark.parametrize("written", ["010190-1017", "0101901017", "010190 1017", "010190\u20131017", "010190\u00a01017"])
@pytest.mark.parametrize("label", ["CPR-nr.:", "Cpr. nr:", "CPR:", "Personnummer:", "cpr nr", "Person nr.", ""])
def test_every_spelling_of_one_cpr_is_found(written: str, label: str) -> None:
    assert cpr_of("Statusattest", f"{label} {written}".strip(), "Med venlig hilsen") == (PATIENT, None)


def test_same_number_twice_in_different_formats_is_one_person() -> None:
    assert cpr_of("CPR: 010190-1017", "side 2 - 0101901017") == (PATIENT, None)


def test_label_on_the_line_before_the_number() -> None:
    result = find_cpr(page_text("CPR-nr.", "0101104002"), TODAY)  # fails mod 11, born 2010
    assert result.cpr == "0101104002"
    assert result.candidates[0].evidence.label == "CPR-nr."


def test_post_2007_number_failing_modulus_11_is_not_vetoed() -> None:
    assert not passes_mod11("0101104002")
    assert cpr_of("CPR-nr.: 010110-4002") == ("0101104002", None)


def test_unlabelled_contiguous_number_failing_modulus_11_is_not_enough() -> None:
    cpr, reason = cpr_of("Vedrørende attest", "Reference 0101901234 til brug")
    assert (cpr, reason) == (None, Reason.NO_CPR)


@pytest.mark.parametrize(
    "line",
    [
        "Lokationsnummer: 5790000101901017",
        "EAN 5790001012345",
        "5790000101901017",
        "Tlf. 0101901017",
        "Telefon: 010190-1017",
        "CVR-nr. 0101901017",
        "P-nummer: 0101901017",
        "P-nr. 1012345678",
        "Reg.nr. 1234 Kontonr. 0101901017",
        "Konto 1234-0101901017",
        "Kontonummer: 0101901017",
        "Journalnr. 27.12.08-G01-1234-22",
        "J.nr. 0101901017",
        "Sagsnr.: 010190-1017",
        "Ydernummer 012345",
        "Dato: 01.01.1990 kl. 12:39",
        "+45 0101901017",
        "Beløb 0101901017,50 kr",
        "27.12.08-0101901017",
    ],
)
def test_numbers_that_only_look_like_a_cpr_are_not_one(line: str) -> None:
    assert cpr_of("Statusattest", line) == (None, Reason.NO_CPR)


def test_the_real_cpr_survives_among_look_alikes() -> None:
    cpr, reason = cpr_of(
        "LÆ 125 Statusattest",
        "Lokationsnummer: 5790001203651038",
        "CPR-nr.: 010190-1017",
        "Tlf. 12345678  CVR 12345678  P-nr. 1203651038",
        "Reg.nr. 1234 Kontonr. 1203651038",
    )
    assert (cpr, reason) == (PATIENT, None)


def test_relative_cpr_makes_it_ambiguous() -> None:
    cpr, reason = cpr_of("Patient CPR: 010190-1017", "Pårørende: mor, CPR 120365-1038")
    assert (cpr, reason) == (None, Reason.AMBIGUOUS_CPR)


def test_two_patients_make_it_ambiguous_even_unlabelled() -> None:
    assert cpr_of("010190-1017 Jens", "120365-1038 Hanne") == (None, Reason.AMBIGUOUS_CPR)


def test_a_doubtful_second_number_blocks_the_first() -> None:
    # ten digits with a valid date failing mod 11, unlabelled: may be a person, so it blocks
    assert cpr_of("CPR: 010190-1017", "Bemærk 0202021234") == (None, Reason.AMBIGUOUS_CPR)


def test_labelled_number_with_impossible_date_is_invalid_cpr() -> None:
    assert cpr_of("CPR-nr.: 310290-1234") == (None, Reason.INVALID_CPR)


def test_labelled_invalid_number_beside_a_valid_one_blocks() -> None:
    assert cpr_of("CPR-nr.: 310290-1234", "Vedr. 010190-1017") == (None, Reason.AMBIGUOUS_CPR)


def test_no_number_at_all() -> None:
    assert cpr_of("Statusattest", "Ingen oplysninger") == (None, Reason.NO_CPR)


def test_cpr_only_in_a_form_field() -> None:
    content = pages(fields=(FormField(name="Personnummer", label=None, value="010190-1017"),))
    result = find_cpr(content, TODAY)
    assert result.cpr == PATIENT
    assert result.candidates[0].evidence.source == "field"
    assert result.candidates[0].evidence.field == "Personnummer"


def test_field_named_as_phone_is_not_a_cpr() -> None:
    content = pages(fields=(FormField(name="telefon", label="Telefon", value="0101901017"),))
    assert find_cpr(content, TODAY).reason is Reason.NO_CPR


def test_substitute_number_counts_only_with_a_label() -> None:
    # day 61 = 1st + 60
    assert cpr_of("Erstatnings-CPR: 610190-1234") == ("6101901234", None)
    assert cpr_of("Bemærk 610190-1234") == (None, Reason.NO_CPR)


def test_evidence_says_where_and_why() -> None:
    result = find_cpr(pages(["Statusattest"], ["Noget", "CPR-nr.: 010190-1017"]), TODAY)
    (candidate,) = result.candidates
    assert (candidate.evidence.page, candidate.evidence.line, candidate.evidence.label) == (2, 2, "CPR-nr.")
    assert candidate.verdict is CprVerdict.ACCEPTED and candidate.mod11 and candidate.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    ("digits", "born"),
    [
        ("0101901017", date(1990, 1, 1)),
        ("0101104002", date(2010, 1, 1)),  # 7th digit 4, year 10 -> 2010
        ("0101504002", date(1950, 1, 1)),  # 7th digit 4, year 50 -> 1950
        ("0101109002", date(2010, 1, 1)),
        ("0101605002", date(1860, 1, 1)),  # 5-8 with 58-99 -> 1800s
        ("0101205002", date(2020, 1, 1)),
        ("0101405002", None),  # 5-8 with 37-57: not issued
        ("3002901234", None),  # 30 February
        ("0113901234", None),  # month 13
        ("0101305002", None),  # 2030: in the future
    ],
)
def test_century_rule_and_date_validity(digits: str, born: date | None) -> None:
    assert birth_date(digits, TODAY) == born


def test_century_table() -> None:
    assert [century(36, d) for d in range(10)] == [1900] * 4 + [2000] * 5 + [2000]
    assert [century(37, d) for d in range(10)] == [1900] * 4 + [1900] + [None] * 4 + [1900]
    assert [century(58, d) for d in range(10)] == [1900] * 4 + [1900] + [1800] * 4 + [1900]


def test_cpr_beside_a_street_number_blocks_a_relatives() -> None:
    # the patient's number is glued to the address column; it must not vanish and let the relative through
    lines = ("Boulevarden 13 010188-9851", "Pårørende (ægtefælle), CPR-nr. 0101790588")
    assert cpr_of(*lines) == (None, Reason.AMBIGUOUS_CPR)


def test_a_labelled_bank_account_behind_its_reg_number_does_not_block() -> None:
    assert cpr_of("CPR-nr. 010190-1017", "Honoraret bedes indbetalt på Reg.- og kontonr.: 4031 2805730008.") == (
        PATIENT, None)


def test_label_broken_at_its_hyphen_over_two_lines() -> None:
    assert cpr_of("CPR-nr. 010190-1017", "Arbejdsgiver A/S, CVR-nr. 71943619, P-", "nummer 2503763993") == (
        PATIENT, None)


def test_minus_sign_as_dash_is_read_and_masked() -> None:
    from robot.privacy import mask_cpr_text
    assert cpr_of("CPR\u2212nr. 010190\u22121017", "Pårørende, cpr. 120365 1038") == (None, Reason.AMBIGUOUS_CPR)
    assert mask_cpr_text("010190\u22121017") == "010190-xxxx"
