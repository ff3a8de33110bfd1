from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    label = "lms"
    verbose_name = _("Tremplin")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .analytics import receivers  # noqa: F401  (connects the signal receivers)
        from .xapi import auth, tasks  # noqa: F401  (connects the signal receivers)
