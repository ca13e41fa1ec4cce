"""Why the ReDoc page keeps its small script (docs/redoc.html): the pinned ReDoc bundle loads
its footer logo from cdn.redoc.ly whatever the options. When an update of
drf-spectacular-sidecar stops doing so, these tests fail: remove the script then."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def bundle() -> str:
    path = finders.find(BUNDLE)
    assert path, BUNDLE
    with open(path, encoding="utf-8") as file:
        return file.read()


def test_the_redoc_footer_loads_its_logo_from_a_cdn_unconditionally(bundle):
    # The logo component is created with no props, so no option can switch it off.
    logo = re.search(
        r"function (\w+)\(\)\{(?:(?!function ).){0,300}?src:\"" + re.escape(LOGO), bundle
    )
    assert logo, "the ReDoc bundle no longer loads its logo from cdn.redoc.ly"
    assert f'n.createElement({logo.group(1)},null),"API docs by Redocly"' in bundle


def test_no_redoc_option_hides_the_footer_logo(bundle):
    # `hideLogo` appears only in the bundled Redocly config schemas; ReDoc never reads it.
    assert bundle.count("hideLogo") == bundle.count('hideLogo:{type:"boolean"}') > 0
    assert ".hideLogo" not in bundle


@pytest.mark.django_db
def test_the_redoc_page_blanks_the_cdn_logo_and_loads_redoc_locally(settings):
    settings.O2C_PUBLIC_API_DOCS = True

    html = Client().get("/api/redoc/").content.decode()

    assert 'startsWith("https://cdn.redoc.ly/")' in html
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert "fonts.googleapis.com" not in html
