"""The reports page: volumes, causes, remedies, SLA compliance, satisfaction and repeats for a period,
broken down by category, channel, team or month, each figure beside the same-length previous period.

By month the rows are the whole calendar months the period touches, each beside the month before.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import extensions, reports, selectors
from complaints.models import Category, Resolution, Team, Ticket
from complaints.models.tickets import Channel

from .changes import DOWN_IS_GOOD, NEUTRAL, UP_IS_GOOD, Change
from .dashboard import sla_compliance
from .periods import Period

DIMENSION_LABELS = {
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "month": gettext_lazy("Month"),
}


@dataclass
class Row:
    key: str
    label: str
    cells: list[Change]
    compared_with: str = ""


@dataclass
class Table:
    slug: str
    title: str
    description: str
    group_label: str
    metrics: list[str]
    rows: list[Row] = field(default_factory=list)

    def export_headers(self) -> list[str]:
        headers = [self.group_label]
        for metric in self.metrics:
            headers += [
                metric,
                _("%(figure)s, previous period") % {"figure": metric},
                _("%(figure)s, change") % {"figure": metric},
                _("%(figure)s, change in percent") % {"figure": metric},
            ]
        return headers

    def export_rows(self) -> Iterator[list[Any]]:
        for row in self.rows:
            line: list[Any] = [row.label]
            for cell in row.cells:
                line += [cell.current, cell.previous, cell.delta, cell.percent]
            yield line


@dataclass
class Reports:
    period: Period
    previous: Period
    by: str
    summary: Table
    tables: list[Table]

    def table(self, slug: str) -> Table | None:
        return next((t for t in [self.summary, *self.tables] if t.slug == slug), None)


# --- the figures behind the tables ----------------------------------------------------------------------


def _overall(tickets: Any, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "sections": extensions.stats(start, end, tickets),
        "opened": reports.opened_in(tickets, start, end).count(),
        "repeats": reports.repeat_rate(tickets, start, end),
        "remedies": reports.remedies(tickets, start, end),
    }


def _breakdown(tickets: Any, start: datetime, end: datetime, by: str, sections: dict) -> dict[str, Any]:
    """Per group: tickets received, SLA met/missed, satisfaction, repeats, remedies per currency."""
    sla: dict[str, dict[str, int]] = defaultdict(lambda: {"met": 0, "missed": 0})
    for row in sections.get("sla", {}).get(f"by_{by}", []):
        key = reports.group_key(row[by])
        sla[key]["met"] += row["met"]
        sla[key]["missed"] += row["missed"]
    satisfaction = {row["key"] or "": row for row in sections.get("satisfaction", {}).get(f"by_{by}", [])}
    return {
        "volume": reports.counts_by(reports.opened_in(tickets, start, end), by),
        "sla": dict(sla),
        "satisfaction": satisfaction,
        "repeats": reports.repeat_rate_by(tickets, start, end, by),
        "remedies": reports.remedies_by(tickets, start, end, by),
    }


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _labels(by: str, keys: set[str]) -> dict[str, str]:
    """Display names in the active language: bilingual names for teams and categories."""
    if by == "team":
        names = {t.slug: t.name for t in Team.objects.filter(slug__in=keys - {""})}
        return {key: names.get(key, key) if key else _("Unrouted") for key in keys}
    if by == "category":
        names = {c.slug: c.name for c in Category.objects.filter(slug__in=keys - {""})}
        return {key: names.get(key, key) if key else _("Uncategorised") for key in keys}
    if by == "channel":
        return {key: str(Channel(key).label) if key in Channel.values else key for key in keys}
    return {key: date_format(date.fromisoformat(key), "YEAR_MONTH_FORMAT") for key in keys}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- the tables -----------------------------------------------------------------------------------------


def build_reports(*, user: AbstractBaseUser, period: Period, by: str) -> Reports:
    """Every report table for `period` and its same-length predecessor, broken down `by` a dimension."""
    if by not in reports.DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    visible = selectors.tickets_visible_to(user)
    tickets = Ticket.objects.filter(pk__in=visible.order_by().values("pk"))
    previous = period.previous()
    now = _overall(tickets, period.start, period.end)
    before = _overall(tickets, previous.start, previous.end)

    if by == "month":
        first = _month_start(period.first)
        months = []
        month = first
        while month <= period.last:
            months.append(month)
            month = _add_months(month, 1)
        start, end = _midnight(_add_months(first, -1)), _midnight(_add_months(months[-1], 1))
        current = earlier = _breakdown(tickets, start, end, by, extensions.stats(start, end, tickets))
        pairs = [(m.isoformat(), _add_months(m, -1).isoformat()) for m in months]
        labels = _labels(by, {key for pair in pairs for key in pair})
    else:
        current = _breakdown(tickets, period.start, period.end, by, now["sections"])
        earlier = _breakdown(tickets, previous.start, previous.end, by, before["sections"])
        keys = set()
        for part in ("volume", "sla", "satisfaction", "repeats"):
            keys |= set(current[part]) | set(earlier[part])
        keys |= {group for group, _currency in [*current["remedies"], *earlier["remedies"]]}
        labels = _labels(by, keys)
        pairs = [(key, key) for key in sorted(keys, key=lambda k: (k == "", labels[k].lower()))]

    group_label = str(DIMENSION_LABELS[by])
    tables = [
        *_compared_tables(current, earlier, pairs, labels, group_label, by),
        _compensation_table(current, earlier, pairs, labels, group_label, by),
        _causes_table(now, before),
        _remedies_table(now, before),
    ]
    return Reports(period=period, previous=previous, by=by, summary=_summary(now, before), tables=tables)


def _row(key: str, before_key: str, labels: dict[str, str], cells: list[Change], by: str) -> Row:
    return Row(
        key=key, label=labels[key], cells=cells, compared_with=labels[before_key] if by == "month" else ""
    )


def _sla_cells(now: dict, then: dict) -> list[Change]:
    return [
        Change(now["met"], then["met"], better=UP_IS_GOOD),
        Change(now["missed"], then["missed"], better=DOWN_IS_GOOD),
        Change(
            _rate(now["met"], now["met"] + now["missed"]),
            _rate(then["met"], then["met"] + then["missed"]),
            "percent",
            better=UP_IS_GOOD,
        ),
    ]


def _satisfaction_cells(now: dict, then: dict) -> list[Change]:
    return [
        Change(now["answered"], then["answered"], better=UP_IS_GOOD),
        Change(now["csat"], then["csat"], "percent", better=UP_IS_GOOD),
        Change(now["response_rate"], then["response_rate"], "percent", better=UP_IS_GOOD),
    ]


def _repeat_cells(now: dict, then: dict) -> list[Change]:
    return [
        Change(now["received"], then["received"], better=DOWN_IS_GOOD),
        Change(now["folded"] + now["linked"], then["folded"] + then["linked"], better=DOWN_IS_GOOD),
        Change(
            round(100 * now["rate"], 1) if now["received"] else None,
            round(100 * then["rate"], 1) if then["received"] else None,
            "percent",
            better=DOWN_IS_GOOD,
        ),
    ]


# The tables that compare one section of the breakdown row by row:
# (table id, title, help, columns, section, figures of a group with no data, cells(now, then)).
COMPARED_TABLES: list[tuple[str, Any, Any, list, str, Any, Callable[[Any, Any], list[Change]]]] = [
    (
        "volume",
        gettext_lazy("Volume"),
        gettext_lazy("Tickets received (opened) in the period."),
        [gettext_lazy("Tickets received")],
        "volume",
        0,
        lambda now, then: [Change(now, then, better=DOWN_IS_GOOD)],
    ),
    (
        "sla",
        gettext_lazy("SLA compliance"),
        gettext_lazy("Service-level targets that fell due in the period: met, missed and the share met."),
        [gettext_lazy("Met"), gettext_lazy("Missed"), gettext_lazy("Compliance")],
        "sla",
        {"met": 0, "missed": 0},
        _sla_cells,
    ),
    (
        "csat",
        gettext_lazy("Satisfaction (CSAT)"),
        gettext_lazy(
            "Surveys sent in the period: answers, the share rating 4 or 5 (CSAT) and the response rate."
        ),
        [gettext_lazy("Surveys answered"), gettext_lazy("CSAT"), gettext_lazy("Response rate")],
        "satisfaction",
        {"answered": 0, "csat": None, "response_rate": None},
        _satisfaction_cells,
    ),
    (
        "repeats",
        gettext_lazy("Repeat complaints"),
        gettext_lazy("Complaints received in the period and how many repeated an earlier one."),
        [gettext_lazy("Received"), gettext_lazy("Repeats"), gettext_lazy("Repeat rate")],
        "repeats",
        {"received": 0, "folded": 0, "linked": 0, "rate": 0.0},
        _repeat_cells,
    ),
]


def _compared_tables(
    current: dict,
    earlier: dict,
    pairs: list[tuple[str, str]],
    labels: dict[str, str],
    group_label: str,
    by: str,
) -> list[Table]:
    tables = []
    for table_id, title, help_text, columns, section, empty, cells in COMPARED_TABLES:
        table = Table(table_id, title, help_text, group_label, columns)
        for key, before_key in pairs:
            now, then = current[section].get(key, empty), earlier[section].get(before_key, empty)
            table.rows.append(_row(key, before_key, labels, cells(now, then), by))
        tables.append(table)
    return tables


def _compensation_table(
    current: dict,
    earlier: dict,
    pairs: list[tuple[str, str]],
    labels: dict[str, str],
    group_label: str,
    by: str,
) -> Table:
    table = Table(
        "compensation",
        _("Remedies and compensation"),
        _("Resolutions recorded in the period and the amounts refunded or paid, per currency."),
        group_label,
        [_("Resolutions"), _("Amount")],
    )
    currencies = sorted({currency for _group, currency in [*current["remedies"], *earlier["remedies"]]})
    empty = {"count": 0, "amount": Decimal("0.00")}
    for key, before_key in pairs:
        for currency in currencies:
            now = current["remedies"].get((key, currency), empty)
            then = earlier["remedies"].get((before_key, currency), empty)
            if not (now["count"] or then["count"]):
                continue
            row = _row(
                key,
                before_key,
                labels,
                [
                    Change(now["count"], then["count"], better=DOWN_IS_GOOD),
                    Change(now["amount"], then["amount"], "money", better=DOWN_IS_GOOD),
                ],
                by,
            )
            row.label = f"{row.label} ({currency})"
            table.rows.append(row)
    return table


def _causes_table(now: dict, before: dict) -> Table:
    table = Table(
        "causes",
        _("Root causes"),
        _("Resolutions recorded in the period, by the root cause found."),
        _("Root cause"),
        [_("Resolutions")],
    )
    current = {row["root_cause"]: row for row in now["remedies"]["by_root_cause"]}
    earlier = {row["root_cause"]: row for row in before["remedies"]["by_root_cause"]}
    for slug in sorted(
        current.keys() | earlier.keys(), key=lambda s: (-current.get(s, {}).get("count", 0), s)
    ):
        name = (current.get(slug) or earlier.get(slug))["name"] or slug
        change = Change(
            current.get(slug, {}).get("count", 0), earlier.get(slug, {}).get("count", 0), better=DOWN_IS_GOOD
        )
        table.rows.append(Row(key=slug, label=name, cells=[change]))
    return table


def _remedies_table(now: dict, before: dict) -> Table:
    table = Table(
        "remedies",
        _("Remedies"),
        _("Resolutions recorded in the period, by remedy, with the amounts per currency."),
        _("Remedy"),
        [_("Resolutions"), _("Amount")],
    )
    current = {(row["remedy"], row["currency"]): row for row in now["remedies"]["by_remedy"]}
    earlier = {(row["remedy"], row["currency"]): row for row in before["remedies"]["by_remedy"]}
    order = list(Resolution.Remedy.values)
    for remedy, currency in sorted(current.keys() | earlier.keys(), key=lambda k: (order.index(k[0]), k[1])):
        this, that = current.get((remedy, currency)), earlier.get((remedy, currency))
        cells = [
            Change(this["count"] if this else 0, that["count"] if that else 0, better=DOWN_IS_GOOD),
            Change(
                Decimal(this["amount"]) if this else Decimal("0.00"),
                Decimal(that["amount"]) if that else Decimal("0.00"),
                "money",
                better=DOWN_IS_GOOD,
            ),
        ]
        label = f"{Resolution.Remedy(remedy).label} ({currency})"
        table.rows.append(Row(key=f"{remedy}:{currency}", label=label, cells=cells))
    return table


def _summary(now: dict, before: dict) -> Table:
    table = Table(
        "summary",
        _("Summary"),
        _("The period's headline figures beside the previous period of the same length."),
        _("Figure"),
        [_("Value")],
    )
    sla_now = sla_compliance(now["sections"].get("sla", {}).get("overall", []))
    sla_before = sla_compliance(before["sections"].get("sla", {}).get("overall", []))
    csat_now = now["sections"].get("satisfaction", {})
    csat_before = before["sections"].get("satisfaction", {})

    def repeat_percent(figures: dict) -> float | None:
        return round(100 * figures["repeats"]["rate"], 1) if figures["repeats"]["received"] else None

    rows = [
        ("received", _("Tickets received"), Change(now["opened"], before["opened"], better=DOWN_IS_GOOD)),
        (
            "repeat_rate",
            _("Repeat-complaint rate"),
            Change(repeat_percent(now), repeat_percent(before), "percent", better=DOWN_IS_GOOD),
        ),
        (
            "resolutions",
            _("Resolutions recorded"),
            Change(now["remedies"]["resolutions"], before["remedies"]["resolutions"], better=NEUTRAL),
        ),
    ]
    amounts: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for index, figures in enumerate((now, before)):
        for row in figures["remedies"]["by_remedy"]:
            amounts[row["currency"]][index] += Decimal(row["amount"])
    for currency, (this, that) in sorted(amounts.items()):
        label = _("Amount refunded or paid (%(currency)s)") % {"currency": currency}
        rows.append((f"amount:{currency}", label, Change(this, that, "money", better=DOWN_IS_GOOD)))
    if "sla" in now["sections"]:
        rows.append(
            (
                "sla",
                _("SLA compliance"),
                Change(sla_now["compliance"], sla_before["compliance"], "percent", better=UP_IS_GOOD),
            )
        )
    if "satisfaction" in now["sections"]:
        rows += [
            (
                "csat",
                _("CSAT"),
                Change(csat_now.get("csat"), csat_before.get("csat"), "percent", better=UP_IS_GOOD),
            ),
            (
                "response_rate",
                _("Survey response rate"),
                Change(
                    csat_now.get("response_rate"),
                    csat_before.get("response_rate"),
                    "percent",
                    better=UP_IS_GOOD,
                ),
            ),
            (
                "average_rating",
                _("Average rating"),
                Change(
                    csat_now.get("average_rating"),
                    csat_before.get("average_rating"),
                    "number",
                    better=UP_IS_GOOD,
                ),
            ),
        ]
    table.rows = [Row(key=key, label=label, cells=[change]) for key, label, change in rows]
    return table
