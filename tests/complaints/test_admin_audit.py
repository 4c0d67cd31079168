"""The audit trail in the console: supervisors read it, nobody edits it, agents do not see it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.audit import record_pii_access
from complaints.models import ConfigChange, ExportRecord, PiiAccess, Team
from tests.factories import CustomerFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

TRAILS = {
    "piiaccess": PiiAccess,
    "exportrecord": ExportRecord,
    "configchange": ConfigChange,
}


@pytest.fixture
def trail(supervisor, team):
    ticket = TicketFactory()
    record_pii_access(actor=supervisor, customer=ticket.customer, ticket=ticket, fields=["phone"])
    ExportRecord.objects.create(
        user=supervisor, subject="tickets", file_format="csv", filters={"status__exact": "new"}, row_count=3
    )
    ConfigChange.objects.create(
        user=supervisor,
        content_type=ContentType.objects.get_for_model(Team),
        object_pk=str(team.pk),
        object_repr=str(team),
        action=ConfigChange.Action.CHANGED,
        changes={"name_en": ["<b>Old</b>", "New"], "is_active": [True, False]},
    )
    return ticket


@pytest.mark.parametrize("model_name", TRAILS)
def test_supervisors_read_each_trail_and_cannot_change_it(client, supervisor, trail, model_name):
    client.force_login(supervisor)
    base = f"/admin/complaints/{model_name}/"
    assert client.get(base).status_code == 200
    row = TRAILS[model_name].objects.get()
    page = client.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TRAILS[model_name].objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model_name", TRAILS)
def test_staff_agents_do_not_see_the_trail(client, agent, trail, model_name):
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)
    assert client.get(f"/admin/complaints/{model_name}/").status_code == 403


def test_the_console_index_lists_the_trail_for_supervisors(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/admin/complaints/").content.decode()
    for url in (
        "/admin/complaints/piiaccess/",
        "/admin/complaints/exportrecord/",
        "/admin/complaints/configchange/",
    ):
        assert url in page


def test_config_change_shows_its_changes_as_an_escaped_table(client, supervisor, trail):
    client.force_login(supervisor)
    change = ConfigChange.objects.get()
    page = client.get(f"/admin/complaints/configchange/{change.pk}/change/").content.decode()
    assert '<table class="config-changes">' in page
    assert "<tr><th>name_en</th><td>&lt;b&gt;Old&lt;/b&gt;</td><td>New</td></tr>" in page
    assert "<tr><th>is_active</th><td>True</td><td>False</td></tr>" in page
    assert "<b>Old</b>" not in page


def test_trail_filters_by_user_date_and_kind(client, supervisor, trail):
    other = UserFactory(is_staff=True)
    ExportRecord.objects.create(user=other, subject="report:sla", file_format="xlsx", row_count=1)
    client.force_login(supervisor)
    base = "/admin/complaints/exportrecord/"

    def shown(params: dict) -> list[str]:
        return [r.subject for r in client.get(base, params).context["cl"].result_list]

    assert shown({"user__id__exact": other.pk}) == ["report:sla"]
    assert shown({"file_format__exact": "csv"}) == ["tickets"]
    assert shown({"created_at__gte": "2000-01-01", "created_at__lt": "2000-01-02"}) == []
    assert sorted(shown({})) == ["report:sla", "tickets"]


def test_pii_access_list_costs_the_same_queries_for_5_and_50_rows(client, supervisor):
    client.force_login(supervisor)
    customer = CustomerFactory()

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/complaints/piiaccess/").status_code == 200
        return len(queries)

    for _ in range(5):
        record_pii_access(
            actor=supervisor, customer=customer, ticket=TicketFactory(customer=customer), fields=["e"]
        )
    five = count_queries()
    for _ in range(45):
        record_pii_access(
            actor=supervisor, customer=customer, ticket=TicketFactory(customer=customer), fields=["e"]
        )
    assert count_queries() == five, "each row must not cost its own query"
