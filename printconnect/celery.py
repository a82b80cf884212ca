"""The Celery application. Workers: `celery -A printconnect worker -Q <queues>`; one `celery -A printconnect beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "printconnect.settings")

app = Celery("printconnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
