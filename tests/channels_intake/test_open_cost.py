"""What opening a ticket costs: queries per e-mail and per web-form submission, pinned so they cannot creep
back; and the per-process configuration copies those figures rely on see every supervisor's edit.

Transactional tests: the configuration is committed, as in production, so the copies are used (a test
transaction that changed configuration reads the database instead, see complaints.config_cache).
"""

import uuid
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from channels_intake import services
from channels_intake.models import InboundItem, OutboundMessage
from complaints import config_cache, routing
from complaints.models import RoutingRule, Ticket
from sla.models import CalendarDay, SlaClock, SlaPolicy, SlaTarget
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Counted with BEGIN/COMMIT and savepoints, the same on SQLite and PostgreSQL. 38 and 41 before the
# configuration copies (routing rules, categories, SLA policies, calendars); 24 and 27 before an e-mail was
# stored and processed in one transaction and a new ticket's events were one INSERT.
# take_email (the IMAP poller, per mail): BEGIN, savepoint, loop check (mailbox addresses), throttle
# count, open_ticket's savepoint, customer lookup and insert, ticket, round robin (lock, stamp), the
# opened/routed/assigned events (one INSERT), delivery row, SLA clocks (one INSERT), one ticket UPDATE
# for the assignee and the SLA summary, 2 releases, the item's INSERT with its outcome, COMMIT; and
# whether the customer had an external case before (escalation risk, issue 18).
EMAIL_QUERIES = 19
# receive_email then process_item (the task and reprocessing path): the item's own transaction (3), then
# BEGIN, the item lock and the item UPDATE around the same work.
STORED_THEN_PROCESSED_QUERIES = 23
# The web form: stored first, no mailbox or throttle queries, the kept-files read instead, and the
# session (4), and whether the submitter may see the receipt's reference (a first-time customer only:
# a claimed contact is not proof of identity, issue 15 item 1).
WEB_FORM_QUERIES = 27


def email(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sender {number} <sender{number}.{uuid.uuid4().hex[:6]}@example.net>"
    message["To"] = "complaints@desk.example"
    message["Subject"] = f"宽带又断网了 ({number})"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.example>"
    message.set_content("从昨天晚上开始家里宽带一直掉线。The broadband keeps dropping.")
    return message.as_bytes()


def take(raw: bytes) -> InboundItem:
    return services.take_email(raw=raw, mailbox=None)


@pytest.fixture
def routed_team():
    """A team with two agents and a rule sending broadband complaints there (committed)."""
    team = TeamFactory(slug="network")
    AgentFactory(team=team)
    AgentFactory(team=team)
    RoutingRule.objects.create(name="Broadband", position=1, match_keywords="宽带, broadband", set_team=team)
    return team


def test_an_email_opens_a_routed_assigned_ticket_with_clocks_in_a_pinned_number_of_queries(
    routed_team, django_assert_num_queries
):
    take(email(0))  # loads this process's configuration copies
    with django_assert_num_queries(EMAIL_QUERIES):
        item = take(email(1))
    assert item.state == InboundItem.State.PROCESSED
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.team == routed_team and ticket.assignee_id is not None and ticket.version == 2
    assert list(ticket.events.order_by("pk").values_list("kind", flat=True)) == [
        "opened",
        "routed",
        "assigned",
    ]
    assert {c.target for c in SlaClock.objects.filter(ticket=ticket)} == {
        SlaTarget.FIRST_RESPONSE,
        SlaTarget.RESOLUTION,
    }
    assert ticket.sla_state == Ticket.SlaState.ON_TRACK and ticket.sla_due_at is not None
    assert OutboundMessage.objects.filter(ticket=ticket, purpose="acknowledgement").count() == 1


def test_an_email_stored_then_processed_costs_a_pinned_number_of_queries(
    routed_team, django_assert_num_queries
):
    take(email(0))
    with django_assert_num_queries(STORED_THEN_PROCESSED_QUERIES):
        item, _created = services.receive_email(raw=email(1), mailbox=None)
        item = services.process_item(item_id=item.pk)
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.assignee_id is not None and ticket.version == 2
    assert list(ticket.events.order_by("pk").values_list("kind", flat=True)) == [
        "opened",
        "routed",
        "assigned",
    ]


def test_a_web_form_submission_opens_a_ticket_in_a_pinned_number_of_queries(
    client, routed_team, django_assert_num_queries
):
    def submit(number: int) -> None:
        data = {
            "name": "王小明",
            "email": f"web{number}@example.com",
            "subject": "Broadband down",
            "description": "My broadband has been down for three days.",
            "consent": "on",
            "website": "",
            "submission_id": str(uuid.uuid4()),
        }
        assert client.post("/submit/", data).status_code == 302

    submit(0)
    with django_assert_num_queries(WEB_FORM_QUERIES):
        submit(1)
    ticket = Ticket.objects.order_by("-pk").first()
    assert ticket.team == routed_team and ticket.assignee_id is not None
    assert SlaClock.objects.filter(ticket=ticket).count() == 2


def test_an_email_from_a_known_customer_still_finds_the_ticket_it_repeats(routed_team):
    raw = email(7)
    first = take(raw)
    again = EmailMessage()
    again["From"] = first.ticket.customer.email
    again["To"] = "complaints@desk.example"
    again["Subject"] = "宽带又断网了 (7)"
    again["Message-ID"] = "<again@client.example>"
    again.set_content("从昨天晚上开始家里宽带一直掉线。The broadband keeps dropping.")
    second = take(again.as_bytes())
    assert second.ticket_id == first.ticket_id  # folded into the open ticket
    assert second.message is not None


def test_a_policy_edited_in_the_admin_is_used_for_the_next_ticket_in_every_process(client, routed_team):
    first = take(email(0))
    policy = SlaClock.objects.get(ticket_id=first.ticket_id, target=SlaTarget.FIRST_RESPONSE).policy
    other_process = dict(config_cache._loaded)  # what another worker still holds in memory

    client.force_login(SupervisorFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:sla_slapolicy_change", args=[policy.pk]))
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "first_response_minutes": policy.first_response_minutes + 7,
            "warning_thresholds": policy.warning_thresholds,
            "is_active": "on",
        }
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(reverse("admin:sla_slapolicy_change", args=[policy.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy.refresh_from_db()

    config_cache._loaded.update(other_process)  # that worker's stale copies, under the old version
    second = take(email(1))
    clock = SlaClock.objects.get(ticket_id=second.ticket_id, target=SlaTarget.FIRST_RESPONSE)
    assert clock.target_minutes == policy.first_response_minutes


def test_a_rule_switched_off_by_a_bulk_update_stops_routing_and_a_rollback_leaves_no_trace(routed_team):
    assert routing.classify(channel="email", category=None, text="宽带").team == routed_team
    with transaction.atomic():
        RoutingRule.objects.filter(name="Broadband").update(is_active=False)
        assert routing.classify(channel="email", category=None, text="宽带").rule is None
        transaction.set_rollback(True)
    assert routing.classify(channel="email", category=None, text="宽带").team == routed_team
    RoutingRule.objects.filter(name="Broadband").update(is_active=False)
    assert routing.classify(channel="email", category=None, text="宽带").rule is None


def test_a_day_closed_on_a_calendar_is_seen_by_the_next_computation():
    from sla.services import CalendarSpecs

    policy = SlaPolicy.objects.filter(is_active=True, calendar__always_open=False).first()
    assert policy is not None, "the default policies include an office-hours calendar"
    before = CalendarSpecs()[policy.calendar_id]
    closed = timezone.localdate() + timedelta(days=3)
    CalendarDay.objects.create(calendar_id=policy.calendar_id, date=closed, is_working=False, note="test")
    assert closed not in before.extra_closed
    assert closed in CalendarSpecs()[policy.calendar_id].extra_closed


def test_a_ticket_for_no_team_still_gets_its_sla_summary(routed_team):
    message = EmailMessage()
    message["From"] = "Nobody <nobody@example.net>"
    message["To"] = "complaints@desk.example"
    message["Subject"] = "Invoice question"
    message["Message-ID"] = "<invoice@client.example>"
    message.set_content("Why is my invoice higher this month?")
    item = take(message.as_bytes())
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.team_id is None and ticket.assignee_id is None and ticket.version == 1
    assert ticket.sla_state == Ticket.SlaState.ON_TRACK
    clocks = SlaClock.objects.filter(ticket=ticket)
    assert ticket.sla_due_at == min(clock.due_at for clock in clocks)
