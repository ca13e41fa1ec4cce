"""The OpenAPI schema: committed, up to date, valid, and documenting the error shape."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from o2c_api.management.commands.export_schemas import OPENAPI_PATH, render_openapi

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_committed_openapi_matches_the_code():
    # Given the committed docs/openapi.yaml; when the schema is generated from the code
    committed = (Path(settings.BASE_DIR) / OPENAPI_PATH).read_text()

    # Then they are identical (run `make schema` after changing the API)
    assert render_openapi() == committed


def test_schema_validates_against_the_openapi_spec(schema):
    validate_schema(schema)


def test_every_operation_documents_the_error_shape(schema):
    # Given every operation of the resources of this API
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"401", "403"}
            if method in ("post", "put", "patch"):
                expected |= {"400", "409"}
            if "{id}" in path:
                expected.add("404")
            for code in expected:
                ref = (
                    responses.get(code, {})
                    .get("content", {})
                    .get("application/json", {})
                    .get("schema", {})
                    .get("$ref")
                )
                if ref != "#/components/schemas/ErrorResponse":
                    missing.append(f"{method.upper()} {path} {code}")

    # Then each error response references the one ErrorResponse component
    assert missing == []


def test_list_parameters_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}

    assert {
        "rep", "segment", "customer", "status", "product_line", "issue_date_after",
        "issue_date_before", "due_date_after", "paid_date_before", "updated_after",
        "amount_min", "amount_max", "open", "past_due", "disputed", "search", "ordering",
        "limit", "offset",
    } <= names  # fmt: skip


def test_schema_endpoint_serves_the_same_document(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    assert (
        yaml.safe_load(response.content)["paths"].keys()
        == yaml.safe_load(render_openapi())["paths"].keys()
    )


def test_export_schemas_check_fails_on_drift(tmp_path, settings):
    # Given a checkout whose committed schema is stale
    from django.core.management import CommandError, call_command

    settings.BASE_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "openapi.yaml").write_text("openapi: 3.0.3\n")

    # When the check runs, then it fails naming the file; after an export it passes
    with pytest.raises(CommandError, match="Out of date: docs/openapi.yaml"):
        call_command("export_schemas", "--check")
    call_command("export_schemas")
    call_command("export_schemas", "--check")
    assert (tmp_path / "docs" / "openapi.yaml").read_text() == render_openapi()


def _descriptions(node, where="#"):
    """(location, text) of every `description` and `summary` in the schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}/{key}", value
            else:
                yield from _descriptions(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, f"{where}/{index}")


# Words of the code, not of the API: a class, a module path, a note to the implementer.
INTERNAL = ("Serializer", "Mixin", "o2c_api.", "Base:", "TODO", "queryset", "validated_data")


def test_descriptions_are_for_the_apis_users_not_internal_notes(schema):
    # Given every description and summary of the schema (operations, parameters, components);
    # a serializer without a docstring used to inherit its base class's ("A ModelSerializer
    # that refuses unknown fields (see `StrictFieldsMixin`)")
    internal = [
        (where, text)
        for where, text in _descriptions(schema)
        if any(word in text for word in INTERNAL)
    ]

    # Then none speaks of the code
    assert internal == []


def test_rest_api_docs_name_every_kpi_endpoint(schema):
    docs = (Path(settings.BASE_DIR) / "docs" / "rest-api.md").read_text()
    kpi_paths = [path for path in schema["paths"] if path.startswith("/api/v1/kpis/")]

    assert len(kpi_paths) == 9
    assert [path for path in kpi_paths if path.removeprefix("/api/v1") not in docs] == []
