"""The console's partners: a partner without an address is refused with the field named; hand-offs
are read-only there (changed through the desk's services)."""

import pytest

from handoffs.models import Partner

pytestmark = pytest.mark.django_db


def test_a_partner_without_an_address_is_refused_in_the_console(client, boss):
    client.force_login(boss)
    form = {"name": "顺丰速运", "kind": "external", "email": "", "response_hours": 8, "language": "zh-hans"}
    refused = client.post("/admin/handoffs/partner/add/", {**form, "is_active": "on"})
    assert refused.status_code == 200 and "email" in refused.context["adminform"].form.errors
    assert not Partner.objects.exists()
    saved = client.post(
        "/admin/handoffs/partner/add/", {**form, "email": "kefu@sf.example.com", "is_active": "on"}
    )
    assert saved.status_code == 302 and Partner.objects.get().email == "kefu@sf.example.com"


def test_handoffs_cannot_be_added_or_edited_in_the_console(client, boss, open_ticket, agent, supplier):
    from handoffs import services

    ticket = open_ticket()
    handoff = services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    client.force_login(boss)
    assert client.get("/admin/handoffs/handoff/add/").status_code == 403
    page = client.get(f"/admin/handoffs/handoff/{handoff.pk}/change/")
    assert page.status_code == 200 and handoff.reference in page.content.decode()
    assert client.get("/admin/handoffs/partner/").status_code == 200
