from django.db import migrations


def forwards(apps, schema_editor):
    from accounts.roles import sync_roles

    ScheduledJob = apps.get_model("integrations", "ScheduledJob")
    ScheduledJob.objects.get_or_create(
        name="refresh_forecasts", defaults={"interval_seconds": 300}
    )
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("outlook", "0001_initial"),
        ("integrations", "0003_event_customer_subscription_owner"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
