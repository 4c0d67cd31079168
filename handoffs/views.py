"""Desk pages of hand-offs: open one from the ticket's workspace, remind, escalate or close it, and the
report per partner. Thin: each calls one service or selector."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import policy
from complaints import selectors as core_selectors
from complaints.errors import ComplaintError
from complaints.models import Ticket

from . import reports, selectors, services
from .forms import HandoffNoteForm, OpenHandoffForm, ReportPeriodForm


def _agent(request: HttpRequest) -> None:
    if not policy.is_staff_agent(request.user):
        raise PermissionDenied(_("Only agents and supervisors work hand-offs."))


def _visible_ticket(request: HttpRequest, reference: str) -> Ticket:
    _agent(request)
    ticket = core_selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise Http404(_("No such ticket, or you may not see it."))
    return ticket


def _back(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("desk:ticket", args=[ticket.reference]) + "#handoffs")


@login_required
@require_http_methods(["GET", "POST"])
def open_handoff(request: HttpRequest, reference: str) -> HttpResponse:
    """Compose a hand-off to a partner; the e-mail goes out once it is saved."""
    ticket = _visible_ticket(request, reference)
    form = OpenHandoffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handoff = services.open_handoff(
                actor=request.user,
                ticket_id=ticket.pk,
                partner=data["partner"],
                subject=data["subject"],
                body=data["body"],
                pauses_resolution=data["pauses_resolution"],
                include_customer_contact=data["include_customer_contact"],
                response_hours=data["response_hours"],
            )
        except ComplaintError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Hand-off %(ref)s sent to %(partner)s; answer due %(due)s.")
                % {
                    "ref": handoff.reference,
                    "partner": handoff.partner,
                    "due": services.local_time(handoff.due_at),
                },
            )
            return _back(ticket)
    context = {"form": form, "ticket": ticket}
    return render(request, "desk/handoffs/open.html", context, status=400 if form.errors else 200)


def _act(
    request: HttpRequest, reference: str, handoff_id: int, act: Callable[..., object], done: str
) -> HttpResponse:
    ticket = _visible_ticket(request, reference)
    form = HandoffNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(ticket)
    try:
        act(handoff_id=handoff_id, actor=request.user, ticket_id=ticket.pk, note=form.cleaned_data["note"])
    except ComplaintError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return _back(ticket)


@login_required
@require_POST
def close(request: HttpRequest, reference: str, handoff_id: int) -> HttpResponse:
    return _act(request, reference, handoff_id, services.close_handoff, _("Hand-off closed."))


@login_required
@require_POST
def remind(request: HttpRequest, reference: str, handoff_id: int) -> HttpResponse:
    def act(*, note: str, **kwargs: object) -> object:
        return services.remind_handoff(**kwargs)

    return _act(request, reference, handoff_id, act, _("Reminder sent."))


@login_required
@require_POST
def escalate(request: HttpRequest, reference: str, handoff_id: int) -> HttpResponse:
    def act(*, note: str, **kwargs: object) -> object:
        return services.escalate_handoff(reason=note, **kwargs)

    return _act(request, reference, handoff_id, act, _("Hand-off escalated."))


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Per partner and period: hand-offs, response times, overdue rate, the time tickets waited on them."""
    _agent(request)
    form = ReportPeriodForm(request.GET or None)
    start, end = form.period()
    rows = reports.partner_report(handoffs=selectors.handoffs_visible_to(request.user), start=start, end=end)
    return render(
        request, "desk/handoffs/report.html", {"form": form, "rows": rows, "start": start, "end": end}
    )
