"""The desk's queues: what each holds, counts, filters, search, sorting, paging and query counts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from complaints import selectors
from complaints.models import Ticket
from complaints.states import Status
from tests.complaints.portal_helpers import post_action
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    SupervisorFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def listed(response) -> set[str]:
    return {t.reference for t in response.context["page"].object_list}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/desk/")


def test_a_user_without_desk_permissions_is_refused(client):
    client.force_login(UserFactory())
    assert client.get("/desk/").status_code == 403


def test_my_queue_holds_my_open_tickets_only(signed_in, agent, team):
    mine = TicketFactory(team=team, assignee=agent)
    TicketFactory(team=team, assignee=agent, status=Status.CLOSED)
    TicketFactory(team=team, assignee=AgentFactory(team=team))
    assert listed(signed_in.get("/desk/")) == {mine.reference}


def test_another_teams_tickets_appear_in_no_queue(signed_in, agent, team):
    other = TeamFactory(slug="legal")
    TicketFactory(team=other, sla_state=Ticket.SlaState.BREACHED, status=Status.AWAITING_CUSTOMER)
    for queue in selectors.queues_for(agent):
        assert listed(signed_in.get("/desk/", {"queue": queue.value})) == set(), queue


def test_each_queue_and_its_count(signed_in, agent, team):
    now = timezone.now()
    mine = TicketFactory(team=team, assignee=agent)
    unassigned = TicketFactory(team=team)
    at_risk = TicketFactory(team=team, sla_state=Ticket.SlaState.AT_RISK)
    breached = TicketFactory(team=team, assignee=agent, sla_state=Ticket.SlaState.BREACHED)
    awaiting = TicketFactory(team=team, assignee=agent, status=Status.AWAITING_CUSTOMER)
    resolved = TicketFactory(team=team, status=Status.RESOLVED, resolved_at=now - timedelta(days=1))
    TicketFactory(team=team, status=Status.CLOSED, resolved_at=now - timedelta(days=30))

    expected = {
        "mine": {mine.reference, breached.reference, awaiting.reference},
        "team": {unassigned.reference, at_risk.reference},
        "at_risk": {at_risk.reference, breached.reference},
        "awaiting": {awaiting.reference},
        "resolved": {resolved.reference},
    }
    page = signed_in.get("/desk/")
    counts = {queue.value: count for queue, count in page.context["queues"]}
    for queue, references in expected.items():
        assert listed(signed_in.get("/desk/", {"queue": queue})) == references, queue
        assert counts[queue] == len(references), queue
    assert "all" not in counts  # the All queue is for supervisors


def test_supervisors_have_the_all_queue(client, team):
    supervisor = SupervisorFactory()
    tickets = {TicketFactory(team=team).reference, TicketFactory(team=TeamFactory(slug="legal")).reference}
    client.force_login(supervisor)
    response = client.get("/desk/", {"queue": "all"})
    assert listed(response) == tickets
    assert {q.value: c for q, c in response.context["queues"]}["all"] == 2


def test_an_agent_asking_for_all_gets_their_own_queue(signed_in, agent, team):
    mine = TicketFactory(team=team, assignee=agent)
    TicketFactory(team=team)
    assert listed(signed_in.get("/desk/", {"queue": "all"})) == {mine.reference}


def test_return_visits_due_queue(signed_in, agent, team):
    feedback = pytest.importorskip("feedback.models")
    from complaints.models import Resolution
    from tests.factories import RootCauseFactory

    ticket = TicketFactory(team=team, status=Status.RESOLVED, resolved_at=timezone.now())
    done = TicketFactory(team=team, status=Status.RESOLVED, resolved_at=timezone.now())
    due = timezone.now() + timedelta(hours=4)
    for item, completed in ((ticket, None), (done, timezone.now())):
        resolution = Resolution.objects.create(ticket=item, root_cause=RootCauseFactory(), steps_taken="x")
        survey = feedback.Survey.objects.create(
            resolution=resolution, ticket=item, customer=item.customer, send_after=timezone.now()
        )
        feedback.ReturnVisit.objects.create(
            ticket=item,
            survey=survey,
            team=team,
            reason="Rated 1",
            due_at=due,
            completed_at=completed,
            outcome="satisfied" if completed else "",
        )
    response = signed_in.get("/desk/", {"queue": "return_visits"})
    assert listed(response) == {ticket.reference}
    assert response.context["page"].object_list[0].return_visit_due == due
    assert "Return visit due" in response.content.decode()


def test_filters(signed_in, agent, team):
    parent = CategoryFactory(slug="billing-parent")
    child = CategoryFactory(slug="billing-child", parent=parent)
    billing = TeamFactory(slug="billing")
    target = TicketFactory(
        team=team,
        assignee=agent,
        priority=1,
        kind=Ticket.Kind.INQUIRY,
        category=child,
        channel=Ticket.Channel.PHONE,
        sla_state=Ticket.SlaState.AT_RISK,
        escalation_level=2,
    )
    other = TicketFactory(team=team, assignee=agent)
    for name, value in [
        ("priority", 1),
        ("kind", "inquiry"),
        ("category", parent.pk),  # a category includes its subcategories
        ("category", child.pk),
        ("channel", "phone"),
        ("sla_state", "at_risk"),
        ("escalation_level", 2),
        ("status", "new"),
        ("team", team.pk),
        ("assignee", agent.pk),
    ]:
        result = listed(signed_in.get("/desk/", {name: value}))
        assert target.reference in result, name
        if name not in ("status", "team", "assignee"):
            assert other.reference not in result, name
    assert listed(signed_in.get("/desk/", {"team": billing.pk})) == set()


def test_created_range_is_whole_local_days(signed_in, agent, team, time_machine):
    time_machine.move_to("2026-03-01 23:30 +08:00", tick=False)
    late = TicketFactory(team=team, assignee=agent)
    time_machine.move_to("2026-03-02 00:30 +08:00", tick=False)
    early = TicketFactory(team=team, assignee=agent)
    on_first = listed(
        signed_in.get("/desk/", {"created_after": "2026-03-01", "created_before": "2026-03-01"})
    )
    assert on_first == {late.reference}
    assert listed(signed_in.get("/desk/", {"created_after": "2026-03-02"})) == {early.reference}


def test_invalid_filters_are_ignored(signed_in, agent, team):
    mine = TicketFactory(team=team, assignee=agent)
    response = signed_in.get("/desk/", {"priority": "nine", "created_after": "yesterday"})
    assert response.status_code == 200
    assert listed(response) == {mine.reference}


@pytest.mark.parametrize(
    "term",
    [
        "REFERENCE",
        "reference-lower",
        "ORD-778899",
        "li.lei@example.com",
        "LI.LEI@example.com",
        "+86 139-0000-1234",
    ],
)
def test_search_finds_the_ticket(signed_in, agent, team, term):
    customer = CustomerFactory(email="li.lei@example.com", phone="13900001234")
    ticket = TicketFactory(team=team, assignee=agent, customer=customer, order_number="ORD-778899")
    TicketFactory(team=team, assignee=agent)
    term = {"REFERENCE": ticket.reference, "reference-lower": ticket.reference.lower()}.get(term, term)
    assert listed(signed_in.get("/desk/", {"q": term})) == {ticket.reference}


def test_search_by_chinese_words(signed_in, agent, team):
    ticket = TicketFactory(
        team=team, assignee=agent, subject="宽带断网三天", description="家里的宽带一直断网"
    )
    TicketFactory(team=team, assignee=agent, subject="退款", description="没有收到退款")
    assert listed(signed_in.get("/desk/", {"q": "断网"})) == {ticket.reference}


def test_search_does_not_match_part_of_an_email(signed_in, agent, team):
    TicketFactory(team=team, assignee=agent, customer=CustomerFactory(email="li.lei@example.com"))
    assert listed(signed_in.get("/desk/", {"q": "lei@example.com"})) == set()


def test_default_sort_is_sla_due_with_no_target_last(signed_in, agent, team):
    now = timezone.now()
    none = TicketFactory(team=team, assignee=agent)
    later = TicketFactory(team=team, assignee=agent, sla_due_at=now + timedelta(hours=5))
    sooner = TicketFactory(team=team, assignee=agent, sla_due_at=now + timedelta(hours=1))
    order = [t.reference for t in signed_in.get("/desk/").context["page"].object_list]
    assert order == [sooner.reference, later.reference, none.reference]


def test_other_sorts(signed_in, agent, team, time_machine):
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    old = TicketFactory(team=team, assignee=agent, priority=4)
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    urgent = TicketFactory(team=team, assignee=agent, priority=1)

    def order(sort: str) -> list[str]:
        return [t.reference for t in signed_in.get("/desk/", {"sort": sort}).context["page"].object_list]

    assert order("priority") == [urgent.reference, old.reference]
    assert order("age") == [old.reference, urgent.reference]
    assert order("updated") == [urgent.reference, old.reference]


def test_pagination(signed_in, agent, team):
    for _ in range(30):
        TicketFactory(team=team, assignee=agent)
    first = signed_in.get("/desk/")
    second = signed_in.get("/desk/", {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert not listed(first) & listed(second)
    assert "Page 1 of 2 (30 tickets)" in first.content.decode()


def test_htmx_filter_returns_only_the_results_fragment(signed_in, agent, team):
    ticket = TicketFactory(team=team, assignee=agent)
    response = signed_in.get("/desk/", {"q": ticket.reference}, **HTMX_RESULTS)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert ticket.reference in html
    assert "<html" not in html


def test_live_counts_fragment(signed_in, agent, team):
    TicketFactory(team=team, assignee=agent)
    response = signed_in.get("/desk/", {"part": "counts"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queues")
    html = response.content.decode()
    assert html.lstrip().startswith('<nav id="queues"')
    assert '<span class="count" data-queue="mine">1</span>' in html


def test_subject_is_escaped_in_the_list(signed_in, agent, team):
    TicketFactory(team=team, assignee=agent, subject="<img src=x onerror=alert(1)>")
    html = signed_in.get("/desk/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def _tickets(count: int, team, agent) -> None:
    category = CategoryFactory(slug="qc-child", parent=CategoryFactory(slug="qc-parent"))
    for n in range(count):
        TicketFactory(team=team, assignee=agent if n % 2 else AgentFactory(team=team), category=category)


# Committed, as in production: configuration written inside the test's own transaction is read
# fresh on every use (complaints.config_cache), which is not what a page costs.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("queue", ["mine", "team", "all"])
def test_a_queue_page_costs_the_same_queries_for_5_or_50_rows(
    client, django_assert_num_queries, django_assert_max_num_queries, team, queue
):
    agent = SupervisorFactory() if queue == "all" else AgentFactory(team=team)
    _tickets(10, team, agent)
    params = {"queue": "all" if queue == "all" else "mine", "per_page": 50, "q": ""}
    client.force_login(agent)
    client.get("/desk/", params)  # the shared team counts and filter options are now in the cache
    # Session, user, permissions (2), supervisor?, teams, page count, rows, the badges other apps
    # register (escalation risk and external cases, incidents, remedies awaiting approval, hand-offs:
    # one query each for the page). The counts (own and other apps' queues, such as return visits) are
    # cached too. Tight on purpose: a new extension that queries per request fails here.
    with django_assert_max_num_queries(12) as few:
        assert client.get("/desk/", params).status_code == 200
    expected = len(few.captured_queries)  # read now: each request resets the connection's query log
    _tickets(100, team, agent)
    rows = len(client.get("/desk/", params).context["page"].object_list)
    assert rows == 50
    # Same count, whatever the page length: rows bring their customer, team, category and assignee along.
    with django_assert_num_queries(expected):
        client.get("/desk/", params)


def test_counts_are_shared_for_a_while_but_my_own_actions_show_at_once(signed_in, agent, team, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "QUEUE_COUNTS_SECONDS": 60}

    def counts() -> dict[str, int]:
        return {q.value: c for q, c in signed_in.get("/desk/").context["queues"]}

    waiting = TicketFactory(team=team)
    assert counts()["team"] == 1
    TicketFactory(team=team)  # a colleague's new ticket: the counts catch up later
    TicketFactory(team=team, assignee=agent)
    assert (counts()["team"], counts()["mine"]) == (1, 0)
    assert post_action(signed_in, waiting, "take").status_code == 302
    assert counts()["mine"] == 2  # my own action: my counts are fresh
    cache.clear()  # the interval is over
    assert (counts()["team"], counts()["mine"]) == (1, 2)


def test_tickets_i_hold_outside_my_teams_are_counted(signed_in, agent, team):
    other = TeamFactory(slug="legal")
    TicketFactory(team=other, assignee=agent, sla_state=Ticket.SlaState.BREACHED)
    TicketFactory(team=other, sla_state=Ticket.SlaState.BREACHED)  # not mine, not my team's
    TicketFactory(team=team, sla_state=Ticket.SlaState.AT_RISK)
    counts = {q.value: c for q, c in signed_in.get("/desk/").context["queues"]}
    assert counts["at_risk"] == 2
    assert counts["mine"] == 1
    assert counts["team"] == 1


def test_supervisor_counts_cover_every_team_and_tickets_without_one(client, team):
    supervisor = SupervisorFactory()
    TicketFactory(team=team, sla_state=Ticket.SlaState.AT_RISK)
    TicketFactory(team=TeamFactory(slug="legal"), sla_state=Ticket.SlaState.BREACHED)
    TicketFactory(team=None, status=Status.AWAITING_CUSTOMER)
    client.force_login(supervisor)
    counts = {q.value: c for q, c in client.get("/desk/").context["queues"]}
    assert counts["at_risk"] == 2
    assert counts["awaiting"] == 1
    assert counts["all"] == 3
    assert counts["team"] == 0  # unassigned of the supervisor's own teams: none


# --- search over everything the agent may see ---------------------------------------------------


def test_a_search_looks_beyond_the_current_queue(signed_in, agent, team, time_machine):
    colleague = AgentFactory(team=team)
    time_machine.move_to("2026-01-05 10:00 +08:00", tick=False)
    old_closed = TicketFactory(
        team=team, assignee=colleague, subject="宽带断网", status=Status.CLOSED, resolved_at=timezone.now()
    )
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    colleagues = TicketFactory(team=team, assignee=colleague, subject="光猫故障", description="宽带很慢")
    in_a_message = TicketFactory(team=team, assignee=colleague, subject="Slow line")
    Message = in_a_message.messages.model
    Message.objects.create(ticket=in_a_message, kind="customer", channel="web", body="家里宽带又断了")
    TicketFactory(team=TeamFactory(slug="legal"), subject="宽带合同纠纷")  # another team's: never found
    response = signed_in.get("/desk/", {"q": "宽带"})
    assert listed(response) == {old_closed.reference, colleagues.reference, in_a_message.reference}
    assert response.context["current_queue"] == "visible"
    # The queue is a filter: narrowed to my own queue, none of them is mine.
    assert listed(signed_in.get("/desk/", {"q": "宽带", "within": "mine"})) == set()


def test_several_words_must_each_appear_somewhere(signed_in, agent, team):
    both = TicketFactory(team=team, subject="退款 not received", description="宽带套餐")
    TicketFactory(team=team, subject="退款 only")
    assert listed(signed_in.get("/desk/", {"q": "退款 宽带"})) == {both.reference}


def test_team_and_everything_views(signed_in, agent, team):
    closed = TicketFactory(team=team, status=Status.CLOSED, resolved_at=timezone.now() - timedelta(days=60))
    colleagues = TicketFactory(team=team, assignee=AgentFactory(team=team))
    elsewhere_mine = TicketFactory(team=TeamFactory(slug="legal"), assignee=agent)
    TicketFactory(team=TeamFactory(slug="billing"))
    assert listed(signed_in.get("/desk/", {"queue": "team_all"})) == {closed.reference, colleagues.reference}
    everything = signed_in.get("/desk/", {"queue": "visible"})
    assert listed(everything) == {closed.reference, colleagues.reference, elsewhere_mine.reference}
    labels = [queue.label for queue, _count in everything.context["queues"]]
    assert "All my team's tickets" in labels and "Everything I may see" in labels


def test_a_contact_search_is_posted_and_kept_out_of_the_address(signed_in, agent, team):
    customer = CustomerFactory(email="li.lei@example.com", phone="13900001234")
    ticket = TicketFactory(team=team, assignee=AgentFactory(team=team), customer=customer)
    for term in ("li.lei@example.com", "139 0000 1234"):
        response = signed_in.post("/desk/search/", {"q": term, "queue": "mine"})
        assert response.status_code == 302
        location = response["Location"]
        assert "li.lei" not in location and "1234" not in location and "s=" in location
        followed = signed_in.get(location)
        assert listed(followed) == {ticket.reference}
        assert f'value="{term}"' in followed.content.decode()  # shown on the page, not in the URL
    htmx = signed_in.post("/desk/search/", {"q": "li.lei@example.com"}, HTTP_HX_REQUEST="true")
    assert "li.lei" not in htmx["HX-Push-Url"] and ticket.reference in htmx.content.decode()
    assert htmx.content.decode().lstrip().startswith('<section id="results"')


def test_a_word_search_stays_bookmarkable(signed_in, agent, team):
    response = signed_in.post("/desk/search/", {"q": "退款", "queue": "mine", "status": "", "page": "3"})
    assert response["Location"] == "/desk/?q=%E9%80%80%E6%AC%BE&queue=mine"


def test_another_sessions_search_id_finds_nothing(client, signed_in, agent, team):
    TicketFactory(team=team, assignee=agent, customer=CustomerFactory(email="li.lei@example.com"))
    location = signed_in.post("/desk/search/", {"q": "li.lei@example.com"})["Location"]
    search_id = location.split("s=")[1]
    other = AgentFactory(team=team)
    from django.test import Client

    stranger = Client()
    stranger.force_login(other)
    response = stranger.get("/desk/", {"s": search_id, "queue": "team_all"})
    assert response.context["q"] == ""


# --- bulk actions --------------------------------------------------------------------------------


def _ticked(*tickets) -> list[str]:
    return [f"{t.reference}:{t.version}" for t in tickets]


def test_bulk_take_goes_through_the_service_for_each_ticket(signed_in, agent, team):
    first, second = TicketFactory(team=team), TicketFactory(team=team)
    response = signed_in.post(
        "/desk/bulk/", {"tickets": _ticked(first, second), "action": "take", "next": "/desk/?queue=team"}
    )
    assert response.status_code == 302 and response["Location"] == "/desk/?queue=team"
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == agent and ticket.events.filter(kind="assigned", actor=agent).exists()
    assert "2 tickets done: Take them." in signed_in.get("/desk/").content.decode()


def test_bulk_refusals_are_reported_per_ticket(signed_in, agent, team):
    fine = TicketFactory(team=team)
    colleagues = TicketFactory(team=team, assignee=AgentFactory(team=team))  # taking it is a reassignment
    stale = TicketFactory(team=team)
    seen_stale = _ticked(stale)
    stale.version += 1
    stale.save()
    hidden = TicketFactory(team=TeamFactory(slug="legal"))
    ticked = [*_ticked(fine, colleagues), *seen_stale, *_ticked(hidden)]
    response = signed_in.post(
        "/desk/bulk/", {"tickets": ticked, "action": "take", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/desk/"  # only back into the desk
    page = signed_in.get("/desk/").content.decode()
    assert "1 ticket done: Take them." in page
    assert f"{colleagues.reference}: Only the team lead or a supervisor may reassign" in page
    assert f"{stale.reference}: Someone else changed this ticket meanwhile" in page
    assert f"{hidden.reference}: There is no ticket {hidden.reference} that you can see." in page
    hidden.refresh_from_db()
    assert hidden.assignee is None


def test_closing_in_bulk_is_offered_to_supervisors_and_closes_as_spam(client, team):
    supervisor = SupervisorFactory()
    spam = TicketFactory(team=team, subject="Buy cheap followers")
    client.force_login(supervisor)
    page = client.get("/desk/", {"queue": "all"}).content.decode()
    assert 'value="spam"' in page
    client.post("/desk/bulk/", {"tickets": _ticked(spam), "action": "spam", "reason": "Advert"})
    spam.refresh_from_db()
    assert spam.is_spam and spam.status == Status.CLOSED


def test_agents_are_not_offered_closing_and_cannot_close_in_bulk(signed_in, agent, team):
    ticket = TicketFactory(team=team, assignee=agent)
    assert 'value="spam"' not in signed_in.get("/desk/").content.decode()
    signed_in.post("/desk/bulk/", {"tickets": _ticked(ticket), "action": "spam"})
    ticket.refresh_from_db()
    assert not ticket.is_spam and ticket.status != Status.CLOSED


def test_the_queue_names_assignees_as_colleagues_know_them(signed_in, agent, team):
    colleague = AgentFactory(team=team, username="wfang", first_name="芳", last_name="王")
    TicketFactory(team=team, assignee=colleague)
    page = signed_in.get("/desk/", {"queue": "team_all"}).content.decode()
    assert "<td>王芳</td>" in page and ">wfang<" not in page
