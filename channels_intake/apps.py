from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsIntakeConfig(AppConfig):
    name = "channels_intake"
    verbose_name = _("Intake channels")

    def ready(self) -> None:
        from complaints import extensions
        from complaints import privacy as core_privacy
        from complaints.events import events_recorded, ticket_event

        from . import desk_panels, privacy, receivers

        ticket_event.connect(receivers.on_ticket_event, dispatch_uid="channels_intake.on_ticket_event")
        events_recorded.connect(
            receivers.on_events_recorded, dispatch_uid="channels_intake.on_events_recorded"
        )
        core_privacy.customer_erased.connect(
            receivers.on_customer_erased, dispatch_uid="channels_intake.on_customer_erased"
        )
        core_privacy.tickets_anonymised.connect(
            receivers.on_tickets_anonymised, dispatch_uid="channels_intake.on_tickets_anonymised"
        )
        core_privacy.register_export_section("channel_identities.csv", privacy.identities_export)
        extensions.register_desk_link(_("Log a phone call"), "public:phone_call")
        extensions.register_ticket_panel(desk_panels.phone_call_panel)
