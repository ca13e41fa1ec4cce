"""The default playbook, message templates and credit-hold rules (`dunning.defaults`); roles
learn the new models; customers already flagged on credit hold get a recorded (manual) hold."""

from django.db import migrations
from django.utils import timezone


def create_defaults(apps, schema_editor):
    from accounts.roles import sync_roles
    from dunning.defaults import install_defaults

    install_defaults(apps)
    sync_roles(apps)

    customer_model = apps.get_model("accounts", "Customer")
    hold_model = apps.get_model("dunning", "CreditHold")
    reason_model = apps.get_model("dunning", "CreditHoldReason")
    now = timezone.now()
    note = "On credit hold before holds were recorded."
    holds = hold_model.objects.bulk_create(
        hold_model(customer_id=pk, automatic=False, placed_at=now, note=note)
        for pk in customer_model.objects.filter(on_credit_hold=True).values_list("pk", flat=True)
    )
    reason_model.objects.bulk_create(
        reason_model(hold=hold, code="manual", detail=note, added_at=now) for hold in holds
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
