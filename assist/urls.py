"""The assistant's URLs: the desk's one-click actions, the API under /api/v1/, the public deflection."""

from django.urls import include, path

from . import desk, public
from .api import urls as api_urls

app_name = "assist"

urlpatterns = [
    path("desk/tickets/<str:reference>/assist/", desk.apply, name="apply"),
    path("api/v1/", include(api_urls)),
    path("submit/faq-suggestions/", public.faq_suggestions, name="faq_suggestions"),
]
