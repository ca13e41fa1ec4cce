"""The accounts app's part of the GraphQL schema: one object and a paginated list per model."""

import strawberry
import strawberry_django
from strawberry_django.pagination import OffsetPaginated

from accounts.graphql.mutations import Mutation
from accounts.graphql.types import CustomerType, OpportunityType, SalesRepType, SegmentType
from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.graphql.permissions import can_view


@strawberry.type
class Query:
    segment: SegmentType | None = strawberry_django.field(extensions=can_view(Segment))
    segments: OffsetPaginated[SegmentType] = strawberry_django.offset_paginated(
        extensions=can_view(Segment)
    )
    sales_rep: SalesRepType | None = strawberry_django.field(extensions=can_view(SalesRep))
    sales_reps: OffsetPaginated[SalesRepType] = strawberry_django.offset_paginated(
        extensions=can_view(SalesRep)
    )
    customer: CustomerType | None = strawberry_django.field(extensions=can_view(Customer))
    customers: OffsetPaginated[CustomerType] = strawberry_django.offset_paginated(
        extensions=can_view(Customer)
    )
    opportunity: OpportunityType | None = strawberry_django.field(extensions=can_view(Opportunity))
    opportunities: OffsetPaginated[OpportunityType] = strawberry_django.offset_paginated(
        extensions=can_view(Opportunity)
    )


__all__ = ["Mutation", "Query"]
