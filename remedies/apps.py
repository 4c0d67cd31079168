from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemediesConfig(AppConfig):
    name = "remedies"
    verbose_name = _("Remedies")

    def ready(self) -> None:
        from complaints import extensions

        from . import policy, reports, selectors, services
        from .api.views import RemedyViewSet

        extensions.register_resolve_hold(services.hold_for_approval)
        extensions.register_close_guard(services.close_refusal)
        extensions.register_ticket_badges(selectors.ticket_badges)
        extensions.register_ticket_panel(selectors.ticket_panel)
        extensions.register_ticket_presence(selectors.PRESENCE, selectors.presence)
        extensions.register_ticket_presence(selectors.HISTORY_PRESENCE, selectors.history_presence)
        extensions.register_ticket_field(
            "remedies", selectors.ticket_remedies, prefetch=selectors.remedies_prefetch()
        )
        extensions.register_customer_ticket_notes(selectors.customer_notes)
        extensions.register_stats_section("remedies", reports.stats_section)
        extensions.register_api_route("remedies", RemedyViewSet, basename="remedy")
        extensions.register_desk_link(_("Approvals"), "remedies:approvals", visible=policy.may_approve_any)
