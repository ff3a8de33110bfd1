"""Creating LRS client credentials (used by the ``lms_lrs_client`` command)."""

from django.db import transaction
from django.utils.translation import gettext as _

from lms.models import Collectivity, LrsClient

#: The shortest secret accepted, by the admin and by the command.
MIN_SECRET_LENGTH = 16


class CredentialError(ValueError):
    """A key or secret that cannot work; the message says why, for the person who chose it."""


def check_key(key: str) -> None:
    """A key goes before the first colon of HTTP Basic credentials: no colon, no space, no control character.

    Raises:
        CredentialError: the key cannot be sent.
    """
    if not key or ":" in key or not key.isprintable() or any(character.isspace() for character in key):
        raise CredentialError(
            _(
                "The key cannot contain a colon, a space or a control character: HTTP Basic authentication "
                "separates the key from the secret at the first colon."
            )
        )


def check_secret(secret: str) -> None:
    """Raises CredentialError when the secret is shorter than :data:`MIN_SECRET_LENGTH`."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise CredentialError(_("The secret must have at least 16 characters."))


@transaction.atomic
def create_client(
    name: str, *, collectivity_slug: str | None = None, key: str | None = None, secret: str | None = None,
    scope: str = LrsClient.Scope.READ_WRITE,
) -> tuple[LrsClient, str]:  # fmt: skip
    """Create an LRS client and return it with its secret in clear (shown once, then only its hash is kept).

    Args:
        name: a label for the tool using the credentials.
        collectivity_slug: the collectivity the client belongs to; None for a platform-wide client.
        key: the key (generated when None).
        secret: the secret (generated when None).
        scope: ``all``, ``read`` or ``write``.

    Raises:
        Collectivity.DoesNotExist: no collectivity has this slug.
        CredentialError: the key or the secret given cannot work (:func:`check_key`, :func:`check_secret`).
        ValueError: the key is taken.
    """
    if key is not None:
        check_key(key)
    if secret is not None:
        check_secret(secret)
    collectivity = Collectivity.objects.get(slug=collectivity_slug) if collectivity_slug else None
    key = key or LrsClient.generate_key()
    if LrsClient.objects.filter(key=key).exists():
        raise ValueError(key)
    secret = secret or LrsClient.generate_secret()
    client = LrsClient(name=name, key=key, collectivity=collectivity, scope=scope)
    client.set_secret(secret)
    client.save()
    return client, secret
