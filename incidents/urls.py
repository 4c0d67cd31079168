"""Desk pages of incidents under /desk/incidents/ (the API is registered with the core's router)."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("desk/incidents/", views.incident_list, name="list"),
    path("desk/incidents/<int:incident_id>/", views.incident_detail, name="detail"),
    path("desk/incidents/<int:incident_id>/report.csv", views.report_csv, name="report_csv"),
    path("desk/incidents/<int:incident_id>/status/", views.change_status, name="status"),
    path("desk/incidents/<int:incident_id>/update/", views.post_update, name="update"),
    path("desk/incidents/<int:incident_id>/resolve/", views.resolve, name="resolve"),
    path("desk/incidents/<int:incident_id>/link/", views.link, name="link"),
    path("desk/incidents/<int:incident_id>/unlink/", views.unlink, name="unlink"),
    path("desk/incidents/<int:incident_id>/remedy/", views.set_remedy, name="remedy"),
    path("desk/incidents/<int:incident_id>/steps/<int:step_id>/done/", views.tick_step, name="tick_step"),
]
