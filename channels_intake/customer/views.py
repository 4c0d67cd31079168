"""Customer self-service: the public home, status lookup, the customer's ticket page and the FAQ.

Thin views: reads through selectors, every change through complaints.services, limits
through ratelimit. A ticket page is reached only with a signed link (tokens.py).
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import attachments, extensions, selectors, services
from complaints import extensions as core_extensions
from complaints.errors import ComplaintError
from complaints.events import EventKind
from complaints.models import Attachment, Message, Ticket, TicketEvent
from complaints.naming import user_name_for_customers
from complaints.states import Status

from .. import tokens
from . import ratelimit
from .forms import ConfirmForm, DisputeForm, LinkForm, ReplyForm, RerouteForm, TrackForm
from .selectors import customer_ticket, faq_articles, privacy_facts
from .services import find_ticket_for_contact, remember_language, send_link

# --- the public home and the FAQ ------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/home.html",
        {"track_form": TrackForm(), "articles": faq_articles()[:6]},
    )


@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    return render(request, "public/faq.html", {"q": query, "articles": faq_articles(query)[:50]})


@require_GET
def faq_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(faq_articles(), slug=slug)
    return render(request, "public/faq_article.html", {"article": article})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice the complaint form's consent refers to, with the configured periods."""
    return render(request, "public/privacy.html", {"facts": privacy_facts()})


# --- status lookup ------------------------------------------------------------------------------


def rate_limited(request: HttpRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    """The 429 page: what happened and when to try again."""
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "public/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _track_page(
    request: HttpRequest,
    *,
    track_form: TrackForm | None = None,
    link_form: LinkForm | None = None,
    not_found: bool = False,
) -> HttpResponse:
    return render(
        request,
        "public/track.html",
        {
            "track_form": track_form or TrackForm(),
            "link_form": link_form or LinkForm(),
            "not_found": not_found,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Reference + contact shows where the complaint stands; a miss says the same whatever was wrong.

    Both can be known to someone else (whoever opened a ticket in the customer's name through an
    integration learns its reference), so the lookup shows the status only: the page with the
    conversation and its forms goes to the contact on file ("send me my link")."""
    if request.method == "GET":
        return _track_page(request)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _track_page(request, track_form=form)
    reference = form.cleaned_data["reference"]
    verdict = ratelimit.hit(*ratelimit.track_limits(request, reference))
    if not verdict.allowed:
        return rate_limited(request, verdict)
    ticket = find_ticket_for_contact(reference=reference, contact=form.cleaned_data["contact"])
    if ticket is None:
        # Nothing typed is echoed back, so an unknown reference and a wrong contact read the same.
        return _track_page(request, not_found=True)
    link_form = LinkForm(initial={"reference": ticket.reference})
    del link_form.fields["reference"]  # sent as a hidden field: the reference just looked up
    context = {
        "ticket": ticket,
        "steps": _steps(ticket.status),
        "status_label": STEP_LABELS[ticket.status],
        "link_form": link_form,
    }
    return render(request, "public/track_status.html", context)


@never_cache
@require_POST
def email_link(request: HttpRequest) -> HttpResponse:
    """Send a fresh link to the contact on file, by e-mail or SMS; the answer never says whether there
    is a ticket or such a contact (it depends only on what was asked)."""
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _track_page(request, link_form=form)
    reference, via = form.cleaned_data["reference"], form.cleaned_data["via"]
    verdict = ratelimit.hit(*ratelimit.track_limits(request, reference))
    if not verdict.allowed:
        return rate_limited(request, verdict)
    send_link(reference=reference, via=via)
    return render(request, "public/track_sent.html", {"via": via})


# --- the customer's ticket page --------------------------------------------------------------------

# Where a ticket stands, in the customer's words, in the order a complaint goes.
STEPS = [
    (Status.NEW, gettext_lazy("Received")),
    (Status.ACKNOWLEDGED, gettext_lazy("Confirmed")),
    (Status.IN_PROGRESS, gettext_lazy("In progress")),
    (Status.AWAITING_CUSTOMER, gettext_lazy("Waiting for you")),
    (Status.RESOLVED, gettext_lazy("Resolved")),
    (Status.CLOSED, gettext_lazy("Closed")),
]
STEP_LABELS = dict(STEPS)

EVENT_TEXT = {
    EventKind.OPENED: gettext_lazy("We received your complaint."),
    EventKind.ACKNOWLEDGED: gettext_lazy("We confirmed your complaint and are looking into it."),
    EventKind.RESOLVED: gettext_lazy("We resolved your complaint. See the resolution below."),
    EventKind.CONFIRMED: gettext_lazy("You confirmed the resolution. The complaint is closed."),
    EventKind.DISPUTED: gettext_lazy("You told us the problem is not solved. We reopened your complaint."),
    EventKind.REOPENED: gettext_lazy("Your complaint was reopened and is being worked on again."),
    EventKind.AUTO_CLOSED: gettext_lazy(
        "The complaint was closed because we did not hear back from you after the resolution."
    ),
    EventKind.REROUTE_REQUESTED: gettext_lazy(
        "You asked for your complaint to be handled by another team. A team lead will decide."
    ),
}


def _event_text(event: TicketEvent) -> str:
    if event.kind == EventKind.STATUS_CHANGED:
        label = STEP_LABELS.get(event.to_value)
        return _("Your complaint is now: %(status)s.") % {"status": label} if label else ""
    return str(EVENT_TEXT.get(event.kind, ""))


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _repeats_the_opening(ticket: Ticket, message: Message, seen_customer_message: bool) -> bool:
    """The customer's first message when it only repeats the description the page already shows first
    (tickets imported or opened by some integrations carry the description as a message too)."""
    return (
        not seen_customer_message
        and message.kind == Message.Kind.CUSTOMER
        and _same_text(message.body, ticket.description)
    )


def _timeline(ticket: Ticket) -> tuple[list[dict[str, object]], list[Attachment]]:
    """Public messages and events only, shaped for the page, and the files of an opening message that
    repeated the description (shown with the description instead); staff appear by their full name."""
    items: list[dict[str, object]] = []
    opening_files: list[Attachment] = []
    seen_customer_message = False
    for item in selectors.ticket_timeline(ticket, public_only=True):
        if isinstance(item, Message):
            if item.kind == Message.Kind.NOTE:  # belt and braces: notes are never public
                continue
            if _repeats_the_opening(ticket, item, seen_customer_message):
                seen_customer_message = True
                opening_files += list(item.attachments.all())
                continue
            seen_customer_message = seen_customer_message or item.kind == Message.Kind.CUSTOMER
            who = _("You") if item.kind == Message.Kind.CUSTOMER else user_name_for_customers(item.author)
            items.append(
                {
                    "type": "message",
                    "from_customer": item.kind == Message.Kind.CUSTOMER,
                    "who": who,
                    "when": item.created_at,
                    "body": item.body,
                    "attachments": list(item.attachments.all()),
                }
            )
        elif item.is_public:
            text = _event_text(item)
            if text:
                items.append({"type": "event", "kind": item.kind, "when": item.created_at, "text": text})
    return items, opening_files


def _steps(status: str) -> list[dict[str, object]]:
    """The progress bar. "Waiting for you" is a step only while we wait: most tickets never wait, and a
    ticket that did is past it once the customer answered, so it is never shown as done."""
    shown = [(code, label) for code, label in STEPS if code != Status.AWAITING_CUSTOMER or code == status]
    current = [code for code, _label in shown].index(status)
    return [
        {"label": label, "state": "done" if i < current else "current" if i == current else "todo"}
        for i, (_code, label) in enumerate(shown)
    ]


def _activate_customer_language(request: HttpRequest, ticket: Ticket) -> None:
    """Without an explicit choice (the language cookie), show the customer's remembered language."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(ticket.customer.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()


def _keep_token_private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: keep the page out of indexes and the URL away from other sites.

    "same-origin" sends no Referer to other sites, and the real Origin on our own forms' POSTs, which
    the CSRF check needs ("no-referrer" makes browsers send "Origin: null", and every form failed).
    """
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the signed link to its ticket, or answer with the invalid / expired link page."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: object) -> HttpResponse:
        try:
            ticket = tokens.ticket_from_token(token)
        except tokens.LinkExpired as expired:
            context = {"expired": True, "token": token, "expired_at": expired.expired_at}
            return _keep_token_private(
                render(request, "public/ticket_link_invalid.html", context, status=410)
            )
        except (signing.BadSignature, Ticket.DoesNotExist):
            invalid = render(request, "public/ticket_link_invalid.html", {"expired": False}, status=404)
            return _keep_token_private(invalid)
        ticket = customer_ticket(ticket.pk)
        _activate_customer_language(request, ticket)
        return _keep_token_private(view(request, token=token, ticket=ticket, **kwargs))

    return never_cache(wrapper)


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    token: str,
    *,
    status: int = 200,
    action_error: str = "",
    **forms: object,
) -> HttpResponse:
    resolution = next(iter(ticket.resolutions.all()), None)
    link_expiry = tokens.expires_at(ticket, ticket.closed_at) if ticket.closed_at else None
    auto_close_days = settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"]
    timeline, opening_files = _timeline(ticket)
    context = {
        "ticket": ticket,
        "token": token,
        "action_error": action_error,
        "steps": _steps(ticket.status),
        "status_label": STEP_LABELS[ticket.status],
        "handler": user_name_for_customers(ticket.assignee) if ticket.assignee_id else "",
        "timeline": timeline,
        # The ticket's own files (the selector prefetches those of no message) and an opening message's.
        "opening_attachments": list(ticket.attachments.all()) + opening_files,
        "resolution": resolution,
        # What other apps say of the resolution's follow-up (remedies: "Refund of 30.00 CNY: done on …").
        "resolution_notes": extensions.customer_ticket_notes(ticket) if resolution else [],
        # Where else the customer may turn if they dispute the resolution (12315, 12300 ...).
        "outside_routes": core_extensions.outside_routes(ticket) if resolution else [],
        "auto_close_days": auto_close_days,
        "link_expiry": link_expiry,
        "merged_into_own": ticket.duplicate_of
        if ticket.duplicate_of_id and ticket.duplicate_of.customer_id == ticket.customer_id
        else None,
        "can_reply": ticket.status != Status.CLOSED,
        "can_answer_resolution": ticket.status == Status.RESOLVED,
        "can_reroute": ticket.is_open,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "dispute_form": forms.get("dispute_form") or DisputeForm(),
        "reroute_form": forms.get("reroute_form") or RerouteForm(),
        "confirm_form": forms.get("confirm_form") or ConfirmForm(),
        # Forms other apps add to the page (assist: ask for a person to review an automatic decision).
        "extension_actions": core_extensions.customer_ticket_actions(ticket, token),
    }
    if ticket.duplicate_of_id and context["merged_into_own"]:
        context["merged_into_url"] = reverse("public:ticket", args=[tokens.ticket_token(ticket.duplicate_of)])
    return render(request, "public/ticket.html", context, status=status)


@require_GET
@_token_required
def ticket_page(request: HttpRequest, token: str, ticket: Ticket) -> HttpResponse:
    return _ticket_page(request, ticket, token)


def _customer_action(
    form_class: type, form_name: str
) -> Callable[[Callable[..., str]], Callable[..., HttpResponse]]:
    """Wrap a POST action on the ticket page: rate limit, form check, the service call, PRG.

    The wrapped function calls the service and returns the success message; a ComplaintError
    becomes an error on the form, shown on the page with the status the error carries.
    """

    def decorate(act: Callable[..., str]) -> Callable[..., HttpResponse]:
        @require_POST
        @_token_required
        @wraps(act)
        def view(request: HttpRequest, token: str, ticket: Ticket) -> HttpResponse:
            verdict = ratelimit.hit(*ratelimit.customer_post_limits(request, ticket.reference))
            if not verdict.allowed:
                return rate_limited(request, verdict)
            form = form_class(request.POST, request.FILES)
            if not form.is_valid():
                return _ticket_page(request, ticket, token, status=400, **{form_name: form})
            try:
                done = act(request, ticket, form.cleaned_data)
            except ComplaintError as error:
                # Shown at the top of the page: the form it came from may not be on the page any more.
                return _ticket_page(
                    request, ticket, token, status=error.http_status, action_error=error.message
                )
            remember_language(customer_id=ticket.customer_id, language=translation.get_language())
            messages.success(request, done)
            return redirect("public:ticket", token=token)

        return view

    return decorate


@_customer_action(ReplyForm, "reply_form")
def reply(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    if ticket.status == Status.CLOSED:
        raise ComplaintError(
            _("This complaint is closed. If the problem is back, please submit a new complaint.")
        )
    services.add_message(
        ticket_id=ticket.pk,
        actor=None,
        kind=Message.Kind.CUSTOMER,
        channel=Ticket.Channel.WEB,
        body=data["body"],
        files=attachments.check_uploads(data["files"]),
    )
    return _("Thank you. We have your message and will answer here.")


@_customer_action(ConfirmForm, "confirm_form")
def confirm(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.confirm_resolution(ticket_id=ticket.pk, actor=None)
    return _("Thank you for confirming. Your complaint is closed.")


@_customer_action(DisputeForm, "dispute_form")
def dispute(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.dispute(ticket_id=ticket.pk, actor=None, reason=data["reason"])
    return _("We reopened your complaint and will look at it again.")


@_customer_action(RerouteForm, "reroute_form")
def reroute(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.request_reroute(ticket_id=ticket.pk, actor=None, reason=data["reason"])
    return _("We passed on your request. A team lead will decide which team handles your complaint.")


@require_GET
@_token_required
def attachment(request: HttpRequest, token: str, ticket: Ticket, attachment_id: int) -> HttpResponse:
    """A file of this ticket that the customer may see (theirs or in a public reply), as a download."""
    item = get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id, ticket=ticket)
    if item.message is not None and not item.message.is_public:
        raise Http404
    try:
        stream = item.file.open("rb")
    except OSError:  # the file is gone from storage (restored database, lost volume)
        raise Http404 from None
    response = FileResponse(
        stream, as_attachment=True, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_POST
def new_link(request: HttpRequest, token: str) -> HttpResponse:
    """From an expired link: a fresh one to the contact on file, by e-mail, else by SMS (as /track/)."""
    try:
        reference = tokens.reference_from_token(token)
    except signing.BadSignature:
        return render(request, "public/ticket_link_invalid.html", {"expired": False}, status=404)
    verdict = ratelimit.hit(*ratelimit.track_limits(request, reference))
    if not verdict.allowed:
        return rate_limited(request, verdict)
    send_link(reference=reference)
    return render(request, "public/track_sent.html", {"via": LinkForm.Via.EMAIL})
