"""The /graphql/ endpoint: token or session authentication, CSRF for sessions only.

DRF's authentication does not run outside DRF views, so this view does what DRF's
TokenAuthentication + SessionAuthentication pair does for REST:

- `Authorization: Token <key>` authenticates the request by token. A token cannot be sent
  by a browser on its own (it is not a cookie), so such requests skip the CSRF check, as
  in DRF; an unknown or inactive token is a 401.
- Any other request relies on the session cookie that AuthenticationMiddleware already
  resolved, and every POST must then pass Django's CSRF check (403 otherwise), so a
  cross-site form cannot run a mutation with a logged-in user's cookie. GET can only run
  queries (strawberry refuses mutations over GET), which change nothing.

Requests are rate-limited as REST's (`o2c_api.api.throttling`): per token or user, per address
without credentials and for failed tokens; over a rate the answer is a 429 with `Retry-After`
and `extensions.code` `throttled`.

GraphiQL is served on GET from a browser only when `settings.O2C_GRAPHIQL` is on (read per
request, so tests and deployments can flip it).

Every error of an answer carries `extensions.code` and a sentence for a person (see
`o2c_api.graphql.errors.formatted`): nothing internal leaks, as REST's 500 says nothing either.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed, Throttled
from strawberry.django.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from accounts.authentication import HashedTokenAuthentication
from o2c_api.api import throttling
from o2c_api.errors import ErrorCode
from o2c_api.graphql.errors import formatted
from o2c_api.graphql.permissions import CURRENT_USER


def _csrf_failure(request: HttpRequest) -> HttpResponseBase | None:
    """Django's CSRF verdict on `request`: None when it passes, else the 403 response."""
    check = CsrfViewMiddleware(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status=status,
    )


def _throttled(exc: Throttled) -> JsonResponse:
    response = _error(str(exc.detail), ErrorCode.THROTTLED, 429)
    response["Retry-After"] = str(exc.wait and int(exc.wait + 0.999) or 1)
    return response


@method_decorator(csrf_exempt, name="dispatch")
class O2CGraphQLView(GraphQLView):
    """strawberry's Django view with token auth and session-only CSRF enforcement."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        try:
            refusal = self._authenticate(request)
            # A refused token was counted as a failed attempt; any other request counts here,
            # an anonymous one before its 401.
            if refusal is None or not request.META.get("HTTP_AUTHORIZATION"):
                self._throttle(request)
        except Throttled as exc:
            return _throttled(exc)
        if refusal is not None:
            return refusal
        user = CURRENT_USER.set(request.user)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            CURRENT_USER.reset(user)

    @staticmethod
    def _throttle(request: HttpRequest) -> None:
        if request.user.is_authenticated:
            throttling.check(throttling.ClientRateThrottle(), request)
        else:
            throttling.check(throttling.AnonRateThrottle(), request)

    def _authenticate(self, request: HttpRequest) -> HttpResponseBase | None:
        """Resolve the token (sets request.user and request.auth); a refusal response or None."""
        self.graphql_ide = "graphiql" if settings.O2C_GRAPHIQL else None
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if authorization.split(" ", 1)[0].lower() == "token":
            try:
                authenticated = HashedTokenAuthentication().authenticate(request)
            except AuthenticationFailed as exc:
                return _error(str(exc.detail), ErrorCode.AUTHENTICATION_FAILED, 401)
            if authenticated is None:
                return _error("Invalid token header.", ErrorCode.AUTHENTICATION_FAILED, 401)
            request.user, request.auth = authenticated
        elif request.method == "POST" and _csrf_failure(request) is not None:
            # The error shape, never Django's HTML page: without a token or a session there
            # is nobody to check a CSRF token for.
            if not request.user.is_authenticated:
                return _error(
                    "Authentication credentials were not provided.",
                    ErrorCode.NOT_AUTHENTICATED,
                    401,
                )
            return _error(
                "CSRF check failed: a session needs the X-CSRFToken header (or use a token).",
                ErrorCode.NOT_AUTHENTICATED,
                403,
            )
        return None

    def process_result(self, request: HttpRequest, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = super().process_result(request, result)
        if result.errors:
            response["errors"] = [formatted(error) for error in result.errors]
        return response
