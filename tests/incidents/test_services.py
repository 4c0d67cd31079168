"""Incidents through their services: states, links on both timelines, one update told once to each
customer, resolve-all with each ticket's own remedy."""

from decimal import Decimal

import pytest
from django.core import mail

from complaints import services as core
from complaints.events import EventKind
from complaints.models import Message, Resolution, Ticket, TicketEvent
from complaints.policy import NotPermitted
from complaints.states import Status
from incidents import services
from incidents.models import Incident, IncidentEvent, IncidentLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(supervisor, category):
    return services.create_incident(
        actor=supervisor,
        title_zh="海淀区基站故障",
        title_en="Base station failure in Haidian",
        notice_zh="海淀区部分用户无法上网，正在抢修。",
        notice_en="Some customers in Haidian cannot get online; repairs are under way.",
        category=category,
        region_tags=["海淀区"],
    )


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.values_list("kind", flat=True))


def test_incident_moves_suspected_confirmed_mitigated(incident, supervisor):
    assert incident.status == Incident.Status.SUSPECTED
    services.confirm(incident_id=incident.pk, actor=supervisor)
    services.confirm(incident_id=incident.pk, actor=supervisor)  # the same status again changes nothing
    services.mitigate(incident_id=incident.pk, actor=supervisor)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.MITIGATED
    assert incident.confirmed_at and incident.mitigated_at
    assert kinds(incident) == ["created", "confirmed", "mitigated"]


def test_a_mitigated_incident_cannot_go_back_to_confirmed(incident, supervisor):
    services.confirm(incident_id=incident.pk, actor=supervisor)
    services.mitigate(incident_id=incident.pk, actor=supervisor)
    with pytest.raises(services.IncidentError):
        services.confirm(incident_id=incident.pk, actor=supervisor)


def test_an_agent_without_permission_cannot_open_an_incident(agent, category):
    with pytest.raises(NotPermitted):
        services.create_incident(actor=agent, title_en="Outage", category=category)


def test_linking_writes_both_timelines(incident, supervisor, open_ticket):
    ticket = open_ticket(subject="Billing question", description="Why was I charged twice?")
    services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor)
    assert IncidentLink.objects.get(ticket=ticket).incident == incident
    assert incident.events.filter(kind=IncidentEvent.Kind.LINKED, ticket=ticket).exists()
    note = ticket.messages.get(kind=Message.Kind.NOTE)
    assert f"#{incident.pk}" in note.body and "海淀区基站故障" in note.body
    services.unlink_ticket(
        incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor, reason="Not this outage"
    )
    assert not IncidentLink.objects.filter(ticket=ticket).exists()
    assert incident.events.filter(kind=IncidentEvent.Kind.UNLINKED, ticket=ticket).exists()
    assert ticket.messages.filter(kind=Message.Kind.NOTE).count() == 2


def test_a_ticket_is_in_one_incident_at_a_time(incident, supervisor, category, open_ticket):
    ticket = open_ticket(subject="Billing question", description="Why was I charged twice?")
    other = services.create_incident(actor=supervisor, title_en="Another outage", category=category)
    services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor)
    with pytest.raises(services.AlreadyLinked):
        services.link_ticket(incident_id=other.pk, ticket_id=ticket.pk, actor=supervisor)


def test_linking_another_teams_ticket_needs_the_permission(incident, other_agent, open_ticket):
    from django.contrib.auth.models import Permission

    ticket = open_ticket(subject="Billing question", description="Why was I charged twice?")
    other_agent.user_permissions.add(Permission.objects.get(codename="change_incident"))
    other_agent = type(other_agent).objects.get(pk=other_agent.pk)
    with pytest.raises(NotPermitted):
        services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=other_agent)
    other_agent.user_permissions.add(Permission.objects.get(codename="link_any_ticket"))
    other_agent = type(other_agent).objects.get(pk=other_agent.pk)
    services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=other_agent)
    assert IncidentLink.objects.filter(ticket=ticket).exists()


class RecordingSms:
    """An SMS backend that keeps what it is given (INTAKE['SMS_BACKEND'] names it)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        RecordingSms.sent.append((to, text))


def test_a_new_ticket_naming_the_incidents_region_is_linked_and_its_acknowledgement_names_the_known_issue(
    incident, supervisor, open_ticket, worker, deliveries, settings, django_capture_on_commit_callbacks
):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": f"{__name__}.RecordingSms"}
    RecordingSms.sent = []
    services.confirm(incident_id=incident.pk, actor=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(subject="没网了", description="我在海淀区，网络一直断", language="zh-hans")
        unrelated = open_ticket(
            subject="Billing question", description="Why was I charged twice for my plan?"
        )
        by_sms = core.open_ticket(
            actor=None,
            channel=Ticket.Channel.PHONE,
            customer=core.CustomerDetails(phone="+8613800138000", language="en"),
            subject="No internet",
            description="I am in 海淀区 and the network is down since this morning.",
            category=incident.category,
        ).ticket
    worker.run()
    deliveries.run()
    assert IncidentLink.objects.get(ticket=ticket).how == IncidentLink.How.ON_OPEN
    assert IncidentLink.objects.get(ticket=by_sms).how == IncidentLink.How.ON_OPEN
    assert not IncidentLink.objects.filter(ticket=unrelated).exists()
    # One message to each customer: the acknowledgement, which names the known issue and quotes its
    # notice in the customer's language (no second reply about it).
    assert not ticket.messages.filter(kind=Message.Kind.REPLY).exists()
    assert ticket.messages.filter(kind=Message.Kind.NOTE).count() == 1
    mails = {message.to[0]: message for message in mail.outbox}
    zh_mail = mails[ticket.customer.email]
    assert "海淀区基站故障" in zh_mail.body and "海淀区部分用户无法上网，正在抢修。" in zh_mail.body
    assert "海淀区部分用户无法上网，正在抢修。" in zh_mail.alternatives[0].content
    assert "已知" in zh_mail.body
    assert "known" not in mails[unrelated.customer.email].body.lower()
    assert "抢修" not in mails[unrelated.customer.email].body
    [(number, text)] = RecordingSms.sent
    assert number == "+8613800138000"
    assert "Known problem: Base station failure in Haidian." in text
    assert "repairs are under way" in text


def test_a_suspected_incident_is_not_named_in_the_acknowledgement(
    incident, open_ticket, worker, deliveries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(subject="没网了", description="我在海淀区，网络一直断", language="zh-hans")
    deliveries.run()
    assert IncidentLink.objects.filter(ticket=ticket).exists()
    [acknowledgement] = mail.outbox
    assert "抢修" not in acknowledgement.body


def test_one_update_reaches_each_open_linked_customer_once_in_their_language(
    incident, supervisor, open_ticket, worker, django_capture_on_commit_callbacks
):
    zh = open_ticket(subject="x1", description="电费 账单 问题", language="zh-hans")
    en = open_ticket(subject="x2", description="electric bill problem", language="en")
    finished = open_ticket(subject="x3", description="another one")
    for ticket in (zh, en, finished):
        services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor)
    core.resolve(
        ticket_id=finished.pk, actor=supervisor, version=None, root_cause=_cause(), steps_taken="Fixed it."
    )
    with django_capture_on_commit_callbacks(execute=True):
        update, created = services.post_update(
            incident_id=incident.pk,
            actor=supervisor,
            body_zh="预计18点恢复。",
            body_en="Service back by 18:00.",
            idempotency_key="k1",
        )
    assert created and update.total == 2
    queued = list(worker.queued)
    worker.run()
    for name, args in queued:  # a redelivered task (acks_late) sends nothing twice
        getattr(__import__("incidents.tasks").tasks, name).run(*args)
    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = services.post_update(
            incident_id=incident.pk, actor=supervisor, body_en="Service back by 18:00.", idempotency_key="k1"
        )
    worker.run()
    assert not created_again and again.pk == update.pk
    assert list(zh.messages.filter(kind=Message.Kind.REPLY).values_list("body", flat=True)) == [
        "预计18点恢复。"
    ]
    assert list(en.messages.filter(kind=Message.Kind.REPLY).values_list("body", flat=True)) == [
        "Service back by 18:00."
    ]
    assert not finished.messages.filter(kind=Message.Kind.REPLY).exists()
    assert update.deliveries.count() == 2


def _cause():
    from tests.factories import RootCauseFactory

    return RootCauseFactory(slug="other-cause")


def test_resolve_all_resolves_each_ticket_with_its_own_remedy(
    incident, supervisor, cause, open_ticket, worker, django_capture_on_commit_callbacks
):
    tickets = [open_ticket(subject=f"t{i}", description=f"问题 {i}") for i in range(3)]
    for ticket in tickets:
        services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor)
    services.set_remedy(
        incident_id=incident.pk, actor=supervisor, remedy=Resolution.Remedy.COMPENSATION, amount=5
    )
    services.set_remedy(
        incident_id=incident.pk,
        actor=supervisor,
        remedy=Resolution.Remedy.REFUND,
        amount="30",
        ticket_ids=[tickets[0].pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_incident(
            incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="更换了基站电源。"
        )
    worker.run()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
    resolutions = {r.ticket_id: r for r in Resolution.objects.filter(ticket__in=tickets)}
    assert resolutions[tickets[0].pk].remedy == Resolution.Remedy.REFUND
    assert resolutions[tickets[0].pk].amount == Decimal("30")
    assert resolutions[tickets[1].pk].remedy == Resolution.Remedy.COMPENSATION
    assert resolutions[tickets[1].pk].amount == Decimal("5")
    assert {r.root_cause_id for r in resolutions.values()} == {cause.pk}
    with pytest.raises(services.IncidentAlreadyResolved) as twice:
        services.resolve_incident(
            incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="again"
        )
    assert twice.value.http_status == 409


def test_a_customer_still_broken_after_resolution_is_unlinked(
    incident, supervisor, cause, open_ticket, worker, django_capture_on_commit_callbacks
):
    ticket = open_ticket()  # names the incident's region: linked as it is opened
    assert IncidentLink.objects.get(ticket=ticket).incident == incident
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_incident(
            incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="Repaired."
        )
    worker.run()
    core.dispute(ticket_id=ticket.pk, reason="还是上不了网")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    assert not IncidentLink.objects.filter(ticket=ticket).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DISPUTED).exists()


def test_the_update_goes_out_on_each_customers_channel_once(
    incident, supervisor, open_ticket, worker, deliveries, mailoutbox, django_capture_on_commit_callbacks
):
    tickets = [
        open_ticket(subject=f"t{i}", description=f"账单问题 {i}", email=f"fan{i}@example.com")
        for i in range(3)
    ]
    for ticket in tickets:
        services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=supervisor)
    deliveries.run()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(
            incident_id=incident.pk, actor=supervisor, body_zh="故障已定位，正在修复。", idempotency_key="u1"
        )
    with django_capture_on_commit_callbacks(execute=True):
        worker.run()
    deliveries.run()
    told = sorted(address for mail in mailoutbox if "故障已定位" in mail.body for address in mail.to)
    assert told == [f"fan{i}@example.com" for i in range(3)]
