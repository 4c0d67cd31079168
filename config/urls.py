from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from channels_intake.customer.views import home

from .health import healthz

admin.site.site_header = _("Complaint desk")
admin.site.site_title = _("Complaint desk")
admin.site.index_title = _("Supervisor console")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The console's dashboard (on the admin index) and reports, ahead of the admin's own URLs.
    path("admin/", include("complaints.admin.reports")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk/", include("complaints.portal.urls")),
    path("api/", include("complaints.api.urls")),
    path("", include("feedback.urls")),
    path("", include("channels_intake.urls")),
    path("", home, name="home"),
]
