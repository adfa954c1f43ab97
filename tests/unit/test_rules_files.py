"""check-rules: every problem in an operators' rule file is reported as file:line: message."""

import shutil
from pathlib import Path

import pytest

from robot.cli import main

RULES = Path(__file__).parents[2] / "rules"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def run_check(rules: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check-rules", "--rules", str(rules)])
    return code, capsys.readouterr().out.splitlines()


def test_shipped_rules_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_check(RULES, capsys)
    assert code == 0, out


def test_toml_syntax_error_names_file_and_line(rules_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = rules_copy / "blankets.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(9, 'broken = "no closing quote')
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out = run_check(rules_copy, capsys)
    assert code == 1
    assert out == [f"{path}:10: TOML syntax error: " + out[0].split("TOML syntax error: ", 1)[1]]


def test_schema_errors_each_on_their_own_line(rules_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = rules_copy / "blankets.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('code = "135"', 'code = "13S"')
    text = text.replace('title = "Generel helbredsattest"\nkind = "attest"', 'title = "Generel helbredsattest"\nkind = "atest"')
    text += '\n[[blanket]]\ncode = "125"\ntitle = "Dublet"\nkind = "attest"\ncolour = "red"\n'
    path.write_text(text, encoding="utf-8")
    code, out = run_check(rules_copy, capsys)
    lines = text.splitlines()
    assert code == 1
    by_message = {line.split(": ", 1)[1]: int(line.split(":")[1]) for line in out}
    bad_code = next(m for m in by_message if "three digits" in m)
    assert lines[by_message[bad_code] - 1] == 'code = "13S"'
    bad_kind = next(m for m in by_message if "'kind' must be one of" in m)
    assert lines[by_message[bad_kind] - 1] == 'kind = "atest"'
    twice = next(m for m in by_message if "listed twice" in m)
    assert lines[by_message[twice] - 1] == 'code = "125"' and by_message[twice] > len(lines) - 6
    unknown = next(m for m in by_message if "unknown key 'colour'" in m)
    assert lines[by_message[unknown] - 1] == 'colour = "red"'


def test_missing_and_stray_rule_files(rules_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (rules_copy / "blankets.toml").rename(rules_copy / "blanket.toml")
    code, out = run_check(rules_copy, capsys)
    assert code == 1
    assert f"{rules_copy / 'blankets.toml'}:0: required rule file is missing" in out
    assert any(line.startswith(f"{rules_copy / 'blanket.toml'}:1: unknown rule file") for line in out)
