"""The public home and the FAQ: submit, track and search, with only public, published answers."""

import pytest
from django.urls import reverse

from complaints.models import KBArticle


@pytest.fixture
def articles(db):
    return [
        KBArticle.objects.create(
            slug="refund-time",
            title_zh="退款多久到账？",
            title_en="How long does a refund take?",
            body_zh="退款通常在3个工作日内到账。",
            body_en="Refunds usually arrive within 3 working days.",
            is_public=True,
        ),
        KBArticle.objects.create(
            slug="reset-password",
            title_zh="如何重置密码？",
            title_en="How do I reset my password?",
            body_zh="在登录页点击“忘记密码”。",
            body_en="Click 'Forgot password' on the sign-in page.\nThen follow the e-mail.",
            is_public=True,
        ),
        KBArticle.objects.create(
            slug="internal-escalation",
            title_zh="内部升级流程",
            title_en="INTERNAL escalation playbook",
            body_zh="仅供内部。",
            body_en="Staff only refund override.",
            is_public=False,
        ),
        KBArticle.objects.create(
            slug="draft-refund",
            title_zh="草稿",
            title_en="DRAFT refund answer",
            body_zh="草稿",
            body_en="refund draft",
            is_public=True,
            is_published=False,
        ),
    ]


def test_home_offers_submit_track_and_faq_search(client, articles):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/submit/"' in html
    assert f'action="{reverse("public:track")}"' in html and 'name="contact"' in html
    assert f'action="{reverse("public:faq")}"' in html and 'role="search"' in html
    assert "How long does a refund take?" in html
    assert "INTERNAL" not in html and "DRAFT" not in html
    assert 'action="/i18n/setlang/"' in html  # the zh/en switch


def test_home_is_in_the_chosen_language(client, articles):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    response = client.get("/")
    assert response["Content-Language"] == "zh-hans"
    assert "退款多久到账？" in response.content.decode()


def test_faq_search_finds_public_articles_in_either_language(client, articles):
    html = client.get(reverse("public:faq"), {"q": "refund"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How long does a refund take?" in html
    assert "reset my password" not in html
    assert "INTERNAL" not in html and "DRAFT" not in html
    html = client.get(reverse("public:faq"), {"q": "密码"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How do I reset my password?" in html and "refund take" not in html


def test_faq_search_with_no_match_points_to_the_complaint_form(client, articles):
    html = client.get(reverse("public:faq"), {"q": "satellite"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No answer matches" in html and 'href="/submit/"' in html


def test_faq_article_page_and_hidden_articles(client, articles):
    response = client.get(reverse("public:faq_article", args=["reset-password"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Click &#x27;Forgot password&#x27; on the sign-in page.<br>Then follow the e-mail." in (
        response.content.decode()
    )
    assert client.get(reverse("public:faq_article", args=["internal-escalation"])).status_code == 404
    assert client.get(reverse("public:faq_article", args=["draft-refund"])).status_code == 404
