"""CORS: off by default, configured by CORS_ALLOWED_ORIGINS, preflights answered before
authentication on /api/ and /graphql/."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

DASHBOARD = "https://dash.example.com"


def preflight(client: Client, path: str, origin: str = DASHBOARD):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )


def test_cors_is_off_by_default():
    response = Client().get("/api/v1/kpis/", HTTP_ORIGIN=DASHBOARD)

    assert response.status_code == 401
    assert "access-control-allow-origin" not in response.headers


@override_settings(CORS_ALLOWED_ORIGINS=[DASHBOARD])
@pytest.mark.parametrize("path", ["/api/v1/payments/", "/api/v1/kpis/", "/graphql/"])
def test_preflight_is_answered_without_credentials(path):
    # Given no Authorization header at all (browsers never send it on a preflight)
    response = preflight(Client(), path)

    # Then the preflight succeeds and allows the headers a client sends
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    allowed = response.headers["access-control-allow-headers"]
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.split(", "))
    assert "POST" in response.headers["access-control-allow-methods"]


@override_settings(CORS_ALLOWED_ORIGINS=[DASHBOARD])
def test_allowed_origin_reads_with_a_token_and_sees_exposed_headers(make_client):
    client = make_client("viewer")

    response = client.get("/api/v1/kpis/glossary/", HTTP_ORIGIN=DASHBOARD)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert "Idempotent-Replayed" in response.headers["access-control-expose-headers"]


@override_settings(CORS_ALLOWED_ORIGINS=[DASHBOARD])
def test_other_origins_and_other_paths_get_no_cors_headers():
    other = preflight(Client(), "/api/v1/kpis/", origin="https://evil.example.com")
    admin = preflight(Client(), "/admin/")

    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in admin.headers
