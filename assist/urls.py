"""The assistant's URLs: the desk's one-click actions, the API under /api/v1/, the public deflection."""

from django.urls import path

from . import desk

app_name = "assist"

urlpatterns = [
    path("desk/tickets/<str:reference>/assist/", desk.apply, name="apply"),
]
