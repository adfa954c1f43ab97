"""The form reader: the heading wins, spellings vary, references and receipts are not the form."""

from pathlib import Path

import pytest

from robot.rules.catalogue import load_catalogue
from robot.extract.blanket import find_blanket
from robot.model import FormField, Reason
from tests.content import page_text, pages

CATALOGUE = load_catalogue(Path(__file__).parents[2] / "rules" / "blankets.toml")


def form_of(*lines: str) -> tuple[str | None, str | None, Reason | None]:
    result = find_blanket(page_text(*lines), CATALOGUE)
    return result.code, result.kind, result.reason


@pytest.mark.parametrize("spelling", ["LÆ 125", "LÆ125", "LÆ-125", "Læ 125", "LAE 125", "lae125", "L.Æ. 125", "LÆ – 125"])
def test_every_spelling_of_a_form_code(spelling: str) -> None:
    assert form_of("Region Nordjylland", f"{spelling} Statusattest", "CPR-nr.: 010190-1017") == ("125", "attest", None)


def test_code_split_over_a_line_break() -> None:
    assert form_of("Psykiatrien Region Hovedstaden", "Lægeattest LÆ", "265 til rehabiliteringsteam") == (
        "265", "attest", None)


def test_heading_wins_over_later_mentions_in_sentences() -> None:
    body = ["LÆ 125 Statusattest"] + ["tekst"] * 20 + [
        "Borgeren har i foråret fået udfyldt LÆ 265 af egen læge.", "Oplysningerne supplerer LÆ 145 fra 20.03.2026."]
    assert form_of(*body) == ("125", "attest", None)


def test_footer_code_wins_over_a_sentence_in_the_heading() -> None:
    lines = ["Lægeattest", "CPR-nr. 010180-3989", "Der er samtidig udfyldt LÆ 285 til kommunen.", "tekst",
             "Afdeling for Depression og Angst LÆ 125 · Side 1/2"]
    assert form_of(*lines) == ("125", "attest", None)


def test_form_lines_that_disagree_are_ambiguous() -> None:
    assert form_of("LÆ 125 Statusattest", "tekst", "LÆ 285 - side 1 af 1") == (None, None, Reason.AMBIGUOUS_BLANKET)


def test_a_code_only_inside_a_sentence_is_a_cover_letter_not_a_form() -> None:
    lines = ["Følgebrev", "Hermed fremsendes statusattest (LÆ 125) vedrørende ovennævnte borger til orientering."]
    assert form_of(*lines) == (None, None, Reason.NO_BLANKET)


@pytest.mark.parametrize("lines", [["Lægeattest til rehabiliterings-", "team"], ["Specifik", "helbredsattest"]])
def test_title_wrapped_over_two_lines(lines: list[str]) -> None:
    assert form_of(*lines)[0] in ("265", "135")


def test_request_letter_naming_the_form_it_asks_for_is_a_request() -> None:
    lines = ["Anmodning om specifik helbredsattest Læ 131", "CPR-nr. 160197-3150",
             "Jobcentret beder om en specifik helbredsattest. Attesten udfyldes på", "blanket LÆ 135 og returneres."]
    assert form_of(*lines) == ("131", "anmodning", None)


def test_reference_to_another_form_is_not_the_form() -> None:
    assert form_of("Statusattest", "Som tidligere fremsendt LÆ 265 er borgeren ...") == ("125", "attest", None)
    assert form_of("Journalnotat", "tidligere fremsendt LÆ 265") == (None, None, Reason.NO_BLANKET)


def test_reference_split_over_lines_is_still_a_reference() -> None:
    assert form_of("Notat", "jf. tidligere fremsendte", "LÆ 265") == (None, None, Reason.NO_BLANKET)


def test_unknown_code_in_heading() -> None:
    assert form_of("LÆ 999 Særlig attest", "CPR: 010190-1017") == (None, None, Reason.UNKNOWN_BLANKET)


def test_no_code_no_title() -> None:
    assert form_of("Epikrise", "Patienten udskrives") == (None, None, Reason.NO_BLANKET)


def test_title_in_heading_identifies_the_form() -> None:
    assert form_of("Psykiatrisk afdeling", "Attest til sygedagpengeopfølgning") == ("285", "attest", None)


def test_longer_title_wins_over_the_shorter_one_inside_it() -> None:
    assert form_of("Anmodning om statusattest") == ("121", "anmodning", None)


def test_disagreeing_codes_outside_the_heading_are_ambiguous() -> None:
    body = ["Notat"] + ["tekst"] * 20 + ["Udfyldt på LÆ 125", "Udfyldt på LÆ 145"]
    assert form_of(*body) == (None, None, Reason.AMBIGUOUS_BLANKET)


def test_one_code_outside_the_heading_is_enough() -> None:
    body = ["Notat"] + ["tekst"] * 20 + ["Blanket LÆ 155 side 2"]
    assert form_of(*body) == ("155", "attest", None)


def test_receipt_is_a_kvittering_even_when_it_names_a_form() -> None:
    result = find_blanket(page_text("Kvittering for modtagelse", "Din LÆ 121 er afsendt"), CATALOGUE)
    assert (result.kind, result.code, result.reason, result.title) == ("kvittering", None, None, "Kvittering")
    assert [m.code for m in result.mentions] == ["121"]  # kept as evidence


def test_employer_documents_are_not_lae_forms() -> None:
    assert form_of("Mulighedserklæring", "Del 1") == (None, "andet", None)
    assert form_of("FRIATTEST", "Arbejdsgiver") == (None, "andet", None)


def test_request_forms_are_anmodning() -> None:
    assert form_of("LÆ 121 Anmodning om statusattest") == ("121", "anmodning", None)


def test_code_only_in_a_form_field() -> None:
    content = pages(fields=(FormField(name="blanket", label=None, value="LÆ 285"),))
    result = find_blanket(content, CATALOGUE)
    assert (result.code, result.mentions[0].evidence.source) == ("285", "field")


def test_mention_evidence_names_page_and_line() -> None:
    result = find_blanket(pages(["Region Syddanmark", "LÆ 135 Specifik helbredsattest"]), CATALOGUE)
    (mention,) = result.mentions
    assert (mention.evidence.page, mention.evidence.line, mention.heading, mention.reference) == (1, 2, True, False)


def test_every_catalogue_form_is_recognised_by_code() -> None:
    for code, blanket in CATALOGUE.blankets.items():
        assert form_of(f"LÆ {code}")[:2] == (code, blanket.kind)


@pytest.mark.parametrize("heading", ["Svar på anmodning af 12.03.2024 (LÆ 121)", "Jeres anmodning LÆ 121",
                                     "Anmodning modtaget: LÆ 121"])
def test_the_answered_request_in_the_heading_is_a_reference(heading: str) -> None:
    assert form_of("Region Midtjylland", heading, "LÆ 125 Statusattest") == ("125", "attest", None)
