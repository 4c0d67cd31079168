from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<str:reference>/", views.ticket, name="ticket"),
]
