"""Limit/offset pagination with a ceiling.

DRF's LimitOffsetPagination answers `count`, `next`, `previous`, `results`. A client may ask for
up to MAX_LIMIT rows a page; more is clamped rather than refused, as DRF does, so that a
dashboard asking for "everything" still gets a bounded, predictable response and pages on with
`next`. Stable pages need a total order: every list view orders by a unique column last.

`limit` and `offset` that are not whole numbers, a `limit` below 1 or a negative `offset`
are a 400 (`invalid_limit`, `invalid_offset`) rather than quietly replaced by the defaults,
as DRF does: a client asking for page "abc" has a bug it should hear about.
"""

from rest_framework import pagination
from rest_framework.exceptions import ErrorDetail, ValidationError


def _number(request, name: str, minimum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValidationError(
            {
                name: [
                    ErrorDetail(
                        f"{name} must be a whole number, {minimum} or more.", f"invalid_{name}"
                    )
                ]
            }
        )
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def get_limit(self, request):
        limit = _number(request, self.limit_query_param, 1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return _number(request, self.offset_query_param, 0) or 0

    def get_schema_operation_parameters(self, view):
        """`limit` and `offset` with the bounds `_number` enforces (over 500 is clamped)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"] = {"type": "integer", "minimum": minimum}
        return parameters
