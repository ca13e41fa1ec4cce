"""Every route, for every role: allowed with its success status, or 403 with nothing changed.

Anonymous requests are 401 (token auth comes first and answers with WWW-Authenticate).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.api.conftest import snapshot

pytestmark = pytest.mark.django_db

ALL = ("viewer", "collector", "integration", "admin")
COLLECTORS = ("collector", "integration", "admin")
INTEGRATIONS = ("integration", "admin")
ADMINS = ("admin",)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    url: Callable
    allowed: tuple
    success: int
    body: Callable | None = None


def list_and_detail(resource: str, attr: str) -> list[Route]:
    return [
        Route(f"list {resource}", "get", lambda w: f"/api/v1/{resource}/", ALL, 200),
        Route(
            f"retrieve {resource}",
            "get",
            lambda w: f"/api/v1/{resource}/{getattr(w, attr).pk}/",
            ALL,
            200,
        ),
    ]


ROUTES = [
    *list_and_detail("segments", "segment"),
    Route(
        "create segment",
        "post",
        lambda w: "/api/v1/segments/",
        ADMINS,
        201,
        lambda w: {"name": "SMB", "code": "SMB"},
    ),
    Route(
        "update segment",
        "patch",
        lambda w: f"/api/v1/segments/{w.segment.pk}/",
        ADMINS,
        200,
        lambda w: {"description": "Large accounts"},
    ),
    Route(
        "delete segment", "delete", lambda w: f"/api/v1/segments/{w.spare_segment.pk}/", ADMINS, 204
    ),
    *list_and_detail("reps", "rep"),
    Route(
        "create rep",
        "post",
        lambda w: "/api/v1/reps/",
        ADMINS,
        201,
        lambda w: {"name": "Bo", "email": "bo@example.com"},
    ),
    Route(
        "update rep",
        "patch",
        lambda w: f"/api/v1/reps/{w.rep.pk}/",
        ADMINS,
        200,
        lambda w: {"active": False},
    ),
    Route("delete rep", "delete", lambda w: f"/api/v1/reps/{w.spare_rep.pk}/", ADMINS, 204),
    *list_and_detail("customers", "customer"),
    Route(
        "create customer",
        "post",
        lambda w: "/api/v1/customers/",
        INTEGRATIONS,
        201,
        lambda w: {"name": "Globex", "currency": "EUR"},
    ),
    Route(
        "update customer",
        "patch",
        lambda w: f"/api/v1/customers/{w.customer.pk}/",
        INTEGRATIONS,
        200,
        lambda w: {"segment": w.spare_segment.pk},
    ),
    Route(
        "place credit hold",
        "post",
        lambda w: f"/api/v1/customers/{w.customer.pk}/place-credit-hold/",
        INTEGRATIONS,
        200,
    ),
    Route(
        "release credit hold",
        "post",
        lambda w: f"/api/v1/customers/{w.held_customer.pk}/release-credit-hold/",
        INTEGRATIONS,
        200,
    ),
    *list_and_detail("opportunities", "opportunity"),
    Route(
        "create opportunity",
        "post",
        lambda w: "/api/v1/opportunities/",
        INTEGRATIONS,
        201,
        lambda w: {
            "customer": w.customer.pk,
            "name": "Renewal",
            "amount": "500.00",
            "created_date": "2026-02-01",
        },
    ),
    Route(
        "update opportunity",
        "patch",
        lambda w: f"/api/v1/opportunities/{w.opportunity.pk}/",
        INTEGRATIONS,
        200,
        lambda w: {"stage": "won", "closed_date": "2026-02-01"},
    ),
    *list_and_detail("orders", "order"),
    Route(
        "create order",
        "post",
        lambda w: "/api/v1/orders/",
        INTEGRATIONS,
        201,
        lambda w: {
            "number": "SO-2",
            "customer": w.customer.pk,
            "order_date": "2026-02-01",
            "amount": "300.00",
        },
    ),
    Route(
        "update order",
        "patch",
        lambda w: f"/api/v1/orders/{w.order.pk}/",
        INTEGRATIONS,
        200,
        lambda w: {"status": "fulfilled"},
    ),
    *list_and_detail("invoices", "invoice"),
    Route(
        "create invoice",
        "post",
        lambda w: "/api/v1/invoices/",
        INTEGRATIONS,
        201,
        lambda w: {
            "number": "INV-2",
            "customer": w.customer.pk,
            "issue_date": "2026-02-01",
            "amount": "250.00",
        },
    ),
    Route(
        "update invoice",
        "patch",
        lambda w: f"/api/v1/invoices/{w.invoice.pk}/",
        INTEGRATIONS,
        200,
        lambda w: {"due_date": "2026-03-15"},
    ),
    Route(
        "issue invoice",
        "post",
        lambda w: f"/api/v1/invoices/{w.draft.pk}/issue/",
        INTEGRATIONS,
        200,
    ),
    Route(
        "void invoice",
        "post",
        lambda w: f"/api/v1/invoices/{w.draft.pk}/void/",
        INTEGRATIONS,
        200,
        lambda w: {"voided_date": "2026-02-01"},
    ),
    Route("delete invoice", "delete", lambda w: f"/api/v1/invoices/{w.draft.pk}/", ADMINS, 204),
    *list_and_detail("adjustments", "adjustment"),
    Route(
        "create adjustment",
        "post",
        lambda w: "/api/v1/adjustments/",
        INTEGRATIONS,
        201,
        lambda w: {
            "invoice": w.invoice.pk,
            "kind": "write_off",
            "amount": "5.00",
            "adjustment_date": "2026-02-01",
        },
    ),
    *list_and_detail("disputes", "dispute"),
    Route(
        "create dispute",
        "post",
        lambda w: "/api/v1/disputes/",
        COLLECTORS,
        201,
        lambda w: {
            "invoice": w.invoice.pk,
            "reason": "quality",
            "amount": "30.00",
            "opened_date": "2026-02-01",
        },
    ),
    Route(
        "update dispute",
        "patch",
        lambda w: f"/api/v1/disputes/{w.dispute.pk}/",
        COLLECTORS,
        200,
        lambda w: {"notes": "Called the buyer."},
    ),
    Route(
        "resolve dispute",
        "post",
        lambda w: f"/api/v1/disputes/{w.dispute.pk}/resolve/",
        COLLECTORS,
        200,
        lambda w: {"resolution": "upheld", "resolved_date": "2026-02-01"},
    ),
    *list_and_detail("promises", "promise"),
    Route(
        "create promise",
        "post",
        lambda w: "/api/v1/promises/",
        COLLECTORS,
        201,
        lambda w: {
            "invoice": w.invoice.pk,
            "created_date": "2026-02-01",
            "promised_date": "2026-02-15",
            "amount": "40.00",
        },
    ),
    Route(
        "update promise",
        "patch",
        lambda w: f"/api/v1/promises/{w.promise.pk}/",
        COLLECTORS,
        200,
        lambda w: {"notes": "Will pay by wire."},
    ),
    *list_and_detail("activities", "activity"),
    Route(
        "create activity",
        "post",
        lambda w: "/api/v1/activities/",
        COLLECTORS,
        201,
        lambda w: {
            "customer": w.customer.pk,
            "kind": "call",
            "occurred_at": "2026-02-01T10:00:00Z",
            "outcome": "reached",
        },
    ),
    Route(
        "update activity",
        "patch",
        lambda w: f"/api/v1/activities/{w.activity.pk}/",
        COLLECTORS,
        200,
        lambda w: {"notes": "Left a voicemail."},
    ),
    Route(
        "delete activity", "delete", lambda w: f"/api/v1/activities/{w.activity.pk}/", ADMINS, 204
    ),
]

CASES = [pytest.param(route, role, id=f"{route.name}-{role}") for route in ROUTES for role in ALL]


def call(client, route: Route, world):
    body = route.body(world) if route.body else None
    return getattr(client, route.method)(route.url(world), body, format="json")


@pytest.mark.parametrize(("route", "role"), CASES)
def test_role_is_allowed_or_refused_with_nothing_changed(make_client, world, route, role):
    # Given a client with the role and a snapshot of every domain row
    client = make_client(role)
    before = snapshot()

    # When it calls the route
    response = call(client, route, world)

    # Then it succeeds if the role may, else 403 in the error shape and nothing changed
    if role in route.allowed:
        assert response.status_code == route.success, response.content
    else:
        assert response.status_code == 403
        assert response.json() == {
            "errors": [
                {
                    "code": "permission_denied",
                    "field": None,
                    "message": "You do not have permission to perform this action.",
                }
            ]
        }
        assert snapshot() == before


@pytest.mark.parametrize("route", [pytest.param(r, id=r.name) for r in ROUTES])
def test_anonymous_is_401_with_nothing_changed(make_client, world, route):
    # Given an anonymous client
    before = snapshot()

    # When it calls the route
    response = call(make_client(None), route, world)

    # Then 401, with the challenge header, and nothing changed
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert snapshot() == before


def test_every_registered_route_is_in_the_role_table(world):
    # Given the names of the routes the role table calls
    from django.urls import resolve

    called = {resolve(route.url(world)).url_name for route in ROUTES}

    # Then they are exactly the routes of these resources (list/detail plus every action)
    assert called == {
        "segment-list", "segment-detail", "rep-list", "rep-detail",
        "customer-list", "customer-detail", "customer-place-credit-hold",
        "customer-release-credit-hold", "opportunity-list", "opportunity-detail",
        "order-list", "order-detail", "invoice-list", "invoice-detail", "invoice-issue",
        "invoice-void", "adjustment-list", "adjustment-detail", "dispute-list",
        "dispute-detail", "dispute-resolve", "promise-list", "promise-detail",
        "activity-list", "activity-detail",
    }  # fmt: skip


def test_router_registers_no_other_resource_routes():
    # Given every named route under /api/v1/ from accounts and receivables
    from accounts.api.urls import router as accounts_router
    from receivables.api.urls import router as receivables_router

    names = {
        url.name
        for router in (accounts_router, receivables_router)
        for url in router.urls
        if not url.name.startswith(("payment", "application"))  # tests/api/test_payments.py
    }

    # Then there is none the role table does not call
    assert names == {
        "segment-list", "segment-detail", "rep-list", "rep-detail",
        "customer-list", "customer-detail", "customer-place-credit-hold",
        "customer-release-credit-hold", "opportunity-list", "opportunity-detail",
        "order-list", "order-detail", "invoice-list", "invoice-detail", "invoice-issue",
        "invoice-void", "adjustment-list", "adjustment-detail", "dispute-list",
        "dispute-detail", "dispute-resolve", "promise-list", "promise-detail",
        "activity-list", "activity-detail",
    }  # fmt: skip
