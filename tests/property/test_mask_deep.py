"""mask_deep's shortcut for plain data changes nothing: property tests against masking every value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from robot.privacy import _mask_deep, mask_deep

DIGITISH = st.text(alphabet="0123456789 -./|\u00ad\u00a0\t\n#x", max_size=24)
TEXT = st.one_of(st.text(max_size=20), DIGITISH)
LEAF = st.one_of(TEXT, st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(),
                 st.integers(min_value=10**8, max_value=10**10), st.binary(max_size=12))
VALUE: st.SearchStrategy[Any] = st.recursive(
    LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                  st.dictionaries(TEXT, inner, max_size=4)), max_leaves=20)


@given(VALUE)
def test_the_shortcut_gives_what_masking_every_value_gives(value: Any) -> None:
    assert mask_deep(value) == _mask_deep(value)


@given(st.lists(DIGITISH, min_size=2, max_size=6))
def test_no_ten_digit_run_is_made_across_two_strings(parts: list[str]) -> None:
    """Strings are checked joined: digits at the end of one and the start of the next must not read as one CPR."""
    assert mask_deep(parts) == [_mask_deep(part) for part in parts]


def test_a_cpr_in_a_nested_value_is_masked() -> None:
    record = {"evidence": {"lines": ["Patient", ("CPR-nr.", "010203-1234")]}, "count": 3}
    assert mask_deep(record) == {"evidence": {"lines": ["Patient", ("CPR-nr.", "010203-xxxx")]}, "count": 3}
