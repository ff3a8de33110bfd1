"""``manage.py lms_lrs_client create NAME [--collectivity SLUG] [--key KEY --secret SECRET] [--scope S]``."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.models import Collectivity, LrsClient
from lms.xapi.clients import CredentialError, create_client


class Command(BaseCommand):
    help = "Manage the credentials of LRS clients (tools that read or write statements at /xapi/)."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="action", required=True)
        create = subcommands.add_parser("create", help="Create an LRS client and print its key and secret.")
        create.add_argument("name")
        create.add_argument("--collectivity", help="Slug of the collectivity the client belongs to.")
        create.add_argument("--key")
        create.add_argument("--secret")
        create.add_argument("--scope", choices=[choice.value for choice in LrsClient.Scope], default="all")

    def handle(self, *args, **options):
        try:
            client, secret = create_client(
                options["name"],
                collectivity_slug=options["collectivity"],
                key=options["key"],
                secret=options["secret"],
                scope=options["scope"],
            )
        except CredentialError as error:
            raise CommandError(str(error)) from error
        except Collectivity.DoesNotExist as error:
            raise CommandError(_("No collectivity has the slug %s.") % options["collectivity"]) from error
        except ValueError as error:
            raise CommandError(_("The key %s is taken.") % options["key"]) from error
        self.stdout.write(_("LRS client created: %(name)s") % {"name": client.name})
        self.stdout.write(f"key: {client.key}")
        self.stdout.write(f"secret: {secret}")
