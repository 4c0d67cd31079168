"""URLs of hand-offs: desk pages under /desk/, API endpoints under /api/v1/ (mounted at the root)."""

from django.urls import include, path

from . import views
from .api import urls as api_urls

app_name = "handoffs"

urlpatterns = [
    path("desk/handoffs/report/", views.report, name="report"),
    path("desk/tickets/<str:reference>/handoffs/new/", views.open_handoff, name="open"),
    path("desk/tickets/<str:reference>/handoffs/<int:handoff_id>/close/", views.close, name="close"),
    path("desk/tickets/<str:reference>/handoffs/<int:handoff_id>/remind/", views.remind, name="remind"),
    path("desk/tickets/<str:reference>/handoffs/<int:handoff_id>/escalate/", views.escalate, name="escalate"),
    path("api/v1/", include(api_urls)),
]
