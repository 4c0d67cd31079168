"""API URLs of the assistant, mounted under /api/v1/ next to the core's."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "tickets/<str:reference>/suggestions/",
        views.TicketSuggestionsView.as_view(),
        name="ticket-suggestions",
    ),
    path("assist/classify/", views.ClassifyView.as_view(), name="assist-classify"),
    path("assist/model/", views.ModelView.as_view(), name="assist-model"),
]
