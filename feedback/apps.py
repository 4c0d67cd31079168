from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Satisfaction follow-up")

    def ready(self) -> None:
        from complaints.events import ticket_event
        from complaints.extensions import register_stats_section

        from . import receivers, reports

        ticket_event.connect(receivers.on_ticket_event, dispatch_uid="feedback.on_ticket_event")
        register_stats_section("satisfaction", reports.satisfaction_section)
