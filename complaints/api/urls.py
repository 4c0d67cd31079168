"""REST API, mounted at /api/ (namespace `api`): v1 endpoints, the OpenAPI schema and its browser."""

from django.conf import settings
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from complaints import extensions

from . import filters, views

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("teams", views.TeamViewSet, basename="team")
router.register("root-causes", views.RootCauseViewSet, basename="root-cause")
for prefix, viewset, basename in extensions.API_ROUTES:
    router.register(prefix, viewset, basename=basename)
# The schema reads the ticket filters before any list is asked for: other apps' filters join them now.
filters.include_registered_filters(filters.TicketFilter)

v1 = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc styles itself with inline <style> elements and searches in a blob: worker: this page only.
    path(
        "redoc/",
        csp_override(
            {
                **settings.SECURE_CSP,
                "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
                "worker-src": [CSP.SELF, "blob:"],
            }
        )(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
]
