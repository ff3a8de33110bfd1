"""Per-learner LRS credentials for launching external xAPI activities (packages, URLs) from a lesson.

An external activity is opened with the launch parameters of the usual xAPI launch convention
(``endpoint``, ``auth``, ``actor``, ``registration``, ``activity_id``). The credential in ``auth`` lets the
package post statements to this site's ``/xapi/`` endpoint *as that learner only*. The backend is chosen by
``LMS_LRS_LAUNCH_CREDENTIALS`` (a dotted path); the LRS API authenticates a launch credential with
:meth:`LaunchCredentials.verify`.
"""

import base64
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.utils.module_loading import import_string

from lms.conf import lms_settings

from .builders import actor


@dataclass(frozen=True)
class LaunchGrant:
    """What a launch credential allows: statements by ``actor_name`` in ``registration``."""

    actor_name: str
    registration: str
    activity_id: str


@dataclass(frozen=True)
class LaunchCredential:
    """An LRS credential for one launch: HTTP Basic ``username``/``password`` on ``endpoint``."""

    endpoint: str
    username: str
    password: str

    @property
    def authorization(self) -> str:
        """The value of the ``Authorization`` header (and of the launch's ``auth`` parameter)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


class LaunchCredentials(ABC):
    """Issues and checks per-learner LRS credentials."""

    @abstractmethod
    def issue(self, grant: LaunchGrant) -> LaunchCredential:
        """Return a credential that lets a launched activity send statements for ``grant`` only."""

    @abstractmethod
    def verify(self, username: str, password: str) -> LaunchGrant | None:
        """Return the grant of a valid, unexpired credential, or ``None``."""


class SignedLaunchCredentials(LaunchCredentials):
    """Stateless credentials: the password is the grant signed with the secret key, with an age limit."""

    USERNAME = "tremplin-launch"
    SALT = "lms.xapi.launch"

    def issue(self, grant):
        password = signing.dumps(
            {"a": grant.actor_name, "r": grant.registration, "o": grant.activity_id}, salt=self.SALT
        )
        return LaunchCredential(
            endpoint=lms_settings.SITE_URL.rstrip("/") + "/xapi/", username=self.USERNAME, password=password
        )

    def verify(self, username, password):
        if username != self.USERNAME:
            return None
        try:
            data = signing.loads(password, salt=self.SALT, max_age=lms_settings.LAUNCH_CREDENTIAL_MAX_AGE)
        except signing.BadSignature:
            return None
        return LaunchGrant(actor_name=data["a"], registration=data["r"], activity_id=data["o"])


def get_launch_credentials() -> LaunchCredentials:
    """Return the configured launch credentials backend."""
    return import_string(lms_settings.LRS_LAUNCH_CREDENTIALS)()


def launch_url(url: str, grant: LaunchGrant) -> str:
    """Return ``url`` with the xAPI launch parameters for ``grant`` appended.

    Args:
        url: the address of the external activity or package.
        grant: who launches it, in which registration, for which activity.
    """
    credential = get_launch_credentials().issue(grant)
    params = {
        "endpoint": credential.endpoint,
        "auth": credential.authorization,
        "actor": json.dumps(actor(grant.actor_name).as_version("1.0.3"), separators=(",", ":")),
        "registration": grant.registration,
        "activity_id": grant.activity_id,
    }
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
