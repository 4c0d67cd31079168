from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoffsConfig(AppConfig):
    name = "handoffs"
    verbose_name = _("Hand-offs to partners")

    def ready(self) -> None:
        from complaints import config_cache, extensions
        from sla import services as sla_services

        from . import inbound, reports, selectors
        from .models import Partner

        extensions.register_ticket_field(
            "handoffs", selectors.ticket_handoffs, prefetch=selectors.handoffs_prefetch()
        )
        extensions.register_ticket_badges(selectors.ticket_badges)
        extensions.register_ticket_panel(selectors.ticket_panel)
        extensions.register_ticket_presence(selectors.PRESENCE, selectors.presence)
        extensions.register_stats_section("handoffs", reports.stats_section)
        config_cache.watch(Partner)
        extensions.register_inbound_mail_claimer(inbound.claim_partner_mail)
        sla_services.register_resolution_hold(selectors.holds_resolution)
        extensions.register_desk_link(_("Hand-offs by partner"), "handoffs:report")
