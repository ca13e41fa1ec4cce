"""Object-level scoping in the admin (accounts.scoping): every registered admin of a
customer-bound model, from the admin registry, narrows its pages for a scoped staff user."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP, customer_path
from tests.admin_helpers import admin_url
from tests.api.test_scoping import books, customer_book  # noqa: F401 (fixtures)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCOPED_ADMINS = [model for model in admin.site._registry if customer_path(model) is not None]
# Book rows by model label.
KEYS = {
    "accounts.customer": "customer",
    "accounts.opportunity": "opportunity",
    "receivables.order": "order",
    "receivables.invoice": "invoice",
    "receivables.adjustment": "adjustment",
    "receivables.payment": "payment",
    "receivables.paymentapplication": "application",
    "receivables.dispute": "dispute",
    "receivables.promisetopay": "promise",
    "receivables.collectionactivity": "activity",
    "dunning.playbookaction": "playbook-action",
    "dunning.credithold": "credit-hold",
}


def test_every_customer_bound_admin_is_tested():
    assert {model._meta.label_lower for model in SCOPED_ADMINS} == set(KEYS)


@pytest.fixture
def scoped_staff(client, books):  # noqa: F811
    user = UserFactory(username="scoped-staff", role="admin")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    CustomerAssignment.objects.create(user=user, customer=books["assigned"].customer)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", SCOPED_ADMINS, ids=lambda m: m._meta.label_lower)
def test_scoped_staff_see_only_their_customers_rows(scoped_staff, books, model):  # noqa: F811
    key = KEYS[model._meta.label_lower]
    mine, theirs = books["assigned"].rows[key], books["theirs"].rows[key]

    changelist = scoped_staff.get(admin_url(model, "changelist"))
    other = scoped_staff.get(admin_url(model, "change", theirs.pk))

    assert changelist.status_code == 200
    assert [obj.pk for obj in changelist.context["cl"].result_list] == [mine.pk]
    assert other.status_code == 302  # Django's "does not exist" redirect to the admin index
    assert scoped_staff.get(admin_url(model, "change", mine.pk)).status_code == 200
