"""URLs of the benchmark project: django-helpdesk at the site root, as its install docs allow."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
