"""The job that records `kpi.status_changed` events for the default scope.

The default scope is the one the APIs use without parameters (the last full month, the base
currency). Each run computes the statuses through the KPI engine, compares them with the
statuses of the previous run (`KPIStatus`) and records an event per KPI whose status moved
between green, amber, red (or none, when a value or threshold appears or goes).
"""

from django.db import transaction
from django.utils import timezone

from integrations import events
from integrations.models import EventType, KPIStatus
from metrics import engine
from metrics.scope import scope_from_params
from metrics.thresholds import rendered


@transaction.atomic
def detect_changes() -> int:
    """Compare the default scope's KPI statuses with the last run's; record the changes.

    The first run only stores the statuses (there is nothing to compare with).

    Returns:
        The number of `kpi.status_changed` events recorded.
    """
    scope = scope_from_params({})
    summary = engine.summary(scope)
    now = timezone.now()
    known = {row.kpi: row for row in KPIStatus.objects.select_for_update()}
    changed, new_rows, moved_rows = [], [], []
    for key, kpi in summary.kpis.items():
        status = kpi.status or ""
        row = known.get(key)
        if row is None:
            new_rows.append(KPIStatus(kpi=key, status=status, checked_at=now))
            continue
        if row.status != status:
            changed.append(
                (
                    EventType.KPI_STATUS_CHANGED,
                    ("kpi", key),
                    {
                        "kpi": key,
                        "previous_status": row.status or None,
                        "status": kpi.status,
                        # As the APIs show it: two decimals (metrics' one rounding).
                        "value": None if kpi.value is None else str(rendered(kpi.value)),
                        "unit": kpi.unit,
                        "scope": scope.as_dict(),
                    },
                )
            )
            row.status = status
        row.checked_at = now
        moved_rows.append(row)
    KPIStatus.objects.bulk_create(new_rows)
    KPIStatus.objects.bulk_update(moved_rows, ["status", "checked_at"])
    return events.record_many(changed)
