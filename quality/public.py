"""/transparency/: the public figures, read from the newest snapshot only."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import transparency


@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    figures = transparency.published(get_language() or "zh-hans")
    sections = set(figures["sections"]) if figures else set()
    return TemplateResponse(request, "quality/transparency.html", {"figures": figures, "sections": sections})


app_name = "transparency"
urlpatterns = [path("transparency/", transparency_page, name="page")]
