"""The console: approval rules and fulfilment terms are edited there; finance marks fulfilment items
done in bulk with a reference (or failed with a reason); remedies are approved or refused in bulk,
through the same policy as the desk (a supervisor who proposed one cannot approve it)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from remedies.models import ApprovalRule, Fulfilment, Remedy
from tests.factories import UserFactory

from .conftest import open_complaint, propose, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(db):
    user = UserFactory(username="finance", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_fulfilment", "change_fulfilment", "view_remedy"])
    )
    return user


def _items(team, agent, cause, n: int) -> list[Fulfilment]:
    for i in range(n):
        propose(open_complaint(team, agent, email=f"f{i}@example.com"), agent, cause, amount="30")
    return list(Fulfilment.objects.order_by("pk"))


def test_finance_marks_items_done_in_bulk_with_a_reference(team, agent, cause, finance):
    items = _items(team, agent, cause, 3)
    client = signed_in(finance)
    url = reverse("admin:remedies_fulfilment_changelist")
    page = client.get(url)
    assert (
        page.status_code == 200 and "Mark the selected items done with the reference" in page.content.decode()
    )
    ids = [str(items[0].pk), str(items[1].pk)]
    refused = client.post(url, {"action": "mark_done", "_selected_action": ids, "reference": ""}, follow=True)
    assert "Give the payment or transaction reference." in refused.content.decode()
    assert not Fulfilment.objects.filter(state=Fulfilment.State.DONE).exists()
    done = client.post(
        url, {"action": "mark_done", "_selected_action": ids, "reference": "BATCH-7"}, follow=True
    )
    assert "2 items recorded done." in done.content.decode()
    states = dict(Fulfilment.objects.values_list("pk", "state"))
    assert [states[i.pk] for i in items] == ["done", "done", "pending"]
    assert set(Fulfilment.objects.filter(state="done").values_list("reference", flat=True)) == {"BATCH-7"}
    again = client.post(url, {"action": "mark_done", "_selected_action": ids, "reference": "X"}, follow=True)
    assert "Only pending items" in again.content.decode()


def test_an_agent_in_the_console_cannot_mark_items_done(team, agent, cause):
    items = _items(team, agent, cause, 1)
    staff_agent = UserFactory(username="staffagent", is_staff=True)
    staff_agent.user_permissions.add(Permission.objects.get(codename="view_fulfilment"))
    response = signed_in(staff_agent).post(
        reverse("admin:remedies_fulfilment_changelist"),
        {"action": "mark_done", "_selected_action": [items[0].pk], "reference": "X"},
    )
    assert response.status_code in (200, 302, 403)
    assert Fulfilment.objects.get().state == Fulfilment.State.PENDING


def test_rules_are_edited_and_a_supervisor_cannot_approve_their_own(
    team, agent, supervisor, cause, rule, lead
):
    client = signed_in(supervisor)
    assert client.get(reverse("admin:remedies_approvalrule_changelist")).status_code == 200
    assert client.get(reverse("admin:remedies_approvalrule_change", args=[rule.pk])).status_code == 200
    assert client.get(reverse("admin:remedies_fulfilmentterm_changelist")).status_code == 200
    own_ticket = open_complaint(team, agent, email="own@example.com")
    propose(own_ticket, supervisor, cause, amount="900")
    other_ticket = open_complaint(team, agent, email="other@example.com")
    propose(other_ticket, agent, cause, amount="900")
    url = reverse("admin:remedies_remedy_changelist")
    own = Remedy.objects.get(ticket=own_ticket)
    response = client.post(url, {"action": "approve_selected", "_selected_action": [own.pk]}, follow=True)
    assert "You proposed this remedy" in response.content.decode()
    other = Remedy.objects.get(ticket=other_ticket)
    response = client.post(url, {"action": "approve_selected", "_selected_action": [other.pk]}, follow=True)
    assert "1 remedies approved." in response.content.decode()
    assert Remedy.objects.get(pk=other.pk).state == Remedy.State.APPROVED
    assert Remedy.objects.get(pk=own.pk).state == Remedy.State.AWAITING_APPROVAL


def test_a_rule_with_limits_out_of_order_is_refused(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRule.objects.create(name="bad", agent_limit=500, lead_limit=50, ceiling=1000)
