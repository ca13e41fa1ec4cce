from django.db import migrations


def forwards(apps, schema_editor):
    from accounts.roles import sync_roles
    from integrations.jobs import DEFAULT_SCHEDULE

    ScheduledJob = apps.get_model("integrations", "ScheduledJob")
    for name, interval in DEFAULT_SCHEDULE.items():
        ScheduledJob.objects.get_or_create(name=name, defaults={"interval_seconds": interval})
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("accounts", "0002_roles"),
        ("dashboard", "0002_roles"),
        ("dunning", "0002_defaults"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
