"""Corrective actions: the effect measured on data built for it, the overdue warning sent once, the console page."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from complaints.models import Ticket
from quality import corrective, tasks
from quality.models import CorrectiveAction
from tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db
ZONE = timezone.get_fixed_timezone(8 * 60)
DONE = datetime(2026, 4, 1, 12, tzinfo=ZONE)


def _opened(n: int, when: datetime, **kwargs) -> None:
    for _i in range(n):
        ticket = TicketFactory(**kwargs)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=when)


@pytest.fixture
def billing():
    return CategoryFactory(slug="billing-x", name_zh="计费", name_en="Billing")


@pytest.fixture
def action(billing, supervisor):
    return CorrectiveAction.objects.create(
        title="Explain the new tariff on the bill",
        problem="Customers do not understand the new tariff.",
        category=billing,
        action="Rewrite the bill's tariff section.",
        owner=supervisor,
        due_date=date(2026, 4, 10),
    )


def test_the_effect_compares_the_complaint_rate_weeks_after_with_weeks_before(action, billing, supervisor):
    child = CategoryFactory(slug="billing-tariff", parent=billing)
    other = CategoryFactory(slug="network-x")
    _opened(8, DONE - timedelta(weeks=2), category=billing)
    _opened(2, DONE - timedelta(weeks=2), category=child)
    _opened(10, DONE - timedelta(weeks=3), category=other)
    _opened(2, DONE + timedelta(weeks=1), category=billing)
    _opened(18, DONE + timedelta(weeks=2), category=other)
    _opened(50, DONE - timedelta(weeks=9), category=billing)  # outside the window
    action.status = CorrectiveAction.Status.DONE
    corrective.save_action(action=action, actor=supervisor, created=False)
    CorrectiveAction.objects.filter(pk=action.pk).update(completed_at=DONE)
    action.refresh_from_db()

    effect = corrective.effect_of(action, now=DONE + timedelta(weeks=5), weeks=4)

    assert (effect.before.matching, effect.before.total, effect.before.rate) == (10, 20, Decimal("50.0"))
    assert (effect.after.matching, effect.after.total, effect.after.rate) == (2, 20, Decimal("10.0"))
    assert effect.change == Decimal("-40.0") and effect.final
    assert corrective.store_effects(now=DONE + timedelta(weeks=5)) == 1
    action.refresh_from_db()
    assert (action.rate_before, action.rate_after) == (Decimal("50.0"), Decimal("10.0"))
    assert corrective.store_effects(now=DONE + timedelta(weeks=6)) == 0


def test_the_effect_is_provisional_while_the_window_runs(action, supervisor):
    CorrectiveAction.objects.filter(pk=action.pk).update(status="done", completed_at=DONE)
    action.refresh_from_db()
    assert corrective.effect_of(action, now=DONE + timedelta(weeks=1), weeks=4).final is False
    assert corrective.store_effects(now=DONE + timedelta(weeks=1)) == 0


def test_an_overdue_action_warns_its_owner_once(action, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.mail_overdue_warning, "delay", lambda ids: queued.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        assert corrective.warn_overdue(now=datetime(2026, 4, 9, 12, tzinfo=ZONE)) == []
        assert corrective.warn_overdue(now=datetime(2026, 4, 11, 12, tzinfo=ZONE)) == [action.pk]
        assert corrective.warn_overdue(now=datetime(2026, 4, 12, 12, tzinfo=ZONE)) == []
    assert queued == [[action.pk]]
    assert tasks.mail_overdue_warning.run(queued[0]) == 1
    assert len(mail.outbox) == 1
    assert "Explain the new tariff on the bill" in mail.outbox[0].subject
    assert mail.outbox[0].to == [action.owner.email]


def test_done_actions_do_not_warn(action):
    CorrectiveAction.objects.filter(pk=action.pk).update(status="done", completed_at=DONE)
    assert corrective.warn_overdue(now=datetime(2026, 5, 1, tzinfo=ZONE)) == []


def test_a_supervisor_opens_an_action_in_the_console_and_sees_its_effect(client, supervisor, billing):
    client.force_login(supervisor)
    form = client.get(f"/admin/quality/correctiveaction/add/?category={billing.pk}")
    assert form.status_code == 200
    answer = client.post(
        "/admin/quality/correctiveaction/add/",
        {
            "title": "Tariff leaflet",
            "category": billing.pk,
            "problem": "Confusing bills",
            "action": "Send a leaflet",
            "owner": supervisor.pk,
            "due_date": "2026-05-01",
            "status": "done",
            "ticket_filter": "",
            "tickets": "",
            "public_summary_zh": "",
            "public_summary_en": "",
        },
    )
    assert answer.status_code == 302, answer.text[:2000]
    action = CorrectiveAction.objects.get(title="Tariff leaflet")
    assert action.opened_by == supervisor and action.completed_at is not None
    page = client.get(f"/admin/quality/correctiveaction/{action.pk}/change/")
    assert "after, so far" in page.text
    assert f"category__id__exact={billing.pk}" in page.text


def test_a_corrective_action_opens_from_an_incident_prefilled_with_its_cause_category_and_tickets(
    client, supervisor, billing
):
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    from incidents.models import Incident, IncidentLink
    from tests.factories import RootCauseFactory

    cause = RootCauseFactory(slug="fibre-cut", name_en="Fibre cut", name_zh="光缆中断")
    incident = Incident.objects.create(
        title_en="Outage in Pudong",
        title_zh="浦东断网",
        category=billing,
        root_cause=cause,
        started_at=DONE,
        confirmed_at=DONE,
    )
    tickets = [TicketFactory(category=billing) for _n in range(2)]
    for ticket in tickets:
        IncidentLink.objects.create(incident=incident, ticket=ticket)
    client.force_login(supervisor)
    page = client.get(f"/desk/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    link = unescape(page.split('class="open-corrective-action" href="')[1].split('"')[0])
    assert link.startswith("/admin/quality/correctiveaction/add/?")
    query = parse_qs(urlsplit(link).query)
    assert query["title"] == ["Outage in Pudong"]
    assert query["root_cause"] == [str(cause.pk)] and query["category"] == [str(billing.pk)]
    assert sorted(query["tickets"][0].split(",")) == sorted(str(t.pk) for t in tickets)
    assert f"major incident #{incident.pk}" in query["problem"][0]
    form = client.get(link)
    assert form.status_code == 200
    initial = form.context["adminform"].form.initial
    assert initial["root_cause"] == str(cause.pk) and initial["category"] == str(billing.pk)
    assert sorted(initial["tickets"]) == sorted(str(t.pk) for t in tickets)


def test_the_review_pack_offers_a_corrective_action_per_root_cause_and_category(client, supervisor, billing):
    from complaints.models import Resolution
    from tests.factories import RootCauseFactory

    cause = RootCauseFactory(slug="tariff-error", name_en="Wrong tariff", name_zh="资费设置错误")
    month_day = datetime(2026, 11, 10, 11, tzinfo=ZONE)
    ticket = TicketFactory(category=billing)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=month_day)
    resolution = Resolution.objects.create(ticket=ticket, root_cause=cause, steps_taken="Fixed.")
    Resolution.objects.filter(pk=resolution.pk).update(created_at=month_day)
    client.force_login(supervisor)
    page = client.get(
        "/admin/quality/review-pack/", {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (
        f"/admin/quality/correctiveaction/add/?title=Fewer+complaints+about+Wrong+tariff&amp;root_cause={cause.pk}"
        in page
    )
    assert f"category={billing.pk}" in page
    assert "Open a corrective action" in page
