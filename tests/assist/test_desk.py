import pytest
from django.urls import reverse
from django.utils import translation

from assist import services
from complaints import timeline
from complaints.events import EventKind
from complaints.models import Category, KBArticle, Resolution, RootCause
from tests.assist.test_services import BROADBAND, open_web

pytestmark = pytest.mark.django_db


@pytest.fixture
def suggested(history, supervisor):
    assert services.train().adopted
    ticket = open_web(*BROADBAND)
    services.suggest_for_ticket(ticket_id=ticket.pk)
    return ticket


def test_the_workspace_shows_the_suggestion_with_its_reasons_articles_and_similar_tickets(
    client, supervisor, suggested, history
):
    KBArticle.objects.create(
        slug="broadband-down",
        title_zh="宽带断网怎么办？",
        title_en="Broadband down?",
        body_zh="光猫亮红灯时请先重启光猫，仍连不上网请报修。",
        body_en="Restart the modem; if it stays red, report a fault.",
        is_public=True,
    )
    for earlier in (t for t in history if t.category.slug == "network-broadband-outage"):
        Resolution.objects.create(
            ticket=earlier,
            root_cause=RootCause.objects.get(slug="network-fault"),
            steps_taken="更换了楼道光纤分纤箱",
            remedy=Resolution.Remedy.COMPENSATION,
            amount=30,
            resolved_by=supervisor,
        )
    client.force_login(supervisor)
    page = client.get(reverse("desk:ticket", args=[suggested.reference])).content.decode()
    assert "Suggested by the assistant" in page
    assert "Broadband outage" in page  # the suggested category
    assert "<mark>" in page  # the words that weighed most
    assert "宽带断网怎么办？" in page or "Broadband down?" in page
    assert "更换了楼道光纤分纤箱" in page and "Network fault" in page
    assert "Apply the suggestion" in page


def test_one_click_apply_reclassifies_through_the_services(client, supervisor, suggested):
    client.force_login(supervisor)
    response = client.post(
        reverse("assist:apply", args=[suggested.reference]), {"version": suggested.version, "action": "apply"}
    )
    assert response.status_code == 302
    suggested.refresh_from_db()
    assert suggested.category.slug == "network-broadband-outage"
    event = suggested.events.get(kind=EventKind.RECLASSIFIED)
    assert event.actor == supervisor and event.reason_code == "assistant_suggested"
    with translation.override("en"):
        assert "suggested by the assistant" in timeline.event_reason(event)


def test_correcting_sets_the_agents_category_and_a_stale_version_is_refused(client, supervisor, suggested):
    client.force_login(supervisor)
    url = reverse("assist:apply", args=[suggested.reference])
    client.post(
        url, {"version": suggested.version + 5, "action": "correct", "category": "billing-extra-charges"}
    )
    suggested.refresh_from_db()
    assert suggested.category is None
    client.post(url, {"version": suggested.version, "action": "correct", "category": "billing-extra-charges"})
    suggested.refresh_from_db()
    assert suggested.category == Category.objects.get(slug="billing-extra-charges")


def test_urgent_wording_shows_a_flag_with_its_words_even_without_a_model(client, supervisor):
    ticket = open_web("还是没网", "这已经是第三次投诉了，气死我了，马上处理！")
    client.force_login(supervisor)
    page = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "Urgent or angry wording" in page
    assert "<mark>第三次投诉</mark>" in page and "<mark>马上</mark>" in page
    assert "No suggestion" in page


def test_inserting_a_suggested_answer_fills_the_reply_and_the_timeline_notes_it(
    client, supervisor, suggested
):
    article = KBArticle.objects.create(
        slug="broadband-restart",
        title_zh="宽带断网怎么办？",
        title_en="Broadband down?",
        body_zh="光猫亮红灯时请先重启光猫，仍连不上网请报修。",
        body_en="Restart the modem; if it stays red, report a fault.",
        is_public=True,
    )
    client.force_login(supervisor)
    page = client.get(reverse("desk:ticket", args=[suggested.reference])).content.decode()
    assert f'value="kb-{article.pk}"' in page and "Insert into the reply" in page

    response = client.post(
        reverse("assist:insert", args=[suggested.reference]), {"suggestion": f"kb-{article.pk}"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?insert=kb-{article.pk}#action-reply")
    page = client.get(response["Location"]).content.decode()
    assert "光猫亮红灯时请先重启光猫" in page  # in the reply box, in the ticket's language
    note = suggested.messages.get(kind="note")
    assert "Suggested answer inserted into the reply: Broadband down?" in note.body
    assert "已将建议答复插入回复：宽带断网怎么办？" in note.body  # each language names it in its own
    client.post(reverse("assist:insert", args=[suggested.reference]), {"suggestion": f"kb-{article.pk}"})
    assert suggested.messages.filter(kind="note").count() == 1  # once per ticket and answer


def test_inserting_on_another_teams_ticket_or_an_unknown_answer_is_refused(client, suggested):
    from tests.factories import AgentFactory, TeamFactory

    outsider = AgentFactory(team=TeamFactory(slug="elsewhere"))
    client.force_login(outsider)
    assert (
        client.post(reverse("assist:insert", args=[suggested.reference]), {"suggestion": "kb-1"}).status_code
        == 404
    )
