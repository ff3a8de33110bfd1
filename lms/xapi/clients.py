"""Creating LRS client credentials (used by the ``lms_lrs_client`` command)."""

from django.db import transaction

from lms.models import Collectivity, LrsClient


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
        ValueError: the key is taken.
    """
    collectivity = Collectivity.objects.get(slug=collectivity_slug) if collectivity_slug else None
    key = key or LrsClient.generate_key()
    if LrsClient.objects.filter(key=key).exists():
        raise ValueError(key)
    secret = secret or LrsClient.generate_secret()
    client = LrsClient(name=name, key=key, collectivity=collectivity, scope=scope)
    client.set_secret(secret)
    client.save()
    return client, secret
