from django.db import migrations, models


def fill_full_rows(apps, schema_editor):
    """A derived table: an existing rollup gets its new full-dimension rows by a rebuild.

    Uses the current code (not the historical models) on purpose: the rollup is whatever
    `rollup.rebuild()` computes from the source rows, and an empty table needs nothing.
    """
    KPIRollup = apps.get_model("receivables", "KPIRollup")
    if KPIRollup.objects.exists():
        from metrics import rollup

        rollup.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0004_payment_posting_outcome"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="kpirollup",
            index=models.Index(
                condition=models.Q(
                    models.Q(("rep_key", -1), _negated=True),
                    models.Q(("segment_key", -1), _negated=True),
                    models.Q(("product_line", "*"), _negated=True),
                ),
                fields=["currency", "day"],
                name="kpi_rollup_full_day",
            ),
        ),
        migrations.RunPython(fill_full_rows, migrations.RunPython.noop),
    ]
