from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Satisfaction follow-up")

    def ready(self) -> None:
        from complaints import privacy as core_privacy
        from complaints.events import events_recorded, ticket_event
        from complaints.extensions import (
            register_desk_queue,
            register_stats_section,
            register_ticket_panel,
            register_ticket_presence,
        )

        from . import desk_queue, privacy, receivers, reports, selectors

        ticket_event.connect(receivers.on_ticket_event, dispatch_uid="feedback.on_ticket_event")
        events_recorded.connect(receivers.on_events_recorded, dispatch_uid="feedback.on_events_recorded")
        core_privacy.tickets_anonymised.connect(
            receivers.on_tickets_anonymised, dispatch_uid="feedback.on_tickets_anonymised"
        )
        core_privacy.register_export_section("surveys.csv", privacy.surveys_export)
        register_stats_section("satisfaction", reports.satisfaction_section)
        register_ticket_panel(selectors.ticket_panel)
        register_ticket_presence(selectors.PRESENCE, selectors.presence)
        register_desk_queue(desk_queue.RETURN_VISITS)
