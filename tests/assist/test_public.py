import pytest
from django.urls import reverse

from complaints.models import KBArticle, Ticket

pytestmark = pytest.mark.django_db

URL = "/submit/faq-suggestions/"


@pytest.fixture
def faq(db):
    KBArticle.objects.create(
        slug="refund-time",
        title_zh="退款多久到账？",
        title_en="When does my refund arrive?",
        body_zh="退款在 3 个工作日内原路退回。",
        body_en="Refunds go back to your card within 3 working days.",
        is_public=True,
    )
    KBArticle.objects.create(
        slug="internal-refund-steps",
        title_zh="退款内部流程",
        title_en="Refund steps (internal)",
        body_zh="退款到账 退款 内部审批流程",
        body_en="internal refund approval",
        is_public=False,
    )


def test_matching_public_faq_articles_are_suggested_as_the_customer_types(client, faq):
    body = client.get(URL, {"q": "申请退款一直没到账"}).json()
    assert [a["url"] for a in body["articles"]] == [reverse("public:faq_article", args=["refund-time"])]
    english = client.get(URL, {"q": "my refund has not arrived"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["articles"][0]["title"] == "When does my refund arrive?"


@pytest.mark.parametrize("query", ["", "😡😡", "！！！", "x" * 50_000])
def test_text_that_matches_nothing_gives_an_empty_list(client, faq, query):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert response.json() == {"articles": []}


def test_the_suggestions_are_rate_limited_per_client(client, faq):
    for _ in range(60):
        assert client.get(URL, {"q": "退款"}).status_code == 200
    refused = client.get(URL, {"q": "退款"})
    assert refused.status_code == 429 and refused.json() == {"articles": []}


def test_the_complaint_form_carries_the_suggestions_box_and_its_script(client):
    page = client.get("/submit/").content.decode()
    assert 'id="faq-suggestions"' in page and "assist/deflect.js" in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


VISITOR = "0123456789abcdef0123456789abcdef"


def test_an_opened_faq_article_without_a_complaint_counts_as_answered_by_the_faq(client, faq):
    import datetime as dt

    from django.utils import timezone

    from assist import deflection
    from complaints import extensions

    client.post("/submit/faq-opened/", {"visitor": VISITOR, "slug": "refund-time"})
    client.post("/submit/faq-opened/", {"visitor": VISITOR, "slug": "refund-time"})  # once
    client.post("/submit/faq-opened/", {"visitor": "f" * 32, "slug": "refund-time"})
    client.post("/submit/faq-submitted/", {"visitor": "f" * 32})  # this one wrote anyway
    client.post("/submit/faq-opened/", {"visitor": "e" * 32, "slug": "internal-refund-steps"})  # not public
    later = timezone.now() + dt.timedelta(hours=1)
    start = timezone.now() - dt.timedelta(days=1)
    figures = deflection.stats_section(start, later, None, now=later)
    assert (figures["faq_opened"], figures["faq_then_submitted"], figures["answered_by_faq"]) == (2, 1, 1)
    assert figures["articles"] == [{"slug": "refund-time", "opened": 2, "answered": 1}]
    # Too soon to tell: a visitor still reading is not counted yet.
    assert deflection.stats_section(start, later, None)["answered_by_faq"] == 0
    assert extensions.stats(start, later, Ticket.objects.all())["assistant"]["faq_opened"] == 2


@pytest.mark.parametrize(
    "body", [{}, {"visitor": "<script>", "slug": "refund-time"}, {"visitor": VISITOR, "slug": "x" * 5000}]
)
def test_malformed_beacons_record_nothing(client, faq, body):
    from assist.models import FaqOpen

    assert client.post("/submit/faq-opened/", body).status_code == 204
    assert client.post("/submit/faq-submitted/", body).status_code == 204
    assert not FaqOpen.objects.exists()
