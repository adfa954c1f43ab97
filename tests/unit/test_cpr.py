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


WRITTEN_FORMS = ["010190-1017", "0101901017", "010190 1017", "010190\u20131017", "010190\u00a01017",
                 "010190 - 1017", "01 01 90-1017", "01 01 90 1017", "01.01.90-1017", "01.01.90 1017",
                 "010190\u20091017", "010190\u202f-\u202f1017", "0 1 0 1 9 0 1 0 1 7", "0 1 0 1 9 0 - 1 0 1 7",
                 "010190/1017", "01.01.1990-1017", "01-01-90-1017", "0101 90 1017"]
LABELS = ["CPR-nr.:", "Cpr. nr:", "CPR:", "Personnummer:", "cpr nr", "Person nr.", "CPR-nummer", "Pers.nr.",
          "Personnr.", "Borgerens CPR-nr.:", "Sikredes personnummer", "Personnummer (CPR):", "Vedr.:",
          "Patient: Anders Jensen,", "Pt.: Anders Jensen,", "Sygemeldte:", "Personal ID no.:"]


@pytest.mark.parametrize("written", WRITTEN_FORMS)
@pytest.mark.parametrize("label", LABELS)
def test_every_written_form_after_every_label_is_read(written: str, label: str) -> None:
    assert cpr_of("Statusattest", f"{label} {written}", "Med venlig hilsen") == (PATIENT, None)


@pytest.mark.parametrize("written", ["010190-1017", "010190 1017", "01.01.90-1017", "01 01 90 1017"])
def test_without_any_cpr_label_a_number_written_as_a_cpr_after_a_name_is_read(written: str) -> None:
    assert cpr_of("Statusattest", f"Anders Juul Jensen, {written}", "Med venlig hilsen") == (PATIENT, None)
    assert cpr_of("Statusattest", f"Jensen, Anders ({written})") == (PATIENT, None)


@pytest.mark.parametrize("line", ["0101901017", "Reference 010190-1017", "Statusattest 010190-1017"])
def test_without_a_label_or_a_name_a_number_never_names_the_patient(line: str) -> None:
    assert cpr_of("Statusattest", line)[0] is None


def test_in_a_document_with_a_cpr_label_an_unlabelled_number_only_blocks() -> None:
    # the patient's number is under its label; another valid birth date without one may be a person: it blocks
    assert cpr_of("CPR-nr.: 010190-1017", "Anders Jensen 120365-1038") == (None, Reason.AMBIGUOUS_CPR)
    # and it never stands in for a label whose value cannot be read
    assert cpr_of("CPR-nr.: 0101 90", "Anders Jensen 120365-1038")[0] is None


@pytest.mark.parametrize("value", ["0101 90", "01.01.1990", "010190-10170", "3102901234", "010190-1017-2",
                                   "01.01.1910-5017"])  # the last: the printed year is not the 7th digit's century
def test_a_cpr_label_whose_value_cannot_be_read_as_one_number_blocks(value: str) -> None:
    cpr, reason = cpr_of(f"CPR-nr.: {value}", "Vedr. Hans Jensen 120365-1038")
    assert cpr is None and reason in (Reason.INVALID_CPR, Reason.AMBIGUOUS_CPR)
    assert cpr_of(f"CPR-nr.: {value}") == (None, Reason.INVALID_CPR)


# ---------------------------------------------------------------- the classes issue 8 found (named regressions)


@pytest.mark.parametrize("relation", ["samlever", "far", "mor", "ægtefælle", "datter", "værge", "kontaktperson"])
def test_an_unusually_written_patient_number_never_lets_a_relatives_through(relation: str) -> None:
    # "Cpr. nr DD MM YY-SSSS" was invisible, and the relative's number on its "Pårørende" line was accepted
    lines = ("Statusattest", "Cpr. nr 01 01 90-1017", f"Pårørende Hans Jensen ({relation}), CPR 120365-1038")
    assert cpr_of(*lines) == (None, Reason.AMBIGUOUS_CPR)
    # and with the patient's number gone entirely, the relative's is still never the patient's
    assert cpr_of("Statusattest", f"Pårørende Hans Jensen ({relation}), CPR 120365-1038")[0] is None


@pytest.mark.parametrize("lines", [
    ("Pårørende", "Navn: Hans Jensen", "CPR-nr.: 120365-1038"),
    ("Nærmeste pårørende:", "Hans Jensen (far)", "Personnummer 120365-1038"),
    ("Navn: Hans Jensen", "CPR-nr.: 120365-1038", "Relation: far"),
    ("Patientens mor, Hanne Jensen,", "cpr.nr. 120365-1038, er orienteret."),
    ("Hans Jensen (ægtefælle)  120365-1038",),
    ("Kontaktperson: Hans Jensen, 120365-1038",),
])
def test_a_number_in_a_block_about_another_person_is_never_the_patients(lines: tuple[str, ...]) -> None:
    assert cpr_of("Statusattest", *lines)[0] is None
    assert cpr_of("Statusattest", "CPR-nr.: 010190-1017", *lines) == (None, Reason.AMBIGUOUS_CPR)


@pytest.mark.parametrize("decoy", [
    "Dokument-ID 1203651038", "Dokument-ID: 120365-1038", "Sag nr. 1203651038", "Henv.-ID: 1203651038",
    "Henvisnings-ID 1203651038", "Rekvisitions-ID: 1203651038", "Episode-ID: 1203651038", "Dok.nr.: 120365-1038",
    "Bankkonto: 1234 1203651038", "Reg.nr. 1234 Konto 1203651038", "Forløbsnummer 1203651038",
    "Besked-ID: 1203651038", "Vores ref.: 1203651038", "Bestillings-ID: 1203651038",
])
def test_identifiers_under_their_labels_neither_count_nor_block(decoy: str) -> None:
    assert passes_mod11(RELATIVE)
    assert cpr_of("Statusattest", "CPR-nr.: 01 01 90 1017", decoy) == (PATIENT, None)
    assert cpr_of("Statusattest", "CPR-nr.: 01 01 90-10", decoy)[0] is None  # unreadable: never the decoy


def test_a_number_split_over_a_line_break_is_read_whole() -> None:
    lines = ("Undertegnede har udfyldt attesten for Ida Brink Iversen, 01 01", "90-1017, på baggrund af journalen.")
    assert cpr_of("Statusattest", *lines) == (PATIENT, None)
    assert cpr_of("Statusattest", "CPR-nr.: 010190-", "1017") == (PATIENT, None)


def test_a_label_at_the_foot_of_a_page_takes_the_value_at_the_top_of_the_next() -> None:
    assert find_cpr(pages(["Statusattest", "CPR-nr.:"], ["010190-1017", "Anamnese"]), TODAY).cpr == PATIENT


def test_the_value_in_the_row_below_a_header_row() -> None:
    assert cpr_of("Navn  CPR-nr.  Adresse", "Anders Jensen  010190-1017  Vestergade 3, 9000 Aalborg") == (
        PATIENT, None)
    # two numbers in that row: neither is taken for the column's
    assert cpr_of("Navn  CPR-nr.  Adresse", "Anders Jensen  010190-1017  120365-1038") == (None, Reason.AMBIGUOUS_CPR)


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


def test_a_date_range_broken_after_its_dash_is_two_dates_not_a_number() -> None:
    # found by the sample with many date formats: "03.01.25-" / "17.01.25" once joined into a blocking number
    assert cpr_of("CPR-nr.: 010190-1017", "indlagt 03.01.25-", "17.01.25 · udskrevet d. 17/1 2025") == (PATIENT, None)


def test_a_label_at_a_page_foot_and_a_relatives_block_over_a_page_break() -> None:
    # found by Hypothesis: a label at the foot of page 1 with its value on page 2 was lost (the reader restarted
    # at each page); the same restart would have cut a relative's block at a page break
    assert find_cpr(pages(["Statusattest", "Pårørende", "Navn: Hans Jensen"], ["CPR-nr.: 120365-1038"]),
                    TODAY).cpr is None


# ---------------------------------------------------------------- classes a second blind corpus found (named)


@pytest.mark.parametrize("line", [
    "Ledsaget af Pernille Kjær-Olsen, cpr.nr. 120365-1038",
    "Oplysninger givet af Mikkel Østergaard, CPR 120365 1038",
    "Kontakt ved behov: Dorthe Thomsen (CPR nr. 120365 1038), tlf. 46 93 26 15",
    "Pårørende: Henrik Gulddal (plejefar), CPR nr. 120365-1038",
    "Pårørende: Ida Lund-Sørensen (ekskone), CPR 120365-1038",
    "Rikke Olsen (nabo), CPR nr. 120365-1038",
    "Tolk: Ahmad Hussein, cpr 120365-1038",
])
def test_a_companion_informant_or_contact_is_another_person(line: str) -> None:
    # the patient's own number is absent: the other person's must never stand in for it
    assert cpr_of("LÆ 125 Statusattest", "Patient Kasper Ærenlund", line)[0] is None


@pytest.mark.parametrize(("line", "why"), [
    ("ØSTERGAARD, Hanne Lund Cpr-nummer 01 01 90-1017 37 år", "the age after the number"),
    ("Holm-Jørgensen, Niels  010190 1017 01.01.1990 Åboulevarden 60", "a birth-date column after it"),
])
def test_a_value_followed_by_something_else_after_a_space(line: str, why: str) -> None:
    lines = ("Navn CPR nr Fødselsdato Adresse", line) if "Åboulevarden" in line else (line,)
    assert cpr_of(*lines) == (PATIENT, None), why


@pytest.mark.parametrize("line", ["Sygemeldt i perioden: 05.05.2024 - 07.08.2024", "Periode 08.04.25 - 15.07.25",
                                  "Indlagt: 10.01.2024 - 01.05.2024"])
def test_a_date_range_is_no_second_number(line: str) -> None:
    assert cpr_of("CPR-nr.: 010190-1017", line) == (PATIENT, None)


def test_an_identifier_in_a_footer_below_a_doctors_block_is_no_other_persons_number() -> None:
    lines = ("CPR-nr.: 010190-1017", "Med venlig hilsen", "Praktiserende læge Hans Hansen", "Ydernr. 123456")
    footer = ["Lægeklinikken Åbyhøj · Dok.nr. 120365-1038 · Side 2"]
    assert find_cpr(pages(list(lines), footer), TODAY).cpr == PATIENT


def test_a_label_wrapped_in_a_narrow_table_cell() -> None:
    assert cpr_of("Navn på", "patient", "Gulddal, Bodil", "Person", "nr.", "010190-", "1017", "Adresse") == (
        PATIENT, None)


def test_an_epj_banner_number_then_name_without_any_cpr_label() -> None:
    assert cpr_of("010190-1017 Mette Brødsgaard", "Statusattest", "Aalborg, den 12.03.2026") == (PATIENT, None)


def test_a_useless_field_name_takes_the_one_printed_label_without_a_value() -> None:
    content = pages(["Patientens navn Torben F. Møller", "Personnummer (CPR)", "Diagnose"],
                    fields=(FormField("Felt_4", None, "010190-1017"),))
    assert find_cpr(content, TODAY).cpr == PATIENT
    digits = tuple(FormField(f"Text{n + 1}", None, d) for n, d in enumerate(PATIENT))
    content = pages(["Patientens navn Tove Bækgaard", "Cpr-nummer -", "Svar på rekvisition LÆ 121 fra jobcentret."],
                    fields=digits)
    assert find_cpr(content, TODAY).cpr == PATIENT
    # two printed labels without a value: the field could be either's, so it is nobody's
    content = pages(["Personnummer", "Pårørendes CPR-nr.", "Diagnose"], fields=(FormField("Felt_4", None, "010190-1017"),))
    assert find_cpr(content, TODAY).cpr is None


# ---------------------------------------------------------------- classes a third blind corpus found (named)


def test_a_doctors_block_and_a_masked_patient_number() -> None:
    # the patient's number printed masked, the signing doctor's printed in full below: never the doctor's
    lines = ("Navn  Pt. cpr-nr.", "Lauritsen, Bjørn  150544-****", "Underskrivende læge: Jürgen Frandsen",
             "CPR-nr.: 010190-1017")
    assert cpr_of(*lines)[0] is None
    assert cpr_of("Lauritsen, Bjørn  010190-****", "CPR-nr.: 010190-1017") == (PATIENT, None)  # the same, masked
    assert cpr_of("Lægens CPR-nr.: 120365-1038", "CPR-nr.: 010190-1017") == (None, Reason.AMBIGUOUS_CPR)


def test_a_cpr_label_glued_to_the_name_before_it() -> None:
    # a text layer that lost a space: "FREJAPers.nr." is still a CPR label, not an identifier's
    assert cpr_of("Patient: LAURITSEN, FREJAPers.nr.: 09.08.92-1017") == ("0908921017", None)


def test_a_childs_number_with_a_four_digit_year_blocks() -> None:
    lines = ("CPR-nr.: 010190-1017", "Børn i husstanden: Bo Kjær Lauritsen (01.02.2000-4234)")
    assert cpr_of(*lines) == (None, Reason.AMBIGUOUS_CPR)


def test_a_doctor_in_a_sentence_or_a_column_taints_only_that_line() -> None:
    assert cpr_of("Navn  CPR-nr.  Egen læge", "Anders Jensen  010190-1017  Dr. Hansen") == (PATIENT, None)
    assert cpr_of("Journal: henvendelse fra egen læge", "MADSEN Ida - CPR 01.01.90-1017") == (PATIENT, None)


@pytest.mark.parametrize("header", [("CPR-", "nr."), ("Personnummer", "(CPR)"), ("CPR-num", "mer")])
def test_a_header_cell_wrapped_over_two_lines(header: tuple[str, str]) -> None:
    assert cpr_of("Navn", *header, "Anders Jensen  010190-1017  Vestergade 3") == (PATIENT, None)


def test_a_header_row_whose_value_stands_under_its_own_label_labels_nothing_further_down() -> None:
    # found by Hypothesis: "CPR-nr.:" / value, then a date range two lines down was taken for the column's value
    lines = ("CPR-nr.:", "010190-1017", "Statusattest udfyldt.", "Sygemeldt i perioden 01.01.2020 - 02.01.2020")
    assert cpr_of(*lines) == (PATIENT, None)


@pytest.mark.parametrize("rows", [
    ("Patient CPR Bopæl Egen læge Kommune", "Jensen, Helle Møller 01.01.90-", "1017", "Søndermarken 60,"),
    ("Patient Pers.nr. Bopæl Egen læge", "HANNE KROGH", "FRANDSEN", "010190-", "1017", "Havrevænget 15,"),
    ("Navn Personnummer/CPR-", "nr.", "Adresse", "Kløvedal, Camilla Bøgh 010190-1017 Rønnebærvej 49, 9990 Nordby"),
])
def test_a_table_row_wrapped_over_lines_below_its_header(rows: tuple[str, ...]) -> None:
    assert cpr_of("LÆ 105", *rows) == (PATIENT, None)


# ---------------------------------------------------------------- classes a fourth blind corpus found (named)


@pytest.mark.parametrize("value", ["******-****", "xxxxxx-xxxx", "110BB7-2337"])
def test_a_masked_or_garbled_patient_number_never_lets_another_through(value: str) -> None:
    lines = (f"Undertegnede har undersøgt Solveig Damgaard-Hansen, CPR-NR {value}, som er henvist",
             "Fuldmagtshaver: Per Vinther, CPR nr. 14-11-92-1038")
    assert cpr_of("LÆ 265", *lines)[0] is None
    doctor = ("Behandlende læge", "Navn: Hans Christian Mortensen", "cpr.nr. 120365-1038")
    assert cpr_of("LÆ 155", f"undersøgt Mette Juul Moeller, cpr.nr. {value}, som er", *doctor)[0] is None


@pytest.mark.parametrize("decoy", ["Modtaget i lab.: 160226 0745", "Taget: 141125 1030", "Udskrevet 060226 1412",
                                   "Reg.nr./kontonr.: 7229\n1203651038", "Kontakt-ID: 120365 1038"])
def test_dates_with_times_and_wrapped_accounts_are_no_numbers_of_persons(decoy: str) -> None:
    assert cpr_of("CPR-nr.: 010190-1017", *decoy.split("\n")) == (PATIENT, None)


def test_a_letterhead_naming_a_gp_heads_no_block_and_a_column_after_the_number_taints_nothing() -> None:
    assert cpr_of("Praktiserende læge Hanne Østergaard", "Hjørringvej 120", "CPR-nr.: 010190-1017") == (PATIENT, None)
    assert cpr_of("Vedr.: Mona Moeller, cpr-nr. 010190-10 17 Praktiserende læge: Hans Hansen") == (PATIENT, None)


def test_a_number_wrapped_inside_a_sentence_after_its_dash() -> None:
    assert cpr_of("Attesten vedrører Olsen, Fatima (Cprnr.010190", "-1017), der har været tilknyttet") == (
        PATIENT, None)


def test_a_number_ending_the_line_above_does_not_label_a_patients_banner() -> None:
    # found by Hypothesis: "Tlf.: 20000000" above a banner "<number> <name>" made the banner's number a phone
    # number's continuation, and a second patient's labelled number below was then taken
    lines = ("Tlf.: 20000000", "010190-1017 Anders Jensen", "LÆ 125", "CPR-nr.: 120365-1038")
    assert cpr_of(*lines) == (None, Reason.AMBIGUOUS_CPR)
    assert cpr_of("LÆ 125", "Tlf.: 20000000", "010190-1017 Anders Jensen") == (PATIENT, None)


def test_a_table_of_relations_below_a_valueless_patient_label() -> None:
    # a fourth blind corpus: the patient's "Personnr.:" has no value; the table above lists a sister-in-law
    lines = ("Attesten vedrører", "Relation Navn CPR-nr.", "Svigerinde Ingrid Lykke-Sørensen 120365-1038",
             "Borgerens navn: Fatima Højgaard Madsen", "Personnr.:")
    assert cpr_of("Lægeattest til rehabiliteringsteam", *lines)[0] is None


@pytest.mark.parametrize("name", ["Ingrid", "Astrid", "David", "Sigrid", "INGRID", "DAVID"])
def test_a_name_ending_in_id_is_no_identifiers_label(name: str) -> None:
    # a name right before the number ("Vedr.: Anders David 010190-1017") once read as an "...id" label
    assert cpr_of(f"Vedr.: Anders {name} 010190-1017") == (PATIENT, None)
    assert cpr_of("Statusattest", f"Hanne {name} (010190-1017)") == (PATIENT, None)


OTHER_PERSON_WORDS = (
    "pårørende", "Paaroerende", "far", "faren", "fader", "mor", "moren", "moder", "forælder", "forældre", "foraeldre",
    "ægtefælle", "aegtefaelle", "ægtemand", "hustru", "samlever", "kæreste", "kaereste", "partner", "barn", "barnet",
    "børn", "boern", "søn", "soen", "datter", "døtre", "doetre", "bror", "broder", "søster", "soester", "søskende",
    "barnebarn", "bedstefar", "bedstemor", "bedsteforældre", "svigerinde", "svigerfar", "svoger", "svægerinde",
    "familiemedlem", "værge", "vaerge", "bisidder", "kontaktperson", "henviser:", "medpatient", "anden person",
    "plejefar", "plejemor", "plejeforældre", "plejebarn", "eksmand", "ekskone", "eks-ægtefælle", "nabo", "ven",
    "veninde", "ledsager", "Ledsaget af", "tolk", "kontakt ved behov", "kontaktes", "givet af", "oplyst af",
    "meddelt af", "fortalt af", "informant", "fuldmægtig", "Fuldmagtshaver", "partsrepræsentant", "repræsentant",
    "advokat", "egen læge", "Praktiserende læge", "behandlende læge", "henvisende læge", "underskrivende læge",
    "attesterende læge", "ansvarlig læge", "vagthavende overlæge", "udfyldende læge", "tilsynsførende læge",
    "Lægens CPR-nr.", "attestudsteder", "PÅRØRENDE", "SVIGERINDE", "Barns CPR-nr.", "barnefar", "Mandens CPR",
    "Ejerens personnummer", "Jens Andersens CPR-nr.",
)


@pytest.mark.parametrize("word", OTHER_PERSON_WORDS)
def test_every_word_naming_another_person_is_found_past_the_quick_filter(word: str) -> None:
    from robot.extract.cpr_labels import names_other_person
    assert names_other_person(f"Oplysninger: {word} Hans Jensen") is not None


# ---------------------------------------------------------------- classes a fifth blind corpus found (named)


def test_a_childs_labelled_number_is_never_the_patients() -> None:
    # the patient's number is absent; "Barns CPR-nr." (the child's) was once accepted
    lines = ("Vedrørende", "Fødselsdato: 01.01.1990", "Navn: Mads Thomsen", "Barns CPR-nr.: 120365- 1038 (Tove Pedersen)")
    assert cpr_of("LÆ 265", *lines)[0] is None


@pytest.mark.parametrize("owner", ["Barns", "Mandens", "Ejerens", "Hans", "Jens Andersens"])
def test_a_cpr_label_owned_by_anyone_but_the_patient_blocks(owner: str) -> None:
    assert cpr_of("LÆ 265", f"{owner} CPR-nr.: 120365-1038") == (None, Reason.AMBIGUOUS_CPR)


@pytest.mark.parametrize("owner", ["Patientens", "Borgerens", "Ansøgers", "Personens", "Medarbejderens", "Navn: Mads Jens",
                                   "Vedr.: Niels Hans", "KJÆR-OLSEN, Anders", "Patientens navn: Larsen, Niels"])
def test_the_patients_own_cpr_label_or_a_name_ending_in_s_is_no_other_owner(owner: str) -> None:
    assert cpr_of("LÆ 265", f"{owner} CPR-nr.: 010190-1017") == (PATIENT, None)


def test_a_second_cpr_label_on_one_line_is_a_second_column() -> None:
    # "Patient | Kontaktperson" side by side: the patient's cell has no number, the contact person's has one
    lines = ("Patient Kontaktperson", "Navn: MORTENSEN Thomas Navn: Thomas Krogh Mortensen",
             "Patientens CPR-nr.: Se vedlagte CPR-nr.: 1203651038", "Adresse: Jyllandsgade 113")
    assert cpr_of("LÆ 265", *lines)[0] is None
    assert cpr_of("LÆ 265", "CPR-nr.: Se vedlagte CPR-nr.: 1203651038")[0] is None


def test_a_relation_cell_in_a_second_column_names_the_block_above() -> None:
    lines = ("Navn: Thomas Mortensen", "CPR-nr.: 1203651038", "Adresse: Jyllandsgade 113 Relation: mand")
    assert cpr_of("LÆ 265", *lines)[0] is None


LAB_TABLE = ("Dato Analyse Resultat Prøvenr.", "14.08.2020 P-Hæmoglobin 4.0 250906-7028",
             "02.03.2023 P-Litium 9.6 1404925699")


def test_numbers_in_an_identifier_column_are_identifiers() -> None:
    assert cpr_of("Personnummer: 010190-1017", *LAB_TABLE, "Prognosen er usikker.") == (PATIENT, None)
    grid = ("Kontakt-ID: Rekv.nr. Fravær: Sygemeldt i perioden", "1807910875 0307687828 310720 - 080620")
    assert cpr_of("Vedr.: Bent Lykke (CPR-nr. 010190-1017)", *grid) == (PATIENT, None)


@pytest.mark.parametrize("header", ["Dato Analyse Resultat", "Navn Prøvenr.", "CPR-nr. Navn: Prøvenr.",
                                    "Der henvises til journalnr. herunder"])
def test_a_header_without_an_identifier_column_or_naming_a_person_labels_nothing(header: str) -> None:
    assert cpr_of("Personnummer: 010190-1017", header, "14.08.2020 P-Hæmoglobin 4.0 1203651038")[0] is None


@pytest.mark.parametrize("row", ["Pårørende 1203651038", "Patient 1203651038", "Hans Jensen 1203651038",
                                 "1203651038 Hans Jensen", "CPR-nr.: 1203651038"])
def test_a_row_about_a_person_ends_an_identifier_table(row: str) -> None:
    assert cpr_of("Personnummer: 010190-1017", *LAB_TABLE, row)[0] is None


def test_an_identifier_table_ends_at_a_line_without_numbers() -> None:
    assert cpr_of("Personnummer: 010190-1017", *LAB_TABLE, "Prognosen er usikker.", "14.08.2020 1203651038")[0] \
        is None


@pytest.mark.parametrize("barcode", ["Stregkode: *120365-1038*", "Dok.-stregkode *120365-1038*"])
def test_a_barcodes_number_is_an_identifier(barcode: str) -> None:
    assert cpr_of("CPR-nr.: 010190-1017", barcode) == (PATIENT, None)


def test_a_heading_of_the_patients_own_data_names_the_patient() -> None:
    assert cpr_of("LAE 125", "Personoplysninger: Sofie Krogh Jensen (0101901017)") == (PATIENT, None)
