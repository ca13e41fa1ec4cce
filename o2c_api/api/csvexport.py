"""CSV answers: `?format=csv` or `Accept: text/csv` on every list and on the KPI series,
breakdowns and aging, streamed row by row with the same filters as the JSON answer.

Written here rather than taken from djangorestframework-csv: its renderers take the whole
rendered list in memory (its streaming renderer still needs the rows as one Python list
handed to `Response`), while a list of 1M invoices must go out as it is read. Values are the
JSON answer's own: amounts are plain decimal strings ("1500.00"), dates ISO, nested objects
flattened to `parent.child` columns, nested lists written as JSON text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

CSV_MEDIA_TYPE = "text/csv"
# Rows fetched per query while streaming a list: each chunk is one query (plus one per
# prefetched relation), so memory stays flat whatever the length of the list.
CHUNK_SIZE = 2000


class _Line:
    """A file-like sink for csv.writer that hands back each written line."""

    def write(self, value: str) -> str:
        return value


def flatten(row: dict, prefix: str = "") -> dict:
    """{"customer": {"id": 1}} -> {"customer.id": 1}; lists become JSON text."""
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, default=str)
        else:
            flat[name] = value
    return flat


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def lines(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """The CSV text of `rows` (dicts, flattened) under a header of `columns`, line by line."""
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for row in rows:
        flat = flatten(row)
        yield writer.writerow([cell(flat.get(column)) for column in columns])


def stream(columns: Sequence[str], rows: Iterable[dict], filename: str) -> StreamingHttpResponse:
    """A streamed `text/csv` attachment of `rows`."""
    response = StreamingHttpResponse(
        lines(columns, rows), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def stream_dicts(rows: Iterable[dict], filename: str, columns: Sequence[str] = ()):
    """`stream` with the header taken from the first row (or `columns` when there is none)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is not None:
        columns = list(flatten(first))

    def all_rows():
        if first is not None:
            yield first
        yield from rows

    return stream(columns, all_rows(), filename)


def wants_csv(request) -> bool:
    return getattr(getattr(request, "accepted_renderer", None), "format", None) == "csv"


class CSVRenderer(BaseRenderer):
    """Lets content negotiation pick CSV (`?format=csv`, `Accept: text/csv`).

    The views stream their CSV themselves (`stream`); this renders what reaches it anyway
    (a single object) as a one-row CSV.
    """

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        columns = list(flatten(rows[0])) if rows else []
        return "".join(lines(columns, rows)).encode(self.charset)


RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]


class CSVListMixin:
    """A viewset whose list also answers CSV: the whole filtered, ordered list, streamed."""

    renderer_classes = RENDERERS

    def list(self, request, *args, **kwargs):
        if not wants_csv(request):
            return super().list(request, *args, **kwargs)
        if self.paginator is not None:
            # The whole list, but `limit` and `offset` are refused as the JSON list refuses
            # them (the schema states them for both; found by schemathesis: offset=-43884272).
            self.paginator.get_limit(request)
            self.paginator.get_offset(request)
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer()
        rows = (
            serializer.to_representation(item) for item in queryset.iterator(chunk_size=CHUNK_SIZE)
        )
        return stream_dicts(rows, self.basename or "export", list(serializer.fields))
