"""Under /api/ and /graphql/ every error is JSON in the error shape, also the ones Django
answers before the API views: 404, 405, 413, 414, and GraphQL's anonymous or CSRF-failing
POST."""

import pytest
from django.test import Client, override_settings

from accounts.models import Customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def only_error(response) -> tuple[str, str | None]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    errors = response.json()["errors"]
    assert len(errors) == 1
    return errors[0]["code"], errors[0].get("field")


def graphql_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert body["data"] is None
    return body["errors"][0]["extensions"]["code"]


def test_graphql_anonymous_post_is_not_authenticated_json():
    response = Client(enforce_csrf_checks=True).post(
        "/graphql/", {"query": "{ segments { totalCount } }"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert graphql_code(response) == "not_authenticated"


def test_graphql_session_post_failing_csrf_is_json_and_changes_nothing():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="browser", role="admin"))

    response = client.post(
        "/graphql/",
        {"query": 'mutation { createSegment(data: {name: "X"}) { __typename } }'},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert graphql_code(response) == "not_authenticated"
    assert not Customer.objects.exists()


@pytest.mark.parametrize("path", ["/graphql/nope/", "/api/nope/", "/api/v1/nope/"])
def test_unknown_routes_are_json_404(path):
    response = Client().get(path)

    assert response.status_code == 404
    assert only_error(response) == ("not_found", None)


def test_graphql_method_not_allowed_is_json_405(make_client):
    response = make_client("viewer").delete("/graphql/")

    assert response.status_code == 405
    assert only_error(response) == ("method_not_allowed", None)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("path", ["/graphql/", "/api/v1/segments/"])
def test_bodies_over_the_limit_are_json_413(make_client, path):
    body = {"query": "{ segments { totalCount } }", "name": "x" * 5000}

    response = make_client("admin").post(path, body, format="json")

    assert response.status_code == 413
    assert only_error(response) == ("request_too_large", None)


@override_settings(O2C_MAX_URL_LENGTH=200)
@pytest.mark.parametrize("path", ["/graphql/", "/api/v1/invoices/"])
def test_addresses_over_the_limit_are_json_414(make_client, path):
    response = make_client("viewer").get(path, {"search": "x" * 300})

    assert response.status_code == 414
    assert only_error(response) == ("uri_too_long", None)
