from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsIntakeConfig(AppConfig):
    name = "channels_intake"
    verbose_name = _("Intake channels")

    def ready(self) -> None:
        from complaints.events import ticket_event

        from . import receivers

        ticket_event.connect(receivers.on_ticket_event, dispatch_uid="channels_intake.on_ticket_event")
