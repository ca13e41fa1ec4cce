"""Ship a default threshold (no segment) for every KPI with a direction.

Finance defaults (days and percentages from common AR benchmarks for net-30 terms; money
boundaries are a starting point to be tuned per company). Admins edit them and add
per-segment overrides.
"""

from decimal import Decimal

from django.db import migrations

PLAYBOOK = "https://wiki.example.com/o2c/playbooks/"

# kpi, better, green boundary, red boundary, owner
DEFAULTS = [
    ("past_due_ar", "lower", "50000", "250000", "AR manager"),
    ("collected", "higher", "500000", "100000", "AR manager"),
    ("dso", "lower", "45", "60", "Controller"),
    ("dso_countback", "lower", "45", "60", "Controller"),
    ("best_possible_dso", "lower", "35", "50", "Credit manager"),
    ("average_days_delinquent", "lower", "10", "20", "Collections lead"),
    ("cei", "higher", "90", "80", "Collections lead"),
    ("first_pass_yield", "higher", "95", "85", "Billing lead"),
    ("dispute_rate", "lower", "2", "5", "Billing lead"),
    ("dispute_resolution_days", "lower", "15", "30", "Deductions lead"),
    ("cash_application_match_rate", "higher", "90", "75", "Cash application lead"),
    ("promise_kept_rate", "higher", "80", "60", "Collections lead"),
    ("time_to_invoice_days", "lower", "2", "7", "Billing lead"),
    ("pipeline_velocity", "higher", "10000", "2000", "Sales operations"),
    ("reminder_conversion_rate", "higher", "30", "15", "Collections lead"),
]


def create_defaults(apps, schema_editor):
    Threshold = apps.get_model("metrics", "Threshold")
    for kpi, better, green, red, owner in DEFAULTS:
        Threshold.objects.update_or_create(
            kpi=kpi,
            segment=None,
            defaults={
                "better": better,
                "green_boundary": Decimal(green),
                "red_boundary": Decimal(red),
                "owner": owner,
                "playbook_url": PLAYBOOK + kpi.replace("_", "-"),
            },
        )


def remove_defaults(apps, schema_editor):
    Threshold = apps.get_model("metrics", "Threshold")
    Threshold.objects.filter(segment=None, kpi__in=[row[0] for row in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
