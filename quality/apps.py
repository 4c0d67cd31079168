from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality and improvement")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from complaints import extensions

        from . import api, console, reports

        extensions.register_stats_section("quality", reports.quality_section)
        extensions.register_stats_section("corrective_actions", reports.corrective_actions_section)
        extensions.register_api_route("quality/reviews", api.ReviewViewSet, basename="quality-review")
        extensions.register_api_route(
            "corrective-actions", api.CorrectiveActionViewSet, basename="corrective-action"
        )
        extensions.register_api_route("transparency", api.TransparencyViewSet, basename="transparency")
        extensions.register_dashboard_panel(console.dashboard_panel)
        extensions.register_desk_link(_("Quality inspection"), "quality:queue")
