"""Corrective and preventive actions: their state, the overdue warning and the measured effect.

The effect is the complaint rate for the action's root cause or category (its share of all
tickets opened) in the N weeks after completion against the N weeks before. It is shown live
on the action while the window runs, and stored once the window has passed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from complaints import preferences
from complaints.models import Ticket
from config.celery import queue_after_commit

from .models import CorrectiveAction, QualitySettings

OPEN_STATUSES = (CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS)


def save_action(*, action: CorrectiveAction, actor: AbstractBaseUser, created: bool) -> CorrectiveAction:
    """Save an action a supervisor edited, with its bookkeeping: who opened it, when it was done
    (undone: the measured effect is dropped), a fresh overdue warning when the due date moves on."""
    if created and action.opened_by_id is None:
        action.opened_by = actor
    if action.status == CorrectiveAction.Status.DONE and action.completed_at is None:
        action.completed_at = timezone.now()
    elif action.status != CorrectiveAction.Status.DONE and action.completed_at is not None:
        action.completed_at = None
        action.effect_checked_at = action.rate_before = action.rate_after = action.effect_weeks = None
    if action.overdue_warned_at and action.due_date >= timezone.localdate():
        action.overdue_warned_at = None  # a new due date deserves its own warning
    action.save()
    return action


def matching_tickets(action: CorrectiveAction, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets of the action's problem: filed under its root cause, or in its category (or below)."""
    condition = Q()
    if action.root_cause_id:
        condition &= Q(resolutions__root_cause_id=action.root_cause_id)
    if action.category_id:
        condition &= Q(category_id=action.category_id) | Q(category__parent_id=action.category_id)
    return tickets.filter(condition).distinct()


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Window:
    start: datetime
    end: datetime
    matching: int
    total: int

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.matching, self.total)


@dataclass
class Effect:
    weeks: int
    before: Window
    after: Window
    final: bool

    @property
    def change(self) -> Decimal | None:
        if self.before.rate is None or self.after.rate is None:
            return None
        return self.after.rate - self.before.rate


def _window(action: CorrectiveAction, start: datetime, end: datetime) -> Window:
    opened = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, is_spam=False)
    return Window(
        start=start, end=end, matching=matching_tickets(action, opened).count(), total=opened.count()
    )


def effect_of(
    action: CorrectiveAction, *, now: datetime | None = None, weeks: int | None = None
) -> Effect | None:
    """The complaint rate N weeks before completion against after (so far, while the window runs)."""
    if action.completed_at is None:
        return None
    now = now or timezone.now()
    weeks = weeks or action.effect_weeks or QualitySettings.current().effectiveness_weeks
    span = timedelta(weeks=weeks)
    done = action.completed_at
    before = _window(action, done - span, done)
    after = _window(action, done, min(done + span, now))
    return Effect(weeks=weeks, before=before, after=after, final=now >= done + span)


def store_effects(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Store the effect of every done action whose window has passed; each is stored once."""
    now = now or timezone.now()
    weeks = QualitySettings.current().effectiveness_weeks
    stored = 0
    with transaction.atomic():
        due = (
            CorrectiveAction.objects.select_for_update(skip_locked=True)
            .filter(status=CorrectiveAction.Status.DONE, effect_checked_at__isnull=True)
            .filter(completed_at__lte=now - timedelta(weeks=weeks))
            .order_by("pk")[:batch_size]
        )
        for action in due:
            effect = effect_of(action, now=now, weeks=weeks)
            action.effect_weeks = weeks
            action.rate_before, action.rate_after = effect.before.rate, effect.after.rate
            action.effect_checked_at = now
            action.save(update_fields=["effect_weeks", "rate_before", "rate_after", "effect_checked_at"])
            stored += 1
    return stored


def warn_overdue(*, now: datetime | None = None, batch_size: int = 100) -> list[int]:
    """Mark every open action past its due date as warned, once, and mail its owner after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            CorrectiveAction.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=OPEN_STATUSES, due_date__lt=timezone.localdate(now), overdue_warned_at__isnull=True
            )
            .order_by("pk")[:batch_size]
        )
        ids = [action.pk for action in due]
        CorrectiveAction.objects.filter(pk__in=ids).update(overdue_warned_at=now)
        if ids:
            queue_after_commit("quality.tasks.mail_overdue_warning", ids)
    return ids


def mail_overdue_warning(*, action_ids: list[int]) -> int:
    """One mail per owner of the given overdue actions, in the owner's language."""
    sent = 0
    for action in CorrectiveAction.objects.filter(pk__in=action_ids, status__in=OPEN_STATUSES).select_related(
        "owner"
    ):
        if not action.owner.email:
            continue
        with translation.override(preferences.staff_language(action.owner) or settings.LANGUAGE_CODE):
            context = {
                "action": action,
                "url": settings.SITE_URL + reverse("admin:quality_correctiveaction_change", args=[action.pk]),
            }
            subject = " ".join(
                render_to_string("emails/corrective_action_overdue_subject.txt", context).split()
            )
            body = render_to_string("emails/corrective_action_overdue.txt", context)
        sent += EmailMessage(subject, body, None, [action.owner.email]).send()
    return sent


# Prefilled tickets are put in the add form's address: a sample is enough to show the problem.
PREFILL_TICKETS = 50


def new_action_url(
    *,
    title: str = "",
    problem: str = "",
    root_cause_id: int | None = None,
    category_id: int | None = None,
    ticket_ids: list[int] | tuple[int, ...] = (),
) -> str:
    """The console's add form of a corrective action with what is known filled in (the admin reads
    initial values from the query string; many-to-many as comma-separated keys)."""
    values = {
        "title": title[:200],
        "problem": problem[:2000],
        "root_cause": root_cause_id or "",
        "category": category_id or "",
        "tickets": ",".join(str(pk) for pk in list(ticket_ids)[:PREFILL_TICKETS]),
    }
    query = urlencode({key: value for key, value in values.items() if value})
    return reverse("admin:quality_correctiveaction_add") + (f"?{query}" if query else "")
