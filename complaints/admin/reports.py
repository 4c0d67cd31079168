"""The console's own pages: the dashboard on the admin index and the reports page with its downloads.

Mounted in config/urls.py ahead of admin.site.urls; every view goes through admin.site.admin_view,
so anyone who is not active staff is sent to the admin login.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints import exports, reports
from complaints.console import setup
from complaints.console.dashboard import build_dashboard
from complaints.console.periods import PeriodChoice, choose_period
from complaints.console.report_tables import DIMENSION_LABELS, build_reports

VIEW_PERMISSION = "complaints.view_ticket"
EXPORT_PERMISSION = "complaints.export_tickets"
EXPORT_FORMATS = {"csv", "xlsx"}

app_name = "console"


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Django's admin index, with the dashboard above the app list for those who may see tickets."""
    extra: dict = {
        "setup_checklist": setup.setup_checklist(request.user),
        "console_notices": setup.console_notices(request.user),
    }
    if request.user.has_perm(VIEW_PERMISSION):
        period, form = choose_period(request.GET, default=PeriodChoice.LAST_7_DAYS)
        extra |= {
            "dashboard": build_dashboard(user=request.user, period=period),
            "period_form": form,
            "period_choices": PeriodChoice.choices,
            "reports_url": f"{reverse('console:reports')}?{urlencode(period.query())}",
        }
    return admin.site.index(request, extra_context=extra)


def _dimension(request: HttpRequest) -> str:
    by = request.GET.get("by", "category")
    return by if by in reports.DIMENSIONS else "category"


@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    period, form = choose_period(request.GET, default=PeriodChoice.LAST_30_DAYS)
    by = _dimension(request)
    data = build_reports(user=request.user, period=period, by=by)
    query = {**period.query(), "by": by}
    context = {
        **admin.site.each_context(request),
        "title": _("Reports"),
        "reports": data,
        "period_form": form,
        "period_choices": PeriodChoice.choices,
        "dimensions": [
            (key, label, f"?{urlencode({**period.query(), 'by': key})}")
            for key, label in DIMENSION_LABELS.items()
        ],
        "by": by,
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
        "export_url": reverse("console:report_export"),
        "export_query": urlencode(query),
    }
    return TemplateResponse(request, "admin/reports.html", context)


@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    """One report table as CSV or XLSX, recorded as an export of the user."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    file_format = request.GET.get("format", "csv")
    slug = request.GET.get("table", "")
    if file_format not in EXPORT_FORMATS:
        raise Http404(_("There is no such file format."))
    period, _form = choose_period(request.GET, default=PeriodChoice.LAST_30_DAYS)
    by = _dimension(request)
    table = build_reports(user=request.user, period=period, by=by).table(slug)
    if table is None:
        raise Http404(_("There is no such report."))
    return exports.export_response(
        user=request.user,
        subject=f"report:{slug}",
        filters={**period.query(), "by": by, "start": period.first, "end": period.last},
        headers=table.export_headers(),
        rows=table.export_rows(),
        file_format=file_format,
        filename=f"report-{slug}-by-{by}-{period.first.isoformat()}-{period.last.isoformat()}",
    )


urlpatterns = [
    path("", admin.site.admin_view(dashboard), name="dashboard"),
    path("reports/", admin.site.admin_view(report_page), name="reports"),
    path("reports/export/", admin.site.admin_view(report_export), name="report_export"),
]
