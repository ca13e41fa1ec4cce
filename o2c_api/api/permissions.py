"""Role-based access: Django model permissions, reads included."""

from rest_framework import permissions

from accounts.scoping import KPI_PERMISSION, may_view_kpis


class RolePermission(permissions.DjangoModelPermissions):
    """DjangoModelPermissions that also require the `view_` permission to read.

    The roles (`accounts.roles`) grant view permissions to every role, write permissions by
    role. Anonymous requests are refused with 401 by the authentication layer.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        # A method the route does not have is a 405 whatever the role (a DELETE of a payment
        # is not "forbidden to you", it does not exist): the view answers it after this check.
        if request.user.is_authenticated and not hasattr(view, request.method.lower()):
            return True
        return super().has_permission(request, view)


class CanViewKPIs(permissions.BasePermission):
    """Reading a report over every customer: `viewer` and above, refused to a user limited to
    their own customers (accounts.scoping). For the risk backtest, a measure over every
    customer."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(KPI_PERMISSION))


class CanViewScopedKPIs(permissions.BasePermission):
    """Reading KPIs, series, breakdowns, aging, the glossary and the reports built on them:
    `viewer` and above; for a user limited to their own customers, over those customers only
    (the view builds its scope with the user: `metrics.scope.scope_from_params`)."""

    def has_permission(self, request, view) -> bool:
        return may_view_kpis(request.user)


class CanReadAPIDocs(permissions.BasePermission):
    """The OpenAPI schema, Swagger UI and ReDoc: anyone when `O2C_PUBLIC_API_DOCS` is on (the
    default in DEBUG), else any authenticated user (off by default in production)."""

    def has_permission(self, request, view) -> bool:
        from django.conf import settings

        return settings.O2C_PUBLIC_API_DOCS or bool(request.user and request.user.is_authenticated)
