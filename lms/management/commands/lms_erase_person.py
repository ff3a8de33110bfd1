"""Erase a person on request: delete the account, pseudonymise their statements irreversibly."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from lms.services import privacy


class Command(BaseCommand):
    help = "Erase a person's account (statements are kept under a random pseudonym)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        privacy.erase_person(user, reason="request")
        self.stdout.write(f"Erased {username}.")
