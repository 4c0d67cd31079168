"""The console: open incidents on the dashboard, incidents read-only, plans and thresholds editable."""

import pytest

from incidents import services
from incidents.models import Playbook, SurgeThreshold

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, supervisor):
    supervisor.is_superuser = True
    supervisor.save(update_fields=["is_superuser"])
    client.force_login(supervisor)
    return client


def test_the_dashboard_lists_open_incidents(console, supervisor, category):
    incident = services.create_incident(
        actor=supervisor, title_en="Top-up supplier stalled", category=category
    )
    page = console.get("/admin/", headers={"accept-language": "en"}).content.decode()
    assert "Open major incidents" in page and f"/desk/incidents/{incident.pk}/" in page


@pytest.mark.parametrize("model", ["incident", "playbook", "surgethreshold"])
def test_the_console_pages_open(console, supervisor, category, model):
    services.create_incident(actor=supervisor, title_en="Outage", category=category)
    Playbook.objects.create(name_zh="预案", name_en="Plan")
    assert console.get(f"/admin/incidents/{model}/").status_code == 200
    assert console.get(f"/admin/incidents/{model}/add/").status_code == (403 if model == "incident" else 200)


def test_an_incident_reads_in_the_console(console, supervisor, category):
    incident = services.create_incident(actor=supervisor, title_en="Outage", category=category)
    assert console.get(f"/admin/incidents/incident/{incident.pk}/change/").status_code == 200


@pytest.mark.parametrize(("language", "heading"), [("en", "Latest surges"), ("zh-hans", "最近的突发投诉")])
def test_the_dashboard_shows_the_latest_surges_also_once_resolved(
    console, category, open_ticket, cause, supervisor, worker, language, heading
):
    SurgeThreshold.objects.create(category=category, min_tickets=2, window_minutes=30)
    for i in range(3):
        open_ticket(subject="宽带断网", description=f"家里宽带断网了，光猫红灯一直闪（{i}号楼）")
    [surge] = services.detect_surges()
    services.confirm(incident_id=surge.pk, actor=supervisor)
    services.resolve_incident(incident_id=surge.pk, actor=supervisor, root_cause=cause, steps_taken="Fixed.")
    console.cookies["django_language"] = language
    page = console.get("/admin/", headers={"accept-language": language}).content.decode()
    surges = page[page.index(heading) :]
    assert f"/desk/incidents/{surge.pk}/" in surges and surge.title in surges
    assert ("3 linked tickets" if language == "en" else "3 张关联工单") in surges
