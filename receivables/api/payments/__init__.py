"""REST API of payments and cash applications.

`POST /payments/` posts a payment and applies it automatically (`cash_application.post_payment`),
`/payments/{id}/apply/` and `/unapply/` apply by hand, `/payments/bulk/` posts up to
`O2C_BULK_MAX_ITEMS` payments, `/applications/` lists applications. Every rule lives in the
services; this module only parses, calls and renders.
"""

from receivables.api.payments.serializers import PaymentCreateSerializer
from receivables.api.payments.views import PaymentApplicationViewSet, PaymentViewSet

__all__ = ["PaymentApplicationViewSet", "PaymentCreateSerializer", "PaymentViewSet"]
