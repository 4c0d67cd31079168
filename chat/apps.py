from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Live chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from complaints import extensions, policy

        from . import reports

        extensions.register_desk_link(_("Live chat"), "chat:console", visible=policy.may_use_desk)
        extensions.register_stats_section("chat", reports.chat_section)

        from django.db.models.signals import post_save

        from .models import ChatBlock

        post_save.connect(_block_saved, sender=ChatBlock, dispatch_uid="chat-block-closes-sockets")


def _block_saved(sender, instance, created: bool, **kwargs) -> None:
    from . import services

    if created:
        services.close_blocked_chats(instance)
