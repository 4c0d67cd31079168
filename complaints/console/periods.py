"""The period a console page covers: today, the last 7 or 30 days, this month, or chosen dates."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# A custom period longer than this would ask the database for years of rows on one page view.
MAX_DAYS = 731


class PeriodChoice(TextChoices):
    TODAY = "today", _("Today")
    LAST_7_DAYS = "7d", _("Last 7 days")
    LAST_30_DAYS = "30d", _("Last 30 days")
    THIS_MONTH = "month", _("This month")
    CUSTOM = "custom", _("Custom")


@dataclass(frozen=True)
class Period:
    """Whole local days [first, last], as the half-open instants [start, end) the reports take."""

    choice: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        return _midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        """The period of the same length that ends where this one starts."""
        return Period(
            PeriodChoice.CUSTOM, self.first - timedelta(days=self.days), self.first - timedelta(days=1)
        )

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    @property
    def label(self) -> str:
        if self.first == self.last:
            return date_format(self.first)
        return f"{date_format(self.first)} – {date_format(self.last)}"

    def query(self) -> dict[str, str]:
        """The query parameters that choose this period again."""
        if self.choice == PeriodChoice.CUSTOM:
            return {"period": self.choice, "from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": self.choice}


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def period_for(choice: str, today: date, first: date | None = None, last: date | None = None) -> Period:
    if choice == PeriodChoice.TODAY:
        return Period(choice, today, today)
    if choice == PeriodChoice.LAST_7_DAYS:
        return Period(choice, today - timedelta(days=6), today)
    if choice == PeriodChoice.LAST_30_DAYS:
        return Period(choice, today - timedelta(days=29), today)
    if choice == PeriodChoice.THIS_MONTH:
        return Period(choice, today.replace(day=1), today)
    if choice == PeriodChoice.CUSTOM and first and last:
        return Period(choice, first, last)
    raise ValueError(f"unknown period {choice!r}")


class PeriodForm(forms.Form):
    """Reads ?period=…&from=…&to=… (dates inclusive); a bad or missing choice falls back to the default."""

    period = forms.ChoiceField(label=_("Period"), choices=PeriodChoice.choices, required=False)

    def __init__(self, data: dict, *, default: str, today: date) -> None:
        super().__init__(data)
        self.default = default
        self.today = today
        # "from" is a Python keyword, so these two fields are added by name.
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("period") != PeriodChoice.CUSTOM:
            return data
        first, last = data.get("from"), data.get("to")
        if not first or not last:
            raise forms.ValidationError(_("Give both dates of a custom period."))
        if first > last:
            raise forms.ValidationError(_("The first day must not come after the last."))
        if (last - first).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("A period can cover at most %(days)d days."), params={"days": MAX_DAYS}
            )
        return data

    def chosen_period(self) -> Period:
        """The chosen period, or the default one when the form is empty or invalid."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("period"):
            data = self.cleaned_data
            return period_for(data["period"], self.today, data.get("from"), data.get("to"))
        return period_for(self.default, self.today)


def choose_period(params: dict, *, default: str, now: datetime | None = None) -> tuple[Period, PeriodForm]:
    today = timezone.localdate(now or timezone.now())
    form = PeriodForm(params, default=default, today=today)
    return form.chosen_period(), form
