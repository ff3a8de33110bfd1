from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetencesConfig(AppConfig):
    name = "competences"
    label = "lms_competences"
    verbose_name = _("Competence frameworks")
    default_auto_field = "django.db.models.BigAutoField"
