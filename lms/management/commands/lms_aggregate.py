from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lms.analytics import services


class Command(BaseCommand):
    help = "Process the statements stored since the watermark and rebuild the dashboards' snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rebuild the snapshots of every collectivity.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Recompute every level from scratch and report the rows the incremental runs had wrong.",
        )

    def handle(self, *args, **options):
        if options["full"]:
            result = services.nightly_rebuild()
            self.stdout.write(_("Full rebuild: %(count)d rows differed.") % {"count": result["mismatches"]})
            self.stdout.write(_("%(count)d snapshots rebuilt.") % {"count": result["snapshots"]})
            return
        touched = services.collectivities_to_refresh(services.process_new_statements())
        if options["all"]:
            count = services.rebuild_all_snapshots()["snapshots"]
        else:
            for collectivity_id in sorted(touched):
                services.rebuild_snapshot(collectivity_id)
            count = len(touched)
        self.stdout.write(_("%(count)d snapshots rebuilt.") % {"count": count})
