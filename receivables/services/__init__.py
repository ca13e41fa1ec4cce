"""Every write to receivables that has rules: one function each, one transaction each.

Callers import the package (`from receivables import services`) and call what it exports
below; the modules split it along the domain.

Locking order, followed by every function here so that concurrent writers cannot deadlock:
payments (by id), then invoices (by id), then the KPI rollup rows (by key, in `rollup.post`,
when the write's `rollup.tracking` block ends).
Locking an invoice also locks its customer row (the `select_related` join is locked too), and
that is wanted: the rollup is keyed by the customer's segment, and `update_customer` re-keys a
customer's rows under the customer's lock, so a posting and a segment change never interleave.
Each function raises `django.core.exceptions.ValidationError` with a stable `code` (or
`o2c_api.errors.Conflict` for clashes with existing state) and changes nothing when it does.
"""

from receivables.services.activities import (
    check_activity_rules,
    create_activity,
    delete_activity,
    update_activity,
)
from receivables.services.common import lock_invoices, today
from receivables.services.disputes import (
    create_promise,
    open_dispute,
    refresh_promise_statuses,
    resolve_dispute,
    update_notes,
)
from receivables.services.invoices import (
    add_adjustment,
    create_invoice,
    delete_invoice,
    issue_invoice,
    settle_invoices,
    update_invoice,
    void_invoice,
)
from receivables.services.orders import (
    check_order_rules,
    create_order,
    delete_order,
    update_order,
)
from receivables.services.payments import (
    apply_payment,
    check_payable,
    duplicate_payment,
    new_payment,
    payment_payload,
    record_payment,
    save_applications,
    stage_application,
    unapply,
    update_payment,
)

__all__ = [
    "add_adjustment",
    "apply_payment",
    "check_activity_rules",
    "check_order_rules",
    "check_payable",
    "create_activity",
    "create_invoice",
    "create_order",
    "create_promise",
    "delete_activity",
    "delete_invoice",
    "delete_order",
    "duplicate_payment",
    "issue_invoice",
    "lock_invoices",
    "new_payment",
    "open_dispute",
    "payment_payload",
    "record_payment",
    "refresh_promise_statuses",
    "resolve_dispute",
    "save_applications",
    "settle_invoices",
    "stage_application",
    "today",
    "unapply",
    "update_activity",
    "update_invoice",
    "update_notes",
    "update_order",
    "update_payment",
    "void_invoice",
]
