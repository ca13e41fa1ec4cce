"""The slow panels kept for the dashboard (`dashboard.stored`): the cash forecast, formerly
`outlook.StoredForecast`, and open AR by risk band. The worker's job that keeps them is
renamed from refresh_forecasts to refresh_panels (its schedule row kept as it was edited)."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from accounts.roles import sync_roles

    ScheduledJob = apps.get_model("integrations", "ScheduledJob")
    old = ScheduledJob.objects.filter(name="refresh_forecasts")
    # A new database has both: integrations' first schedule is the code's DEFAULT_SCHEDULE.
    if ScheduledJob.objects.filter(name="refresh_panels").exists():
        old.delete()
    elif not old.update(name="refresh_panels"):
        ScheduledJob.objects.create(name="refresh_panels", interval_seconds=300)
    sync_roles(apps)


def backwards(apps, schema_editor):
    ScheduledJob = apps.get_model("integrations", "ScheduledJob")
    ScheduledJob.objects.filter(name="refresh_panels").update(name="refresh_forecasts")


class Migration(migrations.Migration):

    dependencies = [
        ('dashboard', '0002_roles'),
        ('outlook', '0002_schedule_and_roles'),
        ('integrations', '0003_event_customer_subscription_owner'),
        ('accounts', '0002_roles'),
    ]

    operations = [
        migrations.CreateModel(
            name='StoredPanel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('forecast', 'Cash forecast'), ('risk_bands', 'Open AR by risk band')], max_length=10)),
                ('scope_key', models.CharField(help_text="The scope and the panel's parameters, as a query string (currency first).", max_length=300)),
                ('as_of', models.DateField()),
                ('scope', models.JSONField(help_text="The scope's filters, to compute it again.")),
                ('params', models.JSONField(help_text="The panel's parameters: the forecast's weeks, the risk model's id (0: the default weights).")),
                ('result', models.JSONField(help_text="The panel's figures, money as decimal strings.")),
                ('computed_at', models.DateTimeField(db_index=True)),
                ('compute_ms', models.PositiveIntegerField(help_text='How long computing it took.')),
            ],
            options={
                'ordering': ['-computed_at', 'id'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'scope_key', 'as_of'), name='stored_panel_unique')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
