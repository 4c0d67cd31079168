"""Emergency plans (应急预案): confirming an incident copies its category's plan as a checklist with
deadlines from confirmation; a tick records who and when on the incident's timeline; an overdue step
warns once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents import services
from incidents.models import IncidentEvent, Playbook, PlaybookStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(category, team):
    playbook = Playbook.objects.create(name_zh="断网应急预案", name_en="Outage plan", category=category)
    PlaybookStep.objects.create(
        playbook=playbook, position=1, title_zh="通知法务", title_en="Notify legal", due_minutes=30
    )
    PlaybookStep.objects.create(
        playbook=playbook,
        position=2,
        title_zh="在微信公众号发布公告",
        title_en="Publish the notice on WeChat",
        owner_team=team,
        due_minutes=60,
    )
    return playbook


@pytest.fixture
def incident(supervisor, category):
    return services.create_incident(actor=supervisor, title_zh="断网", title_en="Outage", category=category)


def test_confirming_starts_the_categorys_plan_with_deadlines_from_confirmation(plan, incident, supervisor):
    assert not incident.steps.exists()  # suspected: no plan yet
    services.confirm(incident_id=incident.pk, actor=supervisor)
    incident.refresh_from_db()
    steps = list(incident.steps.all())
    assert [s.title_en for s in steps] == ["Notify legal", "Publish the notice on WeChat"]
    assert [s.due_at - incident.confirmed_at for s in steps] == [timedelta(minutes=30), timedelta(minutes=60)]
    assert incident.events.filter(kind=IncidentEvent.Kind.PLAN_STARTED).count() == 1


def test_a_tick_records_who_and_when_once(plan, incident, supervisor):
    services.confirm(incident_id=incident.pk, actor=supervisor)
    step = incident.steps.first()
    services.tick_step(step_id=step.pk, actor=supervisor)
    services.tick_step(step_id=step.pk, actor=supervisor)
    step.refresh_from_db()
    assert step.done_by == supervisor and step.done_at is not None
    done = incident.events.filter(kind=IncidentEvent.Kind.STEP_DONE)
    assert done.count() == 1 and done.get().detail["step"] in ("通知法务", "Notify legal")


def test_an_overdue_step_warns_once(
    plan, incident, supervisor, worker, mailoutbox, django_capture_on_commit_callbacks
):
    services.confirm(incident_id=incident.pk, actor=supervisor)
    later = timezone.now() + timedelta(minutes=45)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        warned = services.warn_overdue_steps()
        assert services.warn_overdue_steps() == []
    worker.run()
    assert len(warned) == 1
    assert [m.subject for m in mailoutbox] == ["Overdue plan step: Notify legal"]


def test_the_checklist_on_the_desk(client, plan, incident, supervisor):
    services.confirm(incident_id=incident.pk, actor=supervisor)
    client.force_login(supervisor)
    step = incident.steps.first()
    page = client.get(f"/desk/incidents/{incident.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "Emergency plan" in page and "Notify legal" in page
    client.post(f"/desk/incidents/{incident.pk}/steps/{step.pk}/done/")
    step.refresh_from_db()
    assert step.done_by == supervisor


def test_the_incident_owes_its_customers_a_public_update_on_time(
    plan, incident, supervisor, worker, mailoutbox, django_capture_on_commit_callbacks
):
    plan.first_update_minutes, plan.update_every_minutes = 15, 60
    plan.save()
    services.confirm(incident_id=incident.pk, actor=supervisor)
    incident.refresh_from_db()
    assert incident.update_due_at == incident.confirmed_at + timedelta(minutes=15)
    later = timezone.now() + timedelta(minutes=20)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert services.warn_late_updates() == [incident.pk]
        assert services.warn_late_updates() == []
        update, _created = services.post_update(
            incident_id=incident.pk, actor=supervisor, body_en="Working on it."
        )
    worker.run()
    assert [m.subject for m in mailoutbox if "Public update" in m.subject] == [
        "Public update overdue: Outage"
    ]
    incident.refresh_from_db()
    assert incident.update_due_at == update.created_at + timedelta(minutes=60)
    assert incident.update_warned_at is None  # the next lateness warns again
