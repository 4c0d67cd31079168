"""Desk pages of incidents: the list (with the form to open one), the detail page with its actions.
Thin: each calls one service or selector; a refusal comes back as a message on the page."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from complaints import policy
from complaints.errors import ComplaintError
from complaints.models import Ticket

from . import reports, selectors, services
from .forms import IncidentForm, LinkForm, RemedyForm, ResolveForm, UpdateForm
from .models import Incident


def _desk_user(request: HttpRequest) -> None:
    if not policy.may_use_desk(request.user):
        raise PermissionDenied


def _refused(request: HttpRequest, refused: ComplaintError) -> None:
    messages.error(request, refused.message)


@login_required
@require_http_methods(["GET", "POST"])
def incident_list(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.create_incident(
                actor=request.user,
                title_zh=data["title_zh"],
                title_en=data["title_en"],
                notice_zh=data["notice_zh"],
                notice_en=data["notice_en"],
                category=data["category"],
                affected_area=data["affected_area"],
                region_tags=data["region_tags"],
                severity=data["severity"],
                owner_team=data["owner_team"],
                status=Incident.Status.CONFIRMED if data["confirmed"] else Incident.Status.SUSPECTED,
            )
        except ComplaintError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Incident #%(id)s opened.") % {"id": incident.pk})
            return redirect("incidents:detail", incident.pk)
    context = {
        "open_incidents": selectors.open_incidents().order_by("severity", "-started_at"),
        "resolved": selectors.incidents()
        .filter(status=Incident.Status.RESOLVED)
        .order_by("-resolved_at")[:20],
        "form": form,
        "may_manage": selectors.may_manage(request.user),
    }
    return render(request, "desk/incidents/list.html", context)


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    incident = get_object_or_404(selectors.incidents(), pk=incident_id)
    updates = selectors.updates_with_progress(incident)
    resolving = selectors.resolve_progress(incident)
    context = {
        "incident": incident,
        "updates": updates,
        "resolve_progress": resolving,
        # The progress card polls itself only while an update or resolve-all is still being worked.
        "working": any(u.sent < u.total for u in updates)
        or bool(resolving and resolving["done"] < resolving["total"]),
        "may_manage": selectors.may_manage(request.user),
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "desk/incidents/detail.html#progress", context)
    context.update(
        links=selectors.linked_tickets(incident)[:200],
        events=selectors.timeline(incident)[:100],
        chart=selectors.hourly_chart(incident),
        regions=selectors.region_counts(incident),
        steps=selectors.plan_steps(incident),
        update_form=UpdateForm(initial={"idempotency_key": uuid.uuid4().hex}),
        resolve_form=ResolveForm(),
        link_form=LinkForm(),
        remedy_form=RemedyForm(),
        statuses=Incident.Status,
        report=reports.incident_report(incident),
    )
    return render(request, "desk/incidents/detail.html", context)


@login_required
def report_csv(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The incident's report, one row per linked ticket the reader may see."""
    _desk_user(request)
    incident = get_object_or_404(Incident, pk=incident_id)
    return reports.export_response(user=request.user, incident=incident)


@login_required
@require_POST
def change_status(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    to = request.POST.get("to", "")
    try:
        if to == Incident.Status.CONFIRMED:
            services.confirm(incident_id=incident_id, actor=request.user)
        elif to == Incident.Status.MITIGATED:
            services.mitigate(incident_id=incident_id, actor=request.user)
        else:
            raise services.IncidentError(_("Choose confirmed or mitigated."))
    except ComplaintError as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Incident is now %(status)s.") % {"status": Incident.Status(to).label})
    return redirect("incidents:detail", incident_id)


@login_required
@require_POST
def post_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The update could not be posted; reload the page and try again."))
        return redirect("incidents:detail", incident_id)
    try:
        update, created = services.post_update(
            incident_id=incident_id, actor=request.user, **form.cleaned_data
        )
    except ComplaintError as refused:
        _refused(request, refused)
    else:
        if created:
            messages.success(
                request,
                _("Update posted; it is being sent to %(count)s customers.") % {"count": update.total},
            )
        else:
            messages.info(request, _("This update was already posted; it is not sent again."))
    return redirect("incidents:detail", incident_id)


@login_required
@require_POST
def resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the root cause and describe the steps taken."))
        return redirect("incidents:detail", incident_id)
    try:
        incident = services.resolve_incident(incident_id=incident_id, actor=request.user, **form.cleaned_data)
    except ComplaintError as refused:
        _refused(request, refused)
    else:
        messages.success(
            request,
            _("Incident resolved; %(count)s linked tickets are being resolved.")
            % {"count": incident.resolve_total},
        )
    return redirect("incidents:detail", incident_id)


def _back(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Back to the ticket page the form was on (the workspace panel), else to the incident."""
    target = request.POST.get("next", "")
    if target.startswith("/desk/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect(target)
    return redirect("incidents:detail", incident_id)


def _ticket_or_message(request: HttpRequest, reference: str) -> Ticket | None:
    ticket = Ticket.objects.filter(reference=reference.strip().upper()).first()
    if ticket is None:
        messages.error(request, _("There is no ticket %(ref)s.") % {"ref": reference})
    return ticket


@login_required
@require_POST
def link(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    form = LinkForm(request.POST)
    ticket = _ticket_or_message(request, request.POST.get("ticket", "")) if form.is_valid() else None
    if ticket is not None:
        try:
            services.link_ticket(incident_id=incident_id, ticket_id=ticket.pk, actor=request.user)
        except ComplaintError as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("%(ref)s linked.") % {"ref": ticket.reference})
    return _back(request, incident_id)


@login_required
@require_POST
def unlink(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    form = LinkForm(request.POST)
    ticket = _ticket_or_message(request, request.POST.get("ticket", "")) if form.is_valid() else None
    if ticket is not None:
        try:
            services.unlink_ticket(
                incident_id=incident_id,
                ticket_id=ticket.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ComplaintError as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("%(ref)s unlinked.") % {"ref": ticket.reference})
    return redirect("incidents:detail", incident_id)


@login_required
@require_POST
def set_remedy(request: HttpRequest, incident_id: int) -> HttpResponse:
    _desk_user(request)
    form = RemedyForm(request.POST)
    if form.is_valid():
        try:
            count = services.set_remedy(
                incident_id=incident_id,
                actor=request.user,
                remedy=form.cleaned_data["remedy"],
                amount=form.cleaned_data["amount"] or 0,
            )
        except ComplaintError as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Remedy set for %(count)s linked tickets.") % {"count": count})
    else:
        messages.error(request, _("Choose a remedy and a valid amount."))
    return redirect("incidents:detail", incident_id)


@login_required
@require_POST
def tick_step(request: HttpRequest, incident_id: int, step_id: int) -> HttpResponse:
    _desk_user(request)
    if not selectors.plan_steps(get_object_or_404(Incident, pk=incident_id)).filter(pk=step_id).exists():
        messages.error(request, _("No such step on this incident."))
        return redirect("incidents:detail", incident_id)
    try:
        step = services.tick_step(step_id=step_id, actor=request.user)
    except ComplaintError as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Step done: %(step)s") % {"step": step.title})
    return redirect("incidents:detail", incident_id)
