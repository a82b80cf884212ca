"""WSGI entry point for gunicorn: `gunicorn printconnect.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "printconnect.settings")

application = get_wsgi_application()

from printconnect.core.checks import refuse_insecure_production_settings  # noqa: E402

refuse_insecure_production_settings()
