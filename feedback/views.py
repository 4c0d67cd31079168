"""The customer's survey pages. Opening a link never records anything (mail scanners open links);
only a POST from the page does."""

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services, tokens
from .forms import SurveyForm
from .models import Survey, SurveyAnswer


def _private(response: HttpResponse) -> HttpResponse:
    # The token in the address is the key to the answer: keep it out of caches, indexes and other sites'
    # referrers. "same-origin", not "no-referrer": with that, browsers send "Origin: null" on the survey's
    # POST and the CSRF check refuses it.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _load(request: HttpRequest, token: str) -> Survey | HttpResponse:
    """The survey behind the token, or the page explaining why the link does not work."""
    try:
        survey = tokens.survey_from_signed(token)
    except signing.BadSignature:
        return _private(render(request, "public/survey_invalid.html", status=400))
    except Survey.DoesNotExist:
        return _private(render(request, "public/survey_invalid.html", status=404))
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # Unless the visitor picked a language, answer in the one we wrote to them in.
        translation.activate(survey.customer.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()
    return survey


def _closed(request: HttpRequest, survey: Survey, status: str) -> HttpResponse:
    answer = SurveyAnswer.objects.filter(survey=survey).first()
    context = {"survey": survey, "ticket": survey.ticket, "status": status, "answer": answer}
    return _private(render(request, "public/survey_closed.html", context, status=410))


def _preselected_rating(request: HttpRequest) -> int | None:
    value = request.GET.get("rating", "")
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form (a one-click rating preselected); POST records the answer."""
    loaded = _load(request, token)
    if isinstance(loaded, HttpResponse):
        return loaded
    survey = loaded
    status = services.survey_status(survey)
    if status not in ("open", "editable"):
        return _closed(request, survey, status)
    answer = SurveyAnswer.objects.filter(survey=survey).prefetch_related("reasons").first()
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                services.record_answer(
                    survey_id=survey.pk,
                    rating=form.cleaned_data["rating"],
                    solved=form.solved_value,
                    reasons=form.cleaned_data["reasons"],
                    comment=form.cleaned_data["comment"],
                )
            except services.SurveyUnavailable:
                return _closed(request, survey, services.survey_status(survey))
            return redirect("feedback:thanks", token=token)
    else:
        initial = {}
        if answer is not None:
            solved = {True: "yes", False: "no"}.get(answer.solved, "")
            initial = {
                "rating": answer.rating,
                "solved": solved,
                "reasons": list(answer.reasons.all()),
                "comment": answer.comment,
            }
        rating = _preselected_rating(request)
        if rating is not None:
            initial["rating"] = rating
        form = SurveyForm(initial=initial)
    context = {"survey": survey, "ticket": survey.ticket, "form": form, "answer": answer, "token": token}
    return _private(render(request, "public/survey.html", context))


@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    loaded = _load(request, token)
    if isinstance(loaded, HttpResponse):
        return loaded
    answer = SurveyAnswer.objects.filter(survey=loaded).prefetch_related("reasons").first()
    if answer is None:
        return redirect("feedback:survey", token=token)
    context = {"survey": loaded, "ticket": loaded.ticket, "answer": answer, "token": token}
    return _private(render(request, "public/survey_thanks.html", context))


# Mail providers POST here without a CSRF token (RFC 8058 one-click unsubscribe); the signed token is the key.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (scanners open links); POST opts the customer out of surveys."""
    loaded = _load(request, token)
    if isinstance(loaded, HttpResponse):
        return loaded
    done = request.method == "POST"
    if done:
        services.opt_out_of_surveys(customer_id=loaded.customer_id)
    context = {"survey": loaded, "ticket": loaded.ticket, "done": done, "token": token}
    return _private(render(request, "public/survey_unsubscribe.html", context))
