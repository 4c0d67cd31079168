"""Sending surveys and reminders: content, language, timing, retries, exactly once."""

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from channels_intake.outbound.sms import LocmemSmsBackend
from complaints.models import Customer
from feedback import services
from feedback.models import Survey, SurveyPolicy
from tests.factories import CustomerFactory, TicketFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def scheduled(ticket, resolve, time_machine) -> Survey:
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    resolve(ticket)
    return Survey.objects.get()


def test_nothing_is_sent_before_the_survey_is_due(scheduled, time_machine):
    time_machine.move_to(local("2026-03-03 09:59"), tick=False)

    report = services.send_due_surveys()

    assert report.sent == 0
    assert mail.outbox == []


def test_due_survey_is_emailed_once_with_one_click_links(scheduled, time_machine, settings):
    settings.SITE_URL = "https://help.example.com"
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    first = services.send_due_surveys()
    second = services.send_due_surveys()

    assert (first.sent, second.sent) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.lei@example.com"]
    assert scheduled.ticket.reference in message.subject
    assert "How did we do" in message.subject  # the customer prefers English
    assert "Broadband drops every evening" in message.body
    signed = services_sign(scheduled)
    for rating in range(1, 6):
        assert f"https://help.example.com/survey/{signed}/?rating={rating}" in message.body
    assert f"https://help.example.com/survey/{signed}/unsubscribe/" in message.body
    assert (
        message.extra_headers["List-Unsubscribe"]
        == f"<https://help.example.com/survey/{signed}/unsubscribe/>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f"https://help.example.com/survey/{signed}/?rating=5" in html
    survey = Survey.objects.get()
    assert survey.state == Survey.State.SENT
    assert survey.sent_at == local("2026-03-03 10:00")
    assert survey.expires_at == local("2026-03-17 10:00")
    assert survey.remind_at == local("2026-03-06 10:00")


def services_sign(survey: Survey) -> str:
    from feedback import tokens

    return tokens.sign(survey)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_survey_is_written_in_the_customers_language(team, resolve, time_machine, language):
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    resolve(TicketFactory(team=team, customer=CustomerFactory(preferred_language=language)))
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    services.send_due_surveys()

    # The lead compiles the catalogues at the end; the language the mail was rendered in shows in
    # the HTML's lang attribute whatever the catalogue holds.
    html = mail.outbox[0].alternatives[0][0]
    assert f'<html lang="{language}">' in html


def test_a_survey_due_while_the_sender_was_down_waits_for_the_morning(scheduled, time_machine):
    time_machine.move_to(local("2026-03-03 23:15"), tick=False)

    report = services.send_due_surveys()

    assert (report.sent, report.postponed) == (0, 1)
    assert mail.outbox == []
    assert Survey.objects.get().send_after == local("2026-03-04 08:00")


def test_smtp_failure_is_recorded_and_retried_later(scheduled, time_machine, monkeypatch):
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    report = services.send_due_surveys()

    survey = Survey.objects.get()
    assert (report.sent, report.failed, report.stopped_early) == (0, 1, True)
    assert survey.state == Survey.State.SCHEDULED
    assert survey.attempts == 1
    assert "SMTPServerDisconnected" in survey.last_error
    assert survey.send_after == local("2026-03-03 10:05")

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert services.send_due_surveys().sent == 0  # not before the retry time
    time_machine.move_to(local("2026-03-03 10:05"), tick=False)
    assert services.send_due_surveys().sent == 1
    survey.refresh_from_db()
    assert (survey.state, survey.attempts, survey.last_error) == (Survey.State.SENT, 0, "")
    assert len(mail.outbox) == 1


def test_delivery_is_given_up_after_repeated_failures(scheduled, time_machine, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    moment = local("2026-03-03 10:00")
    for _ in range(services.MAX_DELIVERY_ATTEMPTS):
        time_machine.move_to(moment, tick=False)
        services.send_due_surveys()
        moment = Survey.objects.get().send_after

    survey = Survey.objects.get()
    assert survey.state == Survey.State.CANCELLED
    assert survey.attempts == services.MAX_DELIVERY_ATTEMPTS


def test_one_reminder_after_the_configured_days_if_unanswered(scheduled, time_machine):
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    services.send_due_surveys()
    time_machine.move_to(local("2026-03-06 09:59"), tick=False)
    assert services.send_due_surveys().reminded == 0

    time_machine.move_to(local("2026-03-06 10:00"), tick=False)
    assert services.send_due_surveys().reminded == 1
    time_machine.move_to(local("2026-03-10 10:00"), tick=False)
    assert services.send_due_surveys().reminded == 0

    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Reminder")
    survey = Survey.objects.get()
    assert survey.state == Survey.State.REMINDED
    assert survey.reminded_at == local("2026-03-06 10:00")


def test_no_reminder_when_the_policy_has_none(scheduled, time_machine):
    SurveyPolicy.objects.update(reminder_after_days=0)
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    services.send_due_surveys()
    time_machine.move_to(local("2026-03-10 10:00"), tick=False)

    assert services.send_due_surveys().reminded == 0
    assert len(mail.outbox) == 1


def test_unanswered_surveys_expire(scheduled, time_machine):
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)
    services.send_due_surveys()
    time_machine.move_to(local("2026-03-17 10:00"), tick=False)

    assert services.send_due_surveys().expired == 1
    assert Survey.objects.get().state == Survey.State.EXPIRED


def test_customer_who_opted_out_after_scheduling_gets_nothing(scheduled, time_machine):
    Customer.objects.filter(pk=scheduled.customer_id).update(surveys_opted_out=True)
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    report = services.send_due_surveys()

    assert (report.sent, report.cancelled) == (0, 1)
    assert mail.outbox == []
    assert Survey.objects.get().state == Survey.State.CANCELLED


def test_sms_survey_goes_through_the_sms_backend_with_a_short_signed_link(
    team, resolve, time_machine, settings
):
    settings.SITE_URL = "https://help.example.com"
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    resolve(TicketFactory(team=team, customer=CustomerFactory(email="", phone="13912345678")))
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    assert services.send_due_surveys().sent == 1

    survey = Survey.objects.get()
    [sms] = LocmemSmsBackend.outbox
    assert sms["to"] == "13912345678"
    assert f"https://help.example.com/survey/{services_sign(survey)}/" in sms["text"]
    assert survey.ticket.reference in sms["text"]
    assert len(sms["text"]) < 200
    assert mail.outbox == []


def test_without_an_sms_gateway_sms_surveys_are_cancelled_not_reported_sent(
    team, resolve, time_machine, settings
):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": ""}
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    resolve(TicketFactory(team=team, customer=CustomerFactory(email="", phone="13912345678")))
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    report = services.send_due_surveys()

    survey = Survey.objects.get()
    assert (report.sent, report.cancelled) == (0, 1)
    assert survey.state == Survey.State.CANCELLED
    assert survey.sent_at is None
    assert "SMS" in survey.cancel_reason


def test_the_command_sends_in_batches_until_done(team, resolve, time_machine, capsys):
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    for _ in range(5):
        resolve(TicketFactory(team=team))
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    call_command("send_due_surveys", batch_size=2)

    assert len(mail.outbox) == 5
    assert "sent 5" in capsys.readouterr().out
    assert set(Survey.objects.values_list("state", flat=True)) == {Survey.State.SENT}


def test_the_beat_task_sends_a_batch_and_requeues_itself_while_full(
    team, resolve, time_machine, settings, monkeypatch
):
    from feedback import tasks

    assert settings.CELERY_BEAT_SCHEDULE["send-due-surveys"]["task"] == "feedback.tasks.send_due_surveys"
    settings.FEEDBACK = {**settings.FEEDBACK, "BATCH_SIZE": 2}
    requeued = []
    monkeypatch.setattr(tasks.send_due_surveys, "delay", lambda: requeued.append(True))
    time_machine.move_to(local("2026-03-02 10:00"), tick=False)
    for _ in range(3):
        resolve(TicketFactory(team=team))
    time_machine.move_to(local("2026-03-03 10:00"), tick=False)

    assert tasks.send_due_surveys() == {"sent": 2, "reminded": 0, "failed": 0}
    assert requeued == [True]
    assert tasks.send_due_surveys() == {"sent": 1, "reminded": 0, "failed": 0}
    assert requeued == [True]  # a short batch means the work is done
    assert len(mail.outbox) == 3
