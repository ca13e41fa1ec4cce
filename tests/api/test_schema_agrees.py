"""The OpenAPI schema says what validation enforces (issue 12, what schemathesis found).

KPI endpoints did not document their 400s, `Idempotency-Key` had no length, `ordering` listed
no values, nothing linked a create to the routes that use its id, strict request bodies did
not say they refuse other keys, and an unknown `?format=` was an undocumented 404.
"""

import pytest
import yaml
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    with open(settings.BASE_DIR / "docs" / "openapi.yaml") as file:
        return yaml.safe_load(file)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_documents_its_400(schema):
    missing = [f"{m} {p}" for p, m, op in operations(schema) if "400" not in op["responses"]]

    assert missing == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/kpis/", "/api/v1/kpis/aging/", "/api/v1/kpis/{key}/series/", "/api/v1/risk/"],
)
def test_kpi_endpoints_document_the_error_shape(schema, path):
    response = schema["paths"][path]["get"]["responses"]["400"]

    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }


def test_idempotency_key_is_bounded_as_validation_is(schema):
    headers = [
        parameter
        for _, _, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "Idempotency-Key"
    ]

    assert len(headers) >= 20
    assert {str(h["schema"]) for h in headers} == {
        str({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]*[!-~][ -~]*$"})
    }


def test_ordering_lists_its_values(schema):
    [ordering] = [
        p
        for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]
        if p["name"] == "ordering"
    ]

    assert ordering["style"] == "form"
    assert ordering["explode"] is False
    values = ordering["schema"]["items"]["enum"]
    assert {"due_date", "-due_date", "open_amount", "-open_amount"} <= set(values)


def test_a_create_links_to_the_routes_of_its_id(schema):
    links = schema["paths"]["/api/v1/payments/"]["post"]["responses"]["201"]["links"]

    assert links["payments_apply_create"] == {
        "operationId": "payments_apply_create",
        "parameters": {"id": "$response.body#/id"},
        "description": "POST /api/v1/payments/{id}/apply/ with the new object's id.",
    }
    assert {"payments_retrieve", "payments_partial_update", "payments_unapply_create"} <= set(links)


def test_every_create_with_detail_routes_has_links(schema):
    creates = [
        path
        for path, method, operation in operations(schema)
        if method == "post" and "{" not in path and "201" in operation["responses"]
    ]
    unlinked = [
        path
        for path in creates
        if any(other.startswith(f"{path}{{id}}/") for other in schema["paths"])
        and not schema["paths"][path]["post"]["responses"]["201"].get("links")
    ]

    assert len(creates) >= 10
    assert unlinked == []


def test_strict_request_bodies_refuse_other_keys(schema):
    components = schema["components"]["schemas"]

    assert components["PaymentCreateRequest"]["additionalProperties"] is False
    assert components["InvoiceRequest"]["additionalProperties"] is False


def test_limits_and_ids_have_their_bounds(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}

    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["offset"]["schema"] == {"type": "integer", "minimum": 0}
    assert parameters["customer"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }


def test_an_unknown_format_is_a_400_naming_it(api):
    response = api.get("/api/v1/kpis/aging/?format=xml")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid_format",
            "field": "format",
            "message": "Unknown format 'xml': choose from api, csv, json.",
        }
    ]


@pytest.mark.parametrize("key", ["", " ", "é-key", "a\tb", "k" * 256])
def test_idempotency_keys_outside_the_pattern_are_400(api, key):
    response = api.post("/api/v1/segments/", {"name": "X"}, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_idempotency_key"


def _empty_cases():
    with open(settings.BASE_DIR / "docs" / "openapi.yaml") as file:
        document = yaml.safe_load(file)
    for path, method, operation in operations(document):
        if method != "get":
            continue
        for parameter in operation.get("parameters", []):
            if parameter.get("allowEmptyValue"):
                concrete = path.replace("{key}", "dso").replace("{id}", "1")
                yield pytest.param(concrete, parameter["name"], id=f"{path}?{parameter['name']}=")


@pytest.mark.parametrize(("path", "name"), list(_empty_cases()))
def test_a_parameter_the_schema_allows_empty_is_read_as_absent(api, path, name):
    from tests.factories import InvoiceFactory

    InvoiceFactory()
    extra = {"keys": "dso"} if path.endswith("/kpis/series/") else {}
    if path.endswith("/breakdown/"):
        extra["group_by"] = "rep"

    with_empty = api.get(path, {name: "", **extra})
    without = api.get(path, extra)

    assert with_empty.status_code == without.status_code, with_empty.content[:300]
