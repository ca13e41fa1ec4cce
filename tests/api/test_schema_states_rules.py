"""The schema states every rule a request can break without stored data: a 400 means the
request breaks one of them; what depends on stored data is a 409 or 422 (docs/rest-api.md,
"Errors"). schemathesis checks it in .ci/run; these pin the pieces by hand.
"""

import re
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.generators import SchemaGenerator

from o2c_api import bounds
from o2c_api.api.exceptions import CONFLICT_CODES, STATUS_BY_CODE, UNPROCESSABLE_CODES
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _accepted(text: str) -> bool:
    try:
        bounds.parse_date(text)
    except ValidationError:
        return False
    return True


def test_the_date_pattern_matches_exactly_the_days_the_api_takes():
    # Given every day around both bounds, the leap days of 1900, 2000, 2100 and 2200, and
    # days that do not exist
    days = [date(1899, 12, 20) + timedelta(days=n) for n in range(20)]
    days += [date(2200, 12, 20) + timedelta(days=n) for n in range(20)]
    texts = [d.isoformat() for d in days]
    texts += ["1900-02-29", "2000-02-29", "2100-02-29", "2196-02-29", "2200-02-29"]
    texts += ["2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "0001-01-01"]

    # Then the schema's pattern and the validator agree on each
    pattern = re.compile(bounds.date_pattern())
    assert [t for t in texts if bool(pattern.fullmatch(t)) != _accepted(t)] == []
    assert [t for t in ("1900-01-01", "2200-12-31") if not pattern.fullmatch(t)] == []
    assert [t for t in ("1899-12-31", "2201-01-01") if pattern.fullmatch(t)] == []


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("2026-01-01T00:00", True),
        ("2026-01-01T23:59:59.123456Z", True),
        ("1900-01-01T00:30:00+01:00", True),  # the day as written: 1899 in UTC
        ("2200-12-31T23:00:00-16:09", True),
        ("1899-12-31T23:30:00-01:00", False),
        ("2026-01-01T24:00", False),
        ("2026-01-01T10:00:00+24:00", False),
        ("2026-01-01 10:00", False),
    ],
)
def test_the_timestamp_pattern_and_the_filters_agree(api, text, matches):
    response = api.get("/api/v1/payments/", {"updated_after": text})

    assert bool(re.fullmatch(bounds.datetime_pattern(), text)) == matches
    assert response.status_code == (200 if matches else 400), response.content


def _strings(node, where, found):
    if isinstance(node, dict):
        timestamp = node.get("pattern") == bounds.datetime_pattern()
        if node.get("type") == "string" and (node.get("format") in ("date", "date-time")):
            found.append((where, node.get("format"), node.get("pattern")))
        elif node.get("type") == "string" and timestamp:
            # A timestamp a client sends: its pattern is the shape taken, without RFC 3339's
            # `date-time` format, which needs seconds and an offset (found by schemathesis).
            found.append((where, "timestamp", node.get("pattern")))
        for key, value in node.items():
            _strings(value, f"{where}.{key}", found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _strings(value, f"{where}[{index}]", found)


def test_every_date_a_client_sends_carries_the_bounds_pattern(schema):
    # Given every date and timestamp of every parameter and request body of the schema
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            _strings(operation.get("parameters", []), f"{method} {path}", found)
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            _strings(component, name, found)
    expected = {"date": bounds.date_pattern(), "timestamp": bounds.datetime_pattern()}

    # Then each states the days the validators take, and a timestamp no RFC 3339 format
    assert len(found) > 100
    assert len([fmt for _, fmt, _ in found if fmt == "timestamp"]) > 10
    assert [where for where, fmt, pattern in found if pattern != expected.get(fmt)] == []


@pytest.mark.parametrize("amount", ["", "1.", ".5", "+1", "01", "1e3", " 1", "-"])
def test_an_amount_not_written_as_the_pattern_says_is_400_invalid(api, amount):
    customer = CustomerFactory()

    response = api.post(
        "/api/v1/invoices/",
        {"customer": customer.pk, "number": "INV-9", "issue_date": "2026-01-10", "amount": amount},
        format="json",
    )

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("amount", "invalid")]


def test_the_amount_pattern_states_above_zero_with_two_decimals(schema):
    pattern = schema["components"]["schemas"]["InvoiceRequest"]["properties"]["amount"]["pattern"]

    taken = ["0.01", "0.1", "1", "12.50", "9999999999999999.99"]
    refused = ["0", "0.00", "-1", "1.234", "10000000000000000", "01", "1.", ""]
    assert [a for a in taken if not re.fullmatch(pattern, a)] == []
    assert [a for a in refused if re.fullmatch(pattern, a)] == []


def test_a_kpi_scoped_by_a_rep_a_segment_and_a_customer_at_once_answers(api):
    # Given a customer with its rep and segment (all three filters at once used to compile a
    # cached query with a stand-in id outside a 32-bit column's range: a 500)
    rep, segment = SalesRepFactory(), SegmentFactory()
    customer = CustomerFactory(rep=rep, segment=segment)
    InvoiceFactory(customer=customer, issue_date=date(2026, 1, 5))
    scope = {"customer": customer.pk, "rep": rep.pk, "segment": segment.pk}

    response = api.get(
        "/api/v1/kpis/reminder-funnel/", {**scope, "start": "1900-01-01", "end": "1900-01-01"}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["sent"], response.json()["paid"]) == (0, 0)


def test_the_fuzzer_accepts_only_refusals_for_stored_data_never_400():
    config = tomllib.loads((Path(settings.BASE_DIR) / "schemathesis.toml").read_text())

    expected = config["checks"]["positive_data_acceptance"]["expected-statuses"]

    assert expected == ["2xx", "401", "403", "404", "409", "422", "429"]
    assert set(STATUS_BY_CODE.values()) == {409, 422}


def test_every_409_and_422_code_is_documented():
    text = (Path(settings.BASE_DIR) / "docs" / "rest-api.md").read_text()

    assert set() == CONFLICT_CODES & UNPROCESSABLE_CODES
    assert sorted(c for c in CONFLICT_CODES | UNPROCESSABLE_CODES if f"`{c}`" not in text) == []


# Found by schemathesis (`POST /disputes/{id}/resolve/` with a credit amount of "-0.3" and
# another resolution than `credited`: a schema-valid request refused with a 400).
def test_a_credit_amount_with_another_resolution_is_422_and_changes_nothing(api):
    dispute = _open_dispute()

    response = api.post(
        f"/api/v1/disputes/{dispute.pk}/resolve/",
        {"resolution": "withdrawn", "credit_amount": "0.30"},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "code": "invalid_resolution",
            "field": "credit_amount",
            "message": "Only a credited resolution issues a credit note.",
        }
    ]
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution) == ("open", "")
    assert not dispute.invoice.adjustments.exists()


@pytest.mark.parametrize("amount", ["-0.30", "0", "0.00"])
def test_a_credit_amount_of_zero_or_less_is_400_as_the_schema_says(api, schema, amount):
    dispute = _open_dispute()
    properties = schema["components"]["schemas"]["DisputeResolveRequest"]["properties"]

    response = api.post(
        f"/api/v1/disputes/{dispute.pk}/resolve/",
        {"resolution": "credited", "credit_amount": amount},
        format="json",
    )

    assert not re.fullmatch(properties["credit_amount"]["pattern"], amount)
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("credit_amount", "not_positive")
    ]
    dispute.refresh_from_db()
    assert dispute.status == "open"
    assert not dispute.invoice.adjustments.exists()


def _open_dispute():
    from receivables import services

    invoice = InvoiceFactory(issue_date=date(2026, 1, 5))
    return services.open_dispute(
        invoice, reason="pricing", amount=Decimal("10.00"), opened_date=date(2026, 1, 6)
    )


# Found by schemathesis: "schema-violating requests accepted".
def test_text_over_its_max_length_is_400_whatever_whitespace_surrounds_it(api):
    # Given a segment name of 100 characters at most; when 101 are sent, the first a space
    response = api.post(
        "/api/v1/segments/", {"name": " " + "x" * 100, "code": "SMB"}, format="json"
    )

    # then it is refused as the schema's maxLength says, though 100 are left once trimmed
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "max_length",
            "field": "name",
            "message": "Ensure this field has no more than 100 characters.",
        }
    ]
    assert (
        api.post(
            "/api/v1/segments/", {"name": " " + "x" * 99, "code": "SMB"}, format="json"
        ).json()["name"]
        == "x" * 99
    )


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/v1/reps/", "active"), ("/api/v1/customers/", "on_credit_hold")],
)
def test_a_boolean_filter_takes_true_or_false_only(api, path, param):
    SalesRepFactory(active=False)

    refused = api.get(path, {param: "maybe"})

    assert refused.status_code == 400
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(param, "invalid")]
    assert api.get(path, {param: "false"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [({"offset": "-5"}, "invalid_offset"), ({"limit": "0"}, "invalid_limit")],
)
def test_a_csv_list_refuses_the_paging_the_json_list_refuses(api, params, code):
    response = api.get("/api/v1/reps/", {**params, "format": "csv"})

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]
