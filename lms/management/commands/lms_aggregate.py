from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lms.analytics import services
from lms.models import Collectivity


class Command(BaseCommand):
    help = "Process the statements stored since the watermark and rebuild the dashboards' snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rebuild the snapshots of every collectivity.")

    def handle(self, *args, **options):
        touched = services.collectivities_to_refresh(services.process_new_statements())
        if options["all"]:
            touched = set(Collectivity.objects.values_list("pk", flat=True))
        for collectivity_id in sorted(touched):
            services.rebuild_snapshot(collectivity_id)
        self.stdout.write(_("%(count)d snapshots rebuilt.") % {"count": len(touched)})
