"""Run the test OpenID Connect provider: ``python -m tests.oidc_provider.serve PORT``.

Environment: ``OIDC_PROVIDER_DIR`` (a writable directory), ``OIDC_PROVIDER_USERS`` (JSON list of
{username, password, email, first_name, last_name}), ``OIDC_PROVIDER_CLIENT`` (JSON {client_id, client_secret,
redirect_uris}), ``OIDC_PROVIDER_SIRETS`` (JSON {username: siret}). Prints ``READY`` once it serves.
"""

import json
import os
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def _key(directory: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / "key.pem").write_bytes(pem)


def main(port: int) -> None:
    directory = Path(os.environ["OIDC_PROVIDER_DIR"])
    if not (directory / "key.pem").exists():
        _key(directory)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0)
    for spec in json.loads(os.environ.get("OIDC_PROVIDER_USERS", "[]")):
        get_user_model().objects.create_user(**spec)
    client = json.loads(os.environ["OIDC_PROVIDER_CLIENT"])
    application = get_application_model()
    application.objects.create(
        name="tremplin",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        algorithm=application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server("127.0.0.1", port, get_wsgi_application(), handler_class=QuietHandler)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
