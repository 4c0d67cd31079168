from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("search/", views.search, name="search"),
    path("bulk/", views.bulk, name="bulk"),
    path("next/", views.next_ticket, name="next"),
    path("tickets/<str:reference>/", views.ticket, name="ticket"),
    path("tickets/<str:reference>/version/", views.ticket_version, name="ticket_version"),
    path("tickets/<str:reference>/reveal/", views.reveal_customer, name="reveal_customer"),
    path("tickets/<str:reference>/merge-candidates/", views.merge_candidates, name="merge_candidates"),
    path("tickets/<str:reference>/actions/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
