"""What a client may send over REST is bounded (issue 12, "500s and hangs a client can cause").

Dates and timestamps lie in O2C_DATE_MIN..O2C_DATE_MAX (400 `date_out_of_range`), query
parameters hold no NUL byte, JSON bodies nest at most O2C_MAX_JSON_DEPTH levels (400
`invalid_json`) and a KPI series has at most O2C_MAX_SERIES_POINTS points (400
`too_many_points`). Each was a 500 (or a stored 0001-01-01 payment) before.
"""

import django_filters
import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from accounts.models import Customer
from o2c_api.api.fields import BoundedDateField, BoundedDateTimeField
from o2c_api.api.filters import FilterSet
from receivables.models import Payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OUT = "is outside the dates this API accepts (1900-01-01 to 2200-12-31)."


def errors(response) -> list[dict]:
    return response.json()["errors"]


KPI_EDGE_DATES = [
    ("/api/v1/kpis/?start=0001-01-01&end=0001-01-31", "start", "0001-01-01"),
    ("/api/v1/kpis/?start=2026-01-01&end=9999-12-31", "end", "9999-12-31"),
    ("/api/v1/kpis/aging/?as_of=0001-01-01", "as_of", "0001-01-01"),
    ("/api/v1/kpis/aging/?as_of=9999-12-31", "as_of", "9999-12-31"),
    ("/api/v1/kpis/dso/series/?start=0001-01-01&end=0010-01-01&interval=week", "start", None),
    ("/api/v1/kpis/dso/series/?start=9999-01-01&end=9999-12-31&interval=week", "start", None),
    ("/api/v1/kpis/series/?keys=dso&start=9999-01-01&end=9999-12-31", "start", None),
    ("/api/v1/kpis/dso/breakdown/?start=0001-01-01&end=0001-01-31&group_by=rep", "start", None),
    ("/api/v1/kpis/reminder-funnel/?start=0001-01-01&end=0001-01-31", "start", None),
    ("/api/v1/kpis/time-to-invoice/?start=0001-01-01&end=0001-01-31", "start", None),
    ("/api/v1/kpis/dso-impact/?start=0001-01-01&end=0001-01-31", "start", None),
    ("/api/v1/forecast/?as_of=0001-01-01", "as_of", None),
    ("/api/v1/forecast/?as_of=9999-12-31", "as_of", None),
    ("/api/v1/forecast/accuracy/?as_of=0001-01-01", "as_of", None),
    ("/api/v1/risk/?as_of=0001-01-01", "as_of", None),
    ("/api/v1/worklist/?as_of=9999-12-31", "as_of", None),
    ("/api/v1/risk/backtest/?start=0001-01-01&end=0001-12-31", "start", None),
    ("/api/v1/playbook-funnel/?start=0001-01-01&end=0001-01-31", "start", None),
    ("/api/v1/kpis/?start=1899-12-31&end=1900-01-31", "start", "1899-12-31"),
    ("/api/v1/kpis/?start=2200-12-01&end=2201-01-01", "end", "2201-01-01"),
]


@pytest.mark.parametrize(("url", "field", "day"), KPI_EDGE_DATES)
def test_kpi_and_outlook_dates_outside_the_range_are_400(api, url, field, day):
    response = api.get(url)

    assert response.status_code == 400, response.content[:300]
    [error] = errors(response)
    assert (error["code"], error["field"]) == ("date_out_of_range", field)
    if day:
        assert error["message"] == f"{day} {OUT}"


def test_the_range_edges_themselves_are_accepted(api):
    assert api.get("/api/v1/kpis/?start=1900-01-01&end=1900-01-31").status_code == 200
    assert api.get("/api/v1/kpis/aging/?as_of=2200-12-31").status_code == 200


@override_settings(O2C_DATE_MIN="2000-01-01", O2C_DATE_MAX="2030-12-31")
def test_the_range_is_a_setting(api):
    response = api.get("/api/v1/kpis/aging/?as_of=1999-12-31")

    assert response.status_code == 400
    assert errors(response)[0]["message"] == (
        "1999-12-31 is outside the dates this API accepts (2000-01-01 to 2030-12-31)."
    )
    assert api.get("/api/v1/kpis/aging/?as_of=2000-01-01").status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "5177-08-05T19:42:41-16:09",  # found by schemathesis: PostgreSQL refused the offset
        "9999-12-31T23:00:00-16:09",  # in year 10000 once in UTC
        "0001-01-01T00:00:00+05:00",
        "1899-12-31T23:59:59+00:00",
    ],
)
def test_updated_after_outside_the_range_is_400(api, value):
    response = api.get("/api/v1/payments/", {"updated_after": value})

    assert response.status_code == 400
    [error] = errors(response)
    assert (error["code"], error["field"]) == ("date_out_of_range", "updated_after")
    assert error["message"] == f"{value} {OUT}"


def test_an_offset_postgresql_refuses_is_read_in_utc(api):
    CustomerFactory()

    response = api.get("/api/v1/customers/", {"updated_after": "2100-01-01T10:00:00-16:09"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


_GENERATORS = []


def _endpoints():
    """(path, method, view) of every REST operation, as the OpenAPI schema lists them."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    _GENERATORS.append(generator)  # the views' schemas refer to it weakly
    return generator._get_paths_and_endpoints()


def _list_views():
    """(path, FilterSet) of every list endpoint without a path parameter."""
    return [
        (path, view.filterset_class)
        for path, _regex, method, view in _endpoints()
        if method == "GET"
        and getattr(view, "action", None) == "list"
        and getattr(view, "filterset_class", None)
        and "{" not in path
    ]


DATE_FILTERS = (
    django_filters.DateFilter,
    django_filters.DateTimeFilter,
    django_filters.IsoDateTimeFilter,
    django_filters.DateFromToRangeFilter,
    django_filters.IsoDateTimeFromToRangeFilter,
    django_filters.DateTimeFromToRangeFilter,
)


def _date_filter_cases():
    cases = []
    for path, filterset in _list_views():
        for name, declared in filterset.base_filters.items():
            if not isinstance(declared, DATE_FILTERS):
                continue
            ranged = (
                isinstance(declared, django_filters.filters.RangeFilter)
                or "FromTo" in type(declared).__name__
            )
            timestamp = "Time" in type(declared).__name__
            value = "0001-01-01T00:00:00Z" if timestamp else "0001-01-01"
            for suffix in ("_after", "_before") if ranged else ("",):
                cases.append(
                    pytest.param(path, name + suffix, value, name, id=f"{path}{name}{suffix}")
                )
    return cases


def test_every_list_filters_through_the_bounded_filterset():
    views = _list_views()

    assert len(views) >= 15
    assert [route for route, filterset in views if not issubclass(filterset, FilterSet)] == []


@pytest.mark.parametrize(("path", "param", "value", "field"), _date_filter_cases())
def test_every_date_filter_of_every_list_is_bounded(api, path, param, value, field):
    response = api.get(path, {param: value})

    assert response.status_code == 400, response.content[:300]
    [error] = errors(response)
    assert (error["code"], error["field"]) == ("date_out_of_range", field)


def test_there_are_date_filters_on_the_lists():
    names = {case.values[1] for case in _date_filter_cases()}

    assert {"updated_after", "issue_date_after", "due_date_before", "occurred_at_after"} <= names


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_a_payment_dated_outside_the_range_is_refused_and_not_stored(api, day):
    customer = CustomerFactory()

    response = api.post(
        "/api/v1/payments/",
        {"customer": customer.pk, "amount": "10.00", "received_date": day},
        format="json",
    )

    assert response.status_code == 400
    [error] = errors(response)
    assert (error["code"], error["field"]) == ("date_out_of_range", "received_date")
    assert error["message"] == f"{day} {OUT}"
    assert not Payment.objects.exists()


def test_an_invoice_dated_outside_the_range_is_refused(api):
    customer = CustomerFactory()

    response = api.post(
        "/api/v1/invoices/",
        {
            "customer": customer.pk,
            "number": "INV-1",
            "issue_date": "2026-01-01",
            "due_date": "9999-12-31",
            "amount": "10.00",
            "product_line": "hardware",
        },
        format="json",
    )

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in errors(response)] == [
        ("date_out_of_range", "due_date")
    ]
    assert not customer.invoices.exists()


def _writable_date_fields(serializer, path=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        child = getattr(field, "child", None)
        if hasattr(field, "fields"):
            yield from _writable_date_fields(field, f"{path}{name}.")
        elif child is not None and hasattr(child, "fields"):
            yield from _writable_date_fields(child, f"{path}{name}[].")
        elif isinstance(field, serializers.DateField | serializers.DateTimeField):
            yield f"{path}{name}", field
        elif isinstance(child, serializers.DateField | serializers.DateTimeField):
            yield f"{path}{name}[]", child


def test_every_writable_date_field_of_every_request_body_is_bounded():
    unbounded, checked = set(), set()
    for path, _regex, method, view in _endpoints():
        if method not in ("POST", "PUT", "PATCH"):
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.path, view.schema.method = path, method
        serializer = view.schema.get_request_serializer()
        if not isinstance(serializer, serializers.BaseSerializer):
            continue
        serializer = getattr(serializer, "child", serializer)
        for name, field in _writable_date_fields(serializer):
            checked.add(f"{method} {path} {name}")
            if not isinstance(field, BoundedDateField | BoundedDateTimeField):
                unbounded.add(f"{method} {path} {name}")

    assert len(checked) >= 20
    assert sorted(unbounded) == []


KPI_TEXT_ENDPOINTS = [
    "/api/v1/kpis/",
    "/api/v1/kpis/dso/series/",
    "/api/v1/kpis/series/?keys=dso",
    "/api/v1/kpis/dso/breakdown/?group_by=rep",
    "/api/v1/kpis/aging/",
    "/api/v1/kpis/reminder-funnel/",
    "/api/v1/kpis/time-to-invoice/",
    "/api/v1/kpis/dso-impact/",
    "/api/v1/forecast/",
    "/api/v1/risk/",
    "/api/v1/worklist/",
    "/api/v1/playbook-funnel/",
    "/api/v1/invoices/",
]


@pytest.mark.parametrize("url", KPI_TEXT_ENDPOINTS)
@pytest.mark.parametrize("param", ["product_line", "currency", "search", "ordering"])
def test_a_nul_byte_in_any_query_parameter_is_400(api, url, param):
    joiner = "&" if "?" in url else "?"

    response = api.get(f"{url}{joiner}{param}=a%00b")

    assert response.status_code == 400
    assert errors(response) == [
        {
            "code": "null_characters_not_allowed",
            "field": param,
            "message": "Null characters are not allowed.",
        }
    ]


def test_json_nested_2000_deep_is_invalid_json_and_stores_nothing(api):
    customer = CustomerFactory()
    body = (
        f'{{"customer": {customer.pk}, "amount": "1.00", "received_date": "2026-01-01", '
        f'"reference": {"[" * 2000}{"]" * 2000}}}'
    )

    response = api.post("/api/v1/payments/", body, content_type="application/json")

    assert response.status_code == 400
    assert errors(response) == [
        {
            "code": "invalid_json",
            "field": None,
            "message": "The JSON body nests deeper than 32 levels of arrays and objects.",
        }
    ]
    assert not Payment.objects.exists()


def test_unclosed_nesting_is_refused_before_the_parser_recurses(api):
    response = api.post("/api/v1/customers/", "[" * 100_000, content_type="application/json")

    assert response.status_code == 400
    assert errors(response)[0]["code"] == "invalid_json"
    assert not Customer.objects.exists()


def test_brackets_inside_strings_do_not_nest(api):
    response = api.post(
        "/api/v1/segments/",
        {"name": "[" * 100, "code": "{{"},
        format="json",
    )

    assert response.status_code == 201, response.content


@override_settings(O2C_MAX_JSON_DEPTH=2)
def test_the_depth_is_a_setting(api):
    customer = CustomerFactory()
    body = {
        "customer": customer.pk,
        "amount": "1.00",
        "received_date": "2026-01-01",
        "remittance": [{"invoice_number": "INV-1", "amount": "1.00"}],
    }

    assert api.post("/api/v1/payments/", body, format="json").status_code == 400
    assert api.post("/api/v1/payments/", {**body, "remittance": []}, format="json").status_code in (
        201,
        200,
    )


def test_a_series_over_the_points_bound_is_400(api):
    response = api.get(
        "/api/v1/kpis/series/?keys=dso,cei&interval=week&start=2016-01-01&end=2025-12-31"
    )

    assert response.status_code == 400
    assert errors(response) == [
        {
            "code": "too_many_points",
            "field": "interval",
            "message": "The series would have 1046 points (2 KPI(s) × 523 weeks); at most 600 "
            "are answered: a shorter period, a longer interval or fewer keys.",
        }
    ]


@override_settings(O2C_MAX_SERIES_POINTS=12)
def test_the_points_bound_is_a_setting(api):
    one_year = "start=2025-01-01&end=2025-12-31"

    assert api.get(f"/api/v1/kpis/dso/series/?interval=month&{one_year}").status_code == 200
    response = api.get(f"/api/v1/kpis/dso/series/?interval=week&{one_year}")
    assert response.status_code == 400
    assert errors(response)[0]["code"] == "too_many_points"


def test_decimal_amounts_that_are_not_numbers_are_400(api):
    customer = CustomerFactory()

    for amount in ("NaN", "Infinity", "-Infinity"):
        response = api.post(
            "/api/v1/payments/",
            {"customer": customer.pk, "amount": amount, "received_date": "2026-01-01"},
            format="json",
        )
        assert response.status_code == 400
        assert errors(response)[0]["code"] == "invalid"
    assert Payment.objects.count() == 0
