"""Builds the caseworker and escalation notices from the templates, with nothing from the document's text in them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from robot.decisions.templates import RenderRefused, Template
from robot.model import Reason
from robot.notify.reasons import active_paragraph, reason_text

LOCAL_TIME = ZoneInfo("Europe/Copenhagen")


def local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%d-%m-%Y kl. %H:%M")


def caseworker_notice(template: Template, *, case_id: str, form: str, form_title: str, organisation: str,
                      received: datetime, document_ref: str, team: str | None,
                      active_content: tuple[str, ...] = ()) -> tuple[str, str]:
    warnings = active_paragraph(active_content)
    return _warned(template, warnings, template.render(
        case_id=case_id, form=form, form_title=form_title, sender_organisation=organisation,
        received=local_time(received), document_ref=document_ref, team=team or "", warnings=warnings))


def escalation_notice(template: Template, *, escalation_id: int, reason: Reason, sender: str | None,
                      received: datetime, part: str, active_content: tuple[str, ...] = ()) -> tuple[str, str]:
    where = f"MIME-del {part}" if part else "hele mailen"
    warnings = active_paragraph(active_content)
    return _warned(template, warnings, template.render(
        escalation_id=escalation_id, reason=reason.value, reason_text=reason_text(reason),
        sender=sender or "(ukendt)", received=local_time(received), attachment=where, warnings=warnings))


def _warned(template: Template, warnings: str, rendered: tuple[str, str]) -> tuple[str, str]:
    """The notice, with the warning after its text when the template has no $warnings (an operator's older copy)."""
    subject, body = rendered
    if warnings and not template.uses("warnings"):
        body = f"{body.rstrip()}\n\n{warnings}\n"
    elif not warnings:  # the empty $warnings line leaves no gap
        body = body.replace("\n\n\n", "\n\n")
    return subject, body


__all__ = ["RenderRefused", "caseworker_notice", "escalation_notice", "local_time"]
