"""URLs of external cases: desk pages under /desk/, API endpoints under /api/v1/ (mounted at the root)."""

from django.urls import include, path

from . import views
from .api import urls as api_urls

app_name = "external_cases"

urlpatterns = [
    path("desk/external-cases/", views.open_cases, name="open_cases"),
    path("desk/external-cases/new/", views.register, name="register"),
    path("desk/external-cases/report/", views.report, name="report"),
    path("desk/external-cases/export/", views.export, name="export"),
    path("desk/tickets/<str:reference>/external-cases/new/", views.register, name="register_on_ticket"),
    path(
        "desk/tickets/<str:reference>/external-cases/<int:case_id>/report-back/",
        views.report_back,
        name="report_back",
    ),
    path(
        "desk/tickets/<str:reference>/external-cases/<int:case_id>/number/",
        views.set_number,
        name="set_number",
    ),
    path("api/v1/", include(api_urls)),
]
