from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = _("Assistant")

    def ready(self) -> None:
        from complaints import config_cache

        from .models import AssistSettings, AssistTerm

        config_cache.watch(AssistTerm, AssistSettings)
