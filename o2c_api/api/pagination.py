"""Limit/offset pagination with a ceiling.

DRF's LimitOffsetPagination answers `count`, `next`, `previous`, `results`. A client may ask for
up to MAX_LIMIT rows a page; more is clamped rather than refused, as DRF does, so that a
dashboard asking for "everything" still gets a bounded, predictable response and pages on with
`next`. Stable pages need a total order: every list view orders by a unique column last.
"""

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
