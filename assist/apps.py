from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = _("Assistant")

    def ready(self) -> None:
        from complaints import config_cache, extensions
        from complaints.events import ticket_event

        from . import deflection, desk, public, receivers, similarity
        from .models import AssistModel, AssistSettings, AssistTerm

        config_cache.watch(AssistTerm, AssistSettings, AssistModel)
        ticket_event.connect(receivers.suggest_on_open, dispatch_uid="assist.suggest_on_open")
        extensions.register_ticket_panel(desk.ticket_panel)
        extensions.register_ticket_presence(desk.PRESENCE, desk.presence)
        extensions.register_repeat_similarity(similarity.for_repeat_detection)
        extensions.register_customer_ticket_action(public.review_action)
        extensions.register_stats_section("assistant", deflection.stats_section)
        # FAQ answers as the customer describes the problem on /submit/.
        extensions.register_submit_form_addition(
            extensions.FormAddition(
                after_field="description",
                template="public/assist/_deflection.html",
                stylesheets=("assist/deflect.css",),
                scripts=("assist/deflect.js",),
            )
        )
