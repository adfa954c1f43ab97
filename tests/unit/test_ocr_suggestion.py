"""OCR's pieces: Tesseract's TSV read into lines and confidences, the suggestion drawn from them by the CPR and form
readers (two people, an impossible date or an unsure reading suggest no citizen), and the ledger's versioned record
that keeps the full CPR to itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robot.extract.document import read_people
from robot.extract.ocr import ocr_pdf, read_tsv
from robot.extract.suggestion import suggest
from robot.form import Form
from robot.ledger.records import Action, DecisionRecord, RecordError, decode_decision, encode_decision
from robot.ledger.suggestion_record import SuggestionRecord
from robot.model import NoSuggestion, OcrOptions, OcrReading, PdfContent, Reason
from robot.rules.catalogue import load_catalogue
from tests.pdf_factory import text_pdf

CATALOGUE = load_catalogue(Path(__file__).parents[2] / "rules" / "blankets.toml")
HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tsv(*lines: list[tuple[str, float]]) -> str:
    rows = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t"]
    for number, words in enumerate(lines, start=1):
        rows.append(f"4\t1\t1\t1\t{number}\t0\t0\t0\t10\t10\t-1\t")
        rows += [f"5\t1\t1\t1\t{number}\t{index}\t0\t0\t10\t10\t{conf}\t{word}"
                 for index, (word, conf) in enumerate(words, start=1)]
    return "\n".join(rows) + "\n"


def reading(*lines: list[tuple[str, float]]) -> OcrReading:
    text_lines, confidences = read_tsv(1, tsv(*lines))
    content = PdfContent(pages=1, lines=tuple(text_lines), engine="tesseract")
    return OcrReading(content=content, confidences=tuple(confidences), people=read_people(content), pages_read=1)


def words(text: str, confidence: float = 95.0) -> list[tuple[str, float]]:
    return [(word, confidence) for word in text.split()]


def test_tsv_words_become_lines_with_their_confidences_and_dashes_read_as_dashes() -> None:
    lines, confidences = read_tsv(2, tsv([("LÆ", 96.5), ("125", 91.0)], [("CPR-nr.:", 90.0), ("220487\u20130503", 88.0)]))
    assert [(line.page, line.line, line.text) for line in lines] == [(2, 1, "LÆ 125"), (2, 2, "CPR-nr.: 220487-0503")]
    assert confidences == [(96.5, 91.0), (90.0, 88.0)]


def test_a_clear_certificate_suggests_its_citizen_and_form_with_their_confidences() -> None:
    ocr, suggestion = suggest(reading(words("LÆ 125 Statusattest"), words("Navn: Peter Holm"),
                                      words("CPR-nr.:", 90) + [("220487-0503", 84.0)]), CATALOGUE)
    assert (suggestion.cpr, suggestion.cpr_confidence, suggestion.form, suggestion.form_confidence) == (
        "2204870503", 84, "125", 95)
    assert suggestion.missing == (NoSuggestion.NO_CASE,)  # the case is the decide stage's to find
    assert ocr is not None and ocr.cpr is not None and ocr.cpr.cpr == "2204870503"


@pytest.mark.parametrize(("lines", "missing"), [
    ([words("LÆ 125 Statusattest"), words("CPR-nr.: 220487-0503"), words("Pårørende: Hanne Lund"),
      words("CPR-nr.: 171063-0883")], NoSuggestion.TWO_PEOPLE),
    ([words("LÆ 125 Statusattest"), words("CPR-nr.: 320487-0503")], NoSuggestion.CPR_INVALID),
])
def test_two_people_or_an_impossible_date_suggest_nothing(lines: list[list[tuple[str, float]]],
                                                           missing: NoSuggestion) -> None:
    ocr, suggestion = suggest(reading(*lines), CATALOGUE)
    assert ocr is None and suggestion.empty and suggestion.missing == (missing,)


def test_a_cpr_read_with_little_confidence_is_not_suggested() -> None:
    ocr, suggestion = suggest(reading(words("LÆ 125 Statusattest"), words("CPR-nr.:") + [("220487-0503", 41.0)]),
                              CATALOGUE)
    assert (ocr, suggestion.cpr, suggestion.form) == (None, None, "125")
    assert NoSuggestion.UNSURE_CPR in suggestion.missing


def test_a_failed_reading_names_its_failure() -> None:
    _, suggestion = suggest(OcrReading(failure="ocr_timeout", detail="past 1 s"), CATALOGUE)
    assert suggestion.empty and suggestion.missing == (NoSuggestion.OCR_TIMEOUT,)


def test_without_the_program_the_reading_says_so() -> None:
    read = ocr_pdf(text_pdf(), OcrOptions(), read_people, tesseract="no-such-tesseract")
    assert (read.failure, read.content) == (NoSuggestion.TESSERACT_MISSING.value, None)


def test_the_ledger_keeps_the_full_cpr_and_shows_it_masked() -> None:
    record = DecisionRecord(action=Action.ESCALATE, reason=Reason.NO_TEXT_LAYER, suggestion=SuggestionRecord(
        cpr="2204870503", cpr_confidence=92, form=Form("125"), form_title="Statusattest", form_confidence=93,
        case_id="SD-1001", missing=()))
    stored = encode_decision(record)
    assert json.loads(stored)["suggestion"]["cpr_digits"] == "2204870503"
    assert decode_decision(stored) == record
    shown = json.dumps(record.to_json())
    assert "2204870503" not in shown and '"cpr": "220487-xxxx"' in shown
    assert record.suggestion is not None and record.suggestion.acceptable


def test_a_newer_suggestion_format_is_refused_by_name() -> None:
    stored = json.loads(encode_decision(DecisionRecord(action=Action.ESCALATE, suggestion=SuggestionRecord())))
    stored["suggestion"]["version"] = 99
    with pytest.raises(RecordError, match="suggestion format 99 is newer"):
        decode_decision(json.dumps(stored))
