from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from channels_intake.customer.views import home

from .accounts import PasswordResetView
from .health import healthz
from .metrics import metrics

admin.site.site_header = _("Complaint desk")
admin.site.site_title = _("Complaint desk")
admin.site.index_title = _("Supervisor console")


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # The static URL is looked up per request: with manifest storage it needs collectstatic's manifest.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Prometheus text for the operators, behind METRICS_TOKEN (config/metrics.py)
    path("metrics", metrics, name="metrics"),
    # Browsers ask for /favicon.ico on pages without an icon link (the API's JSON, error pages).
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    # The console's dashboard (on the admin index) and reports, ahead of the admin's own URLs.
    path("admin/", include("complaints.admin.reports")),
    path("admin/quality/", include("quality.console")),
    path("admin/", admin.site.urls),
    # Ahead of Django's own: the reset view that limits the mails it sends.
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk/quality/", include("quality.desk.urls")),
    # /chat/ (the customer's widget page) and /desk/chat/ (the agents' console)
    path("", include("chat.urls")),
    path("", include("external_cases.urls")),
    path("", include("handoffs.urls")),
    path("", include("incidents.urls")),
    path("", include("remedies.urls")),
    path("", include("assist.urls")),
    path("desk/", include("complaints.portal.urls")),
    path("api/", include("complaints.api.urls")),
    path("", include("quality.public")),
    path("", include("feedback.urls")),
    path("", include("channels_intake.urls")),
    path("", home, name="home"),
]

# /api/ paths answer in the API's JSON error shape even where DRF does not handle the error.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
