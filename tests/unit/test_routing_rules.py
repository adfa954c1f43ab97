"""Routes match first-match-wins and explain themselves; every mistake in routing.toml, senders.toml and the
templates is reported as file:line: message, and a notice that would carry a CPR is never rendered."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from robot.cli import main
from robot.rules.catalogue import load_catalogue
from robot.decisions.routing import Route, load_routing, match_route
from robot.rules.rulefile import RuleFileError
from robot.decisions.senders import load_senders
from robot.decisions.templates import PLACEHOLDERS, RenderRefused, load_templates

RULES = Path(__file__).parents[2] / "rules"
KNOWN_FORMS = set(load_catalogue(RULES / "blankets.toml").blankets)
KNOWN_SENDERS = {o.name for o in load_senders(RULES / "senders.toml").organisations}
CPR = "0101901017"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def routing_problems(path: Path) -> list[tuple[str, str]]:
    """Each problem as (the text of the line it points at, message)."""
    with pytest.raises(RuleFileError) as raised:
        load_routing(path, KNOWN_FORMS, KNOWN_SENDERS)
    lines = path.read_text(encoding="utf-8").splitlines()
    for problem in raised.value.problems:
        assert problem.file == str(path)
        assert 1 <= problem.line <= len(lines), problem
    return [(lines[p.line - 1].strip(), p.message) for p in raised.value.problems]


def senders_problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(RuleFileError) as raised:
        load_senders(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(lines[p.line - 1].strip(), p.message) for p in raised.value.problems]


def problem_at(problems: list[tuple[str, str]], fragment: str) -> str:
    """The line the one problem whose message holds `fragment` points at."""
    found = [line for line, message in problems if fragment in message]
    assert len(found) == 1, problems
    return found[0]


# ---------------------------------------------------------------- matching


OVERLAPPING = """
[[route]]
name = "165-til-menneske"
forms = ["165"]
action = "escalate"

[[route]]
name = "rn-statusattester"
forms = ["125"]
senders = ["Region Nordjylland"]
action = "escalate"

[[route]]
name = "alle-attester"
kinds = ["attest"]
forms = ["125", "165", "285"]
action = "file"
case_types = ["sygedagpenge"]
"""


def test_first_matching_route_decides_and_passed_over_routes_say_why(tmp_path: Path) -> None:
    routes = load_routing(write(tmp_path / "routing.toml", OVERLAPPING), KNOWN_FORMS, KNOWN_SENDERS)
    assert [r.name for r in routes] == ["165-til-menneske", "rn-statusattester", "alle-attester"]

    matched = match_route(routes, "125", "attest", "Region Nordjylland", None)
    assert matched.route is not None and matched.route.name == "rn-statusattester"
    assert matched.route.action == "escalate"  # the later filing route also matches, but comes too late
    assert matched.passed_over == (("165-til-menneske", "form '125' not in ['165']"),)

    matched = match_route(routes, "125", "attest", "Region Hovedstaden", None)
    assert matched.route is not None and matched.route.name == "alle-attester"
    assert matched.passed_over == (
        ("165-til-menneske", "form '125' not in ['165']"),
        ("rn-statusattester", "sender 'Region Hovedstaden' not in ['Region Nordjylland']"),
    )

    matched = match_route(routes, "165", "attest", "Region Nordjylland", None)
    assert matched.route is not None and matched.route.name == "165-til-menneske" and matched.passed_over == ()


def test_no_route_matches_lists_every_route_with_why(tmp_path: Path) -> None:
    routes = load_routing(write(tmp_path / "routing.toml", OVERLAPPING), KNOWN_FORMS, KNOWN_SENDERS)
    matched = match_route(routes, "121", "anmodning", "Region Syddanmark", None)
    assert matched.route is None
    assert [name for name, _ in matched.passed_over] == ["165-til-menneske", "rn-statusattester", "alle-attester"]
    assert matched.passed_over[2][1] == "form '121' not in ['125', '165', '285']"  # the first failing condition


def test_a_missing_value_does_not_match_a_route_that_names_values() -> None:
    route = Route(name="r", forms=("125",), action="escalate")
    assert route.mismatch(None, "attest", "Region Nordjylland", None) == "form None not in ['125']"


def test_empty_lists_match_anything() -> None:
    catch_all = Route(name="alt-til-menneske")
    assert catch_all.mismatch(None, None, None, None) is None
    assert catch_all.mismatch("285", "attest", "Region Syddanmark", "attester@kommune.example") is None
    assert match_route((catch_all,), None, None, None, None).route == catch_all


def test_keys_left_out_of_routing_toml_match_anything(tmp_path: Path) -> None:
    routes = load_routing(write(tmp_path / "routing.toml", """
        [[route]]
        name = "kun-mailbox"
        mailboxes = ["attester@kommune.example"]
        action = "escalate"
    """), KNOWN_FORMS, KNOWN_SENDERS)
    assert routes[0].mismatch("999", "andet", "Anyone", "attester@kommune.example") is None
    assert routes[0].mismatch("125", "attest", "Region Nordjylland", "post@kommune.example") is not None


def test_matching_ignores_case() -> None:
    route = Route(name="r", forms=("125",), kinds=("Attest",), senders=("region nordjylland",),
                  mailboxes=("Attester@Kommune.Example",), action="escalate")
    assert route.mismatch("125", "ATTEST", "Region Nordjylland", "attester@kommune.example") is None
    assert route.mismatch("125", "attest", "REGION NORDJYLLAND", "ATTESTER@KOMMUNE.EXAMPLE") is None
    assert route.mismatch("125", "attest", "Region Nordjylland", "post@kommune.example") is not None


def test_shipped_routing_files_statusattest_and_escalates_165() -> None:
    routes = load_routing(RULES / "routing.toml", KNOWN_FORMS, KNOWN_SENDERS)
    first = match_route(routes, "125", "attest", "Region Nordjylland", None).route
    assert first is not None and first.action == "file" and first.form_from_subject is False
    second = match_route(routes, "165", "attest", "Region Nordjylland", None).route
    assert second is not None and second.action == "escalate"
    assert match_route(routes, "121", "anmodning", "Region Nordjylland", None).route is None


# ---------------------------------------------------------------- routing.toml problems, each at its line


VALID_ROUTE = """
[[route]]
name = "a"
forms = ["125"]
action = "file"
case_types = ["sygedagpenge"]
"""


def test_valid_route_loads_with_its_defaults(tmp_path: Path) -> None:
    (route,) = load_routing(write(tmp_path / "routing.toml", VALID_ROUTE), KNOWN_FORMS, KNOWN_SENDERS)
    assert route == Route(name="a", forms=("125",), action="file", case_types=("sygedagpenge",),
                          notify="caseworker", team_mailbox=None, form_from_subject=False)


def test_unknown_key_in_a_route(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE + """
[[route]]
name = "b"
forms = ["285"]
colour = "red"
action = "escalate"
""")
    assert problem_at(routing_problems(path), "unknown key 'colour'") == 'colour = "red"'


def test_action_must_be_file_or_escalate(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE + """
[[route]]
name = "b"
forms = ["285"]
action = "archive"
""")
    assert problem_at(routing_problems(path), "'action' must be one of ['file', 'escalate']") == 'action = "archive"'


def test_filing_route_without_case_types(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE + """
[[route]]
name = "b"
forms = ["285"]
action = "file"
notify = "caseworker"
""")
    problems = routing_problems(path)
    assert problem_at(problems, "must name the 'case_types'") == 'action = "file"'
    # the line is the second route's, not the first's
    lines = path.read_text(encoding="utf-8").splitlines()
    with pytest.raises(RuleFileError) as raised:
        load_routing(path, KNOWN_FORMS, KNOWN_SENDERS)
    assert raised.value.problems[0].line == len(lines) - 1


def test_notify_team_without_team_mailbox(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE + """
[[route]]
name = "b"
forms = ["285"]
action = "file"
case_types = ["sygedagpenge"]
notify = "team"
""")
    assert problem_at(routing_problems(path), "needs a 'team_mailbox'") == 'notify = "team"'


def test_team_mailbox_must_be_an_address(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE.replace('action = "file"', 'action = "file"\nnotify = "team"\n'
                                                                'team_mailbox = "jobcenter-teamet"'))
    assert problem_at(routing_problems(path), "must be a mail address") == 'team_mailbox = "jobcenter-teamet"'


def test_unknown_form_code(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE.replace('forms = ["125"]', 'forms = ["125", "175"]'))
    assert problem_at(routing_problems(path), "form '175' is not in blankets.toml") == 'forms = ["125", "175"]'


def test_form_written_with_its_prefix_is_not_a_known_code(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE.replace('forms = ["125"]', 'forms = ["LÆ 125"]'))
    assert problem_at(routing_problems(path), "form 'LÆ 125' is not in blankets.toml") == 'forms = ["LÆ 125"]'


def test_unknown_sender_organisation(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml",
                 VALID_ROUTE.replace('action = "file"', 'senders = ["Region Nordjyland"]\naction = "file"'))
    line = problem_at(routing_problems(path), "sender 'Region Nordjyland' is no organisation in senders.toml")
    assert line == 'senders = ["Region Nordjyland"]'


def test_duplicate_route_name_points_at_the_second(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", VALID_ROUTE + "\n# en kopi\n" + VALID_ROUTE)
    with pytest.raises(RuleFileError) as raised:
        load_routing(path, KNOWN_FORMS, KNOWN_SENDERS)
    (problem,) = raised.value.problems
    assert problem.message == "route name 'a' is used twice"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1] == 'name = "a"'
    assert problem.line > lines.index('name = "a"') + 1  # the second occurrence, not the first


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", """
        [[route]]
        name = "a"
        forms = ["999"]
        action = "file"

        [[route]]
        name = "b"
        action = "drop"
        notify = "everyone"
    """)
    messages = [message for _, message in routing_problems(path)]
    assert len(messages) == 4, messages
    assert any("999" in m for m in messages) and any("case_types" in m for m in messages)
    assert any("'action'" in m for m in messages) and any("'notify'" in m for m in messages)


def test_unknown_kind_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml",
                 VALID_ROUTE.replace('forms = ["125"]', 'forms = ["125"]\nkinds = ["attester"]'))
    assert problem_at(routing_problems(path), "attester") == 'kinds = ["attester"]'


def test_misspelt_table_name_is_reported_at_its_header(tmp_path: Path) -> None:
    path = write(tmp_path / "routing.toml", "# Ruter\n" + VALID_ROUTE + "\n[[rute]]\nname = \"b\"\n")
    assert problem_at(routing_problems(path), "unknown key 'rute'") == "[[rute]]"


# ---------------------------------------------------------------- senders.toml problems


SENDERS = """
authserv_ids = ["mx.kommune.example"]

[[organisation]]
name = "Region Nordjylland"
domains = ["rn.dk"]

[[organisation]]
name = "Region Hovedstaden"
domains = ["regionh.dk"]
"""


@pytest.mark.parametrize("bad", ["https://rn.dk", "*.rn.dk", "rn dk", "rn", "@rn.dk", "rn.dк", "-rn.dk"])
def test_bad_domain_is_reported_at_its_line(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path / "senders.toml", SENDERS.replace('domains = ["regionh.dk"]',
                                                            f'domains = ["regionh.dk", "{bad}"]'))
    assert problem_at(senders_problems(path), "is not a domain name") == f'domains = ["regionh.dk", "{bad}"]'


def test_same_domain_under_two_organisations(tmp_path: Path) -> None:
    path = write(tmp_path / "senders.toml", SENDERS.replace('domains = ["regionh.dk"]',
                                                            'domains = ["regionh.dk", "RN.dk"]'))
    line = problem_at(senders_problems(path), "domain rn.dk is also listed under 'Region Nordjylland'")
    assert line == 'domains = ["regionh.dk", "RN.dk"]'


def test_require_dkim_without_authserv_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "senders.toml", SENDERS.replace('authserv_ids = ["mx.kommune.example"]', "")
                 .replace('domains = ["rn.dk"]', 'domains = ["rn.dk"]\nrequire_dkim = true'))
    problems = senders_problems(path)
    assert len(problems) == 1 and "requires DKIM" in problems[0][1]


def test_require_dkim_with_authserv_ids_is_valid(tmp_path: Path) -> None:
    path = write(tmp_path / "senders.toml", SENDERS.replace('domains = ["rn.dk"]',
                                                            'domains = ["rn.dk"]\nrequire_dkim = true'))
    organisation = load_senders(path).organisation_for("psykiatri.rn.dk")
    assert organisation is not None and organisation.require_dkim is True
    assert load_senders(path).authserv_ids == ("mx.kommune.example",)


def test_unknown_key_in_an_organisation(tmp_path: Path) -> None:
    path = write(tmp_path / "senders.toml", SENDERS.replace('domains = ["rn.dk"]',
                                                            'domains = ["rn.dk"]\nrequire_dkm = true'))
    assert problem_at(senders_problems(path), "unknown key 'require_dkm'") == "require_dkm = true"


# ---------------------------------------------------------------- templates


def test_shipped_templates_load_with_subject_and_body() -> None:
    templates = load_templates(RULES / "templates")
    assert set(templates) == set(PLACEHOLDERS)
    subject, body = templates["caseworker_notice"].render(
        case_id="SAG-1", form="LÆ 125", form_title="Statusattest", sender_organisation="Region Nordjylland",
        received="2025-02-03 09:15", document_ref="SAG-1/2025-02-03 LÆ 125.pdf", warnings="")
    assert subject == "Ny lægeattest journaliseret i sag SAG-1"
    assert "Blanket: LÆ 125 (Statusattest)" in body and "Afsender: Region Nordjylland" in body


def test_unknown_placeholder_is_reported_with_its_line(rules_copy: Path) -> None:
    path = rules_copy / "templates" / "caseworker_notice.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(6, "Borger: $cpr ($patient_name)")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_templates(rules_copy / "templates")
    found = {(p.file, p.line, p.message.split(" (allowed")[0]) for p in raised.value.problems}
    assert found == {(str(path), 7, "unknown placeholder $cpr"), (str(path), 7, "unknown placeholder $patient_name")}


def test_placeholder_of_another_template_is_unknown(rules_copy: Path) -> None:
    path = rules_copy / "templates" / "escalation_notice.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Subject: Lægerobotten kunne ikke placere",
                                                             "Subject: Sag $case_id: Lægerobotten kunne ikke placere"),
                    encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_templates(rules_copy / "templates")
    (problem,) = raised.value.problems
    assert (problem.file, problem.line) == (str(path), 1) and "unknown placeholder $case_id" in problem.message


@pytest.mark.parametrize("text", ["Ny lægeattest i sag $case_id\n\nHej\n", "Emne: Ny attest\n\nHej\n",
                                  "Subject: Ny attest\nHej uden tom linje\n", ""])
def test_missing_subject_line_is_reported(rules_copy: Path, text: str) -> None:
    path = rules_copy / "templates" / "caseworker_notice.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_templates(rules_copy / "templates")
    (problem,) = raised.value.problems
    assert (problem.file, problem.line) == (str(path), 1)
    assert "starts with 'Subject: ...'" in problem.message


def test_missing_template_file_is_reported(rules_copy: Path) -> None:
    (rules_copy / "templates" / "daily_digest.txt").unlink()
    with pytest.raises(RuleFileError) as raised:
        load_templates(rules_copy / "templates")
    (problem,) = raised.value.problems
    assert problem.file.endswith("daily_digest.txt") and "cannot read template" in problem.message


CASEWORKER_VALUES = {"case_id": "SAG-1", "form": "LÆ 125", "form_title": "Statusattest",
                     "sender_organisation": "Region Nordjylland", "received": "2025-02-03 09:15",
                     "document_ref": "SAG-1/attest.pdf", "warnings": ""}
ESCALATION_VALUES = {"escalation_id": "17", "reason": "no_case", "reason_text": "Ingen åben sag",
                     "sender": "psyk@rn.dk", "received": "2025-02-03 09:15", "attachment": "attest.pdf",
                     "warnings": ""}
DIGEST_VALUES = {"open_count": "3", "oldest": "2025-02-01", "summary": "no_case: 2\nno_cpr: 1"}
VALUES = {"caseworker_notice": CASEWORKER_VALUES, "escalation_notice": ESCALATION_VALUES,
          "daily_digest": DIGEST_VALUES}
SPELLINGS = ["0101901017", "010190-1017", "010190 1017", "010190\u00a01017", "010190\u20131017"]


@pytest.mark.parametrize("template, key", [(t, k) for t, values in VALUES.items() for k in values])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_rendering_refuses_a_cpr_in_any_value(template: str, key: str, spelling: str) -> None:
    templates = load_templates(RULES / "templates")
    values = dict(VALUES[template])
    templates[template].render(**values)  # renders without the CPR
    values[key] = f"x {spelling} y"
    with pytest.raises(RenderRefused, match="CPR"):
        templates[template].render(**values)


def test_rendering_refuses_a_cpr_spread_over_lines_in_a_one_line_value() -> None:
    templates = load_templates(RULES / "templates")
    with pytest.raises(RenderRefused):
        templates["caseworker_notice"].render(**{**CASEWORKER_VALUES, "form_title": "010190\n1017"})


def test_rendering_refuses_a_cpr_with_a_narrow_no_break_space_in_the_summary() -> None:
    templates = load_templates(RULES / "templates")
    with pytest.raises(RenderRefused):
        templates["daily_digest"].render(**{**DIGEST_VALUES, "summary": "no_cpr: borger 010190\u202f1017"})


def test_rendering_refuses_unknown_placeholders() -> None:
    templates = load_templates(RULES / "templates")
    with pytest.raises(RenderRefused, match="unknown placeholders \\['cpr'\\]"):
        templates["caseworker_notice"].render(**CASEWORKER_VALUES, cpr="x")
    with pytest.raises(RenderRefused, match="unknown placeholders"):
        templates["escalation_notice"].render(**ESCALATION_VALUES, case_id="SAG-1")


def test_rendering_refuses_a_missing_value() -> None:
    templates = load_templates(RULES / "templates")
    values = dict(CASEWORKER_VALUES)
    del values["case_id"]
    with pytest.raises(RenderRefused, match="missing value"):
        templates["caseworker_notice"].render(**values)


# ---------------------------------------------------------------- lae-robot check-rules


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _unknown_route_key(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'form_from_subject = false', 'form_from_subject = false\nprioritet = 1')
    return "routing.toml", "prioritet = 1", "unknown key 'prioritet'"


def _bad_action(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'action = "escalate"', 'action = "ignore"')
    return "routing.toml", 'action = "ignore"', "'action' must be one of"


def _no_case_types(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'forms = ["165"]\naction = "escalate"', 'forms = ["165"]\naction = "file"')
    return "routing.toml", 'action = "file"', "'case_types'"


def _team_without_mailbox(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'notify = "caseworker"\nteam_mailbox = "jobcenter.attester@kommune.example"\n',
         'notify = "team"\n')
    return "routing.toml", 'notify = "team"', "needs a 'team_mailbox'"


def _unknown_form(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'forms = ["165"]', 'forms = ["165", "166"]')
    return "routing.toml", 'forms = ["165", "166"]', "form '166' is not in blankets.toml"


def _unknown_sender(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'forms = ["165"]', 'forms = ["165"]\nsenders = ["Region Nord"]')
    return "routing.toml", 'senders = ["Region Nord"]', "sender 'Region Nord' is no organisation"


def _duplicate_name(rules: Path) -> tuple[str, str, str]:
    edit(rules / "routing.toml", 'name = "forslag-om-socialmedicinsk-sagsbehandling"',
         'name = "attester-til-sygedagpenge-og-afklaring"')
    return "routing.toml", 'name = "attester-til-sygedagpenge-og-afklaring"', "is used twice"


def _bad_domain(rules: Path) -> tuple[str, str, str]:
    edit(rules / "senders.toml", 'domains = ["rsyd.dk"]', 'domains = ["rsyd .dk"]')
    return "senders.toml", 'domains = ["rsyd .dk"]', "is not a domain name"


def _domain_twice(rules: Path) -> tuple[str, str, str]:
    edit(rules / "senders.toml", 'domains = ["rsyd.dk"]', 'domains = ["rsyd.dk", "rn.dk"]')
    return "senders.toml", 'domains = ["rsyd.dk", "rn.dk"]', "also listed under 'Region Nordjylland'"


def _dkim_without_gateway(rules: Path) -> tuple[str, str, str]:
    edit(rules / "senders.toml", 'authserv_ids = ["mx.kommune.example"]', "authserv_ids = []")
    edit(rules / "senders.toml", "require_dkim = false", "require_dkim = true")
    return "senders.toml", "authserv_ids = []", "requires DKIM"


def _template_placeholder(rules: Path) -> tuple[str, str, str]:
    edit(rules / "templates" / "caseworker_notice.txt", "Afsender: $sender_organisation", "Afsender: $sender")
    return "templates/caseworker_notice.txt", "Afsender: $sender", "unknown placeholder $sender"


def _template_subject(rules: Path) -> tuple[str, str, str]:
    edit(rules / "templates" / "daily_digest.txt", "Subject: ", "Emne: ")
    return "templates/daily_digest.txt", "Emne: Lægerobotten: $open_count åbne eskaleringer", "Subject:"


MISTAKES = [_unknown_route_key, _bad_action, _no_case_types, _team_without_mailbox, _unknown_form, _unknown_sender,
            _duplicate_name, _bad_domain, _domain_twice, _dkim_without_gateway, _template_placeholder,
            _template_subject]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.__name__.strip("_") for m in MISTAKES])
def test_check_rules_prints_file_line_message_and_exits_1(rules_copy: Path, capsys: pytest.CaptureFixture[str],
                                                          mistake) -> None:  # type: ignore[no-untyped-def]
    name, line_text, fragment = mistake(rules_copy)
    code = main(["check-rules", "--rules", str(rules_copy)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out, "check-rules printed nothing"
    pattern = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<message>.+)$")
    for printed in out:
        assert pattern.match(printed), printed
    hits = [pattern.match(p) for p in out if fragment in p]
    assert len(hits) == 1, out
    hit = hits[0]
    assert hit is not None and hit["file"] == str(rules_copy / name)
    lines = (rules_copy / name).read_text(encoding="utf-8").splitlines()
    assert lines[int(hit["line"]) - 1].strip() == line_text


def test_check_rules_on_the_copy_is_clean_before_any_edit(rules_copy: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-rules", "--rules", str(rules_copy)]) == 0
    assert "valid" in capsys.readouterr().out


def test_check_rules_reports_mistakes_in_several_files_together(rules_copy: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _bad_action(rules_copy)
    _unknown_form(rules_copy)
    _template_placeholder(rules_copy)
    _domain_twice(rules_copy)
    assert main(["check-rules", "--rules", str(rules_copy)]) == 1
    out = capsys.readouterr().out
    assert "routing.toml" in out and "senders.toml" in out and "caseworker_notice.txt" in out
    assert len(out.splitlines()) == 4, out
