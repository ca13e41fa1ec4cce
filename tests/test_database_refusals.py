"""A write the database refuses (a row others depend on deleted, a constraint hit by a
concurrent change) is answered alike by REST and GraphQL: one code, one sentence, defined
once (`o2c_api.errors.database_refusal`)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError

from o2c_api.api.exceptions import exception_handler
from o2c_api.errors import ErrorCode
from o2c_api.graphql.errors import service_errors


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ProtectedError("protected", set()), ErrorCode.PROTECTED),
        (IntegrityError("duplicate key"), ErrorCode.CONFLICT),
    ],
)
def test_rest_and_graphql_answer_a_database_refusal_alike(exc, code):
    # When REST's handler and GraphQL's mutation wrapper meet the same database error
    response = exception_handler(exc, {})
    with pytest.raises(ValidationError) as raised, service_errors():
        raise exc

    # Then both say the same: 409 on REST, the same code and sentence on both
    rest = response.data["errors"]
    assert response.status_code == 409
    assert rest == [{"code": code, "field": None, "message": raised.value.message}]
    assert raised.value.code is code
