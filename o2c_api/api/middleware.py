"""The error shape for the answers Django gives before (or instead of) the API views.

Under /api/ and /graphql/ a client always gets JSON: a 404 for a route that does not exist,
a 405 for a method a non-DRF view refuses, a 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE
and a 414 for an address over O2C_MAX_URL_LENGTH come back as
`{"errors": [{"code", "field", "message"}]}` instead of Django's HTML pages (DRF views
already answer their own errors in that shape).

It also refuses, before any view parses anything, what no endpoint accepts: a JSON body (or a
GraphQL GET's `variables`) nested deeper than `O2C_MAX_JSON_DEPTH` — Python's JSON parser
recurses once per level, and 2,000 levels overflow the stack — as a 400 `invalid_json`, and a
query parameter holding a NUL byte under /api/ (400 `null_characters_not_allowed`). /graphql/
answers these in GraphQL's shape, `{"data": null, "errors": [{"message", "extensions":
{"code"}}]}`.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import JsonResponse

from o2c_api.bounds import NUL_MESSAGE, check_json_depth
from o2c_api.errors import ErrorCode

API_PREFIXES = ("/api/", "/graphql/")

ERRORS = {
    404: (ErrorCode.NOT_FOUND, "No route matches {path}."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "Method {method} is not allowed on {path}."),
    413: (
        ErrorCode.REQUEST_TOO_LARGE,
        "The request body is larger than this API accepts ({size} bytes).",
    ),
    414: (ErrorCode.URI_TOO_LONG, "The address is longer than this API accepts."),
}


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"code": code, "field": None, "message": message}]}, status=status
    )


def graphql_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status=status,
    )


def _refusal(request) -> JsonResponse | None:
    """The 400 for a body nested too deep or a query parameter with a NUL byte, if any."""
    graphql = request.path.startswith("/graphql/")
    try:
        if request.method in ("POST", "PUT", "PATCH") and "json" in request.content_type:
            check_json_depth(request.body)
        elif graphql:
            for value in request.GET.values():
                check_json_depth(value.encode())
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if graphql:
            return graphql_error(400, ErrorCode.INVALID_JSON, message)
        return json_error(400, ErrorCode.INVALID_JSON, message)
    if not graphql:
        for name, values in request.GET.lists():
            if any("\x00" in value for value in values) or "\x00" in name:
                return JsonResponse(
                    {
                        "errors": [
                            {
                                "code": ErrorCode.NULL_CHARACTERS,
                                "field": name,
                                "message": NUL_MESSAGE,
                            }
                        ]
                    },
                    status=400,
                )
    return None


def _error_for(request, status: int) -> JsonResponse:
    code, message = ERRORS[status]
    return json_error(
        status,
        code,
        message.format(
            path=request.path, method=request.method, size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ),
    )


class JSONErrorsMiddleware:
    """Turns Django's HTML 404/405/413/414 under the API prefixes into the error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        if len(request.get_full_path()) > settings.O2C_MAX_URL_LENGTH:
            return _error_for(request, 414)
        try:
            refusal = _refusal(request)
        except RequestDataTooBig:
            return _error_for(request, 413)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        if response.status_code in ERRORS and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return _error_for(request, response.status_code)
        return response

    def process_exception(self, request, exception):
        if request.path.startswith(API_PREFIXES) and isinstance(exception, RequestDataTooBig):
            return _error_for(request, 413)
        return None
