"""The Celery application. Exactly one beat process runs per deployment (see README)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infohub.settings")

app = Celery("infohub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
