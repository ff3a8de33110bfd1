"""Erase now the accounts whose retention period has passed (what the Celery beat task does daily)."""

from django.core.management.base import BaseCommand

from lms.services import privacy


class Command(BaseCommand):
    help = "Erase the accounts unused for longer than their collectivity's retention period."

    def handle(self, **options):
        self.stdout.write(f"Erased {privacy.apply_retention()} account(s).")
