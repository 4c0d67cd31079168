from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_save

        from . import config_cache, preferences, receivers
        from .events import events_recorded
        from .models import Category, RootCause, RoutingRule, Team

        config_cache.watch(Category, RootCause, RoutingRule, Team)
        user_logged_in.connect(
            preferences.remember_on_login, dispatch_uid="complaints.staff_language_on_login"
        )
        events_recorded.connect(receivers.queue_staff_mail, dispatch_uid="complaints.queue_staff_mail")
        pre_save.connect(
            receivers.revoke_api_tokens_with_the_password,
            sender=get_user_model(),
            dispatch_uid="complaints.revoke_api_tokens_with_the_password",
        )
