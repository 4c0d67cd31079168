"""Calendars and SLA policies in the console: validated, previewed, and every change audited."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from complaints.models import ConfigChange
from sla.admin import calendar_preview
from sla.models import BusinessCalendar, SlaPolicy, WorkingInterval
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def console(client, supervisor):
    client.force_login(supervisor)
    return client


def calendar_data(intervals: list[tuple[int, str, str]], **overrides: str) -> dict:
    data = {
        "name": "Office hours",
        "slug": "office-hours",
        "time_zone": "Asia/Shanghai",
        "holiday_country": "CN",
        "holiday_subdivision": "",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": "0",
        "days-TOTAL_FORMS": "0",
        "days-INITIAL_FORMS": "0",
    }
    for n, (weekday, start, end) in enumerate(intervals):
        data |= {
            f"intervals-{n}-weekday": str(weekday),
            f"intervals-{n}-start": start,
            f"intervals-{n}-end": end,
        }
    data.update(overrides)
    return data


def test_overlapping_intervals_are_refused_naming_the_day(console):
    response = console.post(
        reverse("admin:sla_businesscalendar_add"),
        calendar_data([(0, "09:00", "12:30"), (0, "12:00", "18:00"), (1, "09:00", "18:00")]),
    )
    assert response.status_code == 200
    assert "Monday: 09:00–12:30 and 12:00–18:00 overlap." in response.content.decode()
    assert not BusinessCalendar.objects.filter(slug="office-hours").exists()


def test_an_interval_ending_before_it_starts_is_refused(console):
    response = console.post(reverse("admin:sla_businesscalendar_add"), calendar_data([(2, "18:00", "09:00")]))
    assert "an interval must end after it starts" in response.content.decode()
    assert not BusinessCalendar.objects.filter(slug="office-hours").exists()


def test_an_unknown_time_zone_is_refused(console):
    response = console.post(
        reverse("admin:sla_businesscalendar_add"),
        calendar_data([(0, "09:00", "18:00")], time_zone="Asia/Beijing"),
    )
    assert "Asia/Beijing is not a known time zone." in response.content.decode()


def test_a_valid_calendar_is_saved_with_its_intervals_in_one_audit_record(console, supervisor):
    response = console.post(
        reverse("admin:sla_businesscalendar_add"),
        calendar_data([(0, "09:00", "12:00"), (0, "13:00", "18:00"), (5, "20:00", "00:00")]),
    )
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(slug="office-hours")
    assert calendar.intervals.count() == 3
    record = ConfigChange.objects.get(
        content_type=ContentType.objects.get_for_model(BusinessCalendar), object_pk=str(calendar.pk)
    )
    assert record.action == "added" and record.user == supervisor
    assert record.changes["name"] == [None, "Office hours"]
    assert [None, "13:00:00"] in record.changes.values()
    assert sum(key.startswith("working interval") for key in record.changes) >= 9


@time_machine.travel(datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI), tick=False)
def test_the_calendar_preview_lists_the_next_working_periods_skipping_the_national_holiday():
    calendar = BusinessCalendar.objects.create(slug="weekdays", name="Weekdays", time_zone="Asia/Shanghai")
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))

    preview = calendar_preview(calendar)

    # Wednesday 30 September until 18:00, then the National Day holiday is closed until Thursday 8 October;
    # Saturday 10 October is an adjusted working day (调休).
    assert "2026-09-30 (Wed): 09:00–18:00" in preview
    assert "2026-10-01" not in preview and "2026-10-07" not in preview
    assert "2026-10-08 (Thu): 09:00–18:00" in preview
    assert "2026-10-10 (Sat): 09:00–18:00" in preview
    # Two business hours from 17:00 on 30 September: one hour that day, one after the holiday.
    assert "2 business hours → <strong>2026-10-08 10:00</strong>" in preview


def test_a_calendar_without_working_time_is_flagged_in_the_preview():
    calendar = BusinessCalendar.objects.create(slug="never", name="Never", time_zone="Asia/Shanghai")
    assert "would never fall due" in calendar_preview(calendar)


def test_the_calendar_change_page_shows_the_preview(console):
    calendar = BusinessCalendar.objects.create(slug="always", name="Always", always_open=True)
    page = console.get(reverse("admin:sla_businesscalendar_change", args=[calendar.pk])).content.decode()
    assert "Open around the clock" in page and "24 business hours" in page


def test_changing_an_interval_is_recorded_before_and_after(console):
    calendar = BusinessCalendar.objects.create(slug="office", name="Office", time_zone="Asia/Shanghai")
    interval = WorkingInterval.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(18))
    data = calendar_data(
        [(0, "10:00", "18:00")], name="Office", slug="office", **{"intervals-INITIAL_FORMS": "1"}
    )
    data |= {"intervals-0-id": str(interval.pk), "intervals-0-calendar": str(calendar.pk)}
    response = console.post(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]), data)
    assert response.status_code == 302
    record = ConfigChange.objects.get(object_pk=str(calendar.pk), action="changed")
    assert record.changes == {"working interval «Monday 09:00–18:00» · start": ["09:00:00", "10:00:00"]}


def test_sla_policy_changes_are_recorded_and_previewed(console, supervisor):
    policy = SlaPolicy.objects.filter(is_active=True).exclude(resolution_minutes=None).first()
    url = reverse("admin:sla_slapolicy_change", args=[policy.pk])
    page = console.get(url)
    assert page.status_code == 200 and "opened now would be due at" in page.content.decode()

    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in ((n, form[n].value()) for n in form.fields)
        if value is not False
    }
    data["resolution_minutes"] = str(policy.resolution_minutes + 60)
    assert console.post(url, data).status_code == 302
    record = ConfigChange.objects.get(object_pk=str(policy.pk), action="changed")
    assert record.user == supervisor
    assert record.changes == {
        "resolution_minutes": [policy.resolution_minutes, policy.resolution_minutes + 60]
    }


def test_agents_cannot_reach_the_sla_configuration(client, team):
    agent = AgentFactory(team=team, is_staff=True)
    client.force_login(agent)
    for url in ("/admin/sla/businesscalendar/", "/admin/sla/slapolicy/add/"):
        assert client.get(url).status_code == 403
