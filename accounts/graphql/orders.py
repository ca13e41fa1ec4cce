"""GraphQL orderings of the accounts app (`ordering: [{name: ASC}, {id: DESC}]`)."""

import strawberry_django
from strawberry import auto

from accounts.models import Customer, Opportunity, SalesRep, Segment


@strawberry_django.order_type(Segment)
class SegmentOrder:
    id: auto
    name: auto
    code: auto
    updated_at: auto


@strawberry_django.order_type(SalesRep)
class SalesRepOrder:
    id: auto
    name: auto
    email: auto
    updated_at: auto


@strawberry_django.order_type(Customer)
class CustomerOrder:
    id: auto
    name: auto
    credit_limit: auto
    created_at: auto
    updated_at: auto


@strawberry_django.order_type(Opportunity)
class OpportunityOrder:
    id: auto
    name: auto
    amount: auto
    created_date: auto
    closed_date: auto
    updated_at: auto
