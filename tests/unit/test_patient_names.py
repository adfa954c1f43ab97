"""The second factor: the patient name a document prints beside the CPR, and its comparison with the name the case
system knows. Tolerant of order, middle names, case, hyphens, accents and æ/ae, ø/oe, å/aa; never of another name."""

from __future__ import annotations

from datetime import date

import pytest

from robot.decisions.names import check_names
from robot.name_match import names_match
from robot.extract.cpr import find_cpr
from robot.extract.patient_name import find_patient_names
from robot.model import Case, Evidence, FormField, PrintedName
from tests.content import page_text, pages

TODAY = date(2026, 11, 23)


def printed(*lines: str) -> list[str]:
    content = page_text(*lines)
    return [name.text for name in find_patient_names(content, find_cpr(content, TODAY))]


@pytest.mark.parametrize(("lines", "name"), [
    (("Navn: Anders Juul Jensen", "CPR-nr.: 010190-1017"), "Anders Juul Jensen"),
    (("Vedr.: Jensen, Anders, CPR-nr. 010190-1017",), "Anders Jensen"),
    (("Patient: ANDERS JENSEN", "Cpr. nr 01 01 90-1017"), "ANDERS JENSEN"),
    (("Anders Jensen (010190-1017)",), "Anders Jensen"),
    (("Navn og CPR-nr.: Anders Jensen, 010190-1017",), "Anders Jensen"),
    (("CPR-nr. og navn: 010190-1017 Anders Jensen",), "Anders Jensen"),
    (("Navn  CPR-nr.  Adresse", "Kristensen, Grethe  010190-1017  Østergade 31"), "Kristensen, Grethe"),
    (("Jeg har set Mikkel Emil Andersen (personnummer 010190-1017) i klinikken.",), "Mikkel Emil Andersen"),
    (("Attesten er udfyldt for Ida Brink Iversen, 01 01", "90-1017, på baggrund af journalen."), "Ida Brink Iversen"),
    (("Patient", "Navn (fulde)", "Karen Møller-Hansen", "CPR-nr.", "010190-1017"), "Karen Møller-Hansen"),
    (("Name Kasper Olsen", "Cpr-nr 010190-1017"), "Kasper Olsen"),
    (("Efternavn,", "fornavn:", "Skøtt, Line", "CPR: 010190-1017"), "Line Skøtt"),
    (("010190-1017 Kasper Olsen", "LÆ 105", "Cpr-nr 010190-1017"), "Kasper Olsen"),
    (("Vedr.: Mona Moeller, cpr-nr. 010190-1017 Praktiserende læge:", "Kim Dahl"), "Mona Moeller"),
    (("Navn: Mads Ågaard Person-nr. 010190-1017",), "Mads Ågaard"),
    # a fifth blind corpus: a banner under the signing doctor's line; a heading after the subject line
    (("CPR-nr.: 010190-1017", "Læge Ditte Mortensen", "0101901017 MORTENSEN, ANDERS"), "MORTENSEN ANDERS"),
    (("Vedrørende: 010190-1017 MERETE KLØVEDAL", "Vurdering"), "MERETE KLØVEDAL"),
    (("Attesten vedrører: Bøgh, Kåre (CPR-nr./personnr. 0101901017)",), "Bøgh, Kåre"),
    (("Undertegnede har d.d. undersøgt Morten Lykke, personnummer (cpr) 010190-", "1017, bosat"), "Morten Lykke"),
    (("Vedr. personnummer (cpr) 010190-1017 - Kåre Vinther Poulsen",), "Kåre Vinther Poulsen"),
    (("Vedr. borgerens cpr-nr. 010190 1017 - Ida Vinther Poulsen",), "Ida Vinther Poulsen"),
    (("Attesten vedrører: Åse LYKKE (Borgers cpr.nr. 010190- 1017)",), "Åse LYKKE"),
    (("LÆ 125", "010190 1017 Morten Winther Algade 71B, 3400 Hillerød"), "Morten Winther"),
    (("Attesten vedrører Fatima Larsen (Personal ID no. (CPR) 01.01.9", "0-1017), der har"), "Fatima Larsen"),
])
def test_the_name_beside_the_cpr_is_read(lines: tuple[str, ...], name: str) -> None:
    assert printed(*lines) == [name]


def test_a_relatives_name_is_not_the_patients() -> None:
    names = printed("Navn: Anders Jensen", "CPR-nr.: 010190-1017", "Pårørende", "Navn: Hans Jensen")
    assert names == ["Anders Jensen"]


def test_no_name_is_read_when_the_cpr_was_not_accepted() -> None:
    assert printed("Navn: Anders Jensen", "CPR-nr.: 010190-1017", "Pårørende: Hans Jensen (far), CPR 120365-1038") == []


def test_a_name_field_when_the_cpr_came_from_a_field() -> None:
    content = pages(["LÆ 125"], fields=(FormField("patient.navn", None, "Anders Jensen"),
                                        FormField("patient.cpr", None, "010190-1017")))
    assert [n.text for n in find_patient_names(content, find_cpr(content, TODAY))] == ["Anders Jensen"]


@pytest.mark.parametrize(("known", "shown"), [
    ("Anders Juul Jensen", "JENSEN, Anders"),
    ("Anders Jensen", "Anders Juul Jensen"),
    ("Søren Ærenlund Østergaard", "Soeren Aerenlund Oestergaard"),
    ("Åse Kjærsgaard", "Aase Kjaersgaard"),
    ("Fatima Al-Hassan", "Fatima Al Hassan"),
    ("José Müller", "Jose Muller"),
    ("Anders Jensen", "A. Jensen Anders"),
    ("Kristian Dahl Poulsen", "Kristian D. Poulsen"),
    ("Jens Würtz", "Jens Wuertz"),
    ("Jens Wuertz", "JENS WÜRTZ"),
    ("Nanna Østergaard Andersen", "Nanna Ø. Andersen"),
    ("FRØLICH, Mette", "Mette M. J. Frølich"),  # the shorter name omits the middle names the initials stand for
])
def test_names_that_are_the_same_person_match(known: str, shown: str) -> None:
    assert names_match(known, shown)


@pytest.mark.parametrize(("known", "shown"), [
    ("Anders Jensen", "Hans Jensen"),
    ("Anders Jensen", "Anders Hansen"),
    ("Anders Juul Jensen", "Anders Holm Jensen"),
    ("Anders Jensen", "Jensen"),
    ("Anders Jensen", "B. Jensen"),
    ("Anders K. Jensen", "Anders Juul Jensen"),
    ("Anders Juul Jensen", "Anders Jensen K."),
    ("Anders Jensen", ""),
])
def test_other_names_do_not_match(known: str, shown: str) -> None:
    assert not names_match(known, shown)


def _printed(text: str) -> PrintedName:
    return PrintedName(text, Evidence(source="text", snippet=text))


def test_the_check_is_off_without_a_name_in_the_case_system() -> None:
    assert check_names([Case("SD-1", "sygedagpenge", "open")], [_printed("Hans Jensen")]).matches is None


def test_the_check_refuses_a_missing_or_different_printed_name() -> None:
    cases = [Case("SD-1", "sygedagpenge", "open", citizen_name="Anders Jensen")]
    assert check_names(cases, []).matches is False
    assert check_names(cases, [_printed("Anders Jensen"), _printed("Hans Jensen")]).matches is False
    assert check_names(cases, [_printed("JENSEN, Anders")]).matches is True


def test_a_cpr_beside_another_name_than_the_documents_patient_escalates() -> None:
    from robot.decisions.rulebook import load_rulebook
    from robot.extract.document import analyse
    from robot.model import Reason
    from pathlib import Path

    catalogue = load_rulebook(Path(__file__).parents[2] / "rules").catalogue
    lines = ("LÆ 125 Statusattest", "Patient: Kasper Ærenlund", "Ved samtalen deltog Hanne Jensen, CPR-nr. 010190-1017")
    extraction = analyse(page_text(*lines), catalogue, TODAY)
    assert extraction.reason is Reason.AMBIGUOUS_CPR and "two different names" in extraction.detail
    same = analyse(page_text("LÆ 125 Statusattest", "Patient: JENSEN, Hanne", "Hanne Jensen, CPR-nr. 010190-1017"),
                   catalogue, TODAY)
    assert same.ok and [n.text for n in same.patient_names] == ["Hanne Jensen", "Hanne JENSEN"]


def test_a_number_split_over_a_line_break_is_masked_in_the_evidence() -> None:
    from robot.decisions.rulebook import load_rulebook
    from robot.extract.document import analyse
    from robot.extract.record import extraction_record
    from pathlib import Path
    from tests.cpr_scanner import full_cprs
    import json

    catalogue = load_rulebook(Path(__file__).parents[2] / "rules").catalogue
    content = page_text("LÆ 125 Statusattest", "Hermed attest vedrørende HUSSEIN, Rikke, CPR.nr. 010190-",
                        "1017, som er i behandling.")
    record = extraction_record("x.pdf", None, analyse(content, catalogue, TODAY), reveal_cpr=False)
    assert record["status"] == "ok" and full_cprs(json.dumps(record, ensure_ascii=False)) == []
