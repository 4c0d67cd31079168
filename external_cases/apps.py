from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExternalCasesConfig(AppConfig):
    name = "external_cases"
    verbose_name = _("Regulator and platform cases")

    def ready(self) -> None:
        from complaints import config_cache, extensions
        from complaints.events import ticket_event
        from quality import services as quality_services
        from quality.models import Review

        from . import receivers, reports, selectors, services
        from .api import filters as api_filters
        from .api import serializers as api_serializers
        from .api import views as api_views
        from .models import ExternalSource, RiskKeyword

        ticket_event.connect(receivers.assess_escalation_risk, dispatch_uid="external_cases.escalation_risk")
        config_cache.watch(ExternalSource, RiskKeyword)
        extensions.register_close_guard(services.close_refusal)
        extensions.register_close_hold(selectors.without_open_cases)
        extensions.register_outside_routes(selectors.outside_routes)
        extensions.register_mailbox_taker(services.open_forwarded_mail, takes=selectors.is_forwarding_mailbox)
        extensions.register_ticket_field(
            "external_cases", selectors.ticket_external_cases, prefetch=selectors.cases_prefetch()
        )
        extensions.register_ticket_badges(selectors.ticket_badges)
        extensions.register_ticket_panel(selectors.ticket_panel)
        extensions.register_ticket_presence(selectors.PRESENCE, selectors.presence)
        extensions.register_dashboard_panel(reports.dashboard_panel)
        extensions.register_stats_section("external_cases", reports.stats_section)
        extensions.register_ticket_create_field(
            "external_case",
            field=api_serializers.ticket_create_field,
            apply=api_views.register_with_new_ticket,
        )
        extensions.register_ticket_list_filter("external_source", api_filters.source_filter)
        extensions.register_ticket_list_filter("external_due_before", api_filters.due_before_filter)
        # Every forwarded case is inspected (quality's always-sampled tickets); quality knows nothing of us.
        quality_services.register_mandatory_sample(Review.Reason.EXTERNAL_CASE, selectors.tickets_with_cases)
        extensions.register_desk_link(_("External cases"), "external_cases:open_cases")
