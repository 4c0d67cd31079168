"""Business calendars, SLA policies, per-ticket clocks and the alerts they fired."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.config_cache import ConfigQuerySet
from complaints.models import Category, Team, Ticket
from complaints.models.bilingual import pick

from .calendars import CalendarSpec, business_time_between

WEEKLY_DAYS = 7


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(zone)s is not a known time zone."), params={"zone": value}) from None


class BusinessCalendar(models.Model):
    """When SLA time runs: around the clock, or weekly working hours minus holidays."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    always_open = models.BooleanField(
        _("open 24×7"), default=False, help_text=_("Ignore working hours and holidays: every minute counts.")
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=8,
        blank=True,
        default="CN",
        help_text=_(
            "ISO country code for the holidays package (CN honours statutory holidays and the adjusted "
            "working weekends); empty for none."
        ),
    )
    holiday_subdivision = models.CharField(_("region"), max_length=16, blank=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.holiday_country:
            import holidays

            if self.holiday_country.upper() not in holidays.list_supported_countries():
                raise ValidationError(
                    {"holiday_country": _("The holidays package does not know this country code.")}
                )
            self.holiday_country = self.holiday_country.upper()

    def spec(self) -> CalendarSpec:
        """The calendar as the business-time functions take it (reads intervals and days once)."""
        if self.always_open:
            return CalendarSpec(time_zone=self.time_zone, always_open=True)
        weekly: list[list[tuple]] = [[] for _ in range(WEEKLY_DAYS)]
        for interval in sorted(self.intervals.all(), key=lambda i: (i.weekday, i.start)):
            end = None if interval.end == interval.end.min else interval.end
            weekly[interval.weekday].append((interval.start, end))
        closed, working = set(), set()
        for day in self.days.all():
            (working if day.is_working else closed).add(day.date)
        return CalendarSpec(
            time_zone=self.time_zone,
            always_open=False,
            weekly=tuple(tuple(day) for day in weekly),
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            extra_closed=frozenset(closed),
            extra_working=frozenset(working),
        )


class WorkingInterval(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end="00:00:00"),
                name="sla_interval_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A day override: a holiday (closed) or an adjusted working day the holiday data lacks or has wrong.

    Next year's holidays and adjusted working days (调休) are published by the State Council each
    November or December; until the `holidays` package knows them, supervisors enter them here.
    An override wins over the holiday data; a working day on a weekend works the standard day.
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    is_working = models.BooleanField(
        _("working day"), default=False, help_text=_("Ticked: an extra working day; unticked: closed.")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        verbose_name = _("day override")
        verbose_name_plural = _("day overrides")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_working else '-'}"

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)


def parse_thresholds(value: str) -> list[int]:
    return sorted({int(part) for part in value.replace("，", ",").split(",") if part.strip()})


def validate_thresholds(value: str) -> None:
    try:
        levels = parse_thresholds(value)
    except ValueError:
        raise ValidationError(_("Give whole percentages separated by commas, e.g. 50, 80.")) from None
    if any(not 0 < level < 100 for level in levels):
        raise ValidationError(_("Warnings must lie between 1 and 99 percent of the target."))


class FirstResponseStop(models.TextChoices):
    REPLY = "reply", _("First public reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement or first reply")


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets for the tickets it covers; the most specific active match wins, ties by position."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    match_kind = models.CharField(_("kind is"), max_length=16, blank=True, choices=Ticket.Kind.choices)
    match_complexity = models.CharField(
        _("complexity is"), max_length=16, blank=True, choices=Ticket.Complexity.choices
    )
    match_priority = models.PositiveSmallIntegerField(
        _("priority is"), null=True, blank=True, choices=Ticket.Priority.choices
    )
    match_category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category is (or is under)"),
    )
    match_channel = models.CharField(
        _("channel is"), max_length=16, blank=True, choices=Ticket.Channel.choices
    )

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), null=True, blank=True
    )
    first_response_stops_on = models.CharField(
        _("first response is"),
        max_length=16,
        choices=FirstResponseStop.choices,
        default=FirstResponseStop.REPLY,
    )
    first_response_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first response calendar"),
        help_text=_("Empty: the policy's calendar (e.g. acknowledge within 24 h around the clock)."),
    )
    next_response_minutes = models.PositiveIntegerField(
        _("answer each customer message within (business minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolve within (business minutes)"), null=True, blank=True
    )
    restart_resolution_on_reopen = models.BooleanField(
        _("reopening restarts the resolution clock"),
        default=True,
        help_text=_("Unticked: a reopened ticket only has what was left of its resolution time."),
    )
    warning_thresholds = models.CharField(
        _("warn at (percent of the target)"),
        max_length=40,
        default="50,80",
        blank=True,
        validators=[validate_thresholds],
    )

    notify_assignee = models.BooleanField(_("on breach: tell the assignee"), default=True)
    notify_team_lead = models.BooleanField(_("on breach: tell the team lead"), default=True)
    notify_supervisors = models.BooleanField(_("on breach: tell the supervisors"), default=False)
    raise_priority = models.BooleanField(_("on breach: raise the priority one step"), default=False)
    raise_escalation = models.BooleanField(_("on breach: raise the escalation level"), default=False)
    move_to_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on breach: move to team"),
    )

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    @property
    def thresholds(self) -> list[int]:
        return parse_thresholds(self.warning_thresholds)

    def minutes_for(self, target: str) -> int | None:
        """The target's business minutes under this policy (None: the policy sets no such target)."""
        return {
            SlaTarget.FIRST_RESPONSE: self.first_response_minutes,
            SlaTarget.NEXT_RESPONSE: self.next_response_minutes,
            SlaTarget.RESOLUTION: self.resolution_minutes,
        }[target]

    def calendar_for(self, target: str) -> BusinessCalendar:
        if target == SlaTarget.FIRST_RESPONSE and self.first_response_calendar_id:
            return self.first_response_calendar
        return self.calendar

    @property
    def specificity(self) -> int:
        return sum(
            bool(value)
            for value in (
                self.match_kind,
                self.match_complexity,
                self.match_priority,
                self.match_category_id,
                self.match_channel,
            )
        )


class SlaOutcome(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class SlaClock(models.Model):
    """One target of one ticket, timed on its calendar; at most one clock per target runs at a time."""

    Target = SlaTarget
    Outcome = SlaOutcome

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(_("target"), max_length=20, choices=SlaTarget.choices)
    cycle = models.PositiveSmallIntegerField(default=1)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    thresholds = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(default=0, help_text=_("Business seconds spent paused."))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=SlaOutcome.choices, default=SlaOutcome.RUNNING
    )
    elapsed_seconds = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("Business seconds from start to stop, pauses excluded.")
    )
    warned_percent = models.PositiveSmallIntegerField(default=0)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    # When the sweep must look at this clock next (next warning or the breach); null: nothing to fire.
    next_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "target", "cycle"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(
                fields=["next_alert_at"],
                name="sla_clock_next_alert",
                condition=Q(next_alert_at__isnull=False),
            ),
            models.Index(fields=["due_at"], name="sla_clock_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "cycle"], name="sla_clock_unique_cycle"),
            models.UniqueConstraint(
                fields=["ticket", "target"],
                condition=Q(stopped_at__isnull=True),
                name="sla_clock_one_running",
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True, outcome="running")
                | (Q(stopped_at__isnull=False) & ~Q(outcome="running")),
                name="sla_clock_stopped_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} #{self.cycle} of {self.ticket_id}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return self.stopped_at is None and self.paused_at is not None

    @property
    def is_breached(self) -> bool:
        if self.stopped_at is not None:
            return self.outcome == SlaOutcome.MISSED
        return self.breached_at is not None or (self.paused_at or timezone.now()) > self.due_at

    @property
    def state(self) -> str:
        """on_track / at_risk / breached / paused / met (as Ticket.SlaState), for pages and the API."""
        if self.stopped_at is not None:
            return {SlaOutcome.MET: Ticket.SlaState.MET, SlaOutcome.MISSED: Ticket.SlaState.BREACHED}.get(
                self.outcome, Ticket.SlaState.NONE
            )
        if self.is_breached:
            return Ticket.SlaState.BREACHED
        if self.paused_at is not None:
            return Ticket.SlaState.PAUSED
        if self.warned_percent:
            return Ticket.SlaState.AT_RISK
        return Ticket.SlaState.ON_TRACK

    def get_state_display(self) -> str:
        return str(Ticket.SlaState(self.state).label)

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Business time left until due (negative when overdue); frozen while paused."""
        moment = self.paused_at or now or timezone.now()
        return business_time_between(self.calendar.spec(), moment, self.due_at)

    @property
    def remaining_label(self) -> str:
        """ "2 h 5 min" left, or "overdue by 10 min" (business time)."""
        left = self.remaining()
        if left < timedelta(0):
            return _("overdue by %(time)s") % {"time": duration_label(left)}
        return duration_label(left)


def duration_label(value: timedelta) -> str:
    """3 h 20 min / 45 min: business time as people read it."""
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


class SlaAlert(models.Model):
    """A warning (threshold < 100) or the breach (100) a clock fired; the unique row makes it fire once."""

    BREACH = 100

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    fired_at = models.DateTimeField(default=timezone.now)
    event_id = models.BigIntegerField(null=True, blank=True, help_text=_("The timeline event it wrote."))
    notified_at = models.DateTimeField(null=True, blank=True, help_text=_("When its e-mail went out."))
    # Who had the ticket when it fired: a breach action may move it on before the e-mail goes out.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["clock", "threshold"]
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        constraints = [
            models.UniqueConstraint(fields=["clock", "threshold"], name="sla_alert_once_per_threshold")
        ]
        # The outbox's look for alerts not mailed yet (sla.notifications.requeue_unsent_alerts).
        indexes = [
            models.Index(
                fields=["fired_at"], condition=models.Q(notified_at__isnull=True), name="sla_alert_unmailed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.threshold} %"

    @property
    def is_breach(self) -> bool:
        return self.threshold >= self.BREACH


__all__ = [
    "BusinessCalendar",
    "CalendarDay",
    "FirstResponseStop",
    "SlaAlert",
    "SlaClock",
    "SlaOutcome",
    "SlaPolicy",
    "SlaTarget",
    "WorkingInterval",
]
