"""API URLs of hand-offs, nested under a ticket and mounted under /api/v1/ next to the core's."""

from django.urls import path

from . import views

urlpatterns = [
    path("tickets/<str:reference>/handoffs/", views.TicketHandoffsView.as_view(), name="ticket-handoffs"),
    path(
        "tickets/<str:reference>/handoffs/<int:handoff_id>/close/",
        views.HandoffCloseView.as_view(),
        name="ticket-handoff-close",
    ),
]
