"""WSGI entry point of the reference site (``gunicorn lms.project.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.project.settings")

application = get_wsgi_application()
