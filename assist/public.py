"""The assistant on the public pages: FAQ articles that match what the customer is typing on the
complaint form (deflection), and a person's review of an automatic decision on the customer's page."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from channels_intake import tokens
from channels_intake.customer import ratelimit
from complaints.errors import ComplaintError
from complaints.models import Ticket

from . import answers, deflection, services

REVIEW_TEMPLATE = "public/assist/_review.html"

# A debounced form sends a request every pause in typing: generous, but bounded per client address.
REQUESTS_PER_MINUTE = 60
MAX_QUERY = 2000


@require_GET
def faq_suggestions(request: HttpRequest) -> JsonResponse:
    """Up to three public FAQ articles for `q`; an empty list for text that matches nothing."""
    verdict = ratelimit.hit(
        ratelimit.Limit("assist-faq", ratelimit.client_ip(request), REQUESTS_PER_MINUTE, 60)
    )
    if not verdict.allowed:
        response = JsonResponse({"articles": []}, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    query = request.GET.get("q", "")[:MAX_QUERY]
    found = answers.articles_for(query, public_only=True)
    return JsonResponse(
        {
            "articles": [
                {
                    "slug": match.item.slug,
                    "title": match.item.title,
                    "excerpt": Truncator(match.item.body).chars(120),
                    "url": reverse("public:faq_article", args=[match.item.slug]),
                }
                for match in found
            ]
        }
    )


def _beacon_allowed(request: HttpRequest) -> bool:
    return ratelimit.hit(
        ratelimit.Limit("assist-faq-beacon", ratelimit.client_ip(request), REQUESTS_PER_MINUTE, 60)
    ).allowed


@require_POST
def faq_opened(request: HttpRequest) -> HttpResponse:
    """The form's script reports a suggested article the visitor opened (navigator.sendBeacon)."""
    if _beacon_allowed(request):
        deflection.record_open(
            visitor=request.POST.get("visitor", "")[:64], slug=request.POST.get("slug", "")[:100]
        )
    return HttpResponse(status=204)


@require_POST
def faq_submitted(request: HttpRequest) -> HttpResponse:
    """The form's script reports that a visitor who opened suggestions sent the complaint anyway."""
    if _beacon_allowed(request):
        deflection.record_submission(visitor=request.POST.get("visitor", "")[:64])
    return HttpResponse(status=204)


def review_action(ticket: Ticket, token: str) -> dict[str, Any] | None:
    """complaints.extensions' customer ticket action: offered while the assistant's decision stands."""
    if not services.may_ask_for_review(ticket):
        return None
    return {"template": REVIEW_TEMPLATE, "url": reverse("assist:review", args=[token])}


@never_cache
@require_POST
def request_review(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's "have a person review this": the signed link is their credential."""
    try:
        ticket = tokens.ticket_from_token(token)
    except (signing.BadSignature, Ticket.DoesNotExist):
        raise Http404(_("This link is not valid.")) from None
    verdict = ratelimit.hit(*ratelimit.customer_post_limits(request, ticket.reference))
    if not verdict.allowed:
        response = HttpResponse(_("Too many requests; try again in a minute."), status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    language = (
        translation.get_language()
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        else ticket.customer.preferred_language
    )
    with translation.override(language):
        try:
            services.request_review(ticket_id=ticket.pk)
        except ComplaintError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Thank you. A person will review how your complaint was classified and sent on.")
            )
    return redirect("public:ticket", token=token)
