"""Day overrides on a business calendar: the business-time arithmetic honours them, and the console
warns while a coming year has no adjusted working days (调休) in the holiday data nor as overrides."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sla.admin import calendar_notices, missing_holiday_data
from sla.calendars import add_business_time, business_time_between, holiday_year, is_working_day
from sla.models import BusinessCalendar, CalendarDay, WorkingInterval

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Today in this round: the State Council has published 2027's schedule, the holidays package not yet.
TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def office(db) -> BusinessCalendar:
    """Mon–Fri 09:00–18:00 in Shanghai with China's holidays; the only calendar that could warn."""
    BusinessCalendar.objects.exclude(always_open=True).update(holiday_country="")
    calendar = BusinessCalendar.objects.create(
        slug="test-office", name="Test office", time_zone="Asia/Shanghai", holiday_country="CN"
    )
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    return calendar


@pytest.fixture
def console(client, supervisor):
    client.force_login(supervisor)
    return client


def test_the_installed_holiday_data_lacks_2027s_adjusted_working_days():
    """The premise of the warning: if this fails, the holidays package learnt 2027 (update the test's year)."""
    assert holiday_year("CN", "", 2026).adjusted_working
    assert not holiday_year("CN", "", 2027).adjusted_working


def test_a_holiday_override_makes_a_weekday_closed(office):
    wednesday = date(2027, 3, 3)
    assert is_working_day(office.spec(), wednesday)
    CalendarDay.objects.create(calendar=office, date=wednesday, is_working=False, name_zh="测试假日")

    spec = BusinessCalendar.objects.get(pk=office.pk).spec()
    assert not is_working_day(spec, wednesday)
    # Two business hours from Tuesday 17:00: one on Tuesday, the next on Thursday morning.
    assert add_business_time(spec, sh(2027, 3, 2, 17), timedelta(hours=2)) == sh(2027, 3, 4, 10)
    assert business_time_between(spec, sh(2027, 3, 2, 9), sh(2027, 3, 4, 9)) == timedelta(hours=9)


def test_a_working_day_override_makes_a_saturday_work_the_standard_day(office):
    saturday = date(2027, 2, 20)
    assert not is_working_day(office.spec(), saturday)
    CalendarDay.objects.create(
        calendar=office,
        date=saturday,
        is_working=True,
        name_zh="春节调休上班",
        name_en="Spring Festival working day",
    )

    spec = BusinessCalendar.objects.get(pk=office.pk).spec()
    assert is_working_day(spec, saturday)
    assert add_business_time(spec, sh(2027, 2, 19, 17), timedelta(hours=2)) == sh(2027, 2, 20, 10)


def test_an_override_wins_over_a_holiday_the_package_guessed(office):
    """The package's 2027 in-lieu days are its own guess; the published schedule may differ."""
    guessed = date(2027, 2, 10)
    assert guessed in holiday_year("CN", "", 2027).closed
    CalendarDay.objects.create(calendar=office, date=guessed, is_working=True)
    assert is_working_day(BusinessCalendar.objects.get(pk=office.pk).spec(), guessed)


@time_machine.travel(TODAY, tick=False)
def test_the_warning_names_the_year_and_goes_once_a_working_day_is_entered(office, supervisor):
    assert "2027" in missing_holiday_data(office)
    notices = calendar_notices(supervisor)
    assert [notice.key for notice in notices] == [f"calendar-{office.pk}"]
    assert notices[0].href.startswith(reverse("admin:sla_businesscalendar_change", args=[office.pk]))

    CalendarDay.objects.create(calendar=office, date=date(2027, 1, 2), is_working=False)  # a holiday only
    assert "2027" in missing_holiday_data(BusinessCalendar.objects.get(pk=office.pk))

    CalendarDay.objects.create(calendar=office, date=date(2027, 2, 20), is_working=True)
    assert missing_holiday_data(BusinessCalendar.objects.get(pk=office.pk)) == ""
    assert calendar_notices(supervisor) == []


@time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False)
def test_next_year_is_not_asked_for_before_november(office):
    assert missing_holiday_data(office) == ""


@time_machine.travel(TODAY, tick=False)
def test_calendars_without_adjusted_working_days_never_warn(office):
    office.holiday_country = "GB"
    office.save()
    assert missing_holiday_data(office) == ""
    office.always_open, office.holiday_country = True, "CN"
    office.save()
    assert missing_holiday_data(office) == ""


def test_agents_get_no_calendar_notices(office, agent):
    with time_machine.travel(TODAY, tick=False):
        assert calendar_notices(agent) == []


@time_machine.travel(TODAY, tick=False)
def test_the_console_warns_on_the_index_and_the_calendar_page_until_overrides_are_entered(office, console):
    change_url = reverse("admin:sla_businesscalendar_change", args=[office.pk])
    index = console.get("/admin/").content.decode()
    assert f'data-notice="calendar-{office.pk}"' in index
    assert "no adjusted working days (调休) for 2027" in index
    page = console.get(change_url).content.decode()
    assert "no adjusted working days (调休) for 2027" in page
    assert "Holiday (closed)" in page and "Working day" in page  # the override's kind, in words

    intervals = list(office.intervals.all())
    data = {
        "name": office.name,
        "slug": office.slug,
        "time_zone": office.time_zone,
        "holiday_country": "CN",
        "holiday_subdivision": "",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": str(len(intervals)),
        "days-TOTAL_FORMS": "2",
        "days-INITIAL_FORMS": "0",
        "days-0-date": "2027-02-20",
        "days-0-is_working": "True",
        "days-0-name_zh": "春节调休上班",
        "days-0-name_en": "Spring Festival working day",
        "days-1-date": "2027-02-11",
        "days-1-is_working": "False",
        "days-1-name_zh": "春节",
        "days-1-name_en": "Spring Festival",
    }
    for n, interval in enumerate(intervals):
        data |= {
            f"intervals-{n}-id": str(interval.pk),
            f"intervals-{n}-calendar": str(office.pk),
            f"intervals-{n}-weekday": str(interval.weekday),
            f"intervals-{n}-start": "09:00",
            f"intervals-{n}-end": "18:00",
        }
    response = console.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert {(d.date, d.is_working) for d in office.days.all()} == {
        (date(2027, 2, 20), True),
        (date(2027, 2, 11), False),
    }
    assert "调休" not in console.get("/admin/").content.decode()
    assert "no adjusted working days" not in console.get(change_url).content.decode()
