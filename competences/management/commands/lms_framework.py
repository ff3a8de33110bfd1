from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competences.exchange import (
    FORMATS,
    ImportRejected,
    export_framework,
    guess_format,
    import_framework,
    preview_import,
)
from competences.models import Framework


class Command(BaseCommand):
    help = "Export a competence framework (CASE 1.1 JSON, Tremplin CSV, Moodle CSV) or import one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write a framework to a file or to standard output.")
        export.add_argument("slug")
        export.add_argument("--format", choices=sorted(FORMATS), default="case")
        export.add_argument("-o", "--output", help="File to write (default: standard output).")
        load = sub.add_parser("import", help="Create or update a framework from a file.")
        load.add_argument("file")
        load.add_argument("--format", choices=sorted(FORMATS), help="Default: guessed from the file.")

    def handle(self, *args, **options):
        if options["action"] == "export":
            framework = Framework.objects.filter(slug=options["slug"]).first()
            if framework is None:
                raise CommandError(_("No framework with the slug “%s”.") % options["slug"])
            content = export_framework(framework, options["format"])
            if options["output"]:
                Path(options["output"]).write_text(content, encoding="utf-8")
            else:
                self.stdout.write(content, ending="")
            return
        path = Path(options["file"])
        try:
            content = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error}
            ) from error
        fmt = options["format"] or guess_format(path.name, content)
        try:
            framework = import_framework(content, fmt)
        except ImportRejected as error:
            raise CommandError(
                _("The file was rejected, nothing was stored:")
                + "\n"
                + "\n".join(f"- {e}" for e in error.errors)
            ) from error
        for notice in preview_import(content, fmt).notices:
            self.stdout.write(f"- {notice}")
        self.stdout.write(
            ngettext(
                "%(framework)s (%(slug)s): %(count)d competence imported.",
                "%(framework)s (%(slug)s): %(count)d competences imported.",
                framework.competences.count(),
            )
            % {"framework": framework, "slug": framework.slug, "count": framework.competences.count()}
        )
