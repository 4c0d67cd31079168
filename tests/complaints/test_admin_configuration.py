"""The core's configuration in the console: every change audited, routing rules validated and tried on a text,
the retention setting as a singleton, and none of it open to agents."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from complaints.models import (
    Category,
    ConfigChange,
    KBArticle,
    RetentionPolicy,
    RoutingRule,
    Team,
    TeamMembership,
)
from tests.factories import AgentFactory, CategoryFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, supervisor):
    """A supervisor with the Supervisors group's permissions only (not a superuser)."""
    client.force_login(supervisor)
    return client


def rule_data(**overrides: object) -> dict:
    data = {
        "name": "Refund words",
        "position": 10,
        "is_active": "on",
        "match_channel": "",
        "match_category": "",
        "match_keywords": "退款, refund",
        "set_kind": "",
        "set_category": "",
        "set_team": "",
        "set_priority": "2",
        "set_complexity": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def changes_of(obj: object) -> list[ConfigChange]:
    kind = ContentType.objects.get_for_model(type(obj))
    return list(ConfigChange.objects.filter(content_type=kind, object_pk=str(obj.pk)).order_by("pk"))


def test_adding_and_changing_a_routing_rule_records_who_and_each_field_before_and_after(console, supervisor):
    billing = TeamFactory(slug="billing", name_zh="账务部", name_en="Billing")
    assert console.post(reverse("admin:complaints_routingrule_add"), rule_data()).status_code == 302
    rule = RoutingRule.objects.get(name="Refund words")

    url = reverse("admin:complaints_routingrule_change", args=[rule.pk])
    response = console.post(url, rule_data(name="Refunds", set_team=billing.pk, set_priority="1"))
    assert response.status_code == 302

    added, changed = changes_of(rule)
    assert added.action == "added" and added.user == supervisor
    assert added.changes["name"] == [None, "Refund words"]
    assert changed.action == "changed" and changed.user == supervisor
    assert changed.changes == {
        "name": ["Refund words", "Refunds"],
        "set_team": [None, str(billing)],
        "set_priority": [2, 1],
    }
    assert changed.object_repr == "Refunds"


def test_saving_without_a_change_records_nothing(console):
    rule = RoutingRule.objects.create(
        name="Refund words", position=10, match_keywords="退款, refund", set_priority=2
    )
    console.post(reverse("admin:complaints_routingrule_change", args=[rule.pk]), rule_data())
    assert changes_of(rule) == []


def test_team_membership_inline_changes_join_the_team_record(console):
    team = TeamFactory(slug="tech", name_zh="技术部", name_en="Technical")
    agent = AgentFactory(username="wang")
    url = reverse("admin:complaints_team_change", args=[team.pk])
    data = {
        "slug": "tech",
        "name_zh": "技术部",
        "name_en": "Technical support",
        "function": "customer_service",
        "assignment_strategy": "round_robin",
        "email": "",
        "is_active": "on",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": agent.pk,
        "memberships-0-role": "lead",
        "memberships-0-team": team.pk,
    }
    assert console.post(url, data).status_code == 302
    assert TeamMembership.objects.filter(team=team, user=agent, role="lead").exists()
    (record,) = changes_of(team)
    assert record.changes["name_en"] == ["Technical", "Technical support"]
    inline = {key: value for key, value in record.changes.items() if key.startswith("team membership")}
    assert [None, "lead"] in inline.values()
    assert [None, str(agent)] in inline.values()


def test_list_editable_and_delete_are_recorded_too(console):
    rule = RoutingRule.objects.create(name="Lawyers", position=5, match_keywords="律师", set_priority=1)
    console.post(
        reverse("admin:complaints_routingrule_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": rule.pk,
            "form-0-position": "50",
            "_save": "Save",
        },
    )
    article = KBArticle.objects.create(slug="refund-time", title_zh="退款多久到账", body_zh="三个工作日。")
    article_pk = article.pk
    console.post(reverse("admin:complaints_kbarticle_delete", args=[article.pk]), {"post": "yes"})

    (edited,) = changes_of(rule)
    assert edited.changes == {"position": [5, 50], "is_active": [True, False]}
    assert not KBArticle.objects.filter(pk=article_pk).exists()
    deleted = ConfigChange.objects.get(object_pk=str(article_pk), action="deleted")
    assert deleted.changes["slug"] == ["refund-time", None]


def test_a_rule_without_any_condition_is_refused_with_a_reason(console):
    response = console.post(
        reverse("admin:complaints_routingrule_add"), rule_data(match_keywords="", set_priority="1")
    )
    assert response.status_code == 200
    assert "without one it would catch every new ticket" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_rule_that_sets_nothing_is_refused(console):
    response = console.post(reverse("admin:complaints_routingrule_add"), rule_data(set_priority=""))
    assert "The rule changes nothing" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_the_routing_test_box_names_the_rule_that_fires_for_a_chinese_text(console):
    billing = TeamFactory(slug="billing", name_zh="账务部", name_en="Billing")
    RoutingRule.objects.create(name="Catch-all web", position=90, match_channel="web", set_priority=4)
    RoutingRule.objects.create(
        name="Refunds", position=10, match_keywords="退款, refund", set_team=billing, set_priority=2
    )
    url = reverse("admin:complaints_routingrule_test")
    assert url in console.get(reverse("admin:complaints_routingrule_changelist")).content.decode()

    page = console.post(url, {"text": "我要求退款，已经等了两周", "channel": "email"}).content.decode()

    assert "Rule <strong>Refunds</strong> (position 10) fires." in page
    assert "“退款”" in page
    assert str(billing) in page and "P2 – high" in page


def test_the_routing_test_box_says_when_no_rule_fires(console):
    RoutingRule.objects.create(name="Refunds", position=10, match_keywords="退款", set_priority=2)
    page = console.post(
        reverse("admin:complaints_routingrule_test"), {"text": "网络信号很差", "channel": "phone"}
    ).content.decode()
    assert "No rule fires." in page
    assert "fires." not in page.replace("No rule fires.", "")


def test_the_routing_test_box_uses_the_category_default_team_when_no_rule_fires(console):
    team = TeamFactory(slug="network", name_zh="网络部", name_en="Network")
    category = CategoryFactory(slug="signal", default_team=team)
    page = console.post(
        reverse("admin:complaints_routingrule_test"),
        {"text": "信号差", "channel": "web", "category": category.pk},
    ).content.decode()
    assert "No rule fires." in page and str(team) in page


def test_retention_policy_is_one_row_edited_in_place_and_validated(console, supervisor):
    changelist = console.get(reverse("admin:complaints_retentionpolicy_changelist"))
    policy = RetentionPolicy.objects.get()
    assert changelist.status_code == 302
    assert changelist["Location"] == reverse("admin:complaints_retentionpolicy_change", args=[policy.pk])
    assert console.get(reverse("admin:complaints_retentionpolicy_add")).status_code == 403
    assert (
        console.get(reverse("admin:complaints_retentionpolicy_delete", args=[policy.pk])).status_code == 403
    )

    url = reverse("admin:complaints_retentionpolicy_change", args=[policy.pk])
    refused = console.post(url, {"enabled": "on", "closed_ticket_days": "3"})
    assert "at least 30 days" in refused.content.decode()
    assert console.post(url, {"enabled": "on", "closed_ticket_days": "365"}).status_code == 302

    policy.refresh_from_db()
    assert policy.enabled and policy.closed_ticket_days == 365
    (record,) = changes_of(policy)
    assert record.user == supervisor
    assert record.changes == {"enabled": [False, True], "closed_ticket_days": [730, 365]}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/complaints/routingrule/",
        "/admin/complaints/routingrule/test/",
        "/admin/complaints/routingrule/add/",
        "/admin/complaints/team/add/",
        "/admin/complaints/retentionpolicy/",
    ],
)
def test_agents_cannot_reach_configuration_pages(client, team, url):
    agent = AgentFactory(team=team)
    client.force_login(agent)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Even an agent made staff has no configuration permission.
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    assert client.get(url).status_code == 403
    assert not ConfigChange.objects.exists()


def test_audit_values_are_json_safe_and_name_related_objects(console):
    parent = Category.objects.filter(parent__isnull=True).first()
    team = Team.objects.create(slug="legal", name_zh="法务部", name_en="Legal", function="legal")
    url = reverse("admin:complaints_category_add")
    data = {
        "parent": parent.pk,
        "slug": "lawsuit",
        "name_zh": "诉讼",
        "name_en": "Lawsuit",
        "position": "3",
        "default_team": team.pk,
        "is_active": "on",
    }
    assert console.post(url, data).status_code == 302
    record = ConfigChange.objects.get(action="added")
    assert record.changes["parent"] == [None, str(parent)]
    assert record.changes["default_team"] == [None, str(team)]
    assert record.changes["position"] == [None, 3]


def test_routing_test_box_costs_the_same_queries_for_few_or_many_rules(
    console, django_assert_max_num_queries
):
    url = reverse("admin:complaints_routingrule_test")
    data = {"text": "没有匹配的词", "channel": "web"}
    RoutingRule.objects.create(name="r0", position=1, match_keywords="甲", set_priority=1)
    console.post(url, data)  # warm the session and content-type caches
    with django_assert_max_num_queries(12) as few:
        console.post(url, data)
    for n in range(1, 30):
        RoutingRule.objects.create(name=f"r{n}", position=n + 1, match_keywords=f"词{n}", set_priority=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        console.post(url, data)
