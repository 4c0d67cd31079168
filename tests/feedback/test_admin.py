"""Survey settings in the console: contradictory settings refused, changes audited."""

import pytest

from complaints.models import ConfigChange
from feedback.models import SurveyPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, supervisor):
    client.force_login(supervisor)
    return client


def policy_data(**overrides: str) -> dict:
    data = {
        "name": "Default",
        "position": "100",
        "is_active": "on",
        "match_kind": "",
        "match_category": "",
        "match_channel": "",
        "send_survey": "on",
        "delay_minutes": "1440",
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "time_zone": "Asia/Shanghai",
        "reminder_after_days": "3",
        "answer_within_days": "14",
        "edit_within_days": "7",
        "on_resolve_again": "if_not_solved",
        "low_rating_threshold": "2",
        "return_visit_due_hours": "24",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Mars/Olympus is not a known time zone"),
        ({"low_rating_threshold": "7"}, "the threshold must be 0 (never) to 5"),
        ({"reminder_after_days": "14"}, "The reminder must go out before the link expires (after 14 days)."),
        ({"answer_within_days": "0", "reminder_after_days": "0"}, "at least one day to answer"),
    ],
)
def test_contradictory_survey_settings_are_refused(console, overrides, message):
    response = console.post("/admin/feedback/surveypolicy/add/", policy_data(name="Strict", **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SurveyPolicy.objects.filter(name="Strict").exists()


def test_survey_policy_changes_are_audited(console, supervisor):
    assert console.post("/admin/feedback/surveypolicy/add/", policy_data(name="Billing")).status_code == 302
    policy = SurveyPolicy.objects.get(name="Billing")
    url = f"/admin/feedback/surveypolicy/{policy.pk}/change/"
    assert console.post(url, policy_data(name="Billing", delay_minutes="60")).status_code == 302
    record = ConfigChange.objects.get(object_pk=str(policy.pk), action="changed")
    assert record.user == supervisor and record.changes == {"delay_minutes": [1440, 60]}
