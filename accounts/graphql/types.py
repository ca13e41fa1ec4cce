"""GraphQL types of the accounts app: what REST's serializers show, camelCased.

Relations resolve through the optimizer (select_related / prefetch_related), so nested lists
cost one query per level whatever their length. Lists of related rows are offset-paginated
like the root lists (default 50, at most PAGINATION_MAX_LIMIT per parent).
"""

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import auto
from strawberry_django.pagination import OffsetPaginated

from accounts.graphql.filters import (
    CustomerFilter,
    OpportunityFilter,
    SalesRepFilter,
    SegmentFilter,
)
from accounts.graphql.orders import CustomerOrder, OpportunityOrder, SalesRepOrder, SegmentOrder
from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.graphql.permissions import can_view, scoped_get_queryset
from receivables.models import CollectionActivity, Invoice, Order, Payment

if TYPE_CHECKING:
    from receivables.graphql.filters import (
        ActivityFilter,
        InvoiceFilter,
        OrderFilter,
        PaymentFilter,
    )
    from receivables.graphql.orders import ActivityOrder, InvoiceOrder, OrderOrder, PaymentOrder
    from receivables.graphql.types import ActivityType, InvoiceType, OrderType, PaymentType

RECEIVABLES = "receivables.graphql.types"
RECEIVABLES_FILTERS = "receivables.graphql.filters"
RECEIVABLES_ORDERS = "receivables.graphql.orders"


@strawberry_django.type(Segment, filters=SegmentFilter, ordering=SegmentOrder)
class SegmentType:
    id: auto
    name: auto
    code: auto
    description: auto
    created_at: auto
    updated_at: auto


@strawberry_django.type(SalesRep, filters=SalesRepFilter, ordering=SalesRepOrder)
class SalesRepType:
    id: auto
    name: auto
    email: auto
    active: auto
    created_at: auto
    updated_at: auto


@strawberry_django.type(Customer, filters=CustomerFilter, ordering=CustomerOrder)
class CustomerType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    name: auto
    external_id: auto
    segment: SegmentType | None = strawberry_django.field(extensions=can_view(Segment))
    rep: SalesRepType | None = strawberry_django.field(extensions=can_view(SalesRep))
    currency: auto
    payment_terms_days: auto
    credit_limit: auto
    on_credit_hold: auto
    created_at: auto
    updated_at: auto

    invoices: OffsetPaginated[Annotated["InvoiceType", strawberry.lazy(RECEIVABLES)]] = (
        strawberry_django.offset_paginated(
            filters=Annotated["InvoiceFilter", strawberry.lazy(RECEIVABLES_FILTERS)],
            extensions=can_view(Invoice),
            ordering=Annotated["InvoiceOrder", strawberry.lazy(RECEIVABLES_ORDERS)],
        )
    )
    orders: OffsetPaginated[Annotated["OrderType", strawberry.lazy(RECEIVABLES)]] = (
        strawberry_django.offset_paginated(
            filters=Annotated["OrderFilter", strawberry.lazy(RECEIVABLES_FILTERS)],
            extensions=can_view(Order),
            ordering=Annotated["OrderOrder", strawberry.lazy(RECEIVABLES_ORDERS)],
        )
    )
    payments: OffsetPaginated[Annotated["PaymentType", strawberry.lazy(RECEIVABLES)]] = (
        strawberry_django.offset_paginated(
            filters=Annotated["PaymentFilter", strawberry.lazy(RECEIVABLES_FILTERS)],
            extensions=can_view(Payment),
            ordering=Annotated["PaymentOrder", strawberry.lazy(RECEIVABLES_ORDERS)],
        )
    )
    activities: OffsetPaginated[Annotated["ActivityType", strawberry.lazy(RECEIVABLES)]] = (
        strawberry_django.offset_paginated(
            filters=Annotated["ActivityFilter", strawberry.lazy(RECEIVABLES_FILTERS)],
            extensions=can_view(CollectionActivity),
            ordering=Annotated["ActivityOrder", strawberry.lazy(RECEIVABLES_ORDERS)],
        )
    )
    opportunities: OffsetPaginated["OpportunityType"] = strawberry_django.offset_paginated(
        filters=OpportunityFilter, ordering=OpportunityOrder, extensions=can_view(Opportunity)
    )


@strawberry_django.type(Opportunity, filters=OpportunityFilter, ordering=OpportunityOrder)
class OpportunityType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    customer: CustomerType = strawberry_django.field(extensions=can_view(Customer))
    rep: SalesRepType | None = strawberry_django.field(extensions=can_view(SalesRep))
    name: auto
    amount: auto
    currency: auto
    stage: auto
    created_date: auto
    closed_date: auto
    created_at: auto
    updated_at: auto
