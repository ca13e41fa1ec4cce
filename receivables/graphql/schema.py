"""The receivables app's part of the GraphQL schema: one object and a paginated list per model."""

import strawberry
import strawberry_django
from strawberry_django.pagination import OffsetPaginated

from o2c_api.graphql.permissions import can_view
from receivables.graphql.mutations import Mutation
from receivables.graphql.types import (
    ActivityType,
    AdjustmentType,
    ApplicationType,
    DisputeType,
    InvoiceType,
    OrderType,
    PaymentType,
    PromiseType,
)
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)


@strawberry.type
class Query:
    order: OrderType | None = strawberry_django.field(extensions=can_view(Order))
    orders: OffsetPaginated[OrderType] = strawberry_django.offset_paginated(
        extensions=can_view(Order)
    )
    invoice: InvoiceType | None = strawberry_django.field(extensions=can_view(Invoice))
    invoices: OffsetPaginated[InvoiceType] = strawberry_django.offset_paginated(
        extensions=can_view(Invoice)
    )
    adjustment: AdjustmentType | None = strawberry_django.field(extensions=can_view(Adjustment))
    adjustments: OffsetPaginated[AdjustmentType] = strawberry_django.offset_paginated(
        extensions=can_view(Adjustment)
    )
    payment: PaymentType | None = strawberry_django.field(extensions=can_view(Payment))
    payments: OffsetPaginated[PaymentType] = strawberry_django.offset_paginated(
        extensions=can_view(Payment)
    )
    payment_application: ApplicationType | None = strawberry_django.field(
        extensions=can_view(PaymentApplication)
    )
    payment_applications: OffsetPaginated[ApplicationType] = strawberry_django.offset_paginated(
        extensions=can_view(PaymentApplication)
    )
    dispute: DisputeType | None = strawberry_django.field(extensions=can_view(Dispute))
    disputes: OffsetPaginated[DisputeType] = strawberry_django.offset_paginated(
        extensions=can_view(Dispute)
    )
    promise: PromiseType | None = strawberry_django.field(extensions=can_view(PromiseToPay))
    promises: OffsetPaginated[PromiseType] = strawberry_django.offset_paginated(
        extensions=can_view(PromiseToPay)
    )
    activity: ActivityType | None = strawberry_django.field(extensions=can_view(CollectionActivity))
    activities: OffsetPaginated[ActivityType] = strawberry_django.offset_paginated(
        extensions=can_view(CollectionActivity)
    )


__all__ = ["Mutation", "Query"]
