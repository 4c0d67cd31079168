"""Desk pages of remedies under /desk/approvals/ (the API is registered with the core's router)."""

from django.urls import path

from . import views

app_name = "remedies"

urlpatterns = [
    path("desk/approvals/", views.approvals, name="approvals"),
    path("desk/approvals/report/", views.report, name="report"),
    path("desk/approvals/<int:remedy_id>/approve/", views.approve, name="approve"),
    path("desk/approvals/<int:remedy_id>/refuse/", views.refuse, name="refuse"),
]
