"""Admin for orders, invoices, cash, disputes, promises, activities and the rollups.

Every save or action that moves money calls `receivables.services` (see `o2c_api.admin`): a
service refusal is shown on the form or as a message and changes nothing. Amounts the services
keep (open amount, paid date, unapplied amount, promise status, the rollup) are read-only.
"""

from receivables.admin import audit, cash, collection, invoices, rollup

__all__ = ["audit", "cash", "collection", "invoices", "rollup"]
