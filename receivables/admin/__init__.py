"""Admin for orders, invoices, cash, disputes, promises and activities.

Every save or action that moves money calls `receivables.services` (see `o2c_api.admin`): a
service refusal is shown on the form or as a message and changes nothing. Amounts the services
keep (open amount, paid date, unapplied amount, promise status) are read-only; the KPI rollup's
admin is in `metrics.admin`.
"""

from receivables.admin import audit, cash, collection, invoices

__all__ = ["audit", "cash", "collection", "invoices"]
