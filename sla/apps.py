from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from complaints import config_cache, extensions, notifications
        from complaints.events import events_recorded, tickets_bulk_loaded

        from . import notifications as alert_mail
        from . import receivers, reports, selectors
        from .models import BusinessCalendar, CalendarDay, SlaPolicy, WorkingInterval

        events_recorded.connect(receivers.move_clocks, dispatch_uid="sla.move_clocks")
        tickets_bulk_loaded.connect(
            receivers.build_clocks_for_loaded, dispatch_uid="sla.build_clocks_for_loaded"
        )
        config_cache.watch(BusinessCalendar, CalendarDay, SlaPolicy, WorkingInterval)
        extensions.register_stats_section("sla", reports.stats_section)
        extensions.register_ticket_field("sla", selectors.ticket_sla, prefetch=selectors.clocks_prefetch())
        extensions.register_ticket_panel(selectors.ticket_panel)
        notifications.register_staff_mail_requeue(alert_mail.requeue_unsent_alerts)
