"""When a survey is scheduled: delay, quiet hours, exclusions, once per resolution."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaints import services as complaint_services
from feedback import services
from feedback.models import Survey, SurveyAnswer, SurveyPolicy
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_resolving_schedules_one_survey_a_day_later_by_default(ticket, resolve, time_machine):
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)

    resolution = resolve(ticket)

    survey = Survey.objects.get()
    assert survey.resolution == resolution
    assert survey.state == Survey.State.SCHEDULED
    assert survey.channel == Survey.Channel.EMAIL
    assert survey.send_after == local("2026-03-03 10:00")


def test_delay_follows_the_first_matching_policy(ticket, resolve, time_machine):
    billing = CategoryFactory(slug="billing")
    refunds = CategoryFactory(slug="refunds", parent=billing)
    ticket.category = refunds
    ticket.save(update_fields=["category"])
    SurveyPolicy.objects.create(name="Phone", position=1, match_channel="phone", delay_minutes=5)
    SurveyPolicy.objects.create(name="Billing", position=2, match_category=billing, delay_minutes=120)
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)

    resolve(ticket)

    survey = Survey.objects.get()
    assert survey.policy.name == "Billing"
    assert survey.send_after == local("2026-03-02 12:00")


@pytest.mark.parametrize(
    ("resolved", "delay_minutes", "expected"),
    [
        ("2026-03-02 20:30", 120, "2026-03-03 08:00"),  # due 22:30 -> after the night
        ("2026-03-02 23:30", 0, "2026-03-03 08:00"),  # resolved at night
        ("2026-03-03 01:00", 60, "2026-03-03 08:00"),  # early morning, same day
        ("2026-03-02 19:00", 120, "2026-03-02 21:00"),  # just before the quiet hours
        ("2026-03-03 07:00", 60, "2026-03-03 08:00"),  # ends exactly at 08:00
    ],
)
def test_surveys_are_never_due_inside_quiet_hours(
    ticket, resolve, time_machine, resolved, delay_minutes, expected
):
    SurveyPolicy.objects.update(delay_minutes=delay_minutes)
    time_machine.move_to(local(resolved), tick=False)

    resolve(ticket)

    assert Survey.objects.get().send_after == local(expected)


def test_quiet_hours_are_counted_in_the_customers_time_zone(ticket, resolve, time_machine):
    SurveyPolicy.objects.update(delay_minutes=0, time_zone="Europe/London")
    # 07:00 in Shanghai is 23:00 in London (winter): quiet there until 08:00 London = 16:00 Shanghai.
    time_machine.move_to(local("2026-01-15 07:00"), tick=False)

    resolve(ticket)

    assert Survey.objects.get().send_after == local("2026-01-15 16:00")


def test_merged_tickets_get_no_survey(team, agent, resolve):
    kept = TicketFactory(team=team)
    duplicate = TicketFactory(team=team, duplicate_of=kept)

    resolve(duplicate)

    assert not Survey.objects.exists()


def test_spam_gets_no_survey(team, resolve):
    resolve(TicketFactory(team=team, is_spam=True))

    assert not Survey.objects.exists()


def test_opted_out_customers_get_no_survey(team, resolve):
    resolve(TicketFactory(team=team, customer=CustomerFactory(surveys_opted_out=True)))

    assert not Survey.objects.exists()


def test_a_policy_can_switch_surveys_off(ticket, resolve):
    SurveyPolicy.objects.create(name="No inquiries", position=1, match_kind="complaint", send_survey=False)

    resolve(ticket)

    assert not Survey.objects.exists()


def test_customer_with_only_a_phone_gets_an_sms_survey(team, resolve):
    resolve(TicketFactory(team=team, customer=CustomerFactory(email="", phone="13912345678")))

    assert Survey.objects.get().channel == Survey.Channel.SMS


def test_a_resolution_is_never_surveyed_twice(ticket, resolve):
    resolution = resolve(ticket)

    again = services.schedule_survey(ticket_id=ticket.pk, resolution_id=resolution.pk)

    assert again is None
    assert Survey.objects.count() == 1


def _reopen(ticket, agent) -> None:
    complaint_services.reopen(ticket_id=ticket.pk, actor=agent, version=None, reason="Customer called back")


def test_reopening_before_sending_cancels_the_scheduled_survey(ticket, resolve, agent):
    resolve(ticket)

    _reopen(ticket, agent)

    survey = Survey.objects.get()
    assert survey.state == Survey.State.CANCELLED
    assert survey.cancel_reason


@pytest.mark.parametrize(
    ("rule", "first_answer_solved", "asks_again"),
    [
        (SurveyPolicy.OnResolveAgain.NEVER, False, False),
        (SurveyPolicy.OnResolveAgain.IF_NOT_SOLVED, False, True),
        (SurveyPolicy.OnResolveAgain.IF_NOT_SOLVED, True, False),
        (SurveyPolicy.OnResolveAgain.ALWAYS, True, True),
    ],
)
def test_resolving_again_asks_again_only_when_the_policy_says_so(
    sent_survey, resolve, agent, rule, first_answer_solved, asks_again
):
    SurveyPolicy.objects.update(on_resolve_again=rule)
    SurveyAnswer.objects.create(
        survey=sent_survey,
        rating=3,
        solved=first_answer_solved,
        answered_at=sent_survey.sent_at,
        updated_at=sent_survey.sent_at,
        edit_until=sent_survey.sent_at,
    )
    _reopen(sent_survey.ticket, agent)

    resolve(sent_survey.ticket)

    assert Survey.objects.filter(ticket=sent_survey.ticket).count() == (2 if asks_again else 1)


def test_resolving_again_after_a_cancelled_survey_asks_as_if_first(ticket, resolve, agent):
    SurveyPolicy.objects.update(on_resolve_again=SurveyPolicy.OnResolveAgain.NEVER)
    resolve(ticket)
    _reopen(ticket, agent)

    resolve(ticket)

    assert list(Survey.objects.order_by("pk").values_list("state", flat=True)) == ["cancelled", "scheduled"]
