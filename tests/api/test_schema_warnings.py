"""The OpenAPI schema generates without a warning (`spectacular --validate --fail-on-warn`).

A warning usually means a wrong schema: e.g. two serializers both named `ErrorResponse` made
drf-spectacular pick one of them for every reference.
"""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()

    SchemaGenerator().get_schema(request=None, public=True)

    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
