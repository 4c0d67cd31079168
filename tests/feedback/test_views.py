"""The survey pages: opening a link records nothing; a POST records; changes within 7 days; clear error pages."""

import datetime as dt

import pytest
from django.test import Client

from complaints.models import Customer, TicketEvent
from feedback import tokens
from feedback.models import Survey, SurveyAnswer, SurveyReason

pytestmark = pytest.mark.django_db


def url(survey: Survey, suffix: str = "") -> str:
    return f"/survey/{tokens.sign(survey)}/{suffix}"


def snapshot(survey: Survey) -> tuple:
    survey.refresh_from_db()
    return (
        survey.state,
        survey.answered_at,
        SurveyAnswer.objects.count(),
        TicketEvent.objects.count(),
        Customer.objects.get(pk=survey.customer_id).surveys_opted_out,
    )


@pytest.mark.parametrize("method", ["get", "head"])
def test_opening_a_one_click_link_records_nothing(client, sent_survey, method):
    before = snapshot(sent_survey)

    for rating in range(1, 6):
        response = getattr(client, method)(url(sent_survey) + f"?rating={rating}")
        assert response.status_code == 200

    assert snapshot(sent_survey) == before


def test_the_one_click_rating_is_preselected_in_the_form(client, sent_survey):
    response = client.get(url(sent_survey) + "?rating=2")

    assert response.context["form"].initial["rating"] == 2
    assert b'value="2" required id="id_rating_3" checked' in response.content
    assert sent_survey.ticket.reference.encode() in response.content
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_nonsense_rating_preselects_nothing(client, sent_survey):
    response = client.get(url(sent_survey) + "?rating=9")

    assert "rating" not in response.context["form"].initial


def test_one_click_post_records_the_rating(client, sent_survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(sent_survey), {"rating": "5"})

    assert response.status_code == 302
    assert response["Location"] == url(sent_survey, "thanks/")
    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved, answer.comment) == (5, None, "")
    sent_survey.refresh_from_db()
    assert sent_survey.state == Survey.State.ANSWERED
    assert client.get(response["Location"]).status_code == 200


def test_the_full_form_records_solved_reasons_and_comment(client, sent_survey):
    fast, friendly = SurveyReason.objects.get(slug="fast"), SurveyReason.objects.get(slug="friendly")

    client.post(
        url(sent_survey),
        {
            "rating": "4",
            "solved": "yes",
            "reasons": [fast.pk, friendly.pk],
            "comment": "Thanks, <b>works</b> now",
        },
    )

    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved) == (4, True)
    assert set(answer.reasons.all()) == {fast, friendly}
    assert answer.comment == "Thanks, <b>works</b> now"


def test_post_without_a_rating_shows_the_form_again(client, sent_survey):
    response = client.post(url(sent_survey), {"solved": "yes"})

    assert response.status_code == 200
    assert response.context["form"].errors["rating"]
    assert not SurveyAnswer.objects.exists()


def test_the_answer_can_be_changed_within_seven_days(client, sent_survey, time_machine):
    client.post(url(sent_survey), {"rating": "3"})
    first = SurveyAnswer.objects.get()
    time_machine.shift(dt.timedelta(days=6, hours=23))

    shown = client.get(url(sent_survey))
    assert shown.context["form"].initial["rating"] == 3
    client.post(url(sent_survey), {"rating": "5", "solved": "yes"})

    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved) == (5, True)
    assert answer.answered_at == first.answered_at
    assert answer.updated_at > first.updated_at


def test_after_seven_days_the_answer_is_final(client, sent_survey, time_machine):
    client.post(url(sent_survey), {"rating": "3"})
    time_machine.shift(dt.timedelta(days=7, minutes=1))

    shown = client.get(url(sent_survey) + "?rating=5")
    posted = client.post(url(sent_survey), {"rating": "5"})

    assert shown.status_code == posted.status_code == 410
    assert b"can no longer be changed" in posted.content
    assert SurveyAnswer.objects.get().rating == 3


def test_an_expired_survey_gets_a_clear_page(client, sent_survey, time_machine):
    time_machine.shift(dt.timedelta(days=15))

    response = client.post(url(sent_survey), {"rating": "4"})

    assert response.status_code == 410
    assert b"has passed" in response.content
    assert not SurveyAnswer.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda signed: signed[:-1] + ("A" if signed[-1] != "A" else "B"),  # signature changed
        lambda signed: "x" + signed,  # token changed
        lambda signed: signed.split(":")[0],  # signature cut off
    ],
)
def test_a_tampered_link_gets_a_clear_page(client, sent_survey, mangle):
    response = client.get(f"/survey/{mangle(tokens.sign(sent_survey))}/?rating=5")
    posted = client.post(f"/survey/{mangle(tokens.sign(sent_survey))}/", {"rating": "5"})

    assert response.status_code == posted.status_code == 400
    assert b"does not work" in response.content
    assert not SurveyAnswer.objects.exists()


def test_a_link_signed_for_another_purpose_is_refused(client, sent_survey):
    from django.core import signing

    forged = signing.Signer(salt="channels_intake.ticket-page").sign(sent_survey.token)

    assert client.get(f"/survey/{forged}/").status_code == 400


def test_the_page_speaks_the_customers_language_unless_they_chose_one(client, sent_survey, settings):
    assert client.get(url(sent_survey)).context["LANGUAGE_CODE"] == "en"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert client.get(url(sent_survey)).context["LANGUAGE_CODE"] == "zh-hans"


def test_opening_the_unsubscribe_link_changes_nothing(client, sent_survey):
    before = snapshot(sent_survey)

    response = client.get(url(sent_survey, "unsubscribe/"))

    assert response.status_code == 200
    assert snapshot(sent_survey) == before


def test_one_click_unsubscribe_post_opts_out_without_a_csrf_token(sent_survey):
    client = Client(enforce_csrf_checks=True)

    response = client.post(url(sent_survey, "unsubscribe/"), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Customer.objects.get(pk=sent_survey.customer_id).surveys_opted_out


def test_the_survey_form_itself_needs_its_csrf_token(sent_survey):
    client = Client(enforce_csrf_checks=True)

    assert client.post(url(sent_survey), {"rating": "5"}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_every_survey_page_keeps_its_token_to_this_site_and_lets_the_browser_send_origin(
    client, sent_survey, time_machine
):
    """Every answer of the survey pages carries Referrer-Policy same-origin: no-referrer made Chromium send
    'Origin: null' and the CSRF check refused the survey's POST (a 403 in a real browser)."""
    answers = [
        client.get(url(sent_survey)),
        client.post(url(sent_survey), {}),  # invalid: the form again
        client.get(url(sent_survey, "unsubscribe/")),
        client.get("/survey/not-a-token/"),
    ]
    client.post(url(sent_survey), {"rating": "4"})
    answers.append(client.get(url(sent_survey, "thanks/")))
    time_machine.shift(dt.timedelta(days=15))
    answers.append(client.get(url(sent_survey)))  # closed
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 200, 410]
    assert {a["Referrer-Policy"] for a in answers} == {"same-origin"}
    assert all("no-store" in a["Cache-Control"] for a in answers)


def test_survey_pages_link_to_the_privacy_notice(client, sent_survey):
    html = client.get(url(sent_survey)).content.decode()
    assert 'href="/privacy/"' in html[html.index('<footer class="site-footer">') :]
