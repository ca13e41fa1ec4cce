"""A user limited to their own customers (accounts.scoping) gets the risk list and worklist of
those customers only, with the same numbers as the full list; a user who sees all gets all.

On the history of conftest.py: Acme (rep Ada) has A-4 and A-5 open at as_of, Newco (rep Bo)
has N-1.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from metrics.scope import Scope
from tests.factories import UserFactory
from worklist import engine
from worklist.api.views import RiskView, WorklistView
from worklist.risk import DEFAULT_MODEL

from .conftest import AS_OF, scope


def collector(name: str, *, scoped: bool, rep=None, assigned=None):
    user = UserFactory(username=name, role="collector")
    if scoped:
        user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    if rep is not None:
        rep.user = user
        rep.save()
    if assigned is not None:
        CustomerAssignment.objects.create(user=user, customer=assigned)
    return user


def scope_of(user) -> Scope:
    """The request scope of `user` (`engine.scope_at`): their customers only if scoped."""
    return engine.scope_at({"as_of": AS_OF.isoformat(), "currency": "USD"}, user)[0]


def worklist_ids(user) -> list[int]:
    page = engine.worklist_page(scope_of(user), AS_OF, model=DEFAULT_MODEL)
    return [item.invoice_id for item in page.results]


def test_a_scoped_collector_sees_only_their_customers_invoices(history):
    # Given a scoped collector whose rep is Acme's, and one who is assigned Newco.
    ada = collector("ada", scoped=True, rep=history.acme.rep)
    newco_only = collector("newco-only", scoped=True, assigned=history.newco)

    # Then each worklist and risk list holds their customers' open invoices only.
    assert sorted(worklist_ids(ada)) == sorted([history.a4.pk, history.a5.pk])
    assert worklist_ids(newco_only) == [history.n1.pk]
    risk = engine.risk_page(scope_of(newco_only), AS_OF, model=DEFAULT_MODEL)
    assert risk.count == 1
    assert [row.invoice_id for row in risk.results] == [history.n1.pk]
    bands = engine.risk_bands(scope_of(newco_only), AS_OF, model=DEFAULT_MODEL)
    assert (bands.invoice_count, bands.open_amount) == (1, Decimal("1000.00"))


def test_an_unscoped_collector_sees_every_invoice(history):
    everyone = collector("everyone", scoped=False, rep=history.acme.rep)

    assert scope_of(everyone) == scope()
    assert sorted(worklist_ids(everyone)) == sorted([history.a4.pk, history.a5.pk, history.n1.pk])


def test_narrowed_lines_have_the_numbers_of_the_full_list(history):
    # The history behind a score is the customer's whole year, whoever asks.
    ada = collector("ada", scoped=True, rep=history.acme.rep)
    full = engine.worklist_page(scope(), AS_OF, model=DEFAULT_MODEL)
    narrowed = engine.worklist_page(scope_of(ada), AS_OF, model=DEFAULT_MODEL)

    by_id = {item.invoice_id: item for item in full.results}
    assert narrowed.count == 2
    for item in narrowed.results:
        assert item == by_id[item.invoice_id]


def test_narrowing_keeps_the_query_count(history):
    ada = collector("ada", scoped=True, rep=history.acme.rep)
    counts = []
    for narrowed_to in (scope(), scope_of(ada)):
        with CaptureQueriesContext(connection) as captured:
            engine.worklist_page(narrowed_to, AS_OF, model=DEFAULT_MODEL)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("view", [WorklistView, RiskView])
def test_rest_views_narrow_by_the_requests_user(history, view):
    # The views put the request's user in the scope.
    newco_only = collector("newco-only", scoped=True, assigned=history.newco)
    request = APIRequestFactory().get("/", {"as_of": AS_OF.isoformat()})
    force_authenticate(request, user=newco_only)

    response = view.as_view()(request)

    assert response.status_code == 200
    assert response.data["count"] == 1
    assert [row["invoice"] for row in response.data["results"]] == [history.n1.pk]
