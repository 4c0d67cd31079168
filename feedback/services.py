"""Every write of the satisfaction follow-up: scheduling, sending, answers, opt-out, return visits.

Ticket changes (reopening on "not solved", the return-visit note) go through
complaints.services; this module never writes Ticket or TicketEvent rows itself.
"""

import logging
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_intake.outbound.email import BatchMailer
from complaints import notifications
from complaints import services as complaint_services
from complaints.errors import ComplaintError, NotFound
from complaints.models import Customer, Message, Resolution, TeamMembership, Ticket
from complaints.services import customers as customer_services
from complaints.states import Status

from . import delivery
from .models import ReturnVisit, Survey, SurveyAnswer, SurveyPolicy, SurveyReason
from .scheduling import (  # schedule_survey(s) re-exported: callers use services.schedule_survey
    outside_quiet_hours,
    policy_for,
    schedule_survey,  # noqa: F401
    schedule_surveys,  # noqa: F401
)

logger = logging.getLogger(__name__)

# Delivery is retried on the following runs with growing pauses, then given up.
MAX_DELIVERY_ATTEMPTS = 6
RETRY_BASE = timedelta(minutes=5)


class SurveyUnavailable(ComplaintError):
    """The survey cannot be answered (any more): expired, cancelled or past the change window."""

    code = "survey_unavailable"
    http_status = 410


# --- scheduling (feedback/scheduling.py) and cancelling ---------------------------------


def cancel_pending_surveys(*, ticket_id: int, reason: str) -> int:
    """Cancel the ticket's surveys not yet sent (its resolution no longer stands); returns how many."""
    return Survey.objects.filter(ticket_id=ticket_id, state=Survey.State.SCHEDULED).update(
        state=Survey.State.CANCELLED, cancel_reason=reason[:200]
    )


def opt_out_of_surveys(*, customer_id: int) -> Customer:
    """The customer asked for no more surveys: remember it and cancel the ones not yet sent."""
    with transaction.atomic():
        customer = customer_services.opt_out_of_surveys(customer_id=customer_id)
        Survey.objects.filter(customer_id=customer_id, state=Survey.State.SCHEDULED).update(
            state=Survey.State.CANCELLED, cancel_reason=_("The customer unsubscribed from surveys.")
        )
        # Sent surveys stay answerable, but their reminder is dropped.
        Survey.objects.filter(customer_id=customer_id, state=Survey.State.SENT).update(remind_at=None)
    return customer


# --- sending -------------------------------------------------------------------------------

# A sender claims its batch by moving the surveys' due time this far ahead (see _claim); it stops
# sending once half of it has passed, so no other sender can take the same surveys while it works.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    reminded: int = 0
    postponed: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0
    # The mail server or SMS gateway failed during the run: the next batch waits for the next run.
    stopped_early: bool = False
    connections: int = 0  # connections to the mail server opened

    @property
    def handled(self) -> int:
        return self.sent + self.reminded + self.postponed + self.failed + self.cancelled


def _survey_policy(survey: Survey) -> SurveyPolicy:
    return survey.policy or SurveyPolicy(name="default")


def _why_not_send(survey: Survey, *, reminder: bool) -> str:
    """Why this survey must not go out any more, or "" when it may."""
    ticket = survey.ticket
    if survey.customer.surveys_opted_out:
        return _("The customer unsubscribed from surveys.")
    if ticket.is_spam or ticket.duplicate_of_id:
        return _("The ticket was marked as spam or merged.")
    if not reminder:
        # latest_resolution_id is annotated by _claim, so this costs no query per survey.
        latest = survey.latest_resolution_id
        if ticket.status not in (Status.RESOLVED, Status.CLOSED) or latest != survey.resolution_id:
            return _("The ticket was reopened before the survey went out.")
    return ""


def _due(now: datetime, *, reminder: bool) -> Q:
    if reminder:
        return Q(state=Survey.State.SENT, remind_at__lte=now, expires_at__gt=now)
    return Q(state=Survey.State.SCHEDULED, send_after__lte=now)


def _lease_field(reminder: bool) -> str:
    return "remind_at" if reminder else "send_after"


def _claim(now: datetime, *, reminder: bool, limit: int) -> list[Survey]:
    """Claim up to `limit` due surveys for this sender, oldest first, in one short transaction.

    The rows are locked with SKIP LOCKED (a sender claiming at the same moment takes others) and
    their due time is moved CLAIM_LEASE ahead, so once this commits no other sender picks them.
    Why a claim rather than holding the row locks while sending: a lock lasts as long as its
    transaction, so the batch's results could only be committed at its end, and a worker killed
    mid-batch (time limit, lost database connection, deploy) would roll back every survey already
    mailed: up to a batch of customers mailed twice by the next run. Claimed, each result is
    committed as soon as the mail server has accepted the message, so a crash leaves at most the
    one message in flight to go out again, and the rest of the claim waits out the lease.
    """
    if limit <= 0:
        return []
    latest_resolution = (
        Resolution.objects.filter(ticket_id=OuterRef("ticket_id")).order_by("-created_at", "-pk").values("pk")
    )
    with transaction.atomic():
        surveys = list(
            Survey.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due(now, reminder=reminder))
            .select_related("ticket", "customer", "policy")
            .annotate(latest_resolution_id=Subquery(latest_resolution[:1]))
            .order_by("pk")[:limit]
        )
        if surveys:
            Survey.objects.filter(pk__in=[survey.pk for survey in surveys]).update(
                **{_lease_field(reminder): now + CLAIM_LEASE}
            )
    return surveys


def _record(survey: Survey, *, reminder: bool, **fields: object) -> bool:
    """Write what became of a claimed survey in one UPDATE; False if it was cancelled meanwhile.

    The due time the claim moved is given back unless `fields` sets it. Only a survey still in the
    state it was claimed in is written, so a reopen or opt-out during the batch is not overwritten.
    """
    lease_field = _lease_field(reminder)
    fields.setdefault(lease_field, getattr(survey, lease_field))
    claimed_state = Survey.State.SENT if reminder else Survey.State.SCHEDULED
    return bool(Survey.objects.filter(pk=survey.pk, state=claimed_state).update(**fields))


def _release(surveys: list[Survey], *, now: datetime, reminder: bool) -> None:
    """Give claimed surveys that were not tried back to the next run, due at once."""
    if not surveys:
        return
    claimed_state = Survey.State.SENT if reminder else Survey.State.SCHEDULED
    try:
        Survey.objects.filter(pk__in=[survey.pk for survey in surveys], state=claimed_state).update(
            **{_lease_field(reminder): now}
        )
    except DatabaseError as error:  # they come back anyway once the lease has run out
        logger.warning("%s claimed surveys not given back: %s", len(surveys), error)


def _deliver_one(
    survey: Survey, *, mailer: BatchMailer, now: datetime, reminder: bool, report: SendReport
) -> bool:
    """Send (or remind) one claimed survey and record the result; False when the mail server or SMS
    gateway failed in a way that may fail the next ones too (a refused recipient does not)."""
    policy = _survey_policy(survey)
    reason = _why_not_send(survey, reminder=reminder)
    if reason:
        if reminder:
            _record(survey, reminder=True, remind_at=None)
        else:
            _record(survey, reminder=False, state=Survey.State.CANCELLED, cancel_reason=reason[:200])
        report.cancelled += 1
        return True
    allowed_at = outside_quiet_hours(now, policy)
    if allowed_at != now:
        _record(survey, reminder=reminder, **{_lease_field(reminder): allowed_at})
        report.postponed += 1
        return True
    try:
        delivery.deliver(survey, mailer=mailer, reminder=reminder)
    except delivery.NoSmsGateway:
        # Never pretend: without a gateway the customer gets nothing, so the survey is cancelled.
        reason = _("No SMS gateway is configured and the customer has no e-mail address.")
        _record(survey, reminder=reminder, state=Survey.State.CANCELLED, cancel_reason=reason[:200])
        report.cancelled += 1
        return True
    except OSError as error:
        attempts = survey.attempts + 1
        fields: dict[str, object] = {
            "attempts": attempts,
            "last_error": f"{type(error).__name__}: {error}"[:1000],
        }
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            fields["state"] = survey.state if reminder else Survey.State.CANCELLED
            fields["cancel_reason"] = "" if reminder else _("Delivery failed repeatedly.")
            fields["remind_at"] = None
        else:
            fields[_lease_field(reminder)] = now + RETRY_BASE * 2 ** (attempts - 1)
        _record(survey, reminder=reminder, **fields)
        report.failed += 1
        logger.warning("Survey %s not delivered (attempt %s): %s", survey.pk, attempts, error)
        # A refused recipient is this message's problem; anything else means the server is away.
        return isinstance(error, smtplib.SMTPRecipientsRefused)
    if reminder:
        recorded = _record(
            survey,
            reminder=True,
            state=Survey.State.REMINDED,
            reminded_at=now,
            remind_at=None,
            attempts=0,
            last_error="",
        )
    else:
        expires_at = now + timedelta(days=policy.answer_within_days)
        remind_at = None
        if policy.reminder_after_days:
            remind_at = outside_quiet_hours(now + timedelta(days=policy.reminder_after_days), policy)
            remind_at = remind_at if remind_at < expires_at else None
        recorded = _record(
            survey,
            reminder=False,
            state=Survey.State.SENT,
            sent_at=now,
            expires_at=expires_at,
            remind_at=remind_at,
            attempts=0,
            last_error="",
        )
    if not recorded:
        # The ticket was reopened or the customer opted out while the batch was being sent, after
        # this survey's check: the message went out, the survey stays cancelled.
        logger.warning("Survey %s was sent but had been cancelled meanwhile.", survey.pk)
        report.cancelled += 1
    elif reminder:
        report.reminded += 1
    else:
        report.sent += 1
    return True


def _deliver_batch(
    surveys: list[Survey], *, mailer: BatchMailer, now: datetime, reminder: bool, report: SendReport
) -> bool:
    """Deliver a claimed batch over the mailer's one connection; False when the run must stop.

    After a mail server failure the next e-mail gets one fresh connection (an idle or dropped
    connection is the usual cause); a second failure in the run stops it. The surveys not tried
    then (or after any error, or when the lease is half gone) are given back for the next run.
    """
    started = time.monotonic()
    tried = 0
    try:
        for survey in surveys:
            if time.monotonic() - started > CLAIM_LEASE.total_seconds() / 2:
                logger.warning(
                    "Survey batch too slow: %s surveys left for the next run.", len(surveys) - tried
                )
                report.stopped_early = True
                return False
            # Counted before sending: a survey whose fate is unknown (a crash right after the server
            # accepted it) is never given back early; it waits out the lease.
            tried += 1
            if _deliver_one(survey, mailer=mailer, now=now, reminder=reminder, report=report):
                continue
            report.stopped_early = True
            mailer.reset()
            mailer.failures += 1
            if survey.channel == Survey.Channel.SMS or mailer.failures > 1:
                return False
        return True
    finally:
        _release(surveys[tried:], now=now, reminder=reminder)


def send_due_surveys(*, now: datetime | None = None, batch_size: int = 100) -> SendReport:
    """Send every survey and reminder that is due, up to `batch_size`, and expire stale links.

    Safe with several senders at once: each claims its own surveys (see _claim), so each goes out
    once. All the e-mails of the run share one connection to the mail server.
    """
    now = now or timezone.now()
    report = SendReport()
    report.expired = Survey.objects.filter(
        state__in=[Survey.State.SENT, Survey.State.REMINDED], expires_at__lte=now
    ).update(state=Survey.State.EXPIRED, remind_at=None)
    with BatchMailer() as mailer:
        try:
            for reminder in (False, True):
                surveys = _claim(now, reminder=reminder, limit=batch_size - report.handled)
                if not _deliver_batch(surveys, mailer=mailer, now=now, reminder=reminder, report=report):
                    break
        finally:
            report.connections = mailer.opened
    return report


# --- answers and their outcomes ------------------------------------------------------------


def survey_status(survey: Survey, *, now: datetime | None = None) -> str:
    """ "open" (can be answered), "editable" (answered, can be changed), or why it cannot be answered."""
    now = now or timezone.now()
    answer = SurveyAnswer.objects.filter(survey=survey).first()
    if answer is not None:
        return "editable" if now < answer.edit_until else "closed"
    if survey.state == Survey.State.CANCELLED:
        return "cancelled"
    if survey.state == Survey.State.EXPIRED or (survey.expires_at and survey.expires_at <= now):
        return "expired"
    if survey.state == Survey.State.SCHEDULED:
        return "cancelled"  # no link to it was ever sent; a valid token for it is unexpected
    return "open"


def record_answer(
    *,
    survey_id: int,
    rating: int,
    solved: bool | None,
    reasons: Iterable[SurveyReason] = (),
    comment: str = "",
    now: datetime | None = None,
) -> SurveyAnswer:
    """Record (or change, within the change window) the customer's answer and act on it.

    "Not solved" reopens the ticket once, with the comment as the customer's message;
    a rating at or below the policy's threshold opens one return visit for the team lead.
    """
    now = now or timezone.now()
    if not 1 <= int(rating) <= 5:
        raise ComplaintError(_("Choose a rating from 1 to 5."))
    comment = complaint_services.sanitise(comment or "")
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("ticket", "customer", "policy")
            .filter(pk=survey_id)
            .first()
        )
        if survey is None:
            raise NotFound(_("No such survey."))
        status = survey_status(survey, now=now)
        if status == "closed":
            raise SurveyUnavailable(_("This answer can no longer be changed."))
        if status in ("expired", "cancelled"):
            raise SurveyUnavailable(_("This survey is closed."))
        policy = _survey_policy(survey)
        answer = SurveyAnswer.objects.filter(survey=survey).first()
        if answer is None:
            answer = SurveyAnswer(
                survey=survey, answered_at=now, edit_until=now + timedelta(days=policy.edit_within_days)
            )
        answer.rating, answer.solved, answer.comment, answer.updated_at = int(rating), solved, comment, now
        answer.save()
        answer.reasons.set(list(reasons))
        if survey.state != Survey.State.ANSWERED:
            survey.state, survey.answered_at, survey.remind_at = Survey.State.ANSWERED, now, None
            survey.save(update_fields=["state", "answered_at", "remind_at"])
        if solved is False and not answer.reopened_ticket and _reopen_for_answer(survey, comment):
            answer.reopened_ticket = True
            answer.save(update_fields=["reopened_ticket"])
        if answer.rating <= policy.low_rating_threshold:
            open_return_visit(survey=survey, answer=answer, policy=policy, now=now)
    return answer


def record_chat_rating(
    *, ticket_id: int, rating: int, survey_id: int | None = None, now: datetime | None = None
) -> SurveyAnswer:
    """Count a live chat's end-of-chat rating as an answered survey of its ticket (kind "chat").

    The first rating makes the survey (sent and answered at once); a changed rating passes
    `survey_id` and edits the answer within the policy's change window. It has no resolution,
    so the ticket's resolution surveys still go out by their own rules; a low rating opens a
    return visit like any other.
    """
    now = now or timezone.now()
    if not 1 <= int(rating) <= 5:
        raise ComplaintError(_("Choose a rating from 1 to 5."))
    with transaction.atomic():
        if survey_id is None:
            ticket = Ticket.objects.select_related("customer", "category").get(pk=ticket_id)
            policy = policy_for(ticket)
            survey = Survey.objects.create(
                kind=Survey.Kind.CHAT,
                ticket=ticket,
                customer=ticket.customer,
                policy=policy if policy.pk else None,
                channel=Survey.Channel.CUSTOMER_CHANNEL,
                state=Survey.State.SENT,
                send_after=now,
                sent_at=now,
            )
            survey_id = survey.pk
        return record_answer(survey_id=survey_id, rating=rating, solved=None, now=now)


def _reopen_for_answer(survey: Survey, comment: str) -> bool:
    """Put the ticket back to work because the customer says the problem is not solved."""
    reason = comment or _("The customer answered in the satisfaction survey that the problem is not solved.")
    ticket = Ticket.objects.get(pk=survey.ticket_id)
    try:
        if ticket.status == Status.RESOLVED:
            # The resolution is still waiting for the customer: this is their dispute.
            complaint_services.dispute(ticket_id=ticket.pk, actor=None, reason=reason)
        elif ticket.status == Status.CLOSED:
            complaint_services.reopen(ticket_id=ticket.pk, actor=None, version=None, reason=reason)
            complaint_services.add_message(
                ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body=reason
            )
        else:
            # Someone reopened it already; the customer's words still belong on the ticket.
            complaint_services.add_message(
                ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body=reason
            )
    except ComplaintError as error:
        # The answer still counts; a merged ticket, say, cannot be reopened.
        logger.info("Survey %s: ticket %s not reopened: %s", survey.pk, ticket.reference, error.message)
        return False
    return True


def team_lead_for(ticket: Ticket) -> AbstractBaseUser | None:
    """The ticket team's lead who gets return visits (the longest-standing active one)."""
    membership = (
        TeamMembership.objects.filter(
            team_id=ticket.team_id, role=TeamMembership.Role.LEAD, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def open_return_visit(
    *, survey: Survey, answer: SurveyAnswer, policy: SurveyPolicy, now: datetime
) -> ReturnVisit:
    """The return visit for this survey, opening it for the team lead if there is none yet."""
    ticket = survey.ticket
    visit, created = ReturnVisit.objects.get_or_create(
        survey=survey,
        defaults={
            "ticket": ticket,
            "team_id": ticket.team_id,
            "assignee": team_lead_for(ticket),
            "reason": _("Rated %(rating)s/5%(solved)s")
            % {
                "rating": answer.rating,
                "solved": _(", not solved") if answer.solved is False else "",
            },
            "due_at": now + timedelta(hours=policy.return_visit_due_hours),
        },
    )
    if created:
        # Kept for the re-queue if the broker is away (complaints.notifications).
        notifications.queue_staff_mail("feedback.tasks.notify_return_visit", visit.pk)
    return visit


def complete_return_visit(
    *, visit_id: int, actor: AbstractBaseUser | None, outcome: str, notes: str = ""
) -> ReturnVisit:
    """Record how the return visit went; the outcome goes on the ticket as an internal note."""
    if outcome not in ReturnVisit.Outcome.values:
        raise ComplaintError(_("Choose what came of the return visit."))
    with transaction.atomic():
        visit = (
            ReturnVisit.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .filter(pk=visit_id)
            .first()
        )
        if visit is None:
            raise NotFound(_("No such return visit."))
        if visit.completed_at is not None:
            raise ComplaintError(_("This return visit was already completed."))
        visit.outcome, visit.notes = outcome, notes.strip()
        visit.completed_at, visit.completed_by = timezone.now(), actor
        visit.save(update_fields=["outcome", "notes", "completed_at", "completed_by"])
        note = _("Return visit: %(outcome)s.") % {"outcome": ReturnVisit.Outcome(outcome).label}
        complaint_services.add_message(
            ticket_id=visit.ticket_id,
            actor=actor,
            kind=Message.Kind.NOTE,
            body=f"{note}\n{visit.notes}".strip(),
        )
    return visit
