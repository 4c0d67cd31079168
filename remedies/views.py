"""Desk pages of remedies: the approvals queue (/desk/approvals/) with its approve and refuse actions,
and the remedies report. Thin: each calls one service or selector; a refusal comes back as a message
on the page (or the form, with its errors)."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors as core_selectors
from complaints.errors import ComplaintError
from complaints.portal.permissions import access_required

from . import policy, reports, selectors, services
from .forms import ApproveForm, RefuseForm
from .models import REMEDY_TYPES, Remedy

approver_required = access_required(policy.may_approve_any)
REPORT_DAYS = (7, 30, 90, 365)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("remedies:approvals")


@approver_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """The remedies awaiting the signed-in lead's or supervisor's approval, oldest first."""
    queue = selectors.approvals_queue_for(request.user)
    rows = [
        {
            "remedy": remedy,
            "approve": ApproveForm(prefix=f"a{remedy.pk}", initial={"amount": remedy.amount}),
            "refuse": RefuseForm(prefix=f"r{remedy.pk}"),
        }
        for remedy in queue
    ]
    return render(request, "desk/remedies/approvals.html", {"rows": rows})


def _decide(request: HttpRequest, remedy_id: int, form_class: type, prefix: str, call) -> HttpResponse:
    form = form_class(request.POST, prefix=f"{prefix}{remedy_id}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request)
    try:
        remedy = call(form.cleaned_data)
    except ComplaintError as refused:
        messages.error(request, refused.message)
        return _back(request)
    messages.success(
        request,
        _("%(remedy)s on %(ref)s: %(state)s.")
        % {
            "remedy": services.describe(remedy),
            "ref": remedy.ticket.reference,
            "state": remedy.get_state_display(),
        },
    )
    return _back(request)


@approver_required
@require_POST
def approve(request: HttpRequest, remedy_id: int) -> HttpResponse:
    return _decide(
        request,
        remedy_id,
        ApproveForm,
        "a",
        lambda data: services.approve(
            remedy_id=remedy_id, actor=request.user, amount=data["amount"], reason=data["reason"]
        ),
    )


@approver_required
@require_POST
def refuse(request: HttpRequest, remedy_id: int) -> HttpResponse:
    return _decide(
        request,
        remedy_id,
        RefuseForm,
        "r",
        lambda data: services.refuse(remedy_id=remedy_id, actor=request.user, reason=data["reason"]),
    )


@approver_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Remedies by type, category and team over the last N days, among the tickets the user may see."""
    days = int(request.GET.get("days", "30")) if request.GET.get("days", "30").isdigit() else 30
    days = days if days in REPORT_DAYS else 30
    end = timezone.now()
    visible = core_selectors.tickets_visible_to(request.user)
    remedies = Remedy.objects.filter(ticket__in=visible.order_by().values("pk"))
    figures = reports.remedy_report(remedies=remedies, start=end - timedelta(days=days), end=end)
    types = dict(REMEDY_TYPES)
    for key, rows in (
        ("remedy_type", "by_type"),
        ("ticket__category__slug", "by_category"),
        ("team__slug", "by_team"),
    ):
        for row in figures[rows]:
            row["label"] = types.get(row[key], row[key]) if key == "remedy_type" else row[key]
    return render(
        request, "desk/remedies/report.html", {"figures": figures, "days": days, "choices": REPORT_DAYS}
    )
