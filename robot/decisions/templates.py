"""The notice templates in rules/templates/: loading, placeholder validation, and rendering that refuses a CPR."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from robot.privacy import mask_cpr_text
from robot.rules.rulefile import RuleFileError, RuleProblem

_REQUEST_FIELDS = ("request_id", "case_id", "form", "answer_form", "form_title", "addressee", "sent", "deadline")

# Each template and the only placeholders it may use. None of them can carry a CPR or
# health content: values come from the case register, the catalogue and the ledger. $warnings is the PDF's active
# content in Danish (empty when there is none); a template without it gets the warning after its text.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "caseworker_notice": frozenset({"case_id", "form", "form_title", "sender_organisation", "received",
                                    "document_ref", "team", "warnings"}),
    "escalation_notice": frozenset({"escalation_id", "reason", "reason_text", "sender", "received", "attachment",
                                    "warnings"}),
    "daily_digest": frozenset({"open_count", "oldest", "summary", "overdue_count", "overdue_requests"}),
    # the request register: to the caseworker when a request is late or sent back, to the addressee as a reminder
    "request_overdue": frozenset(_REQUEST_FIELDS),
    "request_returned": frozenset(_REQUEST_FIELDS),
    "request_reminder": frozenset(_REQUEST_FIELDS),
}
# The request templates an older rule folder may lack: these texts stand in until the operators add their own.
_STAND_INS = {
    "request_overdue": "Subject: Lægerobotten: anmodning $request_id om LÆ $answer_form er ikke besvaret\n\n"
                       "Anmodning $request_id (LÆ $form til $addressee, sendt $sent) i sag $case_id har passeret "
                       "fristen $deadline uden svar.\n",
    "request_returned": "Subject: Lægerobotten: anmodning $request_id er sendt retur\n\n"
                        "Anmodning $request_id (LÆ $form til $addressee, sendt $sent) i sag $case_id er sendt "
                        "retur af modtageren.\n",
    "request_reminder": "Subject: Påmindelse: ubesvaret anmodning om LÆ $answer_form\n\n"
                        "Kommunens anmodning om LÆ $answer_form (LÆ $form, sendt $sent, sag $case_id) er ikke "
                        "besvaret inden fristen $deadline.\n",
}


_BLOCKS = ("summary", "overdue_requests")  # placeholders that stand for several lines


class RenderRefused(Exception):
    """A notice that would carry a CPR number (or an unknown placeholder); it is not sent."""


@dataclass(frozen=True)
class Template:
    """One notice template: a subject line and a body, with $placeholders."""

    name: str
    subject: string.Template
    body: string.Template

    def uses(self, placeholder: str) -> bool:
        return placeholder in self.subject.get_identifiers() or placeholder in self.body.get_identifiers()

    def render(self, **values: object) -> tuple[str, str]:
        """(subject, body); refuses values it does not know and any CPR-shaped number in the result."""
        unknown = set(values) - PLACEHOLDERS[self.name]
        if unknown:
            raise RenderRefused(f"template {self.name}: unknown placeholders {sorted(unknown)}")
        text = {key: " ".join(str(value).split()) if key not in _BLOCKS else str(value) for key, value in values.items()}
        try:
            subject = self.subject.substitute(text)
            body = self.body.substitute(text)
        except (KeyError, ValueError) as error:
            raise RenderRefused(f"template {self.name}: missing value for {error}") from None
        if mask_cpr_text(subject) != subject or mask_cpr_text(body) != body:
            raise RenderRefused(f"template {self.name}: the rendered notice holds a CPR-shaped number")
        return subject, body


def load_templates(folder: Path) -> dict[str, Template]:
    """Read every template; raises RuleFileError listing every problem."""
    problems: list[RuleProblem] = []
    templates: dict[str, Template] = {}
    for name, allowed in PLACEHOLDERS.items():
        path = folder / f"{name}.txt"
        try:
            text = _STAND_INS[name] if name in _STAND_INS and not path.exists() else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(RuleProblem(str(path), 0, f"cannot read template: {error}"))
            continue
        lines = text.splitlines()
        if not lines or not lines[0].startswith("Subject:") or (len(lines) > 1 and lines[1].strip()):
            problems.append(RuleProblem(str(path), 1, "a template starts with 'Subject: ...' and a blank line"))
            continue
        for number, line in enumerate(lines, start=1):
            template = string.Template(line)
            if not template.is_valid():
                problems.append(RuleProblem(str(path), number, "malformed placeholder (use $name or ${name})"))
                continue
            for identifier in template.get_identifiers():
                if identifier not in allowed:
                    problems.append(RuleProblem(str(path), number, f"unknown placeholder ${identifier} "
                                                                   f"(allowed: {', '.join(sorted(allowed))})"))
        templates[name] = Template(name, string.Template(lines[0][len("Subject:"):].strip()),
                                   string.Template("\n".join(lines[2:]) + "\n"))
    if problems:
        raise RuleFileError(problems)
    return templates
