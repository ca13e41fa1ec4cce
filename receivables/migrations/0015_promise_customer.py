"""Each promise's customer on its row (the invoice's, which never changes once issued): the
risk score groups a year of promises by customer without a probe of the invoice per promise.
Added empty, filled from the invoices, then required."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_customer_assignment'),
        ('receivables', '0014_issued_covering_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalpromisetopay',
            name='customer',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.customer'),
        ),
        migrations.AddField(
            model_name='promisetopay',
            name='customer',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.customer'),
        ),
        migrations.RunSQL(
            [
                f"UPDATE {table} SET customer_id = (SELECT receivables_invoice.customer_id "
                f"FROM receivables_invoice WHERE receivables_invoice.id = {table}.invoice_id)"
                for table in ("receivables_promisetopay", "receivables_historicalpromisetopay")
            ],
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='promisetopay',
            name='customer',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.customer'),
        ),
        migrations.AddIndex(
            model_name='promisetopay',
            index=models.Index(fields=['customer', 'promised_date'], name='promise_customer_due'),
        ),
    ]
