"""OpenAPI helpers: the error shape as a component, added to every operation's responses.

`AutoSchema` (the project's DEFAULT_SCHEMA_CLASS) documents the error responses each
operation can give, all referencing the one `ErrorResponse` component, so no view repeats
them: 401 and 403 everywhere, 400 for bodies and filtered lists, 404 on detail routes, 409
on writes. `error_responses(...)` builds the same entries for an explicit `@extend_schema`.
Handlers that honour `Idempotency-Key` (`o2c_api.api.idempotency`) get the header parameter
and the 422 `idempotency_key_reused` answer documented the same way.
"""

import re

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_lib_doc_excludes
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from o2c_api import bounds
from o2c_api.api import serializers as base_serializers
from o2c_api.api.csvexport import CSV_MEDIA_TYPE, CSVRenderer
from o2c_api.api.fields import StrictCharField, StrictDecimalField, decimal_pattern
from o2c_api.api.idempotency import (
    HEADER,
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    REPLAYED_HEADER,
    is_idempotent,
)
from o2c_api.api.serializers import StrictFieldsMixin
from o2c_api.errors import ErrorCode
from receivables.errors import ErrorCode as ReceivablesCode

CSV_DESCRIPTION = (
    "With `?format=csv` or `Accept: text/csv`: the same rows as CSV, streamed (a list: every "
    "row matching the filters, not one page); amounts as plain decimals, dates ISO."
)
CSV_FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv` answers CSV (as `Accept: text/csv` does).",
)


def lib_doc_excludes() -> list[type]:
    """drf-spectacular's GET_LIB_DOC_EXCLUDES: DRF's classes and the project's serializer bases.

    A description in the schema is for the API's users; the bases' docstrings are notes for
    the developers who subclass them (which mixin does what), so none is inherited.
    """
    return [
        *get_lib_doc_excludes(),
        StrictFieldsMixin,
        base_serializers.StrictSerializer,
        base_serializers.BoundedDatesModelSerializer,
        base_serializers.StrictModelSerializer,
        base_serializers.CleanModelSerializer,
    ]


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_positive`.")
    field = serializers.CharField(
        allow_null=True, help_text="The input the error is about; null for the whole request."
    )
    message = serializers.CharField(help_text="A sentence for a person.")


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape of every 4xx answer."""

    errors = ErrorSerializer(many=True)

    class Meta:
        ref_name = "ErrorResponse"


ERROR_DESCRIPTIONS = {
    400: "The request breaks a rule this schema states (type, format, pattern, length, enum, "
    "bounds, required); each error names its field.",
    401: "No or invalid credentials.",
    403: "Authenticated, but the role does not allow this.",
    404: "No such object.",
    409: "The request clashes with the current state of stored records: a value that must be "
    "unique is taken, or the object is in a state that forbids the change (already issued, "
    "void, resolved, on hold, protected).",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    422: "The request is well formed but refused by a rule the schema cannot state: an id that "
    "names no record (`does_not_exist`), an amount over what is open, a date before the one "
    "it follows, an Idempotency-Key used with another request (`idempotency_key_reused`).",
}

ERROR_EXAMPLES = {
    400: {
        "code": ReceivablesCode.NOT_POSITIVE.value,
        "field": "amount",
        "message": "Must be greater than zero.",
    },
    401: {
        "code": ErrorCode.NOT_AUTHENTICATED.value,
        "field": None,
        "message": "Authentication credentials were not provided.",
    },
    403: {
        "code": ErrorCode.PERMISSION_DENIED.value,
        "field": None,
        "message": "You do not have permission to perform this action.",
    },
    404: {
        "code": ErrorCode.NOT_FOUND.value,
        "field": None,
        "message": "No Invoice matches the given query.",
    },
    409: {
        "code": ErrorCode.PROTECTED.value,
        "field": None,
        "message": "Other records depend on this one (e.g. cash applications); it cannot be "
        "deleted.",
    },
    422: {
        "code": ReceivablesCode.DOES_NOT_EXIST.value,
        "field": "invoice",
        "message": 'Invalid pk "42" - object does not exist.',
    },
}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    description="1 to 255 printable ASCII characters. A retry with the same key and body replays "
    f"the first 2xx response (header `{REPLAYED_HEADER}: true`) and does nothing again; the "
    "same key with another body answers 422 `idempotency_key_reused`; while the first request "
    "runs, 409 `idempotency_in_progress`. Keys are per client, kept "
    "O2C_IDEMPOTENCY_TTL_HOURS.",
)


def error_response(status_code: int) -> OpenApiResponse:
    """An `OpenApiResponse` for `status_code` with the error shape and an example."""
    example = ERROR_EXAMPLES.get(status_code)
    return OpenApiResponse(
        response=ErrorResponseSerializer,
        description=ERROR_DESCRIPTIONS.get(status_code, "Error."),
        examples=[
            OpenApiExample(
                f"error_{status_code}",
                value={"errors": [example]},
                status_codes=[str(status_code)],
                response_only=True,
            )
        ]
        if example
        else [],
    )


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """`{code: error_response(code)}` to merge into an `@extend_schema(responses=...)`."""
    return {code: error_response(code) for code in status_codes}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses every operation can give."""

    def error_status_codes(self) -> list[int]:
        # 400 everywhere: any operation refuses a query parameter with a NUL byte, and every
        # one with parameters or a body refuses values outside their bounds. 409 and 422 are
        # the refusals that depend on stored data (o2c_api.api.exceptions.STATUS_BY_CODE):
        # any write, and a read scoped by records named in its parameters (a KPI's `rep`).
        codes = [400, 401, 403]
        body = self.method in ("POST", "PUT", "PATCH")
        if "{" in self.path:
            codes.append(404)
        if body or self.method == "DELETE":
            codes.append(409)
        if body or self._names_records():
            codes.append(422)
        return sorted(codes)

    def _names_records(self) -> bool:
        names = {name for name, location in self._process_override_parameters()}
        return bool(names & SCOPE_RECORDS)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and isinstance(schema, dict):
            # drf-spectacular states a ListField's bounds, not a `many=True` serializer's.
            for key, bound in (("minItems", field.min_length), ("maxItems", field.max_length)):
                if bound is not None:
                    schema[key] = bound
        if direction == "request" and isinstance(field, StrictDecimalField) and schema:
            # The pattern the field enforces (no "", "1.", "+1"), not drf-spectacular's looser one.
            schema["pattern"] = field.pattern
        elif (
            direction == "request"
            and type(field) in (serializers.CharField, StrictCharField)
            and not field.allow_blank
            and field.trim_whitespace
            and isinstance(schema, dict)
            and not schema.keys() & TEXT_SHAPED
        ):
            # Blank once trimmed is refused (`blank`): the text needs one character more.
            schema["pattern"] = NOT_BLANK
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, StrictFieldsMixin):
            # The write refuses any other key (400 `unknown_field`): the schema says so.
            schema["additionalProperties"] = False
        return schema

    def _idempotent(self) -> bool:
        return self.method == "POST" and is_idempotent(
            self.view, getattr(self.view, "action", None)
        )

    def map_renderers(self, attribute: str):
        # CSV is documented once, on the 200 of the operations that stream it (below),
        # not as a second rendering of every answer and error.
        return [
            value
            for value in super().map_renderers(attribute)
            if value not in (CSV_MEDIA_TYPE, CSVRenderer.format)
        ]

    def _answers_csv(self) -> bool:
        if self.method != "GET" or CSVRenderer not in getattr(self.view, "renderer_classes", ()):
            return False
        action = getattr(self.view, "action", None)
        return action == "list" if hasattr(self.view, "action") else True

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._answers_csv():
            parameters = [CSV_FORMAT_PARAMETER, *parameters]
        return [IDEMPOTENCY_PARAMETER, *parameters] if self._idempotent() else parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._answers_csv() and "content" in responses.get("200", {}):
            responses["200"]["content"][CSV_MEDIA_TYPE] = {
                "schema": {"type": "string", "description": CSV_DESCRIPTION}
            }
        for code in self.error_status_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    error_response(code), str(code), direction=direction
                )
        return responses


def link_creates_to_their_routes(result, generator, request, public):
    """A drf-spectacular postprocessing hook: OpenAPI links from each create to its routes.

    The 201 of `POST /api/v1/<things>/` links to every operation under
    `/api/v1/<things>/{id}/` (read, update, delete, actions), passing the new object's `id`:
    a client (or a fuzzer's stateful phase) learns where the id it got is used.
    """
    paths = result.get("paths", {})
    for path, operations in paths.items():
        create = operations.get("post")
        if create is None or "{" in path or "201" not in create.get("responses", {}):
            continue
        links = {}
        detail = f"{path}{{id}}/"
        for other_path, other_operations in paths.items():
            if not other_path.startswith(detail):
                continue
            for method, operation in other_operations.items():
                if method not in ("get", "put", "patch", "delete", "post"):
                    continue
                operation_id = operation["operationId"]
                links[operation_id] = {
                    "operationId": operation_id,
                    "parameters": {"id": "$response.body#/id"},
                    "description": f"{method.upper()} {other_path} with the new object's id.",
                }
        if links:
            create["responses"]["201"]["links"] = dict(sorted(links.items()))
    return result


# Query parameters of a read that may be refused with a 422: ids that name no record
# (metrics.scope `unknown_rep`), a period whose end is before its start (`end_before_start`).
SCOPE_RECORDS = frozenset({"rep", "segment", "customer", "start", "end"})


NO_NUL = "^[^\\x00]*$"
# Text that must not be blank once trimmed (DRF's CharField: `blank`), and holds no NUL.
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
LOOSE_DECIMAL = re.compile(r"\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$")
# A string schema with one of these says what it holds already.
TEXT_SHAPED = frozenset({"format", "pattern", "enum", "$ref"})


def state_date_bounds(result, generator, request, public):
    """A drf-spectacular postprocessing hook: the bounds of every date and text a client sends.

    Every date and timestamp of a request — query, path and header parameters, request
    bodies (the `*Request` components) — gets `o2c_api.bounds.date_pattern()` or
    `datetime_pattern()`: the days of O2C_DATE_MIN..O2C_DATE_MAX that the API takes
    (`date_out_of_range` otherwise), stated once, where the validators read them. Every
    other free text gets `NO_NUL`: a NUL byte is refused everywhere.
    """
    patterns = {"date": bounds.date_pattern(), "date-time": bounds.datetime_pattern()}

    def bound(schema):
        if isinstance(schema, dict):
            if schema.get("type") == "string" and schema.get("format") in patterns:
                schema["pattern"] = patterns[schema["format"]]
                if schema["format"] == "date-time":
                    # The pattern is the shape taken (seconds and offset optional, as ISO
                    # 8601 allows); `date-time` alone would say RFC 3339's, which needs both.
                    del schema["format"]
            elif schema.get("format") == "decimal" and (
                loose := LOOSE_DECIMAL.fullmatch(schema.get("pattern", ""))
            ):
                # drf-spectacular's pattern takes "", "." and "-"; the fields take neither.
                whole, decimals = (int(digits) for digits in loose.groups())
                schema["pattern"] = decimal_pattern(whole, decimals)
            elif schema.get("type") == "string" and not schema.keys() & TEXT_SHAPED:
                # Text holds no NUL byte (`null_characters_not_allowed`, bounds.check_text).
                schema["pattern"] = NO_NUL
            for value in schema.values():
                bound(value)
        elif isinstance(schema, list):
            for value in schema:
                bound(value)

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                bound(operation.get("parameters", []))
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            bound(schema)
    return result


# Query parameters that refuse an empty value (every other optional one reads it as absent).
EMPTY_REFUSED = frozenset({"keys", "group_by", "scenario", "interval"})


def empty_query_values_mean_absent(result, generator, request, public):
    """A drf-spectacular postprocessing hook: `allowEmptyValue` on optional query parameters.

    A filter, page or scope parameter sent empty (`?customer=&start=`, as an HTML form sends
    its blank fields) is read as not sent; the schema says so, except for the parameters in
    `EMPTY_REFUSED`. tests/api/test_schema_agrees.py sends every one of them empty.
    """
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                if (
                    parameter.get("in") == "query"
                    and not parameter.get("required")
                    and parameter["name"] not in EMPTY_REFUSED
                ):
                    parameter["allowEmptyValue"] = True
    return result
