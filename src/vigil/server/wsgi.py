"""WSGI entry point (``vigil.server.wsgi:application``) for waitress, gunicorn or uWSGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
application = get_wsgi_application()
