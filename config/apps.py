from axes.apps import AppConfig as BaseAxesConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(BaseAxesConfig):
    """django-axes under a name the console shows in the staff's language."""

    verbose_name = _("Sign-in attempts")
