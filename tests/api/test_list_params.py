"""List parameters are checked, not quietly replaced: `limit`/`offset` that are negative or
not numbers are a 400 on every list, and `updated_after` filters applications too."""

from decimal import Decimal

import pytest

from receivables.models import PaymentApplication
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "segments",
    "reps",
    "customers",
    "opportunities",
    "orders",
    "invoices",
    "adjustments",
    "payments",
    "applications",
    "disputes",
    "promises",
    "activities",
]


@pytest.mark.parametrize("route", LISTS)
@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"limit": "-1"}, "invalid_limit", "limit"),
        ({"limit": "0"}, "invalid_limit", "limit"),
        ({"limit": "ten"}, "invalid_limit", "limit"),
        ({"offset": "-5"}, "invalid_offset", "offset"),
        ({"offset": "x"}, "invalid_offset", "offset"),
        ({"updated_after": "yesterday"}, "invalid", "updated_after"),
    ],
)
def test_bad_paging_and_sync_parameters_are_400(api, route, params, code, field):
    response = api.get(f"/api/v1/{route}/", params)

    assert response.status_code == 400, response.content
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [(code, field)]


def test_a_limit_over_the_maximum_is_clamped_and_a_good_page_still_works(api, world):
    response = api.get("/api/v1/invoices/", {"limit": "100000", "offset": "1"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert len(body["results"]) == 1


def test_applications_updated_after_filters_by_creation(api, world):
    payment = PaymentFactory(customer=world.customer, amount=Decimal("30.00"))
    api.post(
        f"/api/v1/payments/{payment.pk}/apply/",
        {"invoice": world.invoice.pk, "amount": "10.00"},
        format="json",
    )
    application = PaymentApplication.objects.get()
    created = application.created_at

    later = api.get("/api/v1/applications/", {"updated_after": "2199-01-01T00:00:00Z"})
    since = api.get("/api/v1/applications/", {"updated_after": created.isoformat()})

    assert later.json()["count"] == 0
    assert [a["id"] for a in since.json()["results"]] == [application.pk]


def test_a_breakdown_page_is_bounded_like_a_list(api, world):
    # A breakdown is paged in the list envelope; its page size has the same maximum (500)
    at_most = api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "customer", "limit": "500"})
    over = api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "customer", "limit": "501"})

    assert at_most.status_code == 200
    assert set(at_most.json()) >= {"count", "next", "previous", "results"}
    assert over.status_code == 400
    assert [(e["code"], e["field"]) for e in over.json()["errors"]] == [("invalid_limit", "limit")]


# Every decimal range filter of the lists: the shape the schema states (`decimal_pattern` of
# the column: 18 digits, 2 decimals), nothing else; schemathesis found `amount_max=1e-100`
# taken. (The payments' amount filters are stated as JSON numbers and take any.)
DECIMAL_FILTERS = [
    ("orders", "amount_max"),
    ("invoices", "amount_min"),
    ("invoices", "open_amount_max"),
    ("adjustments", "amount_max"),
    ("disputes", "amount_max"),
    ("promises", "amount_min"),
]


@pytest.mark.parametrize(("route", "field"), DECIMAL_FILTERS)
@pytest.mark.parametrize("value", ["1.0987573401867391e-100", "1e5", "12.505", "abc", "1,5"])
def test_a_decimal_filter_outside_its_schema_shape_is_400(api, route, field, value):
    response = api.get(f"/api/v1/{route}/", {field: value})

    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    # A range (`amount_min`, `amount_max`) is reported under its filter's name (`amount`).
    assert (error["code"], error["field"]) == ("invalid", field.rsplit("_", 1)[0])
    assert "at most 2 decimals" in error["message"] or value in ("abc", "1,5")


@pytest.mark.parametrize(("route", "field"), DECIMAL_FILTERS)
@pytest.mark.parametrize("value", ["0", "12.5", "-12.50", "1250"])
def test_a_decimal_filter_in_its_schema_shape_filters(api, route, field, value):
    assert api.get(f"/api/v1/{route}/", {field: value}).status_code == 200
