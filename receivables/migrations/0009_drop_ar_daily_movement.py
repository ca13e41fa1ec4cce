"""The AR daily movement table goes: the KPI rollup holds the same AR facts (invoiced, applied,
adjusted, and Current AR as a running sum), defined by the same families as every other fact.
Its AR columns already equal that definition, so nothing is rebuilt."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0008_audit_trail"),
    ]

    operations = [
        migrations.DeleteModel(name="ARDailyMovement"),
    ]
