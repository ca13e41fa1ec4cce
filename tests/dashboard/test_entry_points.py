"""Entry points of issue 14 not covered by the browser tests: the admin's "View site" lands on
the landing page, and the static files (docs, GraphiQL, dashboard) are served without DEBUG."""

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_the_admins_view_site_link_is_the_landing_page(admin_client):
    index = admin_client.get("/admin/").content.decode()
    landing = admin_client.get("/")

    assert '<a href="/">View site</a>' in index
    assert landing.status_code == 200
    assert b"/dashboard/" in landing.content


def test_static_files_are_served_by_the_application_without_debug(settings, tmp_path):
    # Given the static files collected as a deploy does, and DEBUG off
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    from whitenoise.middleware import WhiteNoiseMiddleware

    served = WhiteNoiseMiddleware(get_response=lambda request: HttpResponse(status=404))

    # When the docs', GraphiQL's and the dashboard's files are asked for
    paths = [
        "/static/dashboard/dashboard.css",
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/dashboard/vendor/graphiql-3.8.3.min.js",
    ]
    responses = [served(RequestFactory().get(path)) for path in paths]

    # Then the application serves each one itself
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


def test_the_readme_shows_the_dashboard_screenshots():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()

    for name in ("dashboard", "dashboard-panels"):
        assert f"(docs/screenshots/{name}.png)" in readme
        assert (root / "docs" / "screenshots" / f"{name}.png").stat().st_size > 10_000
