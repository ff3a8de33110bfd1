from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.imports.pix import PixImportRejected, import_profiles_collection
from lms.models import Collectivity


class Command(BaseCommand):
    help = "Import a Pix Orga « collecte de profils » export as evidence for the people of a collectivity."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--collectivity", required=True, help="Slug of the collectivity.")

    def handle(self, *args, **options):
        collectivity = Collectivity.objects.filter(slug=options["collectivity"]).first()
        if collectivity is None:
            raise CommandError(_("No collectivity with the slug “%s”.") % options["collectivity"])
        try:
            content = Path(options["file"]).read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from error
        try:
            report = import_profiles_collection(content, collectivity)
        except PixImportRejected as error:
            raise CommandError(
                "\n".join(
                    [_("The file was rejected, nothing was stored:"), *(f"- {e}" for e in error.errors)]
                )
            ) from error
        self.stdout.write(
            ngettext(
                "%(matched)d of %(count)d participant matched;",
                "%(matched)d of %(count)d participants matched;",
                report.participations,
            )
            % {"matched": report.matched, "count": report.participations}
            + " "
            + ngettext("%(new)d new level recorded.", "%(new)d new levels recorded.", report.new_statements)
            % {"new": report.new_statements}
        )
        for row in report.unmatched:
            self.stdout.write(_("Row %(row)d: %(name)s not found.") % {"row": row.line, "name": row.name})
