"""Deflection on the complaint form: public FAQ articles that match what the customer is typing."""

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from channels_intake.customer import ratelimit

from . import answers

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
                    "title": match.item.title,
                    "excerpt": Truncator(match.item.body).chars(120),
                    "url": reverse("public:faq_article", args=[match.item.slug]),
                }
                for match in found
            ]
        }
    )
