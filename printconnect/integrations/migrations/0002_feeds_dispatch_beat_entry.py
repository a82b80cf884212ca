"""The one beat entry that dispatches due feeds from the Feed table (schedules stay in django-celery-beat's models)."""

from django.db import migrations

TASK_NAME = "Dispatch due feeds"


def create_entry(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_30s, _ = IntervalSchedule.objects.get_or_create(every=30, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "integrations.feeds_dispatch",
            "interval": every_30s,
            "queue": "feeds",
            "enabled": True,
            "description": "Queues every enabled store feed whose next run is due. Keep exactly one of these.",
        },
    )


def remove_entry(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entry, remove_entry)]
