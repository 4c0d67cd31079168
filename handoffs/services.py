"""Every write of the handoffs app: open a hand-off, record the partner's answer, remind, escalate,
close, and fire the due-time warnings once.

Lock order is the complaint core's: the ticket first, then its hand-offs. The ticket itself is only
changed through complaints.services (internal notes put each step on its timeline); the customer's
resolution clock only through sla.services.apply_resolution_hold.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from channels_intake.models import new_message_id
from complaints import policy
from complaints import services as complaint_services
from complaints.attachments import CheckedFile
from complaints.errors import ComplaintError, IllegalTransition, NotFound
from complaints.models import Message, Ticket
from complaints.states import Status
from config.celery import queue_after_commit
from sla import services as sla_services

from . import deadlines
from .models import Handoff, HandoffMail, Partner

SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = 20_000
NOTE_MAX_CHARS = 5_000
MAX_RESPONSE_HOURS = 24 * 90
# A second reminder this soon after the last mail is a double click, not a reminder.
REMIND_INTERVAL = timedelta(hours=1)


class HandoffClosed(ComplaintError):
    code = "handoff_closed"
    http_status = 409


class TooSoon(ComplaintError):
    code = "too_soon"
    http_status = 409


class UnmatchedPartnerMail(ComplaintError):
    """Mail from a partner's address that answers none of their hand-offs: kept, never a customer's."""

    code = "unmatched_partner_mail"


def local_time(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _ensure_may_work(actor: Any, ticket: Ticket) -> None:
    """Refuse who cannot see the ticket (as if it did not exist) and who does not work tickets."""
    policy.ensure_can_act(actor, ticket)
    if not policy.is_system(actor) and not policy.is_staff_agent(actor):
        raise policy.NotPermitted(_("Only agents and supervisors work hand-offs."))


def ensure_partner_usable(partner: Partner | None) -> Partner:
    if partner is None:
        raise ComplaintError(_("Choose the partner to hand off to."))
    if not partner.is_active:
        raise ComplaintError(_("%(partner)s is not in use any more.") % {"partner": partner})
    if not (partner.email or "").strip():
        raise ComplaintError(
            _("%(partner)s has no e-mail address: add one in the console before handing off.")
            % {"partner": partner}
        )
    return partner


def _lock(handoff_id: int, *, ticket_id: int | None = None) -> tuple[Ticket, Handoff]:
    """The hand-off's ticket, then the hand-off, locked in that order."""
    row = Handoff.objects.filter(pk=handoff_id).values_list("ticket_id", flat=True).first()
    if row is None or (ticket_id is not None and row != ticket_id):
        raise NotFound(_("No such hand-off on this ticket."))
    ticket = complaint_services.lock_ticket(row)
    handoff = Handoff.objects.select_for_update(of=("self",)).select_related("partner").get(pk=handoff_id)
    return ticket, handoff


def _note(
    ticket: Ticket, actor: Any, body: str, files: Iterable[CheckedFile] = (), external_id: str = ""
) -> Message:
    return complaint_services.add_message(
        ticket_id=ticket.pk,
        actor=actor,
        kind=Message.Kind.NOTE,
        body=body,
        files=files,
        external_id=external_id,
    )


def _queue_mail(handoff: Handoff, purpose: str, body: str, *, cc: str = "") -> HandoffMail:
    mail = HandoffMail.objects.create(
        handoff=handoff,
        direction=HandoffMail.Direction.OUT,
        purpose=purpose,
        email_message_id=new_message_id(),
        address=handoff.partner.email,
        cc=cc,
        body=body,
    )
    queue_after_commit("handoffs.tasks.send_handoff_mail", mail.pk)
    return mail


def customer_contact_block(ticket: Ticket, language: str) -> str:
    """The customer's contact details as the partner reads them; only when the agent asks for it."""
    customer = ticket.customer
    with translation.override(language):
        lines = [_("Customer's contact details (shared by the agent):")]
        for label, value in (
            (_("Name"), customer.name),
            (_("Phone"), customer.phone),
            (_("E-mail"), customer.email),
        ):
            if value:
                lines.append(f"{label}: {value}")
    return "\n".join(lines)


@dataclass(frozen=True)
class HandoffRequest:
    ticket_id: int
    partner: Partner
    subject: str
    body: str
    pauses_resolution: bool = False
    include_customer_contact: bool = False
    response_hours: int | None = None


def _checked(request: HandoffRequest) -> tuple[str, str, int]:
    subject = " ".join(request.subject.split())
    body = request.body.replace("\r\n", "\n").strip()
    if not subject:
        raise ComplaintError(_("Give the hand-off a subject."))
    if not body:
        raise ComplaintError(_("Write what you are asking the partner."))
    if len(subject) > SUBJECT_MAX_CHARS or len(body) > BODY_MAX_CHARS:
        raise ComplaintError(
            _("The subject may have %(subject)s characters and the message %(body)s at most.")
            % {"subject": SUBJECT_MAX_CHARS, "body": BODY_MAX_CHARS}
        )
    hours = request.partner.response_hours if request.response_hours is None else request.response_hours
    if not 1 <= hours <= MAX_RESPONSE_HOURS:
        raise ComplaintError(
            _("The response time must be between 1 and %(max)s business hours.") % {"max": MAX_RESPONSE_HOURS}
        )
    return subject, body, hours


def open_handoffs(*, actor: Any, requests: list[HandoffRequest]) -> list[Handoff]:
    """Open hand-offs and queue their e-mails; all or nothing. The e-mail carries the agent's text only
    (the customer's contact details only when the agent includes them)."""
    opened: list[Handoff] = []
    with transaction.atomic():
        for request in sorted(requests, key=lambda r: r.ticket_id):
            partner = ensure_partner_usable(request.partner)
            subject, body, hours = _checked(request)
            ticket = complaint_services.lock_ticket(request.ticket_id)
            _ensure_may_work(actor, ticket)
            if ticket.status == Status.CLOSED:
                raise IllegalTransition(_("This ticket is closed; reopen it before handing it off."))
            now = timezone.now()
            due, warn = deadlines.due_and_warning(partner, now, hours)
            handoff = Handoff.objects.create(
                ticket=ticket,
                partner=partner,
                subject=subject,
                pauses_resolution=request.pauses_resolution,
                shares_customer_contact=request.include_customer_contact,
                opened_by=complaint_services.acting_user(actor),
                opened_at=now,
                due_at=due,
                warn_at=warn,
            )
            text = body
            if request.include_customer_contact:
                text += "\n\n" + customer_contact_block(ticket, partner.language)
            _queue_mail(handoff, HandoffMail.Purpose.OPENING, text)
            _note(
                ticket,
                actor,
                _("Hand-off %(ref)s to %(partner)s: %(subject)s. Answer due %(due)s.")
                % {"ref": handoff.reference, "partner": partner, "subject": subject, "due": local_time(due)}
                + (
                    "\n" + _("The customer's resolution clock is paused while it is open.")
                    if request.pauses_resolution
                    else ""
                ),
            )
            if request.pauses_resolution:
                sla_services.apply_resolution_hold(ticket=ticket, at=now)
            opened.append(handoff)
    return opened


def open_handoff(*, actor: Any, **request: Any) -> Handoff:
    """open_handoffs with one request (ticket_id, partner, subject, body, pauses_resolution, ...)."""
    return open_handoffs(actor=actor, requests=[HandoffRequest(**request)])[0]


def _ensure_open(handoff: Handoff) -> None:
    if not handoff.is_open:
        raise HandoffClosed(
            _("Hand-off %(ref)s was closed %(when)s.")
            % {"ref": handoff.reference, "when": local_time(handoff.closed_at)}
        )


def remind_handoff(*, handoff_id: int, actor: Any, ticket_id: int | None = None) -> HandoffMail:
    """Send the partner one reminder e-mail on the hand-off's thread."""
    with transaction.atomic():
        ticket, handoff = _lock(handoff_id, ticket_id=ticket_id)
        _ensure_may_work(actor, ticket)
        _ensure_open(handoff)
        now = timezone.now()
        last = handoff.reminded_at or handoff.opened_at
        if handoff.reminded_at is not None and now - last < REMIND_INTERVAL:
            raise TooSoon(
                _("%(partner)s was reminded at %(when)s; remind again an hour later at the earliest.")
                % {"partner": handoff.partner, "when": local_time(last)}
            )
        with translation.override(handoff.partner.language):
            text = _(
                "A reminder: we are still waiting for your answer to %(ref)s (%(subject)s), which was due %(due)s."
            ) % {"ref": handoff.reference, "subject": handoff.subject, "due": local_time(handoff.due_at)}
        mail = _queue_mail(handoff, HandoffMail.Purpose.REMINDER, text)
        handoff.reminded_at, handoff.reminders = now, handoff.reminders + 1
        handoff.save(update_fields=["reminded_at", "reminders"])
        _note(
            ticket,
            actor,
            _("Reminder sent to %(partner)s for hand-off %(ref)s.")
            % {"partner": handoff.partner, "ref": handoff.reference},
        )
    return mail


def escalate_handoff(
    *, handoff_id: int, actor: Any, reason: str = "", ticket_id: int | None = None
) -> HandoffMail:
    """Escalate once: an e-mail to the partner, copied to their escalation address when they have one."""
    reason = " ".join(reason.split())[:NOTE_MAX_CHARS]
    with transaction.atomic():
        ticket, handoff = _lock(handoff_id, ticket_id=ticket_id)
        _ensure_may_work(actor, ticket)
        _ensure_open(handoff)
        if handoff.escalated_at is not None:
            raise TooSoon(
                _("Hand-off %(ref)s was already escalated %(when)s.")
                % {"ref": handoff.reference, "when": local_time(handoff.escalated_at)}
            )
        partner = handoff.partner
        with translation.override(partner.language):
            text = _("Escalation: %(ref)s (%(subject)s) is overdue or urgent; it was due %(due)s.") % {
                "ref": handoff.reference,
                "subject": handoff.subject,
                "due": local_time(handoff.due_at),
            }
        if reason:
            text += "\n\n" + reason
        mail = _queue_mail(handoff, HandoffMail.Purpose.ESCALATION, text, cc=partner.escalation_email)
        handoff.escalated_at = timezone.now()
        handoff.save(update_fields=["escalated_at"])
        _note(
            ticket,
            actor,
            _("Hand-off %(ref)s to %(partner)s escalated.") % {"ref": handoff.reference, "partner": partner}
            + (f"\n{reason}" if reason else ""),
        )
    return mail


def close_handoff(*, handoff_id: int, actor: Any, note: str = "", ticket_id: int | None = None) -> Handoff:
    """Close the hand-off: the ticket no longer waits on the partner (a paused clock resumes)."""
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ComplaintError(_("The closing note may have %(n)s characters at most.") % {"n": NOTE_MAX_CHARS})
    with transaction.atomic():
        ticket, handoff = _lock(handoff_id, ticket_id=ticket_id)
        _ensure_may_work(actor, ticket)
        _ensure_open(handoff)
        now = timezone.now()
        handoff.state, handoff.closed_at = Handoff.State.CLOSED, now
        handoff.closed_by = complaint_services.acting_user(actor)
        handoff.close_note = complaint_services.sanitise(note)
        handoff.save(update_fields=["state", "closed_at", "closed_by", "close_note"])
        _note(
            ticket,
            actor,
            _("Hand-off %(ref)s to %(partner)s closed.")
            % {"ref": handoff.reference, "partner": handoff.partner}
            + (f"\n{note}" if note else ""),
        )
        if handoff.pauses_resolution:
            sla_services.apply_resolution_hold(ticket=ticket, at=now)
    return handoff


def is_partner_address(partner: Partner, address: str) -> bool:
    address = (address or "").strip().lower()
    return bool(address) and address in {partner.email.lower(), (partner.escalation_email or "").lower()}


def record_partner_answer(
    *,
    handoff_id: int,
    sender: str,
    sender_name: str,
    body: str,
    message_id: str,
    files: Iterable[CheckedFile] = (),
    verified: bool | None = None,
) -> tuple[HandoffMail, Message]:
    """An answer by e-mail on the hand-off's thread: an internal entry on the ticket, flagged when it
    comes from another address than the partner's, or from theirs but our mail server could not
    verify the sender (`verified` False: DMARC failed); kept all the same. Never a customer message."""
    with transaction.atomic():
        ticket, handoff = _lock(handoff_id)
        partner = handoff.partner
        unverified = is_partner_address(partner, sender) and verified is False
        flagged = unverified or not is_partner_address(partner, sender)
        now = timezone.now()
        text = body.strip() or _("(no text)")
        if unverified:
            heading = _(
                "Answer on hand-off %(ref)s claiming to be from %(partner)s (%(sender)s), but our mail server could not verify the sender: check it before relying on it."
            ) % {"ref": handoff.reference, "sender": sender, "partner": partner}
        elif flagged:
            heading = _(
                "Answer on hand-off %(ref)s from %(sender)s, which is not %(partner)s's address (%(address)s): check it before relying on it."
            ) % {"ref": handoff.reference, "sender": sender, "partner": partner, "address": partner.email}
        else:
            heading = _("Answer from %(partner)s on hand-off %(ref)s:") % {
                "partner": partner,
                "ref": handoff.reference,
            }
        message_key = f"<{message_id}>" if message_id else new_message_id()
        note = _note(
            ticket, None, f"{heading}\n\n{text}", files=files, external_id=f"handoff:{message_key}"[:255]
        )
        mail = HandoffMail.objects.create(
            handoff=handoff,
            direction=HandoffMail.Direction.IN,
            purpose=HandoffMail.Purpose.ANSWER,
            email_message_id=message_key[:255],
            address=sender[:254],
            body=text,
            flagged=flagged,
            note=note,
            state=HandoffMail.DeliveryState.RECEIVED,
            sent_at=now,
        )
        if not flagged:
            fields = ["last_reply_at"]
            handoff.last_reply_at = now
            if handoff.first_reply_at is None:
                handoff.first_reply_at = now
                fields.append("first_reply_at")
            handoff.save(update_fields=fields)
    return mail, note


@dataclass(frozen=True)
class DueWarning:
    handoff_id: int
    overdue: bool


def fire_due_warnings(*, now: datetime | None = None, batch_size: int = 200) -> list[DueWarning]:
    """Mark every unanswered open hand-off (of a ticket not closed) that is near or past its due time as
    warned, once each (rows another sweep holds are skipped), and queue the warning mails on commit."""
    now = now or timezone.now()
    fired: list[DueWarning] = []
    with transaction.atomic():
        # A closed ticket waits on nobody: its hand-offs left open are not warned about.
        waiting = (
            Handoff.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=Handoff.State.OPEN, first_reply_at__isnull=True)
            .exclude(ticket__status=Status.CLOSED)
        )
        overdue = list(
            waiting.filter(overdue_warned_at__isnull=True, due_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if overdue:
            Handoff.objects.filter(pk__in=overdue, overdue_warned_at__isnull=True).update(
                overdue_warned_at=now
            )
            Handoff.objects.filter(pk__in=overdue, warned_at__isnull=True).update(warned_at=now)
        near = list(
            waiting.filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)
            .order_by("pk")
            .values_list("pk", flat=True)[: max(0, batch_size - len(overdue))]
        )
        if near:
            Handoff.objects.filter(pk__in=near, warned_at__isnull=True).update(warned_at=now)
        fired = [DueWarning(pk, True) for pk in overdue] + [DueWarning(pk, False) for pk in near]
        if fired:
            payload = [[w.handoff_id, int(w.overdue)] for w in fired]
            queue_after_commit("handoffs.tasks.send_warnings", payload)
    return fired
