"""REST API, mounted at /api/ (namespace `api`): v1 endpoints, the OpenAPI schema and its browser."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("teams", views.TeamViewSet, basename="team")
router.register("root-causes", views.RootCauseViewSet, basename="root-cause")

v1 = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
