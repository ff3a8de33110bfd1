"""``manage.py lms_write_course_stages``: the course stage of the statements of a stage that have none."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils.translation import gettext as _

from lms.models import Statement
from lms.xapi.storage import write_course_stages


class Command(BaseCommand):
    help = (
        "Write the course stage (read by the activity figures) of the statements of a stage that have none: "
        "those a previous release stored while this one was migrating."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = write_course_stages(Statement.objects.filter(course_stage__isnull=True), connection)
        self.stdout.write(_("%(count)d course stages written.") % {"count": count})
