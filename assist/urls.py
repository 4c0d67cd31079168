"""The assistant's URLs: the desk's one-click actions, the API under /api/v1/, the public deflection."""

from django.urls import include, path

from . import desk, public
from .api import urls as api_urls

app_name = "assist"

urlpatterns = [
    path("desk/tickets/<str:reference>/assist/", desk.apply, name="apply"),
    path("desk/tickets/<str:reference>/assist/insert/", desk.insert, name="insert"),
    path("api/v1/", include(api_urls)),
    path("submit/faq-suggestions/", public.faq_suggestions, name="faq_suggestions"),
    path("submit/faq-opened/", public.faq_opened, name="faq_opened"),
    path("submit/faq-submitted/", public.faq_submitted, name="faq_submitted"),
    path("t/<str:token>/review/", public.request_review, name="review"),
]
