"""Scheduling the satisfaction survey of each resolution, for one ticket or for a batch resolved
together (an incident's resolve-all): the reads are one query each whatever the batch's size."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from complaints.models import Ticket

from . import channels as survey_channels
from .models import Survey, SurveyPolicy


def policy_for(ticket: Ticket) -> SurveyPolicy:
    """The first active policy by position matching the ticket; the built-in defaults if none does."""
    for policy in SurveyPolicy.objects.filter(is_active=True).select_related("match_category"):
        if policy.matches(ticket):
            return policy
    return SurveyPolicy(name="default")


def outside_quiet_hours(moment: datetime, policy: SurveyPolicy) -> datetime:
    """`moment` itself, or the end of the quiet hours it falls in (in the customers' time zone)."""
    zone = ZoneInfo(policy.time_zone or settings.TIME_ZONE)
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return moment
    local = moment.astimezone(zone)
    now = local.time()
    if start < end:
        quiet, end_day = start <= now < end, local.date()
    else:  # the usual case: quiet hours span midnight (22:00-08:00)
        quiet = now >= start or now < end
        end_day = local.date() if now < end else local.date() + timedelta(days=1)
    if not quiet:
        return moment
    return datetime.combine(end_day, end, tzinfo=zone)


def asks_again(policy: SurveyPolicy, earlier: Survey) -> bool:
    if policy.on_resolve_again == SurveyPolicy.OnResolveAgain.ALWAYS:
        return True
    if policy.on_resolve_again == SurveyPolicy.OnResolveAgain.NEVER:
        return False
    answer = getattr(earlier, "answer", None)
    return answer is not None and answer.solved is False


def _policy_among(policies: list[SurveyPolicy], ticket: Ticket) -> SurveyPolicy:
    """services.policy_for over policies read once: the first matching by position, else the defaults."""
    return next((policy for policy in policies if policy.matches(ticket)), SurveyPolicy(name="default"))


def _channel(ticket: Ticket) -> str | None:
    if survey_channels.channel_for(ticket) is not None:
        # The channel they wrote on (WeChat, the app's callback) first, like the replies.
        return Survey.Channel.CUSTOMER_CHANNEL
    if ticket.customer.email:
        return Survey.Channel.EMAIL
    if ticket.customer.phone:
        return Survey.Channel.SMS
    return None


def schedule_survey(*, ticket_id: int, resolution_id: int, now: datetime | None = None) -> Survey | None:
    """Schedule the survey about one resolution, or None when the rules say not to ask:
    schedule_surveys with one resolution."""
    return schedule_surveys(resolutions=[(ticket_id, resolution_id)], now=now)[0]


def schedule_surveys(
    *, resolutions: Sequence[tuple[int, int]], now: datetime | None = None
) -> list[Survey | None]:
    """Schedule the survey about each (ticket id, resolution id), or None where the rules say not to
    ask: never for a merged or spam ticket, an opted-out customer or one we cannot reach; never twice
    for a resolution (unique); after a reopen only as the policy says. In the order given."""
    now = now or timezone.now()
    ticket_ids = {ticket_id for ticket_id, _resolution in resolutions}
    resolution_ids = [resolution_id for _ticket, resolution_id in resolutions]
    tickets = Ticket.objects.select_related("customer", "category").in_bulk(ticket_ids)
    policies = list(SurveyPolicy.objects.filter(is_active=True).select_related("match_category"))
    earlier: dict[int, Survey] = {}
    for survey in (
        Survey.objects.filter(ticket_id__in=ticket_ids, kind=Survey.Kind.RESOLUTION)
        .exclude(resolution_id__in=resolution_ids)
        .exclude(state=Survey.State.CANCELLED)
        .select_related("answer")
        .order_by("ticket_id", "-created_at", "-pk")
    ):
        earlier.setdefault(survey.ticket_id, survey)
    planned: list[Survey | None] = []
    for ticket_id, resolution_id in resolutions:
        ticket = tickets[ticket_id]
        customer = ticket.customer
        channel = None
        if not (ticket.duplicate_of_id or ticket.is_spam or customer.surveys_opted_out):
            channel = _channel(ticket)
        policy = _policy_among(policies, ticket) if channel else None
        if policy is None or not policy.send_survey:
            planned.append(None)
            continue
        before = earlier.get(ticket_id)
        if before is not None and not asks_again(policy, before):
            planned.append(None)
            continue
        planned.append(
            Survey(
                resolution_id=resolution_id,
                ticket=ticket,
                customer=customer,
                policy=policy if policy.pk else None,
                channel=channel,
                send_after=outside_quiet_hours(now + timedelta(minutes=policy.delay_minutes), policy),
            )
        )
    return _write(planned)


def _write(planned: list[Survey | None]) -> list[Survey | None]:
    """Insert the planned surveys, leaving out a resolution that already has its survey."""
    new = [survey for survey in planned if survey is not None]
    if len(new) == 1:
        # One resolution (an agent's resolve): the unique resolution decides, also against a racing run.
        survey = new[0]
        fields = ("ticket", "customer", "policy", "channel", "send_after")
        stored, created = Survey.objects.get_or_create(
            resolution_id=survey.resolution_id, defaults={name: getattr(survey, name) for name in fields}
        )
        return [stored if created and s is survey else None for s in planned]
    if not new:
        return planned
    # Resolutions written in the caller's transaction have no survey anywhere else yet; earlier ones may.
    taken = set(
        Survey.objects.filter(resolution_id__in=[s.resolution_id for s in new]).values_list(
            "resolution_id", flat=True
        )
    )
    Survey.objects.bulk_create([s for s in new if s.resolution_id not in taken])
    return [s if s is not None and s.resolution_id not in taken else None for s in planned]
