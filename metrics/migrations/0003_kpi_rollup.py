"""The KPI rollup moves from receivables to metrics, beside the facts that keep it.

State only: the table stays `receivables_kpirollup`, with its rows, key and index; receivables
0010 drops the model from its own state.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_default_thresholds"),
        ("receivables", "0009_drop_ar_daily_movement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='KPIRollup',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('day', models.DateField()),
                    ('rep_key', models.BigIntegerField(help_text='SalesRep id, 0 for none, −1 for all reps.')),
                    ('segment_key', models.BigIntegerField(help_text='Segment id, 0 for none, −1 for all.')),
                    ('product_line', models.CharField(help_text='"*" for all product lines.', max_length=64)),
                    ('currency', models.CharField(max_length=3)),
                    ('ar_invoiced', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                    ('ar_applied', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                    ('ar_adjusted', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                    ('ar_current', models.DecimalField(decimal_places=2, default=0, help_text='Movements of invoices not yet due, taken back the day after the due date.', max_digits=18)),
                    ('invoices_issued', models.BigIntegerField(default=0)),
                    ('invoices_disputed', models.BigIntegerField(default=0)),
                    ('invoices_first_pass', models.BigIntegerField(default=0)),
                    ('invoices_ordered', models.BigIntegerField(default=0)),
                    ('order_days', models.BigIntegerField(default=0)),
                    ('disputes_resolved', models.BigIntegerField(default=0)),
                    ('dispute_days', models.BigIntegerField(default=0)),
                    ('payments_received', models.BigIntegerField(default=0)),
                    ('payments_matched', models.BigIntegerField(default=0)),
                    ('promises_due', models.BigIntegerField(default=0)),
                    ('promises_kept', models.BigIntegerField(default=0)),
                    ('reminders_sent', models.BigIntegerField(default=0)),
                    ('reminders_clicked', models.BigIntegerField(default=0)),
                    ('reminders_paid', models.BigIntegerField(default=0)),
                    ('opportunities_created', models.BigIntegerField(default=0)),
                    ('opportunities_closed', models.BigIntegerField(default=0)),
                    ('opportunities_won', models.BigIntegerField(default=0)),
                    ('opportunities_lost', models.BigIntegerField(default=0)),
                    ('won_amount', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                    ('won_days', models.BigIntegerField(default=0)),
                ],
                options={
                    'verbose_name': 'KPI rollup row',
                    'db_table': 'receivables_kpirollup',
                    'indexes': [models.Index(condition=models.Q(models.Q(('rep_key', -1), _negated=True), models.Q(('segment_key', -1), _negated=True), models.Q(('product_line', '*'), _negated=True)), fields=['currency', 'day'], name='kpi_rollup_full_day')],
                    'constraints': [models.UniqueConstraint(fields=('currency', 'rep_key', 'segment_key', 'product_line', 'day'), name='kpi_rollup_key')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
