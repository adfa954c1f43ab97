"""The request register: the ledger table and its migration, the rules (deadlines, reminders) and the case choice
a request may make, never past a check."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from robot.decisions.decide import OpenRequest, choose_case
from robot.decisions.rulebook import load_rulebook
from robot.decisions.templates import RenderRefused, load_templates
from robot.ledger.records import RecordError
from robot.ledger.request_records import NewRequest, RequestSource, RequestState
from robot.ledger.sqlite import SCHEMA_VERSION, SqliteLedger
from robot.model import Reason
from robot.rules.request_rules import Deadline, load_request_rules
from robot.rules.rulefile import RuleFileError
from tests.unit.test_decide import CERTIFICATE, PATIENT, RULES, case, extraction, letter, planned

REQUEST_FORMS = {"121", "131", "141", "221", "261", "281"}
SENDERS = {"Region Nordjylland", "Region Hovedstaden"}


def new_request(key: str = "document:1", case_id: str | None = "SD-1", sent_on: date = date(2036, 11, 20),
                deadline: date = date(2036, 12, 4)) -> NewRequest:
    return NewRequest(key=key, cpr=PATIENT, case_id=case_id, request_form="121", answer_form="125",
                      addressee="Region Nordjylland", sent_on=sent_on, deadline=deadline,
                      source=RequestSource.RECEIPT, notify_to=("anne@kommune.example",))


def test_a_request_is_learnt_once_answered_once_and_told_late_once(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    first = ledger.requests.register(new_request())
    assert ledger.requests.register(new_request()) == first  # the same receipt again: the same request
    assert [r.id for r in ledger.requests.open_for(PATIENT, answer_form="125")] == [first.id]
    assert ledger.requests.overdue(date(2036, 12, 4)) == []  # the deadline day itself is still in time
    assert [r.id for r in ledger.requests.overdue(date(2036, 12, 5))] == [first.id]
    assert ledger.requests.mark_overdue(first.id, datetime(2036, 12, 5, tzinfo=UTC))
    assert not ledger.requests.mark_overdue(first.id, datetime(2036, 12, 5, tzinfo=UTC))  # told once
    assert ledger.requests.overdue(date(2036, 12, 6)) == []
    assert ledger.requests.answer(first.id, 7, datetime(2036, 11, 27, 9, tzinfo=UTC))
    assert not ledger.requests.answer(first.id, 8, datetime(2036, 11, 28, tzinfo=UTC))
    answered = ledger.requests.get(first.id)
    assert (answered.state, answered.answered_by, answered.turnaround_days) == (RequestState.ANSWERED, 7, 7.0)
    second = ledger.requests.register(new_request("document:2"))
    assert ledger.requests.give_back(second.id, 9, datetime(2036, 11, 22, tzinfo=UTC))
    assert ledger.requests.get(second.id).state is RequestState.RETURNED
    assert ledger.requests.open_for(PATIENT) == []
    ledger.close()


def test_a_version_1_ledger_gains_the_register_and_keeps_its_mail(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SqliteLedger(path)
    message_id = ledger.accept(b"From: a@rn.dk\r\n\r\nhej\r\n", source="file").message_id
    ledger.close()
    with sqlite3.connect(path) as db:  # as a robot before the register left it
        db.execute("DROP TABLE requests")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    ledger = SqliteLedger(path)
    assert ledger.message(message_id).raw is not None
    assert ledger.requests.register(new_request()).id == 1
    assert any(e.event == "schema_migrated" for e in ledger.audit_trail())
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)


def test_a_request_row_of_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    stored = ledger.requests.register(new_request())
    ledger.close()
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        db.execute("UPDATE requests SET version = 99")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    with pytest.raises(RecordError, match="newer"):
        ledger.requests.get(stored.id)
    ledger.close()


def test_deadlines_count_calendar_or_working_days() -> None:
    friday = date(2036, 11, 21)
    assert Deadline("121", 14).due(friday) == date(2036, 12, 5)
    assert Deadline("121", 10, "working").due(friday) == date(2036, 12, 5)  # two weekends skipped
    assert Deadline("121", 8, "working").due(date(2036, 11, 22)) == date(2036, 12, 3)  # sent on a Saturday


def test_the_shipped_rules_hold_the_pairs_and_the_defaults() -> None:
    rules = load_rulebook(RULES)
    assert rules.catalogue.request_pairs() == {"121": "125", "131": "135", "141": "145", "221": "225",
                                               "261": "265", "281": "285"}
    days = {form: rules.requests.deadline_for(form, None) for form in REQUEST_FORMS}
    assert {form: d.days for form, d in days.items() if d} == {"121": 14, "131": 30, "141": 30, "221": 14,
                                                               "261": 30, "281": 14}
    assert rules.requests.reminder_to("Region Nordjylland") is None  # reminders are off until turned on


def test_an_organisation_has_its_own_deadline_and_reminder(tmp_path: Path) -> None:
    path = tmp_path / "requests.toml"
    path.write_text("\n".join([*(f'[[deadline]]\nform = "{f}"\ndays = 14\n' for f in sorted(REQUEST_FORMS)),
                               '[[deadline]]\nform = "121"\norganisation = "Region Nordjylland"\ndays = 10\n'
                               'count = "working"\n',
                               '[[addressee]]\norganisation = "Region Nordjylland"\nreminder = true\n'
                               'reminder_to = "attester@rn.dk"\n']), encoding="utf-8")
    rules = load_request_rules(path, REQUEST_FORMS, SENDERS)
    assert rules.deadline_for("121", "Region Nordjylland") == Deadline("121", 10, "working", "Region Nordjylland")
    assert rules.deadline_for("121", "Region Hovedstaden") == Deadline("121", 14)
    assert rules.reminder_to("Region Nordjylland") == "attester@rn.dk"
    assert rules.reminder_to("Region Hovedstaden") is None


@pytest.mark.parametrize("text, line, message", [
    ('[[deadline]]\nform = "281"\ndays = 5\n', 3, "at least 8"),
    ('[[deadline]]\nform = "125"\ndays = 14\n', 2, "request form"),
    ('[[deadline]]\nform = "121"\ndays = 14\ncount = "bank"\n', 4, "'count'"),
    ('[[deadline]]\nform = "121"\ndays = 14\norganisation = "Lægehuset"\n', 4, "senders.toml"),
    ('[[addressee]]\norganisation = "Region Nordjylland"\nreminder = true\n', 3, "reminder_to"),
    ('frist = 3\n', 1, "unknown key"),
])
def test_check_rules_names_the_line_of_a_bad_request_rule(tmp_path: Path, text: str, line: int,
                                                           message: str) -> None:
    path = tmp_path / "requests.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_request_rules(path, REQUEST_FORMS, SENDERS)
    assert any(p.line == line and message in p.message for p in raised.value.problems), raised.value.problems


def test_a_request_answered_by_a_form_that_is_no_certificate_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    blankets = target / "blankets.toml"
    blankets.write_text(blankets.read_text(encoding="utf-8").replace('answer = "125"', 'answer = "131"'),
                        encoding="utf-8")
    with pytest.raises(RuleFileError, match="no certificate"):
        load_rulebook(target)


TWO_CASES = [case("SD-1"), case("JA-2", "jobafklaring")]


def test_one_open_request_chooses_between_two_open_cases() -> None:
    extracted = extraction(*CERTIFICATE)
    decision = choose_case(planned(extracted=extracted), TWO_CASES, extracted.content,
                           requests=[OpenRequest(4, "JA-2")])
    assert decision.files and decision.case is not None and decision.case.case_id == "JA-2"
    assert decision.request_id == 4 and "matched request 4" in decision.explanation[-1]
    assert decision.stored().request_id == 4


def test_two_open_requests_in_different_cases_leave_it_ambiguous() -> None:
    extracted = extraction(*CERTIFICATE)
    decision = choose_case(planned(extracted=extracted), TWO_CASES, extracted.content,
                           requests=[OpenRequest(4, "JA-2"), OpenRequest(5, "SD-1")])
    assert decision.reason is Reason.AMBIGUOUS_CASE and decision.request_id is None


def test_a_request_from_a_case_that_cannot_receive_it_does_not_choose() -> None:
    extracted = extraction(*CERTIFICATE)
    decision = choose_case(planned(extracted=extracted), [case("SD-1"), case("JA-2", status="closed"),
                                                          case("FJ-3", "fleksjob")],
                           extracted.content, requests=[OpenRequest(4, "JA-2")])
    assert decision.reason is Reason.AMBIGUOUS_CASE


def test_a_request_never_overrides_a_cpr_conflict() -> None:
    extracted = extraction(*CERTIFICATE)
    conflicting = letter(subject="Attest vedr. 120365-1038")
    decision = choose_case(planned(conflicting, extracted), TWO_CASES, extracted.content,
                           requests=[OpenRequest(4, "JA-2")])
    assert decision.reason is Reason.CPR_CONFLICT and decision.request_id is None


def test_a_single_eligible_case_links_the_request_sent_from_it() -> None:
    extracted = extraction(*CERTIFICATE)
    decision = choose_case(planned(extracted=extracted), [case("SD-1")], extracted.content,
                           requests=[OpenRequest(4, "SD-1")])
    assert decision.files and decision.request_id == 4


REQUEST_VALUES = {"request_id": "3", "case_id": "SD-1", "form": "121", "answer_form": "125",
                  "form_title": "Statusattest", "addressee": "Region Nordjylland", "sent": "20-11-2036",
                  "deadline": "04-12-2036"}


@pytest.mark.parametrize("template", ["request_overdue", "request_returned", "request_reminder"])
def test_request_notices_refuse_a_cpr_in_any_value(template: str) -> None:
    templates = load_templates(RULES / "templates")
    subject, body = templates[template].render(**REQUEST_VALUES)
    assert "SD-1" in subject + body
    for key in [k for k in REQUEST_VALUES if templates[template].uses(k)]:
        with pytest.raises(RenderRefused, match="CPR"):
            templates[template].render(**{**REQUEST_VALUES, key: "x 010190-1017 y"})


def test_an_older_rule_folder_without_the_request_templates_still_loads(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    for name in ("request_overdue", "request_returned", "request_reminder"):
        (target / "templates" / f"{name}.txt").unlink()
    (target / "requests.toml").unlink()
    rules = load_rulebook(target)
    assert rules.requests.deadline_for("281", None) == Deadline("281", 14)
    subject, _ = rules.templates["request_reminder"].render(**REQUEST_VALUES)
    assert "LÆ 125" in subject


def test_turnaround_percentiles_are_nearest_rank() -> None:
    from robot.commands.request_report import percentile
    assert percentile([], 50) is None
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert percentile([float(day) for day in range(1, 11)], 90) == 9.0
    assert percentile([7.0], 90) == 7.0


def test_a_late_request_is_one_line_in_exactly_one_digest(tmp_path: Path) -> None:
    from robot.notify.digest import queue_digest
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    template = load_templates(RULES / "templates")["daily_digest"]
    day_one = datetime(2036, 12, 6, 7, tzinfo=UTC)
    assert not queue_digest(ledger, template, ("drift@kommune.example",), day_one)  # nothing to tell
    request = ledger.requests.register(new_request())
    ledger.requests.mark_overdue(request.id, day_one)
    assert queue_digest(ledger, template, ("drift@kommune.example",), day_one)
    later = ledger.requests.register(new_request("document:2"))
    ledger.requests.mark_overdue(later.id, day_one)
    assert queue_digest(ledger, template, ("drift@kommune.example",), day_one)  # today's is queued: left as it is
    day_two = datetime(2036, 12, 7, 7, tzinfo=UTC)
    assert queue_digest(ledger, template, ("drift@kommune.example",), day_two)
    assert not queue_digest(ledger, template, ("drift@kommune.example",), datetime(2036, 12, 8, 7, tzinfo=UTC))
    bodies = [n.body for n in ledger.due_notices(datetime(2100, 1, 1, tzinfo=UTC)) if n.kind == "digest"]
    assert len(bodies) == 2
    assert bodies[0].count("anmodning 1:") == 1 and "anmodning 2:" not in bodies[0]
    assert bodies[1].count("anmodning 2:") == 1 and "anmodning 1:" not in bodies[1]
    assert "I alt ubesvarede efter fristen: 2" in bodies[1]
    ledger.close()


def test_a_crash_while_queuing_a_late_requests_notices_leaves_nothing_half_told(tmp_path: Path) -> None:
    from robot.notify.request_notices import tell_overdue
    rules_folder = tmp_path / "rules"
    shutil.copytree(RULES, rules_folder)
    requests_file = rules_folder / "requests.toml"
    requests_file.write_text(requests_file.read_text(encoding="utf-8").replace("reminder = false", "reminder = true"),
                             encoding="utf-8")
    rules = load_rulebook(rules_folder)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    request = ledger.requests.register(new_request())
    now = datetime(2036, 12, 6, 8, tzinfo=UTC)
    queue = ledger.enqueue_notice

    def crash_at_the_reminder(key: str, *args: object) -> int:
        if key.startswith("request-reminder:"):
            raise OSError("the process died here")
        return queue(key, *args)  # type: ignore[arg-type]

    ledger.enqueue_notice = crash_at_the_reminder  # type: ignore[method-assign]
    with pytest.raises(OSError):
        tell_overdue(ledger, rules, ("drift@kommune.example",), now)
    assert ledger.due_notices(datetime(2100, 1, 1, tzinfo=UTC)) == []  # the caseworker notice went with the crash
    assert ledger.requests.get(request.id).overdue_at is None
    ledger.enqueue_notice = queue  # type: ignore[method-assign]
    assert tell_overdue(ledger, rules, ("drift@kommune.example",), now) == 1
    assert tell_overdue(ledger, rules, ("drift@kommune.example",), now) == 0
    notices = ledger.due_notices(datetime(2100, 1, 1, tzinfo=UTC))
    assert sorted(n.key for n in notices) == [f"request-overdue:{request.id}", f"request-reminder:{request.id}"]
    reminder = next(n for n in notices if n.kind == "reminder")
    assert reminder.recipients == ("laegeattester@rn.dk",) and "LÆ 125" in reminder.subject
    assert "SD-1" in reminder.body and PATIENT not in reminder.subject + reminder.body
    ledger.close()
