"""Weighs a MedCom CareCommunication's structured facts: whether its sender is trusted, and which citizen it names."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from robot.decisions.senders import SenderRules
from robot.decisions.trust import SenderVerdict
from robot.extract.cpr import birth_date
from robot.model import CareCommunication, CprResult, CprVerdict, Extraction, Reason
from robot.privacy import mask_cpr


@dataclass(frozen=True)
class StructuredCitizen:
    """The citizen a CareCommunication's Patient.identifier names, or the named reason there is not exactly one."""

    cpr: str | None
    reason: Reason | None
    why: str  # no full CPR in it


def structured_citizen(message: CareCommunication, today: date) -> StructuredCitizen:
    """Exactly one CPR-system identifier across the bundle's patients, and a valid CPR number by the CPR reader's
    rules (ten digits, a real birth date for its century digit)."""
    numbers = tuple(dict.fromkeys(cpr.replace("-", "").replace(" ", "") for cpr in message.patient_cprs))
    if not numbers:
        return StructuredCitizen(None, Reason.NO_CPR, "the CareCommunication's Patient has no identifier in the CPR "
                                                      "system (urn:oid:1.2.208.176.1.2)")
    if len(numbers) > 1:
        return StructuredCitizen(None, Reason.AMBIGUOUS_CPR, f"the CareCommunication names {len(numbers)} "
                                                             "different CPR numbers for its patients")
    number = numbers[0]
    if len(number) != 10 or not number.isascii() or not number.isdigit() or birth_date(number, today) is None:
        return StructuredCitizen(None, Reason.INVALID_CPR, "the CareCommunication's Patient.identifier in the CPR "
                                                           "system is no valid CPR number")
    return StructuredCitizen(number, None, f"the CareCommunication's Patient.identifier gives CPR "
                                           f"{mask_cpr(number)}")


def with_structured_cpr(extraction: Extraction, citizen: StructuredCitizen) -> tuple[Extraction, str | None]:
    """The extraction with the structured CPR as its citizen, or why the PDF contradicts it. Every number in the PDF
    that may be a person's must be the structured one; a PDF that names nobody takes the structured CPR; a PDF whose
    own reading failed keeps its reason."""
    cpr = citizen.cpr
    if extraction.cpr is None or cpr is None:
        return extraction, None
    others = sorted({c.digits for c in extraction.cpr.candidates if c.verdict is not CprVerdict.REJECTED} - {cpr})
    if others:
        return extraction, (f"the PDF names another CPR ({', '.join(mask_cpr(o) for o in others)}) than the "
                            f"CareCommunication's patient ({mask_cpr(cpr)})")
    if extraction.cpr.cpr == cpr or extraction.reason is not Reason.NO_CPR:
        return extraction, None
    blanket = extraction.blanket
    taken = CprResult(cpr, None, extraction.cpr.candidates, detail="the CareCommunication's Patient.identifier")
    reason = blanket.reason if blanket is not None else Reason.NO_BLANKET
    detail = blanket.why if blanket is not None else "no form read"
    return replace(extraction, cpr=taken, reason=reason, detail=f"CPR from the CareCommunication; {detail}"), None


def judge_care_communication_sender(message: CareCommunication, mail_verdict: SenderVerdict | None,
                                    rules: SenderRules) -> SenderVerdict:
    """Trusted when the message's sender organisation names a SOR or EAN number of exactly one trusted organisation
    and, for a message that came in a mail (`mail_verdict`), the mail is trusted and from that same organisation.
    A message from the FHIR drop folder has no mail: the folder, which only the VANS provider writes, is its
    channel."""
    numbers = ", ".join([*(f"SOR {n}" for n in message.sender_sor), *(f"EAN {n}" for n in message.sender_ean)])
    named = numbers or "no SOR or EAN number"
    found = rules.organisations_for_numbers(message.sender_sor, message.sender_ean)
    if not found:
        return SenderVerdict(None, f"the CareCommunication's sender ({named}) belongs to no trusted organisation")
    if len(found) > 1:
        return SenderVerdict(None, f"the CareCommunication's sender ({named}) names several organisations: "
                                   f"{', '.join(o.name for o in found)}")
    organisation = found[0]
    if mail_verdict is None:
        return SenderVerdict(organisation, f"the CareCommunication's sender ({named}) is {organisation.name}; it was "
                                           "handed over through the FHIR drop folder")
    if mail_verdict.organisation is None:
        return SenderVerdict(None, f"the CareCommunication's sender ({named}) is {organisation.name}, but the mail "
                                   f"that carried it is not trusted: {mail_verdict.why}")
    if mail_verdict.organisation != organisation:
        return SenderVerdict(None, f"the CareCommunication's sender ({named}) is {organisation.name}, but the mail "
                                   f"that carried it is {mail_verdict.organisation.name}'s")
    return SenderVerdict(organisation, f"{mail_verdict.why}; the CareCommunication's sender ({named}) is "
                                       f"{organisation.name} too")
