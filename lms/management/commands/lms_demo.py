from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lms.demo.services import COLLECTIVITIES, DEMO_PASSWORD, load_demo
from lms.models import Statement


class Command(BaseCommand):
    help = "Load the demo data (frameworks, tracks, collectivities, people, activity) and compute dashboards."

    def handle(self, *args, **options):
        summary = load_demo()
        self.stdout.write(
            _("Demo ready: %(enrolments)d new enrolments, %(statements)d statements stored in all.")
            % {"enrolments": summary["enrolments"], "statements": Statement.objects.count()}
        )
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (password for all: %(password)s)") % {"password": DEMO_PASSWORD})
        self.stdout.write("  admin                      " + _("platform administrator (/admin/)"))
        self.stdout.write("  agent.valmont              " + _("agent of Valmont-sur-Loire, no history yet"))
        for spec in COLLECTIVITIES:
            self.stdout.write(f"  rh.{spec.prefix:<23} " + _("HR manager of %(name)s") % {"name": spec.name})
            self.stdout.write(
                f"  agent.{spec.prefix}.01 … {spec.agents:02d}".ljust(29)
                + _("agents of %(name)s") % {"name": spec.name}
            )
            if spec.elected:
                self.stdout.write(
                    f"  elu.{spec.prefix}.01 … {spec.elected:02d}".ljust(29)
                    + _("elected officials of %(name)s") % {"name": spec.name}
                )
