from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from .health import healthz

admin.site.site_header = "Complaint desk"
admin.site.site_title = "Complaint desk"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk/", include("complaints.portal.urls")),
    path("api/", include("complaints.api.urls")),
    path("", include("feedback.urls")),
    path("", include("channels_intake.urls")),
    path("", TemplateView.as_view(template_name="public/home.html"), name="home"),
]
