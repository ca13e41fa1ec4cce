"""Roles no longer hold `delete_` on payments, applications and adjustments (issue 12):
money records are reversed, never deleted. Re-syncing the groups takes the permissions away
from every existing role group."""

from django.db import migrations


def resync_roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_constraint_messages"),
        ("dunning", "0002_defaults"),
        ("dashboard", "0002_roles"),
        ("metrics", "0002_default_thresholds"),
    ]

    operations = [migrations.RunPython(resync_roles, migrations.RunPython.noop)]
