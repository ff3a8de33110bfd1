"""OpenID Connect identity providers (ProConnect, FranceConnect), configured by ``LMS_OIDC_PROVIDERS``.

A provider backend is chosen by the ``LMS_IDENTITY_BACKEND`` setting (a dotted path). The default one uses
Authlib: it reads the provider's discovery document, runs the authorisation code flow with PKCE, checks the
id token's signature, issuer, audience and nonce, and reads the userinfo endpoint (JSON or a signed JWT).
"""

from abc import ABC, abstractmethod

from authlib.integrations.django_client import OAuth
from django.utils.module_loading import import_string
from joserfc import jwt
from joserfc.jwk import KeySet

from lms.conf import lms_settings
from lms.services.identity import Identity


class IdentityBackend(ABC):
    """Talks to one OpenID Connect provider."""

    def __init__(self, key: str, config: dict):
        self.key = key
        self.config = config

    @abstractmethod
    def authorization_redirect(self, request, redirect_uri: str):
        """Return the HTTP redirect that sends the browser to the provider."""

    @abstractmethod
    def identity_from_callback(self, request) -> Identity:
        """Exchange the callback's code for tokens and return the verified identity."""


class AuthlibIdentityBackend(IdentityBackend):
    """The default backend, on Authlib's Django client."""

    def __init__(self, key, config):
        super().__init__(key, config)
        registry = OAuth()
        self.client = registry.register(
            name=key,
            client_id=config["client_id"],
            client_secret=config.get("client_secret", ""),
            server_metadata_url=config["discovery_url"],
            client_kwargs={
                "scope": config.get("scopes", "openid email"),
                "code_challenge_method": "S256",
                "timeout": config.get("timeout", 10),
            },
        )

    def authorization_redirect(self, request, redirect_uri):
        return self.client.authorize_redirect(request, redirect_uri, acr_values=self.config.get("acr_values"))

    def identity_from_callback(self, request):
        token = self.client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        metadata = self.client.load_server_metadata()
        if metadata.get("userinfo_endpoint"):
            response = self.client.get(metadata["userinfo_endpoint"], token=token)
            response.raise_for_status()
            if response.headers.get("content-type", "").startswith("application/jwt"):
                keys = KeySet.import_key_set(self.client.fetch_jwk_set())
                userinfo = dict(jwt.decode(response.text, keys).claims)
            else:
                userinfo = response.json()
            if userinfo.get("sub") != claims.get("sub"):
                raise ValueError("The userinfo subject differs from the id token's.")
            claims.update(userinfo)
        return Identity(
            provider=self.key,
            subject=str(claims.get("sub", "")),
            email=claims.get("email", "") or "",
            given_name=claims.get("given_name", "") or "",
            family_name=claims.get("usual_name") or claims.get("family_name") or "",
            siret=str(claims.get("siret", "") or ""),
        )


def get_backend(key: str) -> IdentityBackend | None:
    """Return the backend of the configured provider ``key``, or ``None`` if there is no such provider."""
    config = (lms_settings.OIDC_PROVIDERS or {}).get(key)
    if not config:
        return None
    return import_string(lms_settings.IDENTITY_BACKEND)(key, config)
