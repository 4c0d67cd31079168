"""Every write of the external_cases app: register a forwarded case, record its report-back, fire
its deadline alerts once, and flag tickets at risk of escalating outside.

Lock order is the complaint core's: the ticket first, then its cases. The ticket itself is only
changed through complaints.services (reopen, reroute, reclassify, internal notes).
"""

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from complaints import policy
from complaints import services as complaint_services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.models import Message, Ticket, TicketEvent
from complaints.services.customers import create_customer
from complaints.states import Status
from config.celery import queue_after_commit

from . import deadlines, risk
from .models import EscalationRisk, ExternalCase, ExternalSource, ReportBack

logger = logging.getLogger(__name__)

# A flagged complaint is worked at least this urgently.
RISK_PRIORITY = Ticket.Priority.P2
# Clocks of the sender and ours differ a little; a receipt this far ahead is still "now".
RECEIPT_CLOCK_SKEW = timedelta(minutes=5)
# A forwarded case is worked within weeks: an older date is a typing mistake (and year 1 overflowed
# the deadline arithmetic).
OLDEST_RECEIPT = timedelta(days=366)
CONTACT_MAX_CHARS = 500
NOTES_MAX_CHARS = 5000
REPORT_VALUE_MAX_CHARS = 5000


def normalised_number(number: str) -> str:
    """A case number as the source means it: NFKC (full-width to ASCII), no spaces or invisible
    characters, upper case, so "m-100 " and "M-100" are one case."""
    folded = unicodedata.normalize("NFKC", number or "")
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf").upper()


class DuplicateCase(ComplaintError):
    code = "duplicate_external_case"
    http_status = 409


class MissingReportField(ComplaintError):
    code = "missing_field"
    http_status = 400


class CaseClosed(ComplaintError):
    code = "external_case_closed"
    http_status = 409


def local_time(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _schedule(case: ExternalCase, now: datetime) -> None:
    """The next moment the sweep must look at the case: its next warning, else the deadline."""
    if not case.is_open:
        case.next_alert_at = None
        return
    if case.breached_at is not None:
        case.next_alert_at = None
        return
    for percent in case.source.thresholds:
        if percent > case.warned_percent:
            case.next_alert_at = deadlines.alert_at(case.source, case.received_at, case.due_at, percent)
            return
    case.next_alert_at = case.due_at


def _holder_message(actor: Any, existing: ExternalCase) -> str:
    if policy.can_see(actor, existing.ticket):
        return _("%(source)s case %(number)s is already registered on ticket %(ref)s.") % {
            "source": existing.source,
            "number": existing.number,
            "ref": existing.ticket.reference,
        }
    return _("%(source)s case %(number)s is already registered on a ticket of another team.") % {
        "source": existing.source,
        "number": existing.number,
    }


def _duplicate(actor: Any, source: ExternalSource, number: str) -> DuplicateCase | None:
    existing = (
        ExternalCase.objects.select_related("ticket", "source").filter(source=source, number=number).first()
    )
    if existing is None:
        return None
    detail = {"ticket": existing.ticket.reference} if policy.can_see(actor, existing.ticket) else {}
    return DuplicateCase(_holder_message(actor, existing), **detail)


def register_case(
    *,
    ticket_id: int,
    actor: Any,
    source: ExternalSource,
    number: str,
    received_at: datetime,
    regulator_contact: str = "",
    notes: str = "",
    number_to_follow: bool = False,
) -> ExternalCase:
    """Put a forwarded case on a ticket with its external deadline; the ticket is reopened if it was
    finished, routed to the source's team, raised to the source's priority and flagged.
    `number_to_follow`: the number is not known yet (a forwarded mail without one); the case waits,
    flagged, for an agent to fill it in (set_case_number)."""
    number = normalised_number(number)
    if not number and not number_to_follow:
        raise ComplaintError(_("Give the case number the regulator or platform gave the case."))
    if not source.is_active:
        raise ComplaintError(_("%(source)s is not in use any more.") % {"source": source})
    if len(regulator_contact) > CONTACT_MAX_CHARS or len(notes) > NOTES_MAX_CHARS:
        raise ComplaintError(
            _("The regulator's contact may have %(contact)s characters and the notes %(notes)s at most.")
            % {"contact": CONTACT_MAX_CHARS, "notes": NOTES_MAX_CHARS}
        )
    now = timezone.now()
    if received_at > now + RECEIPT_CLOCK_SKEW:
        raise ComplaintError(_("The case cannot have been received in the future."))
    if received_at < now - OLDEST_RECEIPT:
        raise ComplaintError(_("The case cannot have been received more than a year ago; check the date."))
    with transaction.atomic():
        ticket = complaint_services.lock_ticket(ticket_id)
        policy.ensure_can_act(actor, ticket)
        duplicate = _duplicate(actor, source, number) if number else None
        if duplicate is not None:
            raise duplicate
        case = ExternalCase(
            ticket=ticket,
            source=source,
            number=number,
            received_at=received_at,
            due_at=deadlines.due_at(source, received_at),
            regulator_contact=regulator_contact.strip(),
            notes=complaint_services.sanitise(notes),
            registered_by=actor if actor is not None and actor.is_authenticated else None,
        )
        _schedule(case, now)
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:
            # Another request registered the same number between our check and our insert.
            raise _duplicate(actor, source, number) or DuplicateCase(
                _("This case is already registered.")
            ) from None
        _follow_source_rules(ticket, case, actor)
        _flag(ticket, EscalationRisk.Reason.EXTERNAL_CASE)
        complaint_services.add_message(
            ticket_id=ticket.pk,
            actor=actor,
            kind=Message.Kind.NOTE,
            body=_("%(source)s case %(number)s received %(received)s: report back by %(due)s.")
            % {
                "source": source,
                "number": number or _("(number to be filled in)"),
                "received": local_time(received_at),
                "due": local_time(case.due_at),
            },
        )
    return case


def register_forwarded_case(
    *,
    actor: Any,
    source: ExternalSource,
    number: str,
    received_at: datetime,
    ticket_reference: str = "",
    customer: complaint_services.CustomerDetails | None = None,
    channel: str = Ticket.Channel.PHONE,
    subject: str = "",
    description: str = "",
    desired_outcome: str = "",
    regulator_contact: str = "",
    notes: str = "",
) -> ExternalCase:
    """The desk's intake of a forwarded case: on the customer's earlier ticket when named, else on a
    new complaint opened for the customer (or the open ticket it repeats). All or nothing."""
    with transaction.atomic():
        duplicate = _duplicate(actor, source, normalised_number(number))
        if duplicate is not None:
            raise duplicate
        if ticket_reference:
            ticket = Ticket.objects.filter(reference=ticket_reference.upper()).first()
            if ticket is None or not policy.can_see(actor, ticket):
                raise policy.no_such_ticket(ticket_reference)
        else:
            if customer is None:
                raise ComplaintError(
                    _("Name the customer's earlier complaint, or give the customer's contact.")
                )
            opened = complaint_services.open_ticket(
                actor=actor,
                channel=channel,
                customer=customer,
                subject=subject,
                description=description,
                desired_outcome=desired_outcome,
                priority=source.priority,
                default_team=source.team,
            )
            ticket = opened.ticket
        return register_case(
            ticket_id=ticket.pk,
            actor=actor,
            source=source,
            number=number,
            received_at=received_at,
            regulator_contact=regulator_contact,
            notes=notes,
        )


def set_case_number(*, case_id: int, actor: Any, number: str) -> ExternalCase:
    """Fill in the number of a case that was registered without one (a forwarded mail lacked it)."""
    number = normalised_number(number)
    if not number:
        raise ComplaintError(_("Give the case number the regulator or platform gave the case."))
    try:
        ticket_id = ExternalCase.objects.values_list("ticket_id", flat=True).get(pk=case_id)
    except ExternalCase.DoesNotExist:
        raise ComplaintError(_("No such external case.")) from None
    with transaction.atomic():
        ticket = complaint_services.lock_ticket(ticket_id)
        policy.ensure_can_act(actor, ticket)
        case = ExternalCase.objects.select_for_update(of=("self",)).select_related("source").get(pk=case_id)
        if case.number:
            raise CaseClosed(_("This case already has its number, %(number)s.") % {"number": case.number})
        duplicate = _duplicate(actor, case.source, number)
        if duplicate is not None:
            raise duplicate
        case.number = number
        try:
            with transaction.atomic():
                case.save(update_fields=["number"])
        except IntegrityError:
            raise _duplicate(actor, case.source, number) or DuplicateCase(
                _("This case is already registered.")
            ) from None
        complaint_services.add_message(
            ticket_id=ticket.pk,
            actor=actor,
            kind=Message.Kind.NOTE,
            body=_("The number of the %(source)s case is %(number)s.")
            % {"source": case.source, "number": number},
        )
    return case


# A forwarded mail's subject is searched this far for the case number (the pattern is the admin's).
SUBJECT_SEARCH_CHARS = 500


class ForwardingRefused(ComplaintError):
    """Mail in a forwarding mailbox from a sender the source does not allow, or not verified."""

    code = "forwarding_refused"


def open_forwarded_mail(
    *,
    mailbox: Any,
    subject: str,
    body: str,
    sender: complaint_services.CustomerDetails,
    files: list[Any],
    external_id: str,
    sender_verified: bool | None = None,
) -> tuple[Ticket, Message] | None:
    """Mail arriving in a source's forwarding mailbox: a new ticket with an external case of that
    source, numbered from the subject when the source's pattern finds it, else flagged for an agent
    to fill in. The same number again adds the mail to that case's ticket as an internal note. None:
    the mailbox is no source's, and the mail is a customer's like any other.

    The sender is the regulator or platform, not the customer: the ticket's customer is left
    unidentified (no contact, so nothing is sent to the forwarding address) for the agent to find.

    Only the source's allowed senders open or add to cases, and not when our mail server could not
    verify the sender (`sender_verified` False): anything else is refused (ForwardingRefused), and the
    intake keeps it as a failed item with the reason, for a supervisor to look at."""
    source = ExternalSource.objects.filter(mailbox=mailbox, is_active=True).first()
    if source is None:
        return None
    if not source.allows_sender(sender.email):
        raise ForwardingRefused(
            _(
                "%(sender)s is not among the senders %(source)s allows in its forwarding mailbox: no case opened."
            )
            % {"sender": sender.email or _("(no sender)"), "source": source}
        )
    if sender_verified is False:
        raise ForwardingRefused(
            _("Our mail server could not verify the sender %(sender)s (DMARC): no case opened.")
            % {"sender": sender.email}
        )
    number = normalised_number(source.number_in(subject[:SUBJECT_SEARCH_CHARS]))
    contact = f"{sender.name} <{sender.email}>" if sender.name else sender.email
    with transaction.atomic():
        existing = (
            ExternalCase.objects.filter(source=source, number=number).select_related("ticket").first()
            if number
            else None
        )
        if existing is not None:
            message = complaint_services.add_message(
                ticket_id=existing.ticket_id,
                actor=None,
                kind=Message.Kind.NOTE,
                body=_("%(source)s wrote again about case %(number)s (%(sender)s):")
                % {"source": source, "number": number, "sender": contact}
                + f"\n\n{body}",
                files=files,
                external_id=external_id,
            )
            return existing.ticket, message
        # Unidentified: a claimed contact is not the customer's, and the forwarding address is nobody's.
        customer = create_customer(
            complaint_services.CustomerDetails(
                name=_("Customer of %(source)s case %(number)s")
                % {"source": source, "number": number or _("(number to be filled in)")},
                language=sender.language,
            )
        )
        opened = complaint_services.open_ticket(
            actor=None,
            channel=Ticket.Channel.EMAIL,
            customer=customer,
            subject=subject or body[:60],
            description=body,
            priority=source.priority,
            default_team=source.team,
            files=files,
            external_id=external_id,
        )
        register_case(
            ticket_id=opened.ticket.pk,
            actor=None,
            source=source,
            number=number,
            received_at=timezone.now(),
            regulator_contact=contact[:CONTACT_MAX_CHARS],
            notes=_("Forwarded by mail to %(address)s.") % {"address": mailbox.address},
            number_to_follow=True,
        )
    return opened.ticket, opened.message


def _follow_source_rules(ticket: Ticket, case: ExternalCase, actor: Any) -> None:
    """What a forwarded case does to its ticket: it is open again, with the source's team and priority."""
    source = case.source
    why = _("Forwarded by %(source)s (case %(number)s).") % {
        "source": source,
        "number": case.number or _("(number to be filled in)"),
    }
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and not ticket.duplicate_of_id:
        complaint_services.reopen(ticket_id=ticket.pk, actor=actor, version=None, reason=why)
    ticket.refresh_from_db(fields=["status", "team", "priority", "version"])
    if source.team_id and ticket.team_id != source.team_id and ticket.is_open:
        complaint_services.reroute(
            ticket_id=ticket.pk, actor=None, team=source.team, version=None, reason=why
        )
    if source.priority and ticket.priority > source.priority:
        complaint_services.reclassify(
            ticket_id=ticket.pk, actor=None, version=None, priority=source.priority, reason=why
        )


def clean_report_values(source: ExternalSource, values: dict[str, Any]) -> dict[str, str]:
    """The source's fields from `values`, in its order, as text; refuses a missing required field or a
    value that is not one of a choice field's choices, naming the field."""
    cleaned: dict[str, str] = {}
    for field in source.fields:
        raw = values.get(field.key, "")
        value = raw.isoformat() if isinstance(raw, datetime) else str(raw if raw is not None else "").strip()
        if field.kind in ("text", "textarea"):
            # Sanitised before the required check: markup alone ("<b></b>") is no answer.
            value = complaint_services.sanitise(value)
            if not strip_tags(value).strip():
                value = ""
        if len(value) > REPORT_VALUE_MAX_CHARS:
            raise MissingReportField(
                _("%(field)s is too long: at most %(n)s characters.")
                % {"field": field.label, "n": REPORT_VALUE_MAX_CHARS},
                field=field.key,
            )
        if not value:
            if field.required:
                raise MissingReportField(
                    _("%(field)s is required for %(source)s.") % {"field": field.label, "source": source},
                    field=field.key,
                )
            cleaned[field.key] = ""
            continue
        if field.kind == "choice" and value not in {choice for choice, _label in field.choices}:
            raise MissingReportField(
                _("%(value)s is not one of the choices of %(field)s.")
                % {"value": value, "field": field.label},
                field=field.key,
            )
        if field.kind == "datetime" and parse_datetime(value) is None:
            raise MissingReportField(
                _("%(field)s needs a date and time, e.g. 2026-10-12 15:30.") % {"field": field.label},
                field=field.key,
            )
        cleaned[field.key] = value
    return cleaned


def record_report_back(*, case_id: int, actor: Any, values: dict[str, Any], outcome: str) -> ReportBack:
    """Record what was reported to the source; the case stops its clock and no longer holds the ticket open."""
    if outcome not in ReportBack.Outcome.values:
        raise MissingReportField(_("Choose the outcome of the case."), field="outcome")
    try:
        ticket_id = ExternalCase.objects.values_list("ticket_id", flat=True).get(pk=case_id)
    except ExternalCase.DoesNotExist:
        raise ComplaintError(_("No such external case.")) from None
    with transaction.atomic():
        ticket = complaint_services.lock_ticket(ticket_id)
        policy.ensure_can_act(actor, ticket)
        case = ExternalCase.objects.select_for_update(of=("self",)).select_related("source").get(pk=case_id)
        if not case.is_open:
            raise CaseClosed(_("The report-back of this case was already recorded."))
        cleaned = clean_report_values(case.source, values)
        now = timezone.now()
        report = ReportBack.objects.create(
            case=case,
            values=cleaned,
            outcome=outcome,
            recorded_by=actor if actor is not None and actor.is_authenticated else None,
            recorded_at=now,
        )
        case.state, case.reported_at, case.next_alert_at = ExternalCase.State.REPORTED, now, None
        case.save(update_fields=["state", "reported_at", "next_alert_at"])
        lines = [
            _("Report-back to %(source)s for case %(number)s: %(outcome)s.")
            % {"source": case.source, "number": case.number, "outcome": report.get_outcome_display()}
        ]
        lines += [
            f"{field.label}: {cleaned[field.key]}" for field in case.source.fields if cleaned[field.key]
        ]
        complaint_services.add_message(
            ticket_id=ticket.pk, actor=actor, kind=Message.Kind.NOTE, body="\n".join(lines)
        )
    return report


def close_refusal(ticket: Ticket) -> str | None:
    """Why the ticket may not close yet (an open external case), or None; the core's close guard."""
    waiting = list(
        ExternalCase.objects.filter(ticket_id=ticket.pk, state=ExternalCase.State.OPEN)
        .select_related("source")
        .order_by("due_at")[:3]
    )
    if not waiting:
        return None
    return _("This ticket cannot be closed yet: record the report-back to %(cases)s first (due %(due)s).") % {
        "cases": ", ".join(f"{case.source} {case.number}" for case in waiting),
        "due": local_time(waiting[0].due_at),
    }


# --- deadline alerts ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAlert:
    case_id: int
    percent: int  # 100 is the missed deadline

    @property
    def is_breach(self) -> bool:
        return self.percent >= 100


def fire_due_alerts(*, now: datetime | None = None, batch_size: int = 200) -> list[CaseAlert]:
    """Fire every warning and missed deadline that is due, each once; safe with two workers at once.

    The cases are locked with SKIP LOCKED: a case another worker is firing is left to it, and the
    alert it fires moves the case's next_alert_at on, so nobody fires it again.
    """
    now = now or timezone.now()
    fired: list[CaseAlert] = []
    with transaction.atomic():
        due = list(
            ExternalCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source")
            .filter(state=ExternalCase.State.OPEN, next_alert_at__lte=now)
            .order_by("pk")[:batch_size]
        )
        for case in due:
            fields = ["next_alert_at"]
            if now >= case.due_at:
                case.breached_at = now
                fields.append("breached_at")
                fired.append(CaseAlert(case.pk, 100))
            else:
                passed = [p for p in case.source.thresholds if p > case.warned_percent]
                passed = [
                    p
                    for p in passed
                    if deadlines.alert_at(case.source, case.received_at, case.due_at, p) <= now
                ]
                if passed:
                    case.warned_percent, case.warned_at = max(passed), now
                    fields += ["warned_percent", "warned_at"]
                    fired.append(CaseAlert(case.pk, case.warned_percent))
            _schedule(case, now)
            case.save(update_fields=fields)
        if fired:
            alerts = [(alert.case_id, alert.percent) for alert in fired]
            queue_after_commit("external_cases.tasks.send_case_alerts", alerts)
    return fired


# --- escalation risk ---------------------------------------------------------------------


def _flag(ticket: Ticket, reason: str, keywords: list[str] | None = None) -> EscalationRisk:
    flag, created = EscalationRisk.objects.get_or_create(
        ticket=ticket, defaults={"reasons": [reason], "keywords": keywords or []}
    )
    if not created and reason not in flag.reasons:
        flag.reasons = [*flag.reasons, reason]
        flag.keywords = list(dict.fromkeys([*flag.keywords, *(keywords or [])]))
        flag.save(update_fields=["reasons", "keywords"])
    return flag


def assess_escalation_risk(*, ticket: Ticket, event: TicketEvent) -> EscalationRisk | None:
    """On a new ticket: flag it when its text threatens a regulator or the media, or its customer had
    an external case before; the priority is raised after the ticket is committed."""
    if event.kind != EventKind.OPENED:
        return None
    words = risk.words_found(f"{ticket.subject}\n{ticket.description}\n{ticket.desired_outcome}")
    earlier = (
        ticket.customer_id is not None
        and ExternalCase.objects.filter(ticket__customer_id=ticket.customer_id)
        .exclude(ticket_id=ticket.pk)
        .exists()
    )
    if not words and not earlier:
        return None
    flag = None
    if words:
        flag = _flag(ticket, EscalationRisk.Reason.THREAT, words)
    if earlier:
        flag = _flag(ticket, EscalationRisk.Reason.EARLIER_CASE)
    ticket_id = ticket.pk
    transaction.on_commit(lambda: raise_risk_priority(ticket_id=ticket_id))
    return flag


def raise_risk_priority(*, ticket_id: int) -> Ticket | None:
    """Work a flagged ticket at least at RISK_PRIORITY (through the core's reclassify, on its timeline)."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("priority", "status").first()
    if ticket is None or not ticket.is_open or ticket.priority <= RISK_PRIORITY:
        return None
    try:
        return complaint_services.reclassify(
            ticket_id=ticket_id,
            actor=None,
            version=None,
            priority=RISK_PRIORITY,
            reason=_("Escalation risk: the customer may take the complaint to a regulator or the media."),
        )
    except (ComplaintError, IllegalTransition):
        logger.warning("could not raise the priority of flagged ticket %s", ticket_id, exc_info=True)
        return None
