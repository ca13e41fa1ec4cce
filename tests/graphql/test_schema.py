"""The GraphQL contract and its guards: SDL drift, limits, introspection, GraphiQL."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from o2c_api.schema import sdl
from tests.factories import SegmentFactory

SCHEMA_FILE = Path(settings.BASE_DIR) / "schema.graphql"


def test_committed_sdl_matches_the_code():
    # Regenerate with `manage.py export_graphql_schema` when this fails on purpose.
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl()


def test_export_command_writes_the_sdl(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.graphql"
    call_command("export_graphql_schema", output=str(target))

    assert target.read_text(encoding="utf-8") == sdl()


def nested(depth: int) -> str:
    """A query `depth` levels deep: customer.invoices.results.customer.invoices...."""
    body = "id"
    for _ in range(depth):
        body = f"customer {{ invoices {{ results {{ {body} }} }} }}"
    return f"{{ invoices {{ results {{ {body} }} }} }}"


@override_settings(O2C_GRAPHQL_MAX_DEPTH=7)
def test_depth_limit(gql):
    # invoices.results = 2 levels, each nested() step adds 3; 2 + 3 + 1 = 6 is allowed
    assert "errors" not in gql(nested(1))

    answer = gql(nested(2))

    assert answer["data"] is None
    assert "exceeds maximum operation depth of 7" in answer["errors"][0]["message"]
    assert answer["errors"][0]["extensions"] == {"code": "invalid_query"}


def test_default_depth_allows_customer_invoices_applications(gql):
    answer = gql(
        "{ customers { results { invoices { results { applications { results "
        "{ payment { customer { name } } } } } } } } }"
    )

    assert "errors" not in answer


@override_settings(O2C_GRAPHQL_MAX_ALIASES=3)
def test_alias_limit(gql):
    assert "errors" not in gql("{ a: segments { totalCount } b: segments { totalCount } }")

    answer = gql(" ".join(["{", *(f"a{i}: segments {{ totalCount }}" for i in range(4)), "}"]))

    assert answer["data"] is None
    assert answer["errors"] == [
        {"message": "4 aliases found. Allowed: 3", "extensions": {"code": "invalid_query"}}
    ]


def test_default_alias_limit_is_enforced(gql):
    over = settings.O2C_GRAPHQL_MAX_ALIASES + 1
    answer = gql(" ".join(["{", *(f"a{i}: __typename" for i in range(over)), "}"]))

    assert answer["data"] is None
    assert "aliases found" in answer["errors"][0]["message"]


@override_settings(O2C_GRAPHQL_MAX_TOKENS=12)
def test_token_limit(gql):
    assert "errors" not in gql("{ segments { totalCount } }")

    # 13 tokens: { segments { totalCount results { id name code description } } }
    answer = gql("{ segments { totalCount results { id name code description } } }")

    assert answer["data"] is None
    assert answer["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 12 tokens. Parsing aborted."
    )
    assert answer["errors"][0]["extensions"] == {"code": "invalid_query"}


@override_settings(STRAWBERRY_DJANGO={**settings.STRAWBERRY_DJANGO, "PAGINATION_MAX_LIMIT": 2})
def test_page_size_is_capped_at_the_maximum(gql):
    for code in ("A", "B", "C"):
        SegmentFactory(code=code, name=f"Segment {code}")

    answer = gql(
        "{ segments(pagination: {limit: 1000}) { totalCount pageInfo { limit } results { code } } }"
    )

    assert answer["data"]["segments"] == {
        "totalCount": 3,
        "pageInfo": {"limit": 2},
        "results": [{"code": "A"}, {"code": "B"}],
    }


def test_settings_cap_pages_at_500():
    assert settings.STRAWBERRY_DJANGO["PAGINATION_MAX_LIMIT"] == 500


def test_offset_pagination(gql):
    for code in ("A", "B", "C"):
        SegmentFactory(code=code, name=f"Segment {code}")

    answer = gql("{ segments(pagination: {offset: 1, limit: 1}) { totalCount results { code } } }")

    assert answer["data"]["segments"] == {"totalCount": 3, "results": [{"code": "B"}]}


INTROSPECTION = "{ __schema { queryType { name } } }"


@override_settings(O2C_GRAPHQL_INTROSPECTION=False)
def test_introspection_off(gql):
    answer = gql(INTROSPECTION)

    assert answer["data"] is None
    assert "introspection" in answer["errors"][0]["message"].lower()
    assert gql("{ __typename }") == {"data": {"__typename": "Query"}}


@override_settings(O2C_GRAPHQL_INTROSPECTION=True)
def test_introspection_on(gql):
    assert gql(INTROSPECTION) == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize(("enabled", "status"), [(True, 200), (False, 404)])
def test_graphiql_follows_the_setting(client, enabled, status):
    with override_settings(O2C_GRAPHIQL=enabled):
        response = client.get("/graphql/", HTTP_ACCEPT="text/html")

    assert response.status_code == status
    if enabled:
        assert b"graphiql" in response.content.lower()
