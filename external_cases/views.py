"""Desk pages of external cases: register a forwarded case, record a report-back, the open cases,
the report per source and its CSV and XLSX export. Thin: each calls one service or selector."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors as core_selectors
from complaints.errors import ComplaintError
from complaints.models import Ticket
from complaints.services import CustomerDetails

from . import reports, selectors, services
from .forms import RegisterCaseForm, ReportBackForm, ReportPeriodForm
from .models import ExternalCase


def _visible_ticket(request: HttpRequest, reference: str) -> Ticket:
    ticket = core_selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise Http404(_("No such ticket, or you may not see it."))
    return ticket


@login_required
@permission_required("external_cases.add_externalcase", raise_exception=True)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, reference: str = "") -> HttpResponse:
    """Register a case a regulator or platform forwarded (like logging a phone call)."""
    ticket = _visible_ticket(request, reference) if reference else None
    form = RegisterCaseForm(request.POST or None, user=request.user, ticket=ticket)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = None
        if not data["ticket_reference"]:
            customer = CustomerDetails(name=data["customer_name"], phone=data["phone"], email=data["email"])
        try:
            case = services.register_forwarded_case(
                actor=request.user,
                source=data["source"],
                number=data["number"],
                received_at=data["received_at"],
                ticket_reference=data["ticket_reference"],
                customer=customer,
                channel=data.get("channel") or Ticket.Channel.PHONE,
                subject=data.get("subject", ""),
                description=data.get("description", ""),
                desired_outcome=data.get("desired_outcome", ""),
                regulator_contact=data["regulator_contact"],
                notes=data["notes"],
            )
        except ComplaintError as refused:
            form.add_error("number" if isinstance(refused, services.DuplicateCase) else None, refused.message)
        else:
            messages.success(
                request,
                _("%(source)s case %(number)s registered on %(ref)s: report back by %(due)s.")
                % {
                    "source": case.source,
                    "number": case.number,
                    "ref": case.ticket.reference,
                    "due": services.local_time(case.due_at),
                },
            )
            return redirect(reverse("desk:ticket", args=[case.ticket.reference]))
    context = {"form": form, "ticket": ticket}
    return render(request, "desk/external_cases/register.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("external_cases.add_reportback", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_back(request: HttpRequest, reference: str, case_id: int) -> HttpResponse:
    """Record what was reported to the source, in the source's own fields."""
    ticket = _visible_ticket(request, reference)
    case = get_object_or_404(ExternalCase.objects.select_related("source"), pk=case_id, ticket=ticket)
    form = ReportBackForm(request.POST or None, source=case.source)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_report_back(
                case_id=case.pk,
                actor=request.user,
                values=form.values(),
                outcome=form.cleaned_data["outcome"],
            )
        except services.MissingReportField as refused:
            name = refused.detail.get("field", "")
            form.add_error(
                form.field_name(name) if form.field_name(name) in form.fields else None, refused.message
            )
        except ComplaintError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Report-back to %(source)s for case %(number)s recorded.")
                % {"source": case.source, "number": case.number},
            )
            return redirect(reverse("desk:ticket", args=[ticket.reference]))
    context = {"form": form, "ticket": ticket, "case": case}
    return render(
        request, "desk/external_cases/report_back.html", context, status=400 if form.errors else 200
    )


@login_required
@permission_required("external_cases.add_externalcase", raise_exception=True)
@require_POST
def set_number(request: HttpRequest, reference: str, case_id: int) -> HttpResponse:
    """Fill in the number of a case a forwarded mail brought without one."""
    ticket = _visible_ticket(request, reference)
    case = get_object_or_404(ExternalCase, pk=case_id, ticket=ticket)
    try:
        case = services.set_case_number(
            case_id=case.pk, actor=request.user, number=request.POST.get("number", "")[:64]
        )
    except ComplaintError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Case number %(number)s recorded.") % {"number": case.number})
    return redirect(reverse("desk:ticket", args=[ticket.reference]) + "#external-cases")


@login_required
@permission_required("external_cases.view_externalcase", raise_exception=True)
@require_GET
def open_cases(request: HttpRequest) -> HttpResponse:
    """Every open case the agent may see, soonest deadline first: none can be missed."""
    cases = (
        selectors.cases_visible_to(request.user)
        .filter(state=ExternalCase.State.OPEN)
        .select_related("ticket__assignee")
        .order_by("due_at", "pk")[:200]
    )
    return render(request, "desk/external_cases/open_cases.html", {"cases": cases, "now": timezone.now()})


@login_required
@permission_required("external_cases.view_externalcase", raise_exception=True)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Per source and period: cases, on-time report-backs, average time to report back, outcomes."""
    form = ReportPeriodForm(request.GET or None)
    start, end = form.period()
    cases = selectors.cases_visible_to(request.user)
    rows = reports.source_report(cases=cases, start=start, end=end)
    context = {
        "form": form,
        "rows": rows,
        "start": start,
        # The export's form takes the last day included; `end` is the day after it.
        "period_start": f"{start:%Y-%m-%d}",
        "period_end": f"{end - timedelta(days=1):%Y-%m-%d}",
        "end": end,
        "sources": selectors.active_sources(),
        "query": request.GET.urlencode(),
    }
    return render(request, "desk/external_cases/report.html", context)


@login_required
@permission_required("external_cases.view_externalcase", raise_exception=True)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """One source's cases of the period as CSV or XLSX (?file_format=xlsx), in the source's columns."""
    form = ReportPeriodForm(request.GET or None)
    start, end = form.period()
    source = form.cleaned_data.get("source") if form.is_valid() else None
    if source is None:
        messages.error(request, _("Choose the source to export."))
        return redirect(reverse("external_cases:report"))
    file_format = request.GET.get("file_format", "csv")
    if file_format not in ("csv", "xlsx"):
        file_format = "csv"
    return reports.export_response(
        user=request.user, source=source, start=start, end=end, file_format=file_format
    )
