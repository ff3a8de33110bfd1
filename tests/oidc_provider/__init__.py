"""A real OpenID Connect provider (django-oauth-toolkit in OIDC mode) that the tests run in a subprocess."""
