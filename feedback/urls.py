"""Mounted at the site root: the customer's survey and unsubscribe pages."""

from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="survey"),
    path("survey/<str:token>/thanks/", views.thanks, name="thanks"),
    path("survey/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
