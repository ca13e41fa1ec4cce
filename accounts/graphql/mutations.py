"""Mutations of the accounts app: each one calls a service in one transaction.

Validation failures come back as `OperationInfo` data with REST's codes (see
`o2c_api.graphql.errors`); a missing permission is a GraphQL error, as REST's 403.
"""

import strawberry
import strawberry_django
from django.db import transaction
from strawberry.types import Info

from accounts import services
from accounts.graphql.inputs import CustomerInput, CustomerPartialInput
from accounts.graphql.types import CustomerType
from accounts.models import Customer, SalesRep, Segment
from o2c_api.graphql.errors import fresh, get_object, service_errors
from o2c_api.graphql.inputs import service_kwargs
from o2c_api.graphql.permissions import can_add, can_change

CUSTOMER_KEYS = {"segment": Segment, "rep": SalesRep}


@strawberry.type
class Mutation:
    @strawberry_django.mutation(
        handle_django_errors=True,
        extensions=can_add(Customer),
        description="Create a customer. Codes: the model's (e.g. unique, invalid_choice).",
    )
    def create_customer(self, info: Info, data: CustomerInput) -> CustomerType:
        with service_errors(), transaction.atomic():
            return fresh(services.create_customer(**service_kwargs(data, CUSTOMER_KEYS)))

    @strawberry_django.mutation(
        handle_django_errors=True,
        extensions=can_change(Customer),
        description="Change a customer; a new segment re-keys its AR history to that segment. "
        "Codes: the model's, customer_currency_locked (a new currency while it has documents).",
    )
    def update_customer(
        self, info: Info, id: strawberry.ID, data: CustomerPartialInput
    ) -> CustomerType:
        with service_errors(), transaction.atomic():
            customer = get_object(Customer, id)
            return fresh(services.update_customer(customer, **service_kwargs(data, CUSTOMER_KEYS)))
