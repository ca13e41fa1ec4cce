"""The stored forecasts moved to `dashboard.StoredPanel` (with the risk bands). They are
derived data, computed again by the next view or the worker's job: nothing is copied."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outlook", "0002_schedule_and_roles"),
        ("dashboard", "0003_storedpanel"),
    ]

    operations = [migrations.DeleteModel(name="StoredForecast")]
