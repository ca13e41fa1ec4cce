"""The KPI rollup's model moves to metrics (metrics 0003): state only, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0009_drop_ar_daily_movement"),
        ("metrics", "0003_kpi_rollup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="KPIRollup")],
            database_operations=[],
        ),
    ]
