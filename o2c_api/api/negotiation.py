"""Content negotiation whose unknown `?format=` is a 400, not DRF's 404.

DRF answers `?format=xml` with 404 "Not found." although the route exists; a client (and the
OpenAPI schema, which lists `format` as `json` or `csv`) is better told which parameter was
wrong: 400 `invalid_format` on `format`, naming the formats the endpoint answers.
"""

from django.http import Http404
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

from o2c_api.errors import ErrorCode


class StrictContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        try:
            return super().filter_renderers(renderers, format)
        except Http404:
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            message = f"Unknown format {format!r}: choose from {formats}."
            raise ValidationError(
                {"format": [ErrorDetail(message, code=ErrorCode.INVALID_FORMAT)]}
            ) from None
