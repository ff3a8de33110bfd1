"""HTTP Basic authentication of LRS clients.

Checking a hashed secret costs tens of milliseconds by design, so a web process remembers a verified
(key, secret) pair for ``LMS_LRS_AUTH_CACHE_SECONDS``; saving or deleting a client forgets it at once.
"""

import base64
import hashlib
import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.conf import lms_settings
from lms.models import Enrolment, LrsClient

from .launch import get_launch_credentials

_cache: dict[tuple[str, str], tuple[LrsClient, float]] = {}
_lock = threading.Lock()


def parse_basic(header: str) -> tuple[str, str] | None:
    """Return (key, secret) from an ``Authorization: Basic ...`` header, or None."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error, UnicodeDecodeError, and the ValueError of a header that is not ASCII text.
        return None
    key, sep, secret = decoded.partition(":")
    if not sep or "\x00" in decoded:
        # A NUL character cannot be in a key, and PostgreSQL refuses to compare one.
        return None
    return key, secret


def authenticate(header: str) -> LrsClient | None:
    """Return the active client whose credentials the ``Authorization`` header carries, or None.

    Args:
        header: the value of the HTTP ``Authorization`` header.
    """
    credentials = parse_basic(header)
    if credentials is None:
        return None
    key, secret = credentials
    cache_key = (key, hashlib.sha256(secret.encode()).hexdigest())
    now = time.monotonic()
    cached = _cache.get(cache_key)
    if cached is not None and cached[1] > now:
        return cached[0]
    client = LrsClient.objects.select_related("collectivity").filter(key=key, active=True).first()
    if client is None or not client.check_secret(secret):
        return launch_client(key, secret)
    with _lock:
        _cache[cache_key] = (client, now + lms_settings.LRS_AUTH_CACHE_SECONDS)
    return client


def launch_client(key: str, secret: str) -> LrsClient | None:
    """Return a transient client for a valid launch credential (an external activity opened from a lesson).

    It may send and read the statements, and the state documents, of its learner only (``client.grant``);
    its statements are attributed to the collectivity of the enrolment it was launched in.
    """
    grant = get_launch_credentials().verify(key, secret)
    if grant is None:
        return None
    collectivity_id = (
        Enrolment.objects.filter(registration=grant.registration)
        .values_list("collectivity_id", flat=True)
        .first()
    )
    client = LrsClient(
        name="Tremplin launch",
        key=f"launch-{grant.registration}",
        scope=LrsClient.Scope.READ_WRITE,
        collectivity_id=collectivity_id,
    )
    client.grant = grant
    return client


def grant_agent(client) -> dict | None:
    """The Agent a launch client speaks for, or None for an ordinary client."""
    grant = getattr(client, "grant", None)
    if grant is None:
        return None
    return {"objectType": "Agent", "account": {"homePage": lms_settings.SITE_URL, "name": grant.actor_name}}


def forget_clients() -> None:
    """Forget every verified secret (after a client changes)."""
    with _lock:
        _cache.clear()


@receiver(post_save, sender=LrsClient, dispatch_uid="lms.xapi.auth.client_saved")
@receiver(post_delete, sender=LrsClient, dispatch_uid="lms.xapi.auth.client_deleted")
def _client_changed(sender, **kwargs):
    forget_clients()


def authority(client: LrsClient) -> dict:
    """The Agent set as ``authority`` of the statements a client stores."""
    return {
        "objectType": "Agent",
        "name": client.name,
        "account": {"homePage": lms_settings.SITE_URL, "name": client.key},
    }
