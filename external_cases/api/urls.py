"""API URLs of external cases, mounted under /api/v1/ next to the core's."""

from django.urls import path

from . import views

urlpatterns = [
    path("external-sources/", views.ExternalSourceViewSet.as_view({"get": "list"}), name="external-sources"),
    path(
        "tickets/<str:reference>/external-cases/",
        views.TicketExternalCasesView.as_view(),
        name="ticket-external-cases",
    ),
    path(
        "tickets/<str:reference>/external-cases/<int:case_id>/report-back/",
        views.ReportBackView.as_view(),
        name="ticket-external-case-report-back",
    ),
]
