"""The beat entry that sweeps the outbox: fans out events and sends what is due (retries, and anything whose
after-commit kick was lost with a dead broker or process)."""

from django.db import migrations

TASK_NAME = "Dispatch the outbox (postbacks, store updates)"


def create_entry(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_10s, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "integrations.outbox_dispatch",
            "interval": every_10s,
            "queue": "postbacks",
            "enabled": True,
            "description": "Delivers order events to postback URLs and stores; retries due ones. Keep one of these.",
        },
    )


def remove_entry(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0006_outbox_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entry, remove_entry)]
