from django.db import migrations


def fill(apps, schema_editor):
    """A derived table: an existing database gets its rows by a rebuild from the invoices.

    Uses the current code (not the historical models) on purpose, as the KPI rollup's fill
    does: the table is whatever `worklist.history` computes from the source rows, and a
    database without invoices needs nothing.
    """
    Invoice = apps.get_model("receivables", "Invoice")
    if Invoice.objects.exists():
        from worklist.history import STORE

        STORE.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("worklist", "0002_customer_history_month"),
        ("receivables", "0011_risk_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
