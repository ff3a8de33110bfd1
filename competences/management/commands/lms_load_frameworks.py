from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from competences.services import load_shipped_frameworks


class Command(BaseCommand):
    help = "Load (or update) the competence frameworks shipped with Tremplin. Safe to run again."

    def handle(self, *args, **options):
        for framework in load_shipped_frameworks():
            self.stdout.write(
                _("%(framework)s: %(count)d competences")
                % {"framework": framework, "count": framework.competences.count()}
            )
