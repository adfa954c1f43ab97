"""Properties of the CPR reader over generated LÆ-like documents: never another person's number, always an escalation
when a second person's number is printed, and the patient read whenever it is written in a form people use.

`make test` runs 1,000 examples of each with a fixed seed (the `ci` profile); `make fuzz` runs the `fuzz` profile:
many more, randomly seeded. A counter-example Hypothesis finds becomes a named test in tests/unit/test_cpr.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from robot.extract.cpr import find_cpr
from tests.lae_documents import TODAY, Document, documents


@given(documents(), st.integers(0, 2**32))
def test_never_ok_with_someone_elses_number(document: Document, seed: int) -> None:
    result = find_cpr(document.content(seed), TODAY)
    assert result.cpr in (None, document.patient), _shown(document, seed)


@given(documents(relative=True), st.integers(0, 2**32))
def test_a_relatives_number_always_escalates(document: Document, seed: int) -> None:
    result = find_cpr(document.content(seed), TODAY)
    assert result.cpr is None, _shown(document, seed)


@given(documents(relative=True, absent=True), st.integers(0, 2**32))
def test_without_the_patients_number_another_persons_is_never_taken(document: Document, seed: int) -> None:
    result = find_cpr(document.content(seed), TODAY)
    assert result.cpr is None, _shown(document, seed)


@given(documents(relative=False, second=True), st.integers(0, 2**32))
def test_a_second_patient_always_escalates(document: Document, seed: int) -> None:
    result = find_cpr(document.content(seed), TODAY)
    assert result.cpr is None, _shown(document, seed)


@given(documents(relative=False, second=False), st.integers(0, 2**32))
def test_one_patient_in_a_written_form_people_use_is_read(document: Document, seed: int) -> None:
    result = find_cpr(document.content(seed), TODAY)
    assert (result.cpr, result.reason) == (document.patient, None), _shown(document, seed)


def _shown(document: Document, seed: int) -> str:
    content = document.content(seed)
    lines = [f"p{line.page} {line.text!r}" for line in content.lines]
    fields = [f"field {f.name}={f.value!r}" for f in content.fields]
    return "\n".join(["document:", *lines, *fields, f"patient {document.patient}, others {sorted(document.others)}"])


# A settings object for the slower rendered-PDF test: a share of the examples, through real producers.
RENDERED = settings(max_examples=60)
