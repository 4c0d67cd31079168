from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExternalCasesConfig(AppConfig):
    name = "external_cases"
    verbose_name = _("Regulator and platform cases")

    def ready(self) -> None:
        from complaints import config_cache, extensions
        from complaints.events import ticket_event

        from . import receivers, reports, selectors, services
        from .models import ExternalSource, RiskKeyword

        ticket_event.connect(receivers.assess_escalation_risk, dispatch_uid="external_cases.escalation_risk")
        config_cache.watch(ExternalSource, RiskKeyword)
        extensions.register_close_guard(services.close_refusal)
        extensions.register_close_hold(selectors.without_open_cases)
        extensions.register_ticket_field(
            "external_cases", selectors.ticket_external_cases, prefetch=selectors.cases_prefetch()
        )
        extensions.register_ticket_badges(selectors.ticket_badges)
        extensions.register_ticket_panel(selectors.ticket_panel)
        extensions.register_dashboard_panel(reports.dashboard_panel)
        extensions.register_stats_section("external_cases", reports.stats_section)
        extensions.register_desk_link(_("External cases"), "external_cases:open_cases")
