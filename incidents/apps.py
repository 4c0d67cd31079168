from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Major incidents")

    def ready(self) -> None:
        from complaints import extensions
        from complaints.events import ticket_event
        from quality import review_pack as quality_review_pack

        from . import receivers, review_pack, selectors
        from .api.views import IncidentViewSet

        ticket_event.connect(receivers.link_new_ticket, dispatch_uid="incidents.link_new_ticket")
        ticket_event.connect(receivers.unlink_still_broken, dispatch_uid="incidents.unlink_still_broken")
        extensions.register_ticket_field(
            "incident", selectors.ticket_incident, prefetch=selectors.incident_prefetch()
        )
        extensions.register_ticket_badges(selectors.ticket_badges)
        extensions.register_ticket_panel(selectors.ticket_panel)
        extensions.register_ticket_presence(selectors.PRESENCE, selectors.presence)
        extensions.register_dashboard_panel(selectors.dashboard_panel)
        extensions.register_acknowledgement_extras(selectors.acknowledgement_extras)
        extensions.register_api_route("incidents", IncidentViewSet, basename="incident")
        extensions.register_desk_link(_("Major incidents"), "incidents:list")
        # The monthly management review (issue 21) lists the month's incidents; quality imports nothing of us.
        quality_review_pack.register_section("incidents", review_pack.pack_section)
