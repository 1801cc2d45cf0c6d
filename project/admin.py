"""The admin as this deployment offers it."""

from django.contrib import admin
from django_celery_beat import models as beat

# The periodic jobs are the project's own (settings.CELERY_BEAT_SCHEDULE: the deadline sweep); an edit here could
# stop the sweep that no deadline may miss, so django-celery-beat's tables are not offered for editing.
for model in (beat.PeriodicTask, beat.IntervalSchedule, beat.CrontabSchedule, beat.SolarSchedule,
              beat.ClockedSchedule):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
