"""GraphQL inputs of the accounts app. Foreign keys are written by id, as in REST."""

from decimal import Decimal

import strawberry


@strawberry.input
class CustomerInput:
    name: str
    external_id: str = ""
    segment: strawberry.ID | None = None
    rep: strawberry.ID | None = None
    currency: str | None = None
    payment_terms_days: int = 30
    credit_limit: Decimal | None = None


@strawberry.input
class CustomerPartialInput:
    """Only the fields given change; `segment: null` clears the segment."""

    name: str | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET
    segment: strawberry.ID | None = strawberry.UNSET
    rep: strawberry.ID | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    payment_terms_days: int | None = strawberry.UNSET
    credit_limit: Decimal | None = strawberry.UNSET
