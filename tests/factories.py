"""Factories for test setup. Money-bearing rows are created through the services."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import services as accounts_services
from accounts.models import Customer, Opportunity, SalesRep, Segment
from receivables import services
from receivables.models import CollectionActivity, Invoice, Order, Payment


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    code = factory.Sequence(lambda n: f"S{n}")


class SalesRepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesRep

    name = factory.Sequence(lambda n: f"Rep {n}")
    email = factory.Sequence(lambda n: f"rep{n}@example.com")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = factory.SubFactory(SegmentFactory)
    rep = factory.SubFactory(SalesRepFactory)
    currency = "USD"
    payment_terms_days = 30


class OpportunityFactory(factory.django.DjangoModelFactory):
    """Creates through `accounts.services.create_opportunity` (a deal's dates are KPI facts)."""

    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1000.00")
    created_date = date(2026, 1, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return accounts_services.create_opportunity(**kwargs)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    order_date = date(2026, 1, 1)
    amount = Decimal("1000.00")
    currency = "USD"
    product_line = "hardware"


class InvoiceFactory(factory.django.DjangoModelFactory):
    """Creates through `services.create_invoice`, so the rollup and defaults are real."""

    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    issue_date = date(2026, 1, 1)
    amount = Decimal("100.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_invoice(**kwargs)


class PaymentFactory(factory.django.DjangoModelFactory):
    """Creates through `services.record_payment`: all of it unapplied."""

    class Meta:
        model = Payment

    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("100.00")
    received_date = date(2026, 1, 15)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.record_payment(**kwargs)


class ActivityFactory(factory.django.DjangoModelFactory):
    """Creates through `services.create_activity` (a reminder is a KPI fact)."""

    class Meta:
        model = CollectionActivity

    customer = factory.SubFactory(CustomerFactory)
    kind = CollectionActivity.Kind.REMINDER
    occurred_at = factory.LazyFunction(lambda: __import__("django").utils.timezone.now())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_activity(**kwargs)
